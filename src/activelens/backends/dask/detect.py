"""Recognising a dask collection without importing dask (so ``import activelens`` stays light)."""
from __future__ import annotations


def accepts(X) -> bool:
    """True for a dask Array or DataFrame."""
    mod = type(X).__module__ or ""
    return mod.split(".")[0] in ("dask", "dask_expr") and (hasattr(X, "dask") or hasattr(X, "to_dask_array"))
