"""Where the pool's rows live, and the one place a backend is chosen.

``make_pool`` is called once, where the learner is built; everything downstream talks to the ``Pool`` protocol
(``activelens.core.pool``). Adding a backend: a module implementing ``Pool``, and one entry in ``_BACKENDS``.
"""
from __future__ import annotations

from activelens.backends import dask as _dask_backend
from activelens.backends import sparse as _sparse_backend
from activelens.backends.memory import InMemoryPool
from activelens.backends.sparse import SparsePool
from activelens.core.pool import Pool

#: (accepts(X) -> bool, module whose ``make(X, **options)`` builds the pool); the first that accepts X wins,
#: an in-memory pool otherwise. ``accepts`` must not import the backend's heavy dependencies.
_BACKENDS = (_dask_backend, _sparse_backend)


def make_pool(X, *, client=None, embeddings=None, random_state=None) -> Pool:
    """The ``Pool`` for ``X``: X itself if it is a Pool, a backend's pool if one accepts X, else ``InMemoryPool``.

    Parameters
    ----------
    X : array-like of shape (n_rows, n_features), scipy.sparse matrix, dask array, or a Pool
    client : optional
        The compute client of a distributed backend; refused for an in-memory pool.
    embeddings : array-like of shape (n_rows, d), optional
        The diversity embedding.
    random_state : int, Generator or None
    """
    if isinstance(X, Pool):
        return X
    for backend in _BACKENDS:
        if backend.accepts(X):
            return backend.make(X, client=client, embeddings=embeddings, random_state=random_state)
    return InMemoryPool(X, embeddings=embeddings, random_state=random_state)


__all__ = ["make_pool", "InMemoryPool", "SparsePool", "Pool"]
