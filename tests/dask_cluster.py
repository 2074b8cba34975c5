"""A real 2-process Dask LocalCluster and a client on it, for the ``client`` fixtures (tests/conftest.py,
tests/backends/dask/)."""
from __future__ import annotations

import contextlib

import pytest


@contextlib.contextmanager
def local_client():
    """A client on a fresh 2-worker LocalCluster (one thread each), its workers' imports warmed; closed after."""
    distributed = pytest.importorskip("distributed")
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None)
    try:
        c = distributed.Client(cluster)
        try:
            c.run(lambda: __import__("activelens.backends.dask.pool"))  # warm the workers' imports once
            yield c
        finally:
            c.close()
    finally:
        cluster.close()
