"""Item ids: a DataFrame/Series pool's index or ids= names every item; positions stay the verbs' currency."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from sklearn.datasets import make_blobs
from sklearn.linear_model import LogisticRegression

from activelens import ActiveLearner


@pytest.fixture
def frame():
    X, y = make_blobs(n_samples=60, centers=3, random_state=0)
    ids = [f"doc-{k:03d}" for k in range(60)][::-1]
    return pd.DataFrame(X, index=pd.Index(ids, name="doc_id"), columns=["a", "b"]), y


def test_dataframe_index_names_items(frame):
    X, y = frame
    learner = ActiveLearner(LogisticRegression(), X, random_state=0)
    assert list(learner.ids) == list(X.index) and learner.ids.name == "doc_id"
    pos = learner.positions(["doc-059", "doc-000"])
    assert pos.tolist() == [0, 59]
    assert learner.positions("doc-058").tolist() == [1]
    with pytest.raises(KeyError, match="'nope'"):
        learner.positions(["doc-001", "nope"])


def test_labeled_frame_has_ids_labels_and_provenance(frame):
    X, y = frame
    learner = ActiveLearner(LogisticRegression(), X, random_state=0)
    b = learner.query(6)
    learner.teach(b.indices, y[b.indices], annotator="ana")
    if 49 not in b.indices:   # by id: "doc-010" is position 49
        learner.teach(learner.positions(["doc-010"]), [int(y[49])])
    lf = learner.labeled_frame()
    assert lf.index.name == "doc_id"
    assert lf.index.tolist() == [X.index[i] for i in learner.labeled_indices]
    assert lf.label.tolist() == learner.labels.tolist()
    assert lf.position.tolist() == learner.labeled_indices.tolist()
    assert (lf.annotator.iloc[:6] == "ana").all() and (lf.strategy.iloc[:6] == b.strategy).all()
    assert set(lf.columns) >= {"position", "label", "annotator", "timestamp", "seconds", "score", "strategy",
                               "round", "model_version", "source"}


def test_ids_argument_and_default_positions():
    X, y = make_blobs(n_samples=30, centers=2, random_state=0)
    plain = ActiveLearner(LogisticRegression(), X)
    assert plain.ids.equals(pd.RangeIndex(30)) and plain.positions([4, 7]).tolist() == [4, 7]
    assert plain.labeled_frame().empty
    mine = ActiveLearner(LogisticRegression(), sp.csr_matrix(X), ids=[f"t{k}" for k in range(30)])
    assert mine.positions(["t3"]).tolist() == [3]
    with pytest.raises(ValueError, match="one id per item"):
        ActiveLearner(LogisticRegression(), X, ids=range(29))
    with pytest.raises(ValueError, match="unique"):
        ActiveLearner(LogisticRegression(), X, ids=[0] * 30)


def test_has_ids_and_a_store_reopened_in_another_order(frame, tmp_path):
    X, y = frame
    assert ActiveLearner(LogisticRegression(), X).has_ids
    assert not ActiveLearner(LogisticRegression(), X.to_numpy()).has_ids
    path = tmp_path / "labels.db"
    learner = ActiveLearner(LogisticRegression(), X, store=path, random_state=0)
    b = learner.query(6)
    learner.teach(b.indices, y[b.indices])
    learner.fit()
    before = learner.labeled_frame().label.sort_index()
    learner.store.close()

    resorted = X.sort_index()                       # the frame came back sorted by id: every position moved
    again = ActiveLearner(LogisticRegression(), resorted, store=path, random_state=0)
    after = again.labeled_frame().label.sort_index()
    pd.testing.assert_series_equal(after, before)
    assert again.model_ is not None and len(again.rounds) == 1     # the restored round refits on the right rows
    truth = pd.Series(y, index=X.index)
    assert (truth[after.index] == after).all()
