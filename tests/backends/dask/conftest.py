"""Fixtures of the Dask backend's tests: the data, one cluster for the package, several chunks per pick."""
from __future__ import annotations

import numpy as np
import pytest

from .helpers import D, N


@pytest.fixture(scope="package")
def client():
    """One real 2-process LocalCluster for this package's modules (test_compute.py, which kills workers and closes
    clients, has its own)."""
    from dask_cluster import local_client

    with local_client() as c:
        yield c


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(7)
    X = rng.normal(size=(N, D)).astype(np.float32)
    X[:, 1] *= 3.0
    X[:, 2] += 5.0  # an offset column: centring must keep float32 distances exact enough
    y = np.where(X[:, 0] + 0.3 * X[:, 1] > 0.5, "a", np.where(X[:, 3] > 0.8, "b", "c"))
    return X, y


@pytest.fixture(scope="module")
def dense_data(data):
    """``data`` with a dense region: TypiClust and D² sampling have structure to find."""
    X, _ = data
    X = X.copy()
    X[:1000, :2] += 6.0
    y = np.where(X[:, 0] + 0.3 * X[:, 1] > 0.5, "a", np.where(X[:, 3] > 0.8, "b", "c"))
    return X, y


@pytest.fixture
def several_chunks_per_pick(monkeypatch):
    """Several chunks per pick even on a small pool."""
    from activelens.backends.dask import nearest

    monkeypatch.setattr(nearest, "KCENTER_CHUNK_ROWS", 700)
