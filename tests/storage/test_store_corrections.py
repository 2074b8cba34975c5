"""Corrections in the store (issue 22 item 2): schema version 3's label history, committed before memory changes,
restored on reopen, exported on request, migrated from version 2; the queue's reviewer correction."""
import json

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa
from sklearn.linear_model import LogisticRegression

from activelens import ActiveLearner, AnnotationQueue, LabelStore, QueueError, StoreError
from activelens.storage.schema import SCHEMA_VERSION


def _learner(X, target, **kw):
    return ActiveLearner(LogisticRegression(max_iter=300), X, random_state=0, store=target, **kw)


def _seed(y):
    return np.concatenate([np.flatnonzero(y == c)[:3] for c in range(3)])


def _comparable(h):
    """The history without its float times (the store keeps them as seconds; compared exactly elsewhere)."""
    return h.drop(columns=["time", "superseded_at"]).reset_index(drop=True)


def test_corrections_are_committed_and_restored_on_reopen(pool, store_target):
    X, y = pool
    learner = _learner(X, store_target)
    seed = _seed(y)
    learner.teach(seed, y[seed], annotator="ana")
    learner.fit()
    learner.relabel([int(seed[0])], [(int(y[seed[0]]) + 1) % 3], annotator="rev")
    learner.unlabel([int(seed[1])])
    learner.fit()
    stored = learner.store.labels()
    assert len(stored) == seed.size - 1 and int(seed[1]) not in stored["index"].tolist()
    row = stored[stored["index"] == int(seed[0])].iloc[0]
    assert row["label"] == (int(y[seed[0]]) + 1) % 3 and row["source"] == "relabel" and row["annotator"] == "rev"
    history = learner.label_history()
    labels, order = learner.labels.tolist(), learner.labeled_indices.tolist()
    learner.store.close()

    again = _learner(X, store_target)
    assert again.labeled_indices.tolist() == order and again.labels.tolist() == labels
    pd.testing.assert_frame_equal(_comparable(again.label_history()), _comparable(history))
    np.testing.assert_allclose(again.label_history()["time"].astype("int64"), history["time"].astype("int64"),
                               atol=1000)   # nanoseconds: a float round trip
    assert again.history["n_changed"].tolist() == [0, 2]
    assert again.labeled_frame().loc[int(seed[0]), "annotator"] == "rev"
    sh = again.store.label_history()
    assert sh["source"].tolist() == ["teach"] * seed.size + ["relabel", "unlabel"]
    assert sh["current"].sum() == seed.size - 1
    assert sh["superseded_by"].tolist()[:2] == ["relabel", "unlabel"]
    again.store.close()


def test_a_store_refusing_a_correction_changes_nothing(pool, store_target):
    X, y = pool
    learner = _learner(X, store_target)
    learner.teach([0, 1, 2], [0, 1, 2])
    learner.store.unlabel([1])            # behind the learner's back: the learner still holds item 1
    before = (learner.labeled_indices.tolist(), learner.labels.tolist(), len(learner.label_history()))
    with pytest.raises(StoreError, match="holds no label for item 1"):
        learner.relabel([0, 1], [2, 2])
    assert (learner.labeled_indices.tolist(), learner.labels.tolist(), len(learner.label_history())) == before
    assert learner.store.labels()["label"].tolist() == [0, 2]        # item 0 untouched in the store too
    assert len(learner.store.label_history()) == 4
    learner.store.close()


def test_store_relabel_and_unlabel_check_like_the_learner(pool, store_target):
    X, y = pool
    learner = _learner(X, store_target, classes=[0, 1, 2])
    learner.teach([0, 1, 2], [0, 1, 2])
    st = learner.store
    before = len(st.label_history())
    for call, kind, words in [
        (lambda: st.relabel([0], [5]), ValueError, "unknown class 5"),
        (lambda: st.relabel([], []), ValueError, "positions is empty"),
        (lambda: st.relabel([7], [1]), StoreError, "holds no label for item 7"),
        (lambda: st.relabel([0], [1, 2]), ValueError, "one label per position"),
        (lambda: st.relabel([-1], [1]), IndexError, "out of range"),
        (lambda: st.unlabel([7]), StoreError, "holds no label for item 7"),
    ]:
        with pytest.raises(kind, match=words):
            call()
    assert len(st.label_history()) == before and st.labels()["label"].tolist() == [0, 1, 2]
    assert st.relabel([0, 1], [2, 2], annotator="cli") == 2
    assert st.unlabel([2]) == 1
    assert st.labels()["label"].tolist() == [2, 2]
    st.close()
    again = _learner(X, store_target, classes=[0, 1, 2])
    assert again.labels.tolist() == [2, 2]
    again.store.close()


def test_export_gives_the_current_labels_and_the_history_on_request(pool, store_target, tmp_path):
    X, y = pool
    learner = _learner(X, store_target)
    learner.teach([0, 1], [0, 1])
    learner.relabel([1], [2])
    st = learner.store
    assert st.export()["label"].tolist() == [0, 2]
    text = st.export(format="jsonl", what="history")
    rows = [json.loads(line) for line in text.splitlines()]
    assert [(r["index"], r["label"], r["source"], r["superseded_by"]) for r in rows] == [
        (0, 0, "teach", None), (1, 1, "teach", "relabel"), (1, 2, "relabel", None)]
    path = st.export(tmp_path / "h.csv", what="history")
    assert pd.read_csv(path)["source"].tolist() == ["teach", "teach", "relabel"]
    with pytest.raises(ValueError, match="'labels', 'annotations' or 'history'"):
        st.export(what="everything")
    st.close()


def test_ids_follow_the_history_when_the_pool_is_reordered(pool, tmp_path):
    X, y = pool
    frame = pd.DataFrame(X, index=[f"d{i}" for i in range(len(X))])
    path = tmp_path / "ids.db"
    learner = _learner(frame, path)
    learner.teach([3, 4], [0, 1])
    learner.relabel([4], [2])
    learner.store.close()
    shuffled = frame.iloc[::-1]
    again = _learner(shuffled, path)
    h = again.label_history()
    assert h["id"].tolist() == ["d3", "d4", "d4"]
    assert h["position"].tolist() == [shuffled.index.get_loc(i) for i in ["d3", "d4", "d4"]]
    assert again.store.label_history()["id"].tolist() == ["d3", "d4", "d4"]
    again.store.close()


# ----- migration from version 2
def _make_version_2(target, X, y):
    """A store as activelens wrote it before the label history: version 3 without its history table is version 2's
    schema exactly (nothing else changed)."""
    learner = _learner(X, target)
    seed = _seed(y)
    learner.teach(seed, y[seed], annotator="ana")
    learner.fit()
    with learner.store.write() as conn:
        conn.execute(sa.text("DROP TABLE activelens_label_history"))
        conn.execute(sa.text("UPDATE activelens_meta SET value = '2' WHERE key = 'schema_version'"))
    learner.store.close()
    return seed


def test_a_version_2_store_opens_migrates_and_keeps_its_labels(pool, store_target):
    X, y = pool
    seed = _make_version_2(store_target, X, y)
    learner = _learner(X, store_target)
    assert learner.store.meta()["schema_version"] == str(SCHEMA_VERSION) == "3"
    assert learner.labeled_indices.tolist() == seed.tolist() and learner.labels.tolist() == y[seed].tolist()
    h = learner.label_history()
    assert h["position"].tolist() == seed.tolist() and h["annotator"].eq("ana").all() and h["current"].all()
    learner.relabel([int(seed[0])], [(int(y[seed[0]]) + 1) % 3])
    learner.store.close()
    again = LabelStore(store_target)      # migrated once: opening again copies nothing twice
    assert len(again.label_history()) == seed.size + 1
    again.close()


def test_a_read_only_version_2_store_is_refused_with_what_to_do(pool, shared_dir, open_old_store_read_only):
    X, y = pool
    path = shared_dir / "old.db"
    _make_version_2(path, X, y)
    before = path.read_bytes()
    shared_dir.chmod(0o555)
    rc, out, err = open_old_store_read_only(path)
    assert rc == 0, err
    assert out.startswith("refused ") and "earlier activelens (schema version 2)" in out
    assert "Nothing was written" in out and "Open it once where you may write" in out
    assert path.read_bytes() == before


# ----- the queue: a reviewer's correction
class Clock:
    def __init__(self, t=1000.0):
        self.t = t

    def __call__(self):
        self.t += 1.0
        return self.t


def _finished(X, y, target):
    """A learner with a store, and a queue where ana and bo annotated items 20 and 21 (two each), synced."""
    learner = _learner(X, target)
    seed = _seed(y)
    learner.teach(seed, y[seed])
    q = AnnotationQueue(learner.store, overlap=1.0, random_state=0)
    q.put([20, 21])
    for who in ("ana", "bo"):
        for i in q.claim(who, n=2):
            q.submit(who, i, 1)
    assert q.sync(learner) == 2
    return learner, q


def test_a_reviewer_correction_overrides_the_resolution(pool, store_target):
    X, y = pool
    learner, q = _finished(X, y, store_target)
    n_ann = len(q.annotations())
    q.correct(20, 2, "rev")
    stored = learner.store.labels().set_index("index")
    assert stored.loc[20, "label"] == 2 and stored.loc[20, "source"] == "queue:correct"
    assert stored.loc[20, "annotator"] == "rev"
    assert len(q.annotations()) == n_ann                       # the votes stay as given
    h = learner.store.label_history()
    assert h[h["index"] == 20]["source"].tolist() == ["queue:majority", "queue:correct"]
    with pytest.raises(QueueError, match="no stored label to correct"):
        q.correct(30, 1, "rev")
    with pytest.raises(ValueError, match="unknown label 7"):
        AnnotationQueue(learner.store, labels=[0, 1, 2]).correct(20, 7, "rev")
    with pytest.raises(TypeError, match="mix"):                # no classes declared: the stored labels' type
        q.correct(20, "two", "rev")
    with pytest.raises(QueueError, match="is labeled already.*correct"):
        q.reject(21)
    learner.store.close()
    again = _learner(X, store_target)                          # select reopens the store: it trains on the fix
    assert dict(zip(again.labeled_indices.tolist(), again.labels.tolist()))[20] == 2
    again.store.close()


def test_a_taken_back_item_is_not_taught_again_from_its_old_votes(pool, store_target):
    X, y = pool
    learner, q = _finished(X, y, store_target)
    learner.unlabel([21])
    assert q.sync(learner) == 0 and 21 not in learner.labeled_indices.tolist()
    assert q.reject(21) == 2                                   # back to the annotators
    q.clock = Clock(2e9)                                       # answers given after the unlabel
    for who in ("ana", "bo"):
        assert q.claim(who, n=1) == [21]
        q.submit(who, 21, 0)
    assert q.sync(learner) == 1
    assert dict(zip(learner.labeled_indices.tolist(), learner.labels.tolist()))[21] == 0
    learner.store.close()


def test_a_notebook_takes_in_corrections_made_elsewhere(pool, store_target):
    """Two learners on one store (two notebooks): one's relabel and unlabel, and a reviewer's queue correction,
    reach the other at its next pull (an annotator's widget pulls at every sync)."""
    X, y = pool
    ana = _learner(X, store_target)
    ana.teach([0, 1, 2, 3], [0, 1, 2, 0])
    bo = _learner(X, store_target)
    assert bo.labels.tolist() == [0, 1, 2, 0]
    ana.relabel([1], [2])
    ana.unlabel([3])
    ana.teach([4], [1])
    AnnotationQueue(ana.store).correct(2, 0, "rev")
    assert bo.pull_from_store() == 4            # item 4 added; 1 and 2 changed; 3 taken back
    assert dict(zip(bo.labeled_indices.tolist(), bo.labels.tolist())) == {0: 0, 1: 2, 2: 0, 4: 1}
    assert bo.n_changed == 3
    assert bo.label_history()["source"].tolist() == ["teach"] * 4 + ["relabel", "unlabel", "teach", "queue:correct"]
    assert bo.pull_from_store() == 0
    for learner in (ana, bo):
        learner.store.close()


def test_any_sequence_of_corrections_reopens_as_it_was(pool, store_target):
    """A seeded random run of teach/relabel/unlabel (and fits) on a store: the reopened learner has the same
    current labels, in the same order, and the same history."""
    X, y = pool
    rng = np.random.default_rng(3)
    learner = _learner(X, store_target, classes=[0, 1, 2])
    learner.teach(_seed(y), y[_seed(y)])
    for step in range(30):
        labeled = learner.labeled_indices
        op = rng.choice(["teach", "relabel", "unlabel", "fit"])
        if op == "teach":
            fresh = rng.choice(learner.unlabeled_indices, size=3, replace=False)
            learner.teach(fresh, rng.integers(0, 3, size=3))
        elif op == "fit" and np.unique(learner.labels).size >= 2:
            learner.fit()
        elif op in ("relabel", "unlabel") and labeled.size > 4:
            pick = rng.choice(labeled, size=2, replace=False)
            learner.relabel(pick, rng.integers(0, 3, size=2)) if op == "relabel" else learner.unlabel(pick)
    order, labels, history = learner.labeled_indices.tolist(), learner.labels.tolist(), learner.label_history()
    rounds = learner.history["n_changed"].tolist()
    learner.store.close()
    again = _learner(X, store_target, classes=[0, 1, 2])
    assert again.labeled_indices.tolist() == order and again.labels.tolist() == labels
    pd.testing.assert_frame_equal(_comparable(again.label_history()), _comparable(history))
    assert again.history["n_changed"].tolist() == rounds
    assert again.store.labels()["index"].tolist() == order
    again.store.close()
