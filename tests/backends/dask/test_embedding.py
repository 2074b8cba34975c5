"""The diversity embedding of a dask pool: on a pool no bigger than a sample, the in-memory one."""
from __future__ import annotations

import numpy as np
import pytest

da = pytest.importorskip("dask.array")
dask = pytest.importorskip("dask")

from sklearn.linear_model import LogisticRegression  # noqa: E402

from activelens import ActiveLearner  # noqa: E402


def test_pca_embedding_small_pool_same_picks():
    """Past 50 features the default embedding is a PCA; on a pool no bigger than a sample it is the in-memory one."""
    rng = np.random.default_rng(5)
    X = rng.normal(size=(1500, 60)).astype(np.float32)
    y = (X[:, 0] > 0).astype(int)
    with dask.config.set(scheduler="sync"):
        got = []
        for pool in (X, da.from_array(X, chunks=(400, 60))):
            L = ActiveLearner(LogisticRegression(), pool, strategy="k_center", batch_size=10, random_state=1)
            L.teach(np.arange(20), y[:20])
            L.fit()
            got.append(L.query())
    np.testing.assert_array_equal(got[0].indices, got[1].indices)
    np.testing.assert_allclose(got[0].scores, got[1].scores, rtol=1e-5)

