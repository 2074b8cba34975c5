"""Margin spread by k-means on a Dask pool: the top candidates found per chunk (``select.dask_top_n``), their
embedding rows brought to the client, and the in-memory weighted k-means over those few hundred rows."""
from __future__ import annotations

import numpy as np

from activelens.backends.dask.select import dask_top_n
from activelens.strategies.combined import kmeans_spread


def dask_spread_top(scores, embedding, n: int, labeled, factor: float, rng: np.random.Generator, client=None):
    """``strategies.combined.spread_top`` on a dask pool: the same picks as in memory for the same generator (the
    candidates are exactly the in-memory ones; the k-means runs on the client on their embedding rows).

    Parameters
    ----------
    scores : dask.array.Array of float64, shape (n_rows,)
        Higher = more informative (e.g. margin uncertainty).
    embedding : Embedding
        The pool's diversity embedding (``embedding.dask_embedding``); only the candidates' rows are read.
    n : int
        Items to pick.
    labeled : array-like of int, shape (m,)
        Positions never picked.
    factor : float
        Candidates per pick (the ``factor·n`` highest scores are clustered).
    rng : numpy.random.Generator
        Tie-breaking keys of the top-n, then the k-means seeding and its ties, as in memory.
    client : distributed.Client, optional

    Returns
    -------
    indices : ndarray of intp, shape (n,)
    scores : ndarray of float64, shape (n,)
        Their scores.
    """
    labeled = np.asarray(labeled, dtype=np.intp)
    free = int(scores.shape[0]) - labeled.size
    m = int(min(free, max(n, round(factor * n))))
    cand, cand_scores = dask_top_n(scores, m, rng, exclude=labeled, client=client, return_scores=True)
    if n == 1 or m == n:
        return cand[:n], cand_scores[:n]
    local = kmeans_spread(embedding.rows(cand, client), cand_scores, n, rng)
    return cand[local], cand_scores[local]
