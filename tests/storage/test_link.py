"""A learner's write-through to its store and the restore on reopen: every label committed with its provenance before
teach returns, nothing written on an error, kill -9 loses no committed label. SQLite and PostgreSQL."""
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

from activelens import ActiveLearner
from activelens.core.fingerprint import row_hashes
from activelens.storage import LabelStore, StoreError
from activelens.storage.codec import load_label


def make(X, store, **kw):
    return ActiveLearner(LogisticRegression(max_iter=300), X, store=store, random_state=0, **kw)


def test_labels_committed_with_provenance_and_restored(pool, store_target):
    X, y = pool
    a = make(X, store_target, strategy="margin", cold_start="random")
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
    assert df["strategy"].tolist() == ["random"] * 12 + ["margin"] * 5
    np.testing.assert_allclose(df["score"].to_numpy()[-5:], b2.scores)
    hashes = row_hashes(X)
    assert df["item_hash"].tolist() == [hashes[i] for i in a.labeled_indices]

    # reopen: labels, order, rounds, history, model version restored; a query works at once
    b = make(X, store_target, strategy="margin", cold_start="random")
    assert b.labeled_indices.tolist() == a.labeled_indices.tolist()
    assert b.labels.tolist() == a.labels.tolist()
    pd.testing.assert_frame_equal(b.history, a.history)
    assert b.model_version == a.model_version == 2
    assert b.model_ is not None
    np.testing.assert_array_equal(b.query(5).indices, a.query(5).indices)
    a.store.close(), b.store.close()


def test_reopen_with_the_defaults_gives_the_batch_the_first_session_would_have(pool, store_target):
    """auto's k-means draws from the learner's generator: its state as the last round ended is kept with the round,
    so a restarted notebook shows the same next batch (the Explorer's "Restart Kernel and Run All")."""
    X, y = pool
    a = make(X, store_target, batch_size=8)
    for _ in range(2):
        batch = a.query()
        a.teach(batch.indices, y[batch.indices])
        a.fit()
    assert a.history["rule"].iloc[-1] == "margin_kmeans" and "rng_state" not in a.history.columns
    b = make(X, store_target, batch_size=8)
    first, reopened = a.query(), b.query()
    assert first.rule == reopened.rule == "margin_kmeans"
    np.testing.assert_array_equal(reopened.indices, first.indices)
    # a caller's own Generator is theirs: used as given, never overwritten from the store
    mine = np.random.default_rng(5)
    before = mine.bit_generator.state
    c = ActiveLearner(LogisticRegression(max_iter=300), X, store=store_target, random_state=mine, batch_size=8)
    assert mine.bit_generator.state == before and c.n_labeled == a.n_labeled
    a.store.close(), b.store.close(), c.store.close()


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


def test_bulk_teach_is_one_transaction(pool, store_target):
    X, y = pool
    a = make(X, store_target)
    a.teach(np.arange(150), y[:150])
    assert a.store.n_labels() == 150
    assert make(X, store_target).n_labeled == 150


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


LOOP = textwrap.dedent("""
    import sys, numpy as np
    from sklearn.linear_model import LogisticRegression
    from activelens import ActiveLearner
    X = np.load(sys.argv[1]); path = sys.argv[2]
    rng = np.random.default_rng(0)
    learner = ActiveLearner(LogisticRegression(), X, store=path)
    start = learner.n_labeled
    for k, i in enumerate(rng.permutation(X.shape[0])[start:1000]):
        learner.teach([int(i)], [f"c{int(i) % 3}"], annotator="loop", seconds=0.5)
        sys.stdout.write(f"{int(i)}\\n"); sys.stdout.flush()
    print("done", flush=True)
""")


def test_kill_9_mid_loop_loses_no_committed_label(tmp_path):
    X = np.random.default_rng(1).normal(size=(1200, 8))
    np.save(tmp_path / "X.npy", X)
    path = str(tmp_path / "labels.db")
    (tmp_path / "loop.py").write_text(LOOP)
    proc = subprocess.Popen([sys.executable, str(tmp_path / "loop.py"), str(tmp_path / "X.npy"), path],
                            stdout=subprocess.PIPE, text=True)
    committed = []
    kill_at = 400
    for line in proc.stdout:  # each line is printed only after teach() returned, i.e. after the commit
        committed.append(int(line))
        if len(committed) == kill_at:
            os.kill(proc.pid, signal.SIGKILL)  # the child is in the middle of its next teach()
            break
    proc.wait()
    assert proc.returncode == -signal.SIGKILL
    con = sqlite3.connect(path)
    assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    rows = con.execute("SELECT idx, item_hash, label, annotator, ts, seconds, round, model_version, source "
                       "FROM activelens_labels ORDER BY id").fetchall()
    con.close()
    stored = [r[0] for r in rows]
    assert stored[:kill_at] == committed  # every label reported committed is there, in order
    assert len(stored) <= kill_at + 1     # at most the one in flight, and then whole
    hashes = row_hashes(X)
    for idx, h, label, ann, ts, secs, rnd, mv, src in rows:  # no torn row
        assert h == hashes[idx] and load_label(label) == f"c{idx % 3}" and ann == "loop" and secs == 0.5
        assert ts > 0 and rnd == 0 and mv == 0 and src == "teach"
    # the loop picks up where it stopped and finishes its 1,000 labels
    out = subprocess.run([sys.executable, str(tmp_path / "loop.py"), str(tmp_path / "X.npy"), path],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert LabelStore(path).n_labels() == 1000
    print(f"\nkill -9 after {kill_at} committed labels: {len(stored)} rows after restart, 0 lost, integrity ok")
