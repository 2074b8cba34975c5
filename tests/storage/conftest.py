import pytest
from sklearn.datasets import make_blobs


@pytest.fixture(scope="module")
def pool():
    """A small pool of three blobs (X, y) for the store tests (test_queue.py has its own)."""
    X, y = make_blobs(n_samples=200, centers=3, cluster_std=2.0, random_state=1)
    return X, y
