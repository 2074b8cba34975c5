"""Where the pool's rows live, and the one place a backend is chosen.

``make_pool`` is called once, where the learner is built; everything downstream talks to the ``Pool`` protocol
(``activelens.core.pool``). Adding a backend: a module implementing ``Pool``, and one entry in ``_BACKENDS``.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from activelens.backends import dask as _dask_backend
from activelens.backends import sparse as _sparse_backend
from activelens.backends.memory import InMemoryPool
from activelens.backends.sparse import SparsePool
from activelens.core.pool import Pool
from activelens.core.validation import check_random_state

#: (accepts(X) -> bool, module whose ``make(X, **options)`` builds the pool); the first that accepts X wins,
#: an in-memory pool otherwise. ``accepts`` must not import the backend's heavy dependencies.
_BACKENDS = (_dask_backend, _sparse_backend)


def make_pool(X: Any, *, client: Any = None, embeddings: Any = None,
              random_state: int | np.random.Generator | None = None) -> Pool:
    """The ``Pool`` for ``X``, with its backend settings: the public way to choose where the pool's rows live.

    ``X`` itself if it is a Pool; a backend's pool if one accepts X (a dask array: ``DaskPool``; a scipy.sparse
    matrix: ``SparsePool``); else ``InMemoryPool``. Pass the result as ``ActiveLearner(estimator, pool)``.

    Parameters
    ----------
    X : array-like of shape (n_rows, n_features), scipy.sparse matrix, dask array, or a Pool
    client : distributed.Client, optional
        The compute client of a distributed pool. Refused (ValueError) for a pool that lives in this process (numpy,
        pandas, scipy.sparse), where it would do nothing.
    embeddings : array-like of shape (n_rows, d), optional
        The space diversity is measured in (default: standardized X, or its PCA to 50 dimensions; a sparse pool's
        TruncatedSVD).
    random_state : int, Generator or None
        Seeds the default embedding's sample and PCA/SVD.

    Returns
    -------
    Pool

    Raises
    ------
    ValueError
        ``client`` for a pool in this process, or ``client``/``embeddings`` with a ready Pool (give them where the
        Pool is made).
    """
    check_random_state(random_state)   # refused here, not when the embedding is first drawn
    if isinstance(X, Pool):
        given = [name for name, v in (("client", client), ("embeddings", embeddings)) if v is not None]
        if given:
            raise ValueError(f"{' and '.join(given)} given with a ready {type(X).__name__}; pass them to make_pool "
                             "where the pool is made, or pass X itself")
        return X
    for backend in _BACKENDS:
        if backend.accepts(X):
            return backend.make(X, client=client, embeddings=embeddings, random_state=random_state)
    if client is not None:
        raise ValueError(f"client is for a distributed pool, but X is a {type(X).__name__} that lives in this process; "
                         "pass a dask array as X to run on the cluster, or drop client=")
    return InMemoryPool(X, embeddings=embeddings, random_state=random_state)


__all__ = ["make_pool", "InMemoryPool", "SparsePool", "Pool"]
