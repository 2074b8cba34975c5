"""Stores record item ids: labels, the queue's listings and exports show them, and a store reopened against the same
items in another order is matched by id (labels land on the right rows) instead of being refused."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa
from sklearn.datasets import make_blobs
from sklearn.linear_model import LogisticRegression

from activelens import ActiveLearner
from activelens.__main__ import main
from activelens.storage import LabelStore, PoolMismatchError
from activelens.storage.queue import AnnotationQueue
from activelens.storage.schema import SCHEMA_VERSION


@pytest.fixture
def docs():
    """A DataFrame pool keyed by document id (ids are not positions: the index runs backwards) and its labels."""
    X, y = make_blobs(n_samples=90, centers=3, cluster_std=2.0, random_state=3)
    ids = pd.Index([f"doc-{k:03d}" for k in range(90)][::-1], name="doc_id")
    return pd.DataFrame(X, index=ids, columns=["a", "b"]), pd.Series(y, index=ids)


def _label_by_id(learner) -> dict:
    lf = learner.labeled_frame()
    return dict(zip(lf.index, lf.label))


def test_ids_round_trip_through_store_queue_and_export(docs, store_target, tmp_path):
    X, y = docs
    learner = ActiveLearner(LogisticRegression(), X, store=store_target, random_state=0)
    b = learner.query(5)
    learner.teach(b.indices, y.iloc[b.indices].to_numpy(), annotator="ana")
    taught = {X.index[i]: int(y.iloc[i]) for i in b.indices}

    labels = learner.store.labels()
    assert list(labels.columns[:2]) == ["index", "id"]
    assert dict(zip(labels["id"], labels["label"])) == taught
    assert [X.index[i] for i in labels["index"]] == labels["id"].tolist()

    q = AnnotationQueue(learner.store)
    nxt = learner.query(3).indices
    q.put(nxt)
    got = q.claim("bo", n=3)
    assert q.leases()["id"].tolist() == [X.index[i] for i in got]
    q.submit("bo", got[0], int(y.iloc[got[0]]))
    assert q.annotations()["id"].tolist() == [X.index[got[0]]]
    assert q.sync(learner) == 1
    assert _label_by_id(learner)[X.index[got[0]]] == int(y.iloc[got[0]])

    out = tmp_path / "labels.jsonl"
    learner.store.export(out)
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert {r["id"]: r["label"] for r in rows} == _label_by_id(learner)
    csv = pd.read_csv(pd.io.common.StringIO(learner.store.export(format="csv")))
    assert set(csv["id"]) == set(_label_by_id(learner))


def test_cli_export_shows_ids(docs, tmp_path, capsys):
    X, y = docs
    path = str(tmp_path / "s.db")
    learner = ActiveLearner(LogisticRegression(), X, store=path, random_state=0)
    learner.teach([0, 1], [int(y.iloc[0]), int(y.iloc[1])])
    learner.store.close()
    assert main(["export", "--store", path, "--format", "csv"]) == 0
    out = pd.read_csv(pd.io.common.StringIO(capsys.readouterr().out))
    assert out["id"].tolist() == ["doc-089", "doc-088"]


def test_parquet_export_keeps_ids_or_says_what_to_install(docs, tmp_path, capsys):
    from importlib.util import find_spec

    X, y = docs
    path = str(tmp_path / "s.db")
    learner = ActiveLearner(LogisticRegression(), X, store=path, random_state=0)
    learner.teach([0, 1], [int(y.iloc[0]), int(y.iloc[1])])
    out = tmp_path / "labels.parquet"
    assert main(["export", "--store", path, "--format", "parquet"]) == 2
    assert "--format parquet writes a binary file: pass --out" in capsys.readouterr().err
    if find_spec("pyarrow") is None and find_spec("fastparquet") is None:
        with pytest.raises(ValueError, match=r"needs a Parquet engine.*nothing was written.*activelens\[text\]"):
            learner.store.export(out)
        assert main(["export", "--store", path, "--out", str(out)]) == 2
        assert not out.exists()
    else:
        learner.store.export(out)
        assert pd.read_parquet(out)["id"].tolist() == ["doc-089", "doc-088"]


def test_a_reordered_frame_is_matched_by_id(docs, store_target):
    X, y = docs
    learner = ActiveLearner(LogisticRegression(), X, store=store_target, random_state=0)
    b = learner.query(6)
    learner.teach(b.indices, y.iloc[b.indices].to_numpy())
    q = AnnotationQueue(learner.store)
    queued = [i for i in learner.query(4).indices]
    q.put(queued)
    before = _label_by_id(learner)
    queued_ids = [X.index[i] for i in queued]
    learner.store.close()

    shuffled = X.sample(frac=1.0, random_state=7)
    again = ActiveLearner(LogisticRegression(), shuffled, store=store_target, random_state=0)
    assert _label_by_id(again) == before                       # the same documents hold the same labels
    for doc, label in before.items():                          # ...at their new rows
        assert y[doc] == label and shuffled.index[again.positions(doc)[0]] == doc
    q2 = AnnotationQueue(again.store)
    assert [shuffled.index[i] for i in q2.queued_indices()] == queued_ids
    assert again.store.labels()["id"].tolist() == [shuffled.index[i] for i in again.store.labels()["index"]]

    # a new label goes to its new row, and a third opening in the new order needs no rewrite
    new = int(again.query(1).indices[0])
    again.teach([new], [int(y[shuffled.index[new]])])
    again.store.close()
    third = ActiveLearner(LogisticRegression(), shuffled, store=store_target, random_state=0)
    assert _label_by_id(third) == before | {shuffled.index[new]: int(y[shuffled.index[new]])}


def test_other_ids_or_changed_rows_are_refused_and_nothing_changes(docs, tmp_path):
    X, y = docs
    path = tmp_path / "s.db"
    learner = ActiveLearner(LogisticRegression(), X, store=path, random_state=0)
    learner.teach([3, 4], [int(y.iloc[3]), int(y.iloc[4])])
    learner.store.close()
    stored = LabelStore(path).labels()

    renamed = X.rename(index={"doc-010": "doc-x"}).sample(frac=1.0, random_state=1)
    with pytest.raises(PoolMismatchError, match="other ids: the id 'doc-010' it holds is not in the pool"):
        ActiveLearner(LogisticRegression(), renamed, store=path)
    changed = X.copy()
    changed.iloc[3, 0] += 1.0
    with pytest.raises(PoolMismatchError, match="different pool"):
        ActiveLearner(LogisticRegression(), changed.sample(frac=1.0, random_state=1), store=path)
    pd.testing.assert_frame_equal(LabelStore(path).labels(), stored)


def test_without_ids_a_reordered_pool_is_still_refused(tmp_path):
    X, y = make_blobs(n_samples=60, centers=2, random_state=0)
    path = tmp_path / "s.db"
    learner = ActiveLearner(LogisticRegression(), X, store=path)
    learner.teach([0, 1], [int(y[0]), int(y[1])])
    learner.store.close()
    assert "id" not in LabelStore(path).labels().columns
    with pytest.raises(PoolMismatchError, match="different order"):
        ActiveLearner(LogisticRegression(), X[::-1].copy(), store=path)


def _make_version_1(target, X, y):
    """A store as activelens before ids wrote it: labels without an item_id column, schema version 1."""
    plain = ActiveLearner(LogisticRegression(), X.to_numpy(), store=target)
    plain.teach([5, 6], [int(y.iloc[5]), int(y.iloc[6])])
    with plain.store.write() as conn:
        conn.execute(sa.text("ALTER TABLE activelens_labels DROP COLUMN item_id"))
        conn.execute(sa.text("DROP TABLE activelens_label_history"))   # added in version 3
        conn.execute(sa.text("UPDATE activelens_meta SET value = '1' WHERE key = 'schema_version'"))
    plain.store.close()


def test_a_version_1_store_opens_and_learns_its_ids(docs, store_target):
    X, y = docs
    _make_version_1(store_target, X, y)
    learner = ActiveLearner(LogisticRegression(), X, store=store_target)
    assert learner.store.meta()["schema_version"] == str(SCHEMA_VERSION)
    assert _label_by_id(learner) == {X.index[5]: int(y.iloc[5]), X.index[6]: int(y.iloc[6])}
    assert learner.store.labels()["id"].tolist() == [X.index[5], X.index[6]]   # ids filled in for old labels
    assert learner.store.label_history()["id"].tolist() == [X.index[5], X.index[6]]   # the history starts with them
    learner.store.close()
    shuffled = X.sample(frac=1.0, random_state=2)
    again = ActiveLearner(LogisticRegression(), shuffled, store=store_target)
    assert _label_by_id(again) == _label_by_id(learner)


def test_a_version_1_store_that_may_not_be_written_says_what_to_do(docs, shared_dir, open_old_store_read_only):
    X, y = docs
    path = shared_dir / "old.db"
    _make_version_1(path, X, y)
    before = path.read_bytes()
    shared_dir.chmod(0o555)
    rc, out, err = open_old_store_read_only(path)
    assert rc == 0, err
    assert out.startswith("refused ") and "earlier activelens (schema version 1)" in out
    assert "Nothing was written" in out and "Open it once where you may write" in out
    assert path.read_bytes() == before


def test_integer_ids_keep_their_type(tmp_path):
    X, y = make_blobs(n_samples=40, centers=2, random_state=0)
    frame = pd.DataFrame(X, index=np.arange(1000, 1040))
    learner = ActiveLearner(LogisticRegression(), frame, store=tmp_path / "s.db")
    learner.teach([0], [int(y[0])])
    assert learner.store.labels()["id"].tolist() == [1000]
    assert learner.store.item_ids()[:2] == [1000, 1001]
