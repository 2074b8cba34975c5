"""Where the Explorer's batches come from: the learner, or the shared annotation queue (one interface)."""
from __future__ import annotations

import numpy as np
import pytest
from sklearn.datasets import make_classification
from sklearn.linear_model import LogisticRegression

from activelens import ActiveLearner, AnnotationQueue
from activelens.widgets.batch_source import LearnerSource, QueueSource, SubmitFailed


@pytest.fixture
def data():
    X, y = make_classification(n_samples=120, n_features=4, n_informative=3, n_redundant=0, n_classes=2,
                               random_state=0)
    return X, y


def learner_on(X, store=None):
    return ActiveLearner(LogisticRegression(), X, batch_size=4, classes=[0, 1], random_state=0, store=store)


def test_learner_source(data, tmp_path):
    X, y = data
    learner = learner_on(X, tmp_path / "labels.db")
    src = QueueSource.for_explorer(learner, None, None, None)
    assert type(src) is LearnerSource and not src.leases and src.annotator == ""
    batch = src.next_batch(4)
    assert len(batch.indices) == 4
    idx = batch.indices.tolist()
    src.submit([(i, int(y[i])) for i in idx[:3]], idx[3:], annotator="me")
    assert learner.labeled_indices.tolist() == idx[:3] and set(learner.store.labels()["annotator"]) == {"me"}
    assert src.sync() == 0 and src.fit_wanted() and src.monitored     # a store: its annotations are shown
    assert not LearnerSource(learner_on(X)).monitored
    assert src.annotations() is None and src.queue_status() is None
    assert src.empty_message() == "every item is labeled"
    src.check_add()


def test_queue_source_claims_submits_and_releases(data, tmp_path):
    X, y = data
    learner = learner_on(X, tmp_path / "labels.db")
    src = QueueSource.for_explorer(learner, "ann", None, None)
    assert isinstance(src, QueueSource) and src.leases and src.monitored and src.annotator == "ann"
    batch = src.next_batch(4)                       # the queue was empty: the learner's selection filled it
    idx = batch.indices.tolist()
    assert batch.strategy == "shared queue" and np.isnan(batch.scores).all()
    assert set(src.queue.leases()["index"].tolist()) == set(idx)
    assert src.fit_wanted()                          # no model yet
    src.shown()
    src.submit([(i, int(y[i])) for i in idx[:2]], idx[2:])
    assert sorted(learner.labeled_indices.tolist()) == sorted(idx[:2])       # resolved and taught
    assert src.queue.leases().empty                                          # the rest went back
    assert src.queue_status()["done"] == 2 and len(src.annotations()) == 2
    never_served = next(i for i in range(120) if i not in idx)
    with pytest.raises(SubmitFailed, match="submit to the queue failed") as info:
        src.submit([(idx[2], int(y[idx[2]])), (never_served, 0)], [])
    assert info.value.saved == [idx[2]]            # what was committed before the refusal
    with pytest.raises(ValueError, match="annotator mode"):
        src.check_add()


def test_queue_source_arguments(data, tmp_path):
    X, _ = data
    with pytest.raises(ValueError, match="store"):
        QueueSource.for_explorer(learner_on(X), "ann", None, None)
    learner = learner_on(X, tmp_path / "labels.db")
    with pytest.raises(ValueError, match="needs annotator"):
        QueueSource.for_explorer(learner, None, AnnotationQueue(learner.store), None)
    with pytest.raises(ValueError, match="oracle"):
        QueueSource.for_explorer(learner, "ann", None, np.zeros(120))
    with pytest.raises(TypeError, match="AnnotationQueue"):
        QueueSource.for_explorer(learner, "ann", "labels.db", None)
