"""Corrections in memory (issue 22 item 2): relabel, unlabel, label_history, and what the next fit sees."""
import threading

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from sklearn.datasets import make_blobs
from sklearn.linear_model import LogisticRegression

from activelens import ActiveLearner, Relabeled, Taught, Unlabeled


@pytest.fixture(scope="module")
def blobs():
    return make_blobs(n_samples=60, centers=3, n_features=4, cluster_std=1.5, random_state=0)


def _learner(X, **kw):
    return ActiveLearner(LogisticRegression(max_iter=300), X, random_state=0, **kw)


def _state(learner):
    return (learner.labeled_indices.tolist(), learner.labels.tolist(), len(learner.label_history()),
            learner.n_changed)


def test_relabel_changes_the_label_keeps_the_order_and_the_history(blobs):
    X, y = blobs
    learner = _learner(X)
    learner.teach([0, 1, 2], [0, 1, 2], annotator="ana", source="key")
    learner.relabel([1], [2], annotator="rev")
    assert learner.labeled_indices.tolist() == [0, 1, 2]
    assert learner.labels.tolist() == [0, 2, 2]
    h = learner.label_history()
    assert h.columns.tolist() == ["position", "label", "annotator", "time", "source", "round", "model_version",
                                  "superseded_at", "superseded_by", "current"]
    assert h["position"].tolist() == [0, 1, 2, 1]
    assert h["label"].tolist() == [0, 1, 2, 2]
    assert h["annotator"].tolist() == ["ana", "ana", "ana", "rev"]
    assert h["source"].tolist() == ["key", "key", "key", "relabel"]
    assert h["superseded_by"].tolist() == [None, "relabel", None, None]
    assert h["current"].tolist() == [True, False, True, True]
    assert str(h["time"].dtype) == "datetime64[ns, UTC]"
    assert h["superseded_at"].iloc[1] == h["time"].iloc[3] and h["superseded_at"].isna().sum() == 3
    frame = learner.labeled_frame()
    assert frame.loc[1, "annotator"] == "rev" and frame.loc[1, "source"] == "relabel"
    assert isinstance(frame.loc[1, "timestamp"], pd.Timestamp) and frame["timestamp"].dt.tz is not None


def test_unlabel_returns_items_to_the_pool_and_teach_labels_them_again(blobs):
    X, y = blobs
    learner = _learner(X)
    learner.teach([0, 1, 2, 3], [0, 1, 2, 0])
    learner.unlabel([1, 3], annotator="rev")
    assert learner.labeled_indices.tolist() == [0, 2] and learner.labels.tolist() == [0, 2]
    assert {1, 3} <= set(learner.unlabeled_indices.tolist())
    assert 1 not in learner.labeled_frame()["position"].tolist()
    learner.teach([1], [2])
    h = learner.label_history()
    assert h["source"].tolist() == ["teach"] * 4 + ["unlabel", "unlabel", "teach"]
    assert h["label"].tolist()[4:] == [None, None, 2]
    assert h["superseded_by"].tolist() == [None, "unlabel", None, "unlabel", "teach", None, None]
    assert h["current"].tolist() == [True, False, True, False, False, False, True]


def test_the_next_fit_uses_the_current_labels_and_counts_the_changes(blobs):
    X, y = blobs
    learner = _learner(X)
    seed = np.concatenate([np.flatnonzero(y == c)[:4] for c in range(3)])
    learner.teach(seed, y[seed])
    learner.fit()
    wrong = int(seed[0])
    learner.relabel([wrong], [(int(y[wrong]) + 1) % 3])
    learner.unlabel([int(seed[1])])
    learner.relabel([int(seed[2])], [int(y[seed[2]])], source="confirm")   # the same label: recorded, not a change
    assert learner.n_changed == 2
    r = learner.fit()
    assert r.n_changed == 2 and r.n_labels == seed.size - 1
    assert learner.history["n_changed"].tolist() == [0, 2]
    assert learner.n_changed == 0
    # the model saw the corrected label: a fresh fit on the current labels gives the same coefficients
    idx = np.sort(learner.labeled_indices)
    same = LogisticRegression(max_iter=300).fit(X[idx], [dict(zip(learner.labeled_indices.tolist(),
                                                                  learner.labels.tolist()))[i] for i in idx.tolist()])
    np.testing.assert_allclose(learner.model_.coef_, same.coef_)
    assert learner.label_history()["source"].tolist()[-1] == "confirm"


def test_a_wrong_type_label_fixed_by_relabel_lets_fit_work(blobs):
    X, y = blobs
    learner = _learner(X)
    seed = np.concatenate([np.flatnonzero(y == c)[:3] for c in range(2)])
    stray = int(np.flatnonzero(y == 2)[0])
    # a stray 0.5 from a store written before teach refused fractional labels without classes=
    from activelens import LearnerState
    learner.restore(LearnerState(labels=tuple((int(i), int(y[i])) for i in seed) + ((stray, 0.5),), rounds=()),
                    refit=False)
    with pytest.raises(ValueError, match="continuous"):
        learner.fit()
    learner.relabel([stray], [2])
    r = learner.fit()
    assert r.n_changed == 1 and set(learner.model_.classes_.tolist()) == {0, 1, 2}


def test_relabel_can_replace_the_only_label_of_another_type(blobs):
    """A store written before teach checked types may hold one string among ints: relabel fixes it; teach/relabel of
    a string next to ints is refused."""
    from activelens import LearnerState
    X, y = blobs
    learner = _learner(X)
    learner.restore(LearnerState(labels=((0, 0), (1, 1), (2, "two")), rounds=()))
    with pytest.raises(TypeError, match="mix"):
        learner.relabel([0], ["zero"])
    learner.relabel([2], [2])
    assert learner.labels.tolist() == [0, 1, 2]
    with pytest.raises(TypeError, match="mix"):
        learner.relabel([2], ["two"])


def test_bad_corrections_change_nothing(blobs):
    X, y = blobs
    learner = _learner(X, classes=[0, 1, 2])
    learner.teach([0, 1, 2], [0, 1, 2])
    before = _state(learner)
    cases = [
        (lambda: learner.relabel([0, 5], [1, 1]), ValueError, "positions holds 5, which is not labeled"),
        (lambda: learner.relabel([], []), ValueError, "positions is empty"),
        (lambda: learner.relabel([0], [7]), ValueError, "unknown class 7"),
        (lambda: learner.relabel([0, 1], [1]), ValueError, "one label per position"),
        (lambda: learner.relabel([0, 0], [1, 1]), ValueError, "repeats position 0"),
        (lambda: learner.relabel([99], [1]), IndexError, "out of range"),
        (lambda: learner.relabel([0], [1], annotator=3), TypeError, "annotator must be a string"),
        (lambda: learner.relabel([0], [1], source=""), ValueError, "source must be"),
        (lambda: learner.unlabel([4]), ValueError, "positions holds 4, which is not labeled"),
        (lambda: learner.unlabel([]), ValueError, "positions is empty"),
        (lambda: learner.teach([0], [2]), ValueError, "relabel([0], [2])"),
    ]
    for call, kind, words in cases:
        with pytest.raises(kind, match=words.replace("(", r"\(").replace(")", r"\)").replace("[", r"\[")
                           .replace("]", r"\]")):
            call()
        assert _state(learner) == before
    learner.unlabel([0])
    with pytest.raises(ValueError, match="not labeled"):
        learner.unlabel([0])   # twice


def test_a_listener_that_raises_leaves_everything_as_it_was(blobs):
    X, y = blobs
    learner = _learner(X)
    learner.teach([0, 1], [0, 1])
    seen = []

    def listener(event):
        seen.append(type(event))
        if isinstance(event, (Relabeled, Unlabeled)):
            raise RuntimeError("the store refused")

    learner.subscribe(listener)
    before = _state(learner)
    for call in (lambda: learner.relabel([0], [1]), lambda: learner.unlabel([1])):
        with pytest.raises(RuntimeError, match="refused"):
            call()
        assert _state(learner) == before
    assert seen == [Relabeled, Unlabeled]
    learner.unsubscribe(listener)
    learner.subscribe(seen.append)
    learner.relabel([0], [1])
    learner.unlabel([1])
    learner.teach([3], [0])
    assert [type(e) for e in seen[2:]] == [Relabeled, Unlabeled, Taught]
    assert seen[3].records[0].label is None and seen[3].records[0].source == "unlabel"


def test_history_speaks_ids_and_restores_from_a_snapshot(blobs):
    X, y = blobs
    frame = pd.DataFrame(X, index=[f"doc-{i}" for i in range(len(X))])
    learner = _learner(frame)
    learner.teach([4, 5], [0, 1])
    learner.relabel([5], [0])
    h = learner.label_history()
    assert h["id"].tolist() == ["doc-4", "doc-5", "doc-5"]
    other = _learner(frame)
    other.restore(learner.snapshot())
    pd.testing.assert_frame_equal(other.label_history(), h)
    assert other.labeled_frame().loc["doc-5", "source"] == "relabel"


def test_corrections_are_thread_safe(blobs):
    X, y = blobs
    learner = _learner(X)
    learner.teach(np.arange(40), np.arange(40) % 3)
    errors = []

    def work(k):
        try:
            for i in range(k, 40, 4):
                learner.relabel([i], [(i + 1) % 3])
                learner.unlabel([i])
        except Exception as exc:   # noqa: BLE001 - collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and learner.n_labeled == 0 and len(learner.label_history()) == 40 * 3


OPS = st.lists(st.tuples(st.sampled_from(["teach", "relabel", "unlabel"]),
                         st.lists(st.integers(0, 7), min_size=1, max_size=4, unique=True),
                         st.integers(0, 2)), max_size=25)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=OPS)
def test_current_labels_are_the_last_record_of_each_item(blobs, ops):
    X, _ = blobs
    learner = _learner(X[:8], batch_size=4)
    made = 0
    for op, pos, label in ops:
        labeled = set(learner.labeled_indices.tolist())
        if op == "teach":
            fresh = [p for p in pos if p not in labeled]
            if fresh:
                learner.teach(fresh, [label] * len(fresh))
                made += len(fresh)
        else:
            held = [p for p in pos if p in labeled]
            if not held:
                with pytest.raises(ValueError, match="not labeled"):
                    getattr(learner, op)(pos, [label] * len(pos)) if op == "relabel" else learner.unlabel(pos)
                continue
            learner.relabel(held, [label] * len(held)) if op == "relabel" else learner.unlabel(held)
            made += len(held)
    h = learner.label_history()
    assert len(h) == made
    last = h.groupby("position").tail(1)
    expected = {int(p): v for p, v in zip(last["position"], last["label"]) if v is not None}
    assert dict(zip(learner.labeled_indices.tolist(), learner.labels.tolist())) == expected
    assert h["current"].sum() == learner.n_labeled
