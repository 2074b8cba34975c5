"""The Dask backend: a pool past one machine, scored and searched chunk by chunk on the workers.

Importing this package does not import dask; ``make`` and the names below load it when first used.
"""
from __future__ import annotations


from activelens.backends.dask.detect import accepts


def make(X, *, client=None, embeddings=None, random_state=None):
    from activelens.backends.dask.scale import DaskPool

    return DaskPool(X, client=client, embeddings=embeddings, random_state=random_state)


_PUBLIC = ("DaskPool", "ClusterError", "from_memmap", "MemmapRows", "check_dask_pool")


def __getattr__(name):   # from activelens.backends.dask import DaskPool, from_memmap, ClusterError, ...
    if name not in _PUBLIC:
        raise AttributeError(f"module 'activelens.backends.dask' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module("activelens.backends.dask.scale"), name)
