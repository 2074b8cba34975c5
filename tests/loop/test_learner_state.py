"""The learner owns its state: snapshot/restore, events before memory changes, labels merged from elsewhere."""
import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

from activelens import ActiveLearner
from activelens.core.records import Fitted, LearnerState, Taught


def taught_learner(blobs, rounds=3):
    X, y = blobs
    learner = ActiveLearner(LogisticRegression(), X, batch_size=10, random_state=0)
    for _ in range(rounds):
        b = learner.query()
        learner.teach(b.indices, y[b.indices])
        if np.unique(learner.labels).size > 1:
            learner.fit()
    return learner


def test_snapshot_restore_round_trip(blobs):
    X, y = blobs
    a = taught_learner(blobs)
    b = a.query()
    a.teach(b.indices[:4], y[b.indices[:4]])   # taught after the last fit: not in the model
    state = a.snapshot()
    assert isinstance(state, LearnerState) and len(state.labels) == a.n_labeled
    fresh = ActiveLearner(LogisticRegression(), X, batch_size=10, random_state=0)
    fresh.restore(state)
    assert fresh.labeled_indices.tolist() == a.labeled_indices.tolist()
    assert fresh.labels.tolist() == a.labels.tolist()
    assert fresh.history.equals(a.history) and fresh.model_version == a.model_version
    assert fresh.n_new_labels == a.n_new_labels == 4
    np.testing.assert_allclose(fresh.predict_proba(), a.predict_proba())   # the last round's model, refit


def test_restore_refuses_what_is_not_a_state_or_outside_the_pool(blobs):
    X, _ = blobs
    learner = ActiveLearner(LogisticRegression(), X)
    with pytest.raises(TypeError, match="LearnerState"):
        learner.restore({"labels": []})
    with pytest.raises(ValueError, match="outside 0..299"):
        learner.restore(LearnerState(labels=((300, 1),), rounds=()))
    assert learner.n_labeled == 0


def test_listeners_run_before_memory_changes_and_can_veto(blobs):
    X, y = blobs
    learner = ActiveLearner(LogisticRegression(), X, random_state=0)
    seen = []

    def listener(event):
        seen.append((type(event).__name__, learner.n_labeled, len(learner.rounds)))

    learner.subscribe(listener)
    b = learner.query(20)
    learner.teach(b.indices, y[b.indices], annotator="ana", seconds=2.5)
    learner.fit()
    assert seen == [("Taught", 0, 0), ("Fitted", 20, 0)]

    def refuse(event):
        if isinstance(event, Taught):
            raise RuntimeError("disk full")

    learner.subscribe(refuse)
    b2 = learner.query()
    with pytest.raises(RuntimeError, match="disk full"):
        learner.teach(b2.indices, y[b2.indices])
    assert learner.n_labeled == 20   # nothing recorded
    learner.unsubscribe(refuse)
    learner.teach(b2.indices, y[b2.indices])
    assert learner.n_labeled == 30


def test_taught_records_carry_provenance(blobs):
    X, y = blobs
    learner = ActiveLearner(LogisticRegression(), X, random_state=0)
    events = []
    learner.subscribe(events.append)
    b = learner.query(5)
    learner.teach(b.indices, y[b.indices], annotator=["a", "b", "a", None, "c"], seconds=[1, 2, 3, 4, 5],
                  scores=[None, 0.5, None, None, None], strategy=[None, "queue", None, None, None])
    (ev,) = events
    recs = ev.records
    assert [r.index for r in recs] == b.indices.tolist() and [r.annotator for r in recs] == ["a", "b", "a", None, "c"]
    assert recs[1].score == 0.5 and recs[1].strategy == "queue"
    assert recs[0].strategy == "typiclust" and recs[0].score == 1.0   # the query's own (the auto cold start's)
    assert [r.seconds for r in recs] == [1, 2, 3, 4, 5] and all(r.source == "teach" for r in recs)
    with pytest.raises(TypeError, match="strategy must be a string"):
        learner.teach([0], [y[0]], strategy=3)
    with pytest.raises(ValueError, match="seconds must be one number or one per index"):
        learner.teach([0, 1], y[[0, 1]], seconds=[1, 2, 3])
    assert learner.n_labeled == 5


def test_merge_labels_takes_in_labels_saved_elsewhere_without_events(blobs):
    X, y = blobs
    learner = ActiveLearner(LogisticRegression(), X)
    events = []
    learner.subscribe(events.append)
    learner.teach([0], [y[0]])
    added = learner.merge_labels([0, 1, 2, 999], [y[0], y[1], y[2], 0])
    assert added == 2 and learner.labeled_indices.tolist() == [0, 1, 2] and len(events) == 1


def test_fitted_event_carries_the_round(blobs):
    X, y = blobs
    learner = ActiveLearner(LogisticRegression(), X, random_state=0)
    got = []
    learner.subscribe(lambda e: got.append(e) if isinstance(e, Fitted) else None)
    b = learner.query(30)
    learner.teach(b.indices, y[b.indices])
    r = learner.fit()
    assert [e.round for e in got] == [r]
