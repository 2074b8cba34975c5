"""The n best scores of a Dask pool: a partial sort per chunk on the workers, then one reduce on the client."""
from __future__ import annotations

import dask
import numpy as np

from activelens.backends.dask.compute import blocks, compute, local_positions, offsets


def _chunk_candidates(s, offset, local_exclude, n, x=None):
    """This chunk's candidates for the global top n: every item at or above its own n-th best score.

    The global n-th best score T is at least each chunk's n-th best, so every item the in-memory ``top_n``
    would consider (score >= T) is among them, ties included.
    """
    s = np.array(s, dtype=np.float64, copy=True)
    if local_exclude.size:
        s[local_exclude] = -np.inf
    ok = np.isfinite(s)
    n_ok = int(ok.sum())
    if n_ok <= n:
        keep = np.flatnonzero(ok)
    else:
        kth = s.size - n
        keep = np.flatnonzero(s >= np.partition(s, kth)[kth])
    return offset + keep.astype(np.int64), s[keep], n_ok, (None if x is None else np.array(x[keep]))


def _reduce_candidates(got, n, n_pool, rng):
    idx = np.concatenate([g[0] for g in got]) if got else np.empty(0, np.int64)
    val = np.concatenate([g[1] for g in got]) if got else np.empty(0)
    n_ok = sum(g[2] for g in got)
    if n > n_ok:
        raise ValueError(f"asked for {n} items but only {n_ok} can be chosen")
    kth = val.size - n
    threshold = np.partition(val, kth)[kth]
    keep = val >= threshold
    cand, cand_val = idx[keep], val[keep]          # ascending pool positions, as np.flatnonzero gives in memory
    key = rng.random(cand.size)
    order = np.lexsort((key, -cand_val))[:n]
    return cand[order].astype(np.intp), cand_val[order], np.flatnonzero(keep)[order]


def dask_top_n(scores, n: int, rng: np.random.Generator, exclude=None, client=None, return_scores: bool = False,
               rows_of=None):
    """``strategies.select.top_n`` on a 1-D dask array: the same positions for the same scores and generator.

    Each chunk returns the items at or above its own n-th best (about n per chunk); the client takes the global
    threshold from those, then orders the candidates by (score, a seeded random key) exactly as in memory. Ties at a
    chunk's cut all come back (exactness needs them): a pool where millions of items share the n-th best score
    sends that many positions to the client.

    Parameters
    ----------
    scores : dask.array.Array of float, shape (n_rows,)
        Higher is better; NaN and -inf are never chosen.
    n : int
        Items to choose.
    rng : numpy.random.Generator
        Breaks ties; drawn from as in memory (one key per candidate).
    exclude : array-like of int, optional
        Positions never chosen (the labeled items).
    client : distributed.Client, optional
    return_scores : bool, default False
        Also return the chosen items' scores, without a second pass.
    rows_of : dask.array.Array of shape (n_rows, n_features), optional
        Chunked like ``scores`` (e.g. the pool): the candidates bring their rows along.

    Returns
    -------
    indices : ndarray of intp, shape (n,)
        Best first.
    scores : ndarray of float64, shape (n,)
        With ``return_scores`` or ``rows_of``.
    rows : ndarray of shape (n, n_features)
        With ``rows_of``: the batch's rows without another read of the pool.

    Raises
    ------
    ValueError
        Fewer than ``n`` items can be chosen.
    """
    n_pool = scores.shape[0]
    excl = np.unique(np.asarray([] if exclude is None else exclude, dtype=np.int64))
    off = offsets(scores.chunks[0])
    xs = [None] * len(off[:-1]) if rows_of is None else blocks(rows_of)
    parts = [dask.delayed(_chunk_candidates)(blk, int(off[i]), local_positions(excl, off[i], off[i + 1]), int(n), xs[i])
             for i, blk in enumerate(blocks(scores))]
    got = compute(*parts, client=client)
    idx, val, sel = _reduce_candidates(got, n, n_pool, rng)
    if rows_of is not None:
        return idx, val, np.concatenate([g[3] for g in got])[sel]
    return (idx, val) if return_scores else idx
