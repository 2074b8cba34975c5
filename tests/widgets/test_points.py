"""The map's points: the whole pool (point i is item i) or a sample; one interface for the Explorer."""
from __future__ import annotations

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

from activelens import ActiveLearner
from activelens.widgets.points import SampledPool, WholePool, check_points, make_points

X = np.random.default_rng(0).normal(size=(300, 4)).astype(np.float32)


def test_whole_pool():
    learner = ActiveLearner(LogisticRegression(), X, classes=[0, 1], random_state=0)
    pts = make_points(learner, projection="pca")
    assert isinstance(pts, WholePool) and pts.name == "pca" and pts.status == "pca"
    positions, coords = pts.snapshot()
    assert positions is None and coords.shape == (300, 2) and coords.dtype == np.float32
    assert np.abs(coords).max() <= 0.95 + 1e-6
    np.testing.assert_array_equal(pts.rows([3, 1]), [3, 1])
    assert pts.contains(299) and not pts.include([1, 2]) and pts.drawn_proba is None
    pts.start()
    assert pts.wait(0)


def test_custom_coords_and_checks():
    learner = ActiveLearner(LogisticRegression(), X, classes=[0, 1], random_state=0)
    user = check_points(learner, np.column_stack([np.arange(300), np.zeros(300)]), "pca", None)
    assert user.dtype == np.float32
    pts = make_points(learner, coords=user)
    assert pts.name == "custom" and pts.status == "custom" and pts.wait(0)
    np.testing.assert_allclose(pts.snapshot()[1][:, 0], np.linspace(-0.95, 0.95, 300), atol=1e-5)
    with pytest.raises(ValueError, match="drawn whole"):
        check_points(learner, None, "pca", 10)
    with pytest.raises(ValueError, match="projection must be one of"):
        check_points(learner, None, "tsne", None)


def test_a_pool_whose_rows_live_elsewhere_is_drawn_as_a_sample():
    da = pytest.importorskip("dask.array")
    learner = ActiveLearner(LogisticRegression(), da.from_array(X, chunks=(100, 4)), classes=[0, 1],
                            random_state=0)
    pts = make_points(learner, projection="pca", max_points=100)
    assert isinstance(pts, SampledPool) and pts.name == "pca"
    positions, coords = pts.snapshot()
    assert positions.size == coords.shape[0] and np.all(np.diff(positions) > 0)
    outside = int(np.setdiff1d(np.arange(300), positions)[0])
    assert not pts.contains(outside) and pts.include([outside]) and pts.contains(outside)
    assert pts.rows([outside])[0] == np.searchsorted(pts.snapshot()[0], outside)
