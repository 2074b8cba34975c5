"""The labeling session without a widget: label, skip, undo, submit and retrain with each source (the learner,
the shared annotation queue, the oracle of teaching mode) through the same commands."""
from __future__ import annotations

import threading

import numpy as np
import pytest
from sklearn.datasets import make_classification
from sklearn.linear_model import LogisticRegression

from activelens import ActiveLearner
from activelens.widgets.batch_source import LearnerSource, QueueSource, SubmitFailed
from activelens.widgets.label_names import LabelNames
from activelens.widgets.session import MAX_HAND_PICKED, Session, Submitted
from activelens.widgets.teaching import Oracle, OracleSource


@pytest.fixture(scope="module")
def data():
    X, y = make_classification(n_samples=120, n_features=4, n_informative=3, n_redundant=0, n_classes=2,
                               random_state=0)
    return X, y


NAMES = LabelNames(np.array([0, 1]), ["no", "yes"])


def learner_on(X, store=None):
    return ActiveLearner(LogisticRegression(), X, batch_size=4, classes=[0, 1], random_state=0, store=store)


def session_with(source):
    s = Session(source.learner, source, NAMES)
    s.show(s.next_batch())
    return s


def taught(learner):
    return dict(zip(learner.labeled_indices.tolist(), learner.labels.tolist()))


def test_label_skip_undo_submit_with_the_learner(data):
    X, y = data
    learner = learner_on(X)
    s = session_with(LearnerSource(learner))
    a, b, c, d = s.indices
    s.pick(a, 1)
    s.pick(b, 0)
    s.skip(c)
    s.pick(d, 1)
    s.undo()                                   # takes back the latest pick (d), only that
    assert s.picks == {a: 1, b: 0, c: -1}
    done = s.submit()
    assert done == Submitted(taught=2, skipped=1, unpicked=1, kept=True, returns_to="pool")
    assert s.note == "saved 2 labels, 1 unpicked stay in the batch, 1 skipped went back to the pool"
    assert taught(learner) == {a: 1, b: 0} and s.saved == {a, b}
    assert s.retrain() is not None and learner.model_ is not None        # two classes: a model
    s.show(s.next_batch())
    assert s.indices[0] == d and len(s.indices) == 4 and c not in learner.labeled_indices.tolist()
    assert s.picks == {} and s.saved == set() and s.note == ""


def test_refusals_change_nothing(data):
    X, _ = data
    learner = learner_on(X)
    s = session_with(LearnerSource(learner))
    with pytest.raises(ValueError, match="nothing picked"):
        s.submit()
    with pytest.raises(ValueError, match="not in the current batch"):
        s.pick(10_000, 0)
    with pytest.raises(ValueError, match="label must be"):
        s.pick(s.indices[0], 2)
    with pytest.raises(TypeError, match="label must be"):
        s.pick(s.indices[0], True)
    with pytest.raises(ValueError, match="teaching mode is off"):
        s.answer()
    assert s.picks == {} and learner.n_labeled == 0
    s.undo()                                   # nothing to undo: nothing happens
    s.pick(s.indices[0], 0)
    s.submit()
    with pytest.raises(ValueError, match="already saved"):
        s.pick(s.indices[0], 1)
    assert s.retrain() is None                 # one class: no model yet
    assert s.ready_message() == "label an item of another class to train the first model"


def test_training_refuses_picks_but_not_its_own_work(data):
    X, _ = data
    s = session_with(LearnerSource(learner_on(X)))
    gate, inside = threading.Event(), []

    def work():
        s.pick(s.indices[0], 1)                # the session's own background work may drive it
        inside.append(s.picks.copy())
        gate.wait(30)

    s.start(work)
    try:
        assert s.training
        with pytest.raises(ValueError, match="still training"):
            s.pick(s.indices[1], 0)
        with pytest.raises(ValueError, match="already training"):
            s.submit()
    finally:
        gate.set()
    assert s.wait(30) and not s.training and inside == [{s.indices[0]: 1}]


def test_hand_picked_cards_up_to_the_cap(data):
    X, _ = data
    learner = learner_on(X)
    s = session_with(LearnerSource(learner))
    on_show = s.indices
    many = [i for i in range(120) if i not in on_show]
    added, note = s.add([on_show[0]] + many)
    assert added == many[:MAX_HAND_PICKED - 4] and len(s.cards) == MAX_HAND_PICKED
    assert s.cards[-1].origin == "hand" and "1 already on the batch" in note


def test_queue_source_through_the_same_commands(data, tmp_path):
    X, y = data
    learner = learner_on(X, tmp_path / "labels.db")
    s = session_with(QueueSource.for_explorer(learner, "ann", None, None))
    a, b, c, d = s.indices
    s.pick(a, int(y[a]))
    s.pick(b, int(y[b]))
    s.skip(c)
    done = s.submit()
    assert done.kept is False and done.returns_to == "queue"
    assert s.note == "saved 2 labels, 1 unpicked went back to the queue, 1 skipped went back to the queue"
    assert sorted(learner.labeled_indices.tolist()) == sorted([a, b])
    assert s.source.queue.leases().empty                       # c and d went back
    with pytest.raises(ValueError, match="annotator mode"):
        s.add([d])


def test_a_failed_submit_keeps_the_picks(data, tmp_path, monkeypatch):
    X, y = data
    learner = learner_on(X, tmp_path / "labels.db")
    s = session_with(QueueSource.for_explorer(learner, "ann", None, None))
    for i in s.indices:
        s.pick(i, int(y[i]))
    queue, real = s.source.queue, s.source.queue.submit

    def store_locked_after_one(annotator, index, label, **kw):
        if index != s.indices[0]:
            raise RuntimeError("database is locked")
        return real(annotator, index, label, **kw)

    monkeypatch.setattr(queue, "submit", store_locked_after_one)
    with pytest.raises(SubmitFailed, match="failed at item .* database is locked"):
        s.submit()
    assert s.saved == {s.indices[0]} and len(s.picks) == 4      # what was committed is saved; the picks stay
    monkeypatch.setattr(queue, "submit", real)
    s.submit()                                                  # a retry saves the rest
    assert s.saved == set(s.indices) and learner.n_labeled == 4


def test_oracle_source_answers_and_submits(data):
    X, y = data
    learner = learner_on(X)
    source = OracleSource(learner, Oracle(y, n_pool=120, classes=[0, 1]), ["margin"])
    s = session_with(source)
    batch = s.indices
    answers = s.answer()
    assert [a.index for a in answers] == batch and s.picks == {i: int(y[i]) for i in batch}
    s.submit()
    assert taught(learner) == {i: int(y[i]) for i in batch}
    assert set(learner.labeled_frame()["annotator"]) == {"oracle"}      # who answered is kept
    assert source.oracle.n_answered == 4 and source.teaching_state()["answered"] == 4
    s.retrain()
    s.show(s.next_batch())
    assert set(s.indices).isdisjoint(batch) and len(learner.rounds) == 1
