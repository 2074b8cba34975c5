import numpy as np
import pytest
from sklearn.datasets import load_digits, make_blobs
from sklearn.model_selection import train_test_split


@pytest.fixture(scope="session")
def digits_split():
    X, y = load_digits(return_X_y=True)
    return train_test_split(X, y, test_size=0.3, random_state=0, stratify=y)


@pytest.fixture
def blobs():
    X, y = make_blobs(n_samples=300, centers=3, cluster_std=2.5, random_state=0)
    return X, y
