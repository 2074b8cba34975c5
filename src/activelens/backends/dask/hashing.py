"""The label store's content hashes of a Dask pool, computed where the rows live: only hashes come back."""
from __future__ import annotations

import numpy as np

from activelens.backends.dask.compute import block_start, compute
from activelens.core.fingerprint import pool_digest_block, row_hashes


def _hash_block(x):
    return np.asarray(row_hashes(x), dtype="S32") if x.shape[0] else np.empty(0, dtype="S32")


def dask_row_hashes(X, client=None) -> list[str]:
    """``core.fingerprint.row_hashes`` of a dask pool, one task per row chunk.

    Parameters
    ----------
    X : dask.array.Array of shape (n_rows, n_features)
    client : distributed.Client, optional

    Returns
    -------
    list of str, length n_rows
        Each worker hashes its own rows; only the hashes (32 bytes a row) come back. Equal to ``row_hashes`` of
        the same pool as a numpy array.
    """
    h = X.map_blocks(_hash_block, dtype="S32", drop_axis=1, meta=np.empty((0,), "S32"))
    return np.asarray(compute(h, client=client)[0]).astype("U32").tolist()


def _digest_block(x, block_info=None):
    """A chunk's fingerprint digest, shape (1, 4): its first row's pool position comes from ``block_info``."""
    return pool_digest_block(x, block_start(block_info))[None, :]


def dask_digest(X, client=None) -> np.ndarray:
    """The pool's summed fingerprint digest (``core.fingerprint.pool_digest_block`` over every chunk).

    Parameters
    ----------
    X : dask.array.Array of shape (n_rows, n_features)
    client : distributed.Client, optional

    Returns
    -------
    ndarray of uint64, shape (4,)
        Blockwise: each task reads its chunk and hashes it (fused), only 32 bytes a chunk come back.
    """
    n_chunks = len(X.chunks[0])
    parts = X.map_blocks(_digest_block, dtype=np.uint64, chunks=((1,) * n_chunks, (4,)),
                         meta=np.empty((0, 4), dtype=np.uint64))
    return np.asarray(compute(parts, client=client)[0], dtype=np.uint64).sum(axis=0, dtype=np.uint64)
