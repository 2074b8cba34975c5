"""Label store: write-through from the learner, provenance, restore on reopen, pool checks, export. SQLite and PostgreSQL."""
import json
import sqlite3

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import make_blobs
from sklearn.linear_model import LogisticRegression

from activelens import ActiveLearner
from activelens.storage.store import LabelStore, PoolMismatchError, StoreError, StoreFormatError, row_hashes


@pytest.fixture(scope="module")
def pool():
    X, y = make_blobs(n_samples=200, centers=3, cluster_std=2.0, random_state=1)
    return X, y


def make(X, store, **kw):
    return ActiveLearner(LogisticRegression(max_iter=300), X, store=store, random_state=0, **kw)


def test_labels_committed_with_provenance_and_restored(pool, store_target):
    X, y = pool
    a = make(X, store_target)
    batch = a.query(12)
    a.teach(batch.indices, y[batch.indices], annotator="ana", seconds=2.5)
    a.fit()
    b2 = a.query(5)
    a.teach(b2.indices, y[b2.indices], annotator="bo", seconds=np.arange(5.0))
    a.fit()
    df = a.store.labels()
    assert df["index"].tolist() == a.labeled_indices.tolist()
    assert df["label"].tolist() == y[a.labeled_indices].tolist()
    assert all(type(v) is int for v in df["label"])
    assert df["annotator"].tolist() == ["ana"] * 12 + ["bo"] * 5
    assert df["seconds"].tolist() == [2.5] * 12 + [0.0, 1.0, 2.0, 3.0, 4.0]
    assert df["round"].tolist() == [0] * 12 + [1] * 5
    assert df["model_version"].tolist() == [0] * 12 + [1] * 5
    assert df["strategy"].tolist()[-5:] == ["margin"] * 5
    np.testing.assert_allclose(df["score"].to_numpy()[-5:], b2.scores)
    hashes = row_hashes(X)
    assert df["item_hash"].tolist() == [hashes[i] for i in a.labeled_indices]

    # reopen: labels, order, rounds, history, model version restored; a query works at once
    b = make(X, store_target)
    assert b.labeled_indices.tolist() == a.labeled_indices.tolist()
    assert b.labels.tolist() == a.labels.tolist()
    pd.testing.assert_frame_equal(b.history, a.history)
    assert b.model_version == a.model_version == 2
    assert b.model_ is not None
    np.testing.assert_array_equal(b.query(5).indices, a.query(5).indices)
    a.store.close(), b.store.close()


def test_teach_error_writes_nothing(pool, store_target):
    X, y = pool
    a = make(X, store_target)
    a.teach([0, 1], [0, 1])
    with pytest.raises(ValueError):
        a.teach([2, 0], [1, 1])  # relabel of 0: nothing recorded, not even item 2
    with pytest.raises(TypeError):
        a.teach([3], ["a"])
    assert a.store.n_labels() == 2
    assert a.labeled_indices.tolist() == [0, 1]


def test_failed_commit_leaves_memory_unchanged(pool, tmp_path):
    X, y = pool
    path = tmp_path / "labels.db"
    a = ActiveLearner(LogisticRegression(), X, store=LabelStore(path, timeout=0.2))
    a.teach([0], [0])
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another writer holds the lock
    try:
        with pytest.raises(StoreError, match="locked by another process"):
            a.teach([1, 2], [1, 2])
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert a.labeled_indices.tolist() == [0]
    a.teach([1, 2], [1, 2])
    assert a.store.n_labels() == 3


def test_string_labels_and_names_round_trip_exactly(pool, store_target):
    X, _ = pool
    names = ["Robert'); DROP TABLE activelens_labels;--", 'say "hi"', "<script>alert(1)</script>", "日本語 ✓ é", "a\nb\tc"]
    a = make(X, store_target)
    for k, name in enumerate(names):
        a.teach([k], [name], annotator=name)
    df = make(X, store_target).store.labels()
    assert df["label"].tolist() == names
    assert df["annotator"].tolist() == names
    jl = a.store.export(format="jsonl")
    assert [json.loads(line)["label"] for line in jl.splitlines()] == names


def test_pool_mismatch_is_one_clear_error_and_nothing_overwritten(pool, tmp_path):
    X, y = pool
    path = tmp_path / "labels.db"
    a = make(X, path)
    a.teach([5, 6, 7], [0, 1, 2])
    before = path.read_bytes()
    with pytest.raises(PoolMismatchError, match="different order"):
        make(X[::-1], path)
    with pytest.raises(PoolMismatchError, match="200 rows × 2 features, but X has 150 rows"):
        make(X[:150], path)
    X2 = X.copy()
    X2[6] += 0.5
    with pytest.raises(PoolMismatchError, match="1 of the 3 labeled rows .*row 6"):
        make(X2, path)
    assert path.read_bytes() == before
    assert make(X, path).labeled_indices.tolist() == [5, 6, 7]


def test_corrupted_and_foreign_files(pool, tmp_path):
    X, _ = pool
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"this is not a database at all" * 100)
    before = junk.read_bytes()
    with pytest.raises(StoreFormatError, match="not an SQLite database"):
        make(X, junk)
    assert junk.read_bytes() == before

    foreign = tmp_path / "foreign.db"
    c = sqlite3.connect(foreign)
    c.execute("create table customers(id integer primary key, name text)")
    c.execute("insert into customers(name) values ('x')")
    c.commit(), c.close()
    before = foreign.read_bytes()
    with pytest.raises(StoreFormatError, match="something else .*customers"):
        make(X, foreign)
    assert foreign.read_bytes() == before

    # a real store whose pages were damaged
    path = tmp_path / "damaged.db"
    a = make(X, path)
    a.teach(list(range(50)), [0] * 50)
    a.store.close()
    data = bytearray(path.read_bytes())
    data[4096:8192 * 2] = b"\xff" * (8192 * 2 - 4096)
    path.write_bytes(bytes(data))
    with pytest.raises(StoreFormatError):
        make(X, path)


def test_export_formats(pool, store_target, tmp_path):
    X, y = pool
    a = make(X, store_target)
    a.teach([3, 1, 2], [2, 0, 1], annotator="ann", seconds=1.0)
    df = a.store.export()
    assert list(df["index"]) == [3, 1, 2]
    csv = a.store.export(tmp_path / "out.csv")
    back = pd.read_csv(csv)
    assert back["label"].tolist() == [2, 0, 1] and back["annotator"].tolist() == ["ann"] * 3
    lines = (tmp_path / "out.jsonl").read_text() if a.store.export(tmp_path / "out.jsonl") else ""
    recs = [json.loads(x) for x in lines.splitlines()]
    assert [r["index"] for r in recs] == [3, 1, 2] and [r["label"] for r in recs] == [2, 0, 1]
    assert {"timestamp", "seconds", "round", "model_version", "strategy", "score", "item_hash"} <= set(recs[0])
    with pytest.raises(ValueError, match="format"):
        a.store.export(tmp_path / "out.xlsx")


def test_bulk_teach_is_one_transaction(pool, store_target):
    X, y = pool
    a = make(X, store_target)
    a.teach(np.arange(150), y[:150])
    assert a.store.n_labels() == 150
    assert make(X, store_target).n_labeled == 150


def test_store_argument_validation(pool, tmp_path):
    X, _ = pool
    with pytest.raises(TypeError, match="store must be a file path"):
        make(X, 42)
    with pytest.raises(StoreError, match="does not exist"):
        make(X, tmp_path / "no" / "such" / "dir" / "labels.db")
    with pytest.raises(ValueError, match="timeout"):
        LabelStore(tmp_path / "x.db", timeout=0)


def test_cli_select_and_export(pool, tmp_path, capsys):
    from activelens.__main__ import main
    from activelens.storage.queue import AnnotationQueue

    X, y = pool
    path = str(tmp_path / "labels.db")
    make(X, path, batch_size=5)
    assert main(["select", "--store", path, "--n", "12"]) == 0
    assert "queued 12 items by random" in capsys.readouterr().out
    q = AnnotationQueue(path)
    got = q.claim("ann <i>", n=12)
    for i in got:
        q.submit("ann <i>", i, int(y[i]), seconds=1.5)
    assert main(["select", "--store", path, "--n", "7"]) == 0
    out = capsys.readouterr().out
    assert "taught from finished annotations: 12" in out and "retrained: round 1" in out and "queued 7 items by margin" in out
    assert q.status()["pending"] == 7
    learner = make(X, path)
    assert sorted(learner.labeled_indices.tolist()) == sorted(got)
    df = learner.store.labels()
    assert set(df["strategy"]) == {"random"} and set(df["annotator"]) == {"ann <i>"}
    assert main(["export", "--store", path, "--out", str(tmp_path / "l.jsonl")]) == 0
    recs = [json.loads(x) for x in (tmp_path / "l.jsonl").read_text().splitlines()]
    assert sorted(r["index"] for r in recs) == sorted(got)
    capsys.readouterr()
    assert main(["export", "--store", path, "--what", "annotations"]) == 0
    assert capsys.readouterr().out.count("ann <i>") == 12
    assert main(["select", "--store", str(tmp_path / "missing.db")]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_two_learners_on_one_store_conflict_clearly(pool, store_target):
    X, y = pool
    a, b = make(X, store_target), make(X, store_target)
    a.teach([1, 2], [0, 1])
    with pytest.raises(StoreError, match="another process labeled one of these items"):
        b.teach([3, 2], [0, 1])
    assert b.labeled_indices.tolist() == [] and b.store.n_labels() == 2
    assert make(X, store_target).labeled_indices.tolist() == [1, 2]


def test_pull_from_store_takes_in_a_teammates_labels_in_memory_only(pool, store_target):
    X, y = pool
    a, b = make(X, store_target), make(X, store_target)
    a.teach([4, 9, 11], [y[4], y[9], y[11]])
    assert b.n_labeled == 0
    assert b.pull_from_store() == 3
    assert sorted(b.labeled_indices.tolist()) == [4, 9, 11] and b.n_new_labels == 3
    assert b.labels.tolist() == [y[i] for i in b.labeled_indices]
    assert b.pull_from_store() == 0 and b.store.n_labels() == 3  # nothing written twice
    b.teach([20], [y[20]])                                    # and b can go on labeling
    assert a.pull_from_store() == 1 and a.labeled_indices.tolist()[-1] == 20
    assert make(X, None).pull_from_store() == 0               # no store: nothing to pull
