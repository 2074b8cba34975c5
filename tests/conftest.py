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


# ----- label store backends: SQLite always, PostgreSQL on a throwaway loopback cluster (tests/pg.py) -----
@pytest.fixture(scope="session")
def pg_cluster():
    from pg import PgCluster, find_bin_dir

    bin_dir = find_bin_dir()
    if bin_dir is None:
        pytest.skip("PostgreSQL binaries (initdb, pg_ctl, postgres) not found in /usr/lib/postgresql/*/bin or PATH; "
                    "install Debian's postgresql package (.ci/run does) to run the PostgreSQL store tests")
    cluster = PgCluster(bin_dir).start()
    yield cluster
    cluster.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def store_target(request, tmp_path):
    """Where a fresh label store lives: a file path (SQLite) or an SQLAlchemy URL to a fresh PostgreSQL database."""
    if request.param == "sqlite":
        return str(tmp_path / "labels.db")
    return request.getfixturevalue("pg_cluster").new_database()


# ----- a real 2-process Dask LocalCluster (tests/dask_cluster.py), one per test module that asks for it -----
@pytest.fixture(scope="module")
def client():
    from dask_cluster import local_client

    with local_client() as c:
        yield c
