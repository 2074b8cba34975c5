import numpy as np
import pytest
from sklearn.datasets import make_blobs
from sklearn.linear_model import LogisticRegression

from activelens.strategies import pretrained, random_bootstrap, typiclust


def test_random_bootstrap_is_uniform_unique_and_skips_labeled():
    idx = random_bootstrap(100, 50, labeled=np.arange(40), random_state=0)
    assert len(set(idx.tolist())) == 50 and idx.min() >= 40
    assert np.array_equal(idx, random_bootstrap(100, 50, labeled=np.arange(40), random_state=0))
    with pytest.raises(ValueError, match="larger than the 60 items left"):
        random_bootstrap(100, 61, labeled=np.arange(40))


def test_typiclust_covers_every_blob_with_a_central_item():
    X, blob = make_blobs(n_samples=[200, 100, 50, 25], centers=[[0, 0], [20, 0], [0, 20], [20, 20]],
                         cluster_std=1.0, random_state=0)
    idx = typiclust(X, 4, random_state=0)
    assert sorted(blob[idx].tolist()) == [0, 1, 2, 3]
    centres = np.array([X[blob == b].mean(axis=0) for b in range(4)])
    for i in idx:  # typical = near its blob's centre, not an outlier at the edge
        spread = np.linalg.norm(X[blob == blob[i]] - centres[blob[i]], axis=1)
        assert np.linalg.norm(X[i] - centres[blob[i]]) < np.median(spread)


def test_typiclust_prefers_uncovered_clusters():
    X, blob = make_blobs(n_samples=[100, 100, 100], centers=[[0, 0], [30, 0], [0, 30]], cluster_std=1.0, random_state=1)
    labeled = np.flatnonzero(blob == 0)[:3]
    idx = typiclust(X, 2, labeled=labeled, random_state=0)
    assert sorted(blob[idx].tolist()) == [1, 2]
    assert not np.isin(idx, labeled).any()


def test_pretrained_scorer_ranks_by_its_uncertainty():
    X, y = make_blobs(n_samples=300, centers=[[-5, 0], [5, 0]], cluster_std=2.0, random_state=0)
    model = LogisticRegression().fit(X, y)
    idx = pretrained(model, X, 10, random_state=0)
    boundary = np.abs(X[:, 0])
    assert boundary[idx].max() < np.median(boundary)  # the most uncertain items sit near x = 0
    idx_callable = pretrained(model.predict_proba, X, 10, random_state=0)
    assert set(idx.tolist()) == set(idx_callable.tolist())
    with pytest.raises(TypeError, match="predict_proba"):
        pretrained(object(), X, 3)


def test_the_pretrained_cold_start_carries_its_measure_and_weight():
    from sklearn.datasets import make_blobs
    from sklearn.linear_model import LogisticRegression

    from activelens import ActiveLearner
    from activelens.strategies import Pretrained

    X, y = make_blobs(300, centers=3, cluster_std=3.0, random_state=0)
    model = LogisticRegression(max_iter=500).fit(X[::10], y[::10])
    picks = {}
    for w in (0.0, 1.0):
        learner = ActiveLearner(LogisticRegression(), X, cold_start=Pretrained(model, uncertainty="entropy", weight=w),
                                batch_size=6, random_state=0)
        batch = learner.query()
        assert batch.strategy == "pretrained" and set(batch.components) == {"uncertainty", "diversity"}
        picks[w] = batch.indices.tolist()
    assert picks[0.0] != picks[1.0]
    with pytest.raises(ValueError, match="weight"):
        Pretrained(model, weight=2)
    with pytest.raises(TypeError, match="scorer must have predict_proba"):
        Pretrained(object())
