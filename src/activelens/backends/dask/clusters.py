"""Cluster-Margin on a Dask pool: k-means fitted once on (a sample of) the embedding, cluster ids assigned per chunk
on the workers, then the lowest-margin candidates taken round-robin over their clusters."""
from __future__ import annotations

import numpy as np

from activelens.backends.dask.compute import broadcast, persist
from activelens.backends.dask.rows import gather_rows, sample_size
from activelens.backends.dask.select import dask_top_n
from activelens.strategies.combined import kmeans_for, round_robin_clusters


def _predict_block(e, km):
    return km.predict(e).astype(np.int32)


def dask_fit_clusters(E, n_clusters: int, rng: np.random.Generator, sample_rows: int | None = None, client=None):
    """Cluster ids of every pool row: k-means fitted on (a seeded sample of) the embedding, assigned per chunk.

    Draws one seed from ``rng`` exactly like ``strategies.combined.fit_clusters``; up to ``sample_rows`` rows the fit
    sees the whole pool, so the clusters match the in-memory ones.

    Parameters
    ----------
    E : Embedding
        The pool's diversity embedding (``dask_embedding``).
    n_clusters : int
        At most the number of rows.
    rng : numpy.random.Generator
    sample_rows : int, optional
        Default ``rows.SAMPLE_ROWS``.
    client : distributed.Client, optional

    Returns
    -------
    dask.array.Array of int32, shape (n_rows,)
        Persisted, chunked like the pool.
    """
    n_clusters = int(min(n_clusters, int(E.array.shape[0])))
    seed = int(rng.integers(2**31 - 1))
    _, sample = E.sample(sample_size(sample_rows), seed, client)
    km = kmeans_for(n_clusters, sample.shape[0], seed)
    km.fit(sample)
    labels = E.array.map_blocks(_predict_block, broadcast(km), drop_axis=1, dtype=np.int32,
                                 meta=np.empty((0,), np.int32))
    return persist(labels, client)


def dask_cluster_margin(margins, clusters, n: int, labeled, rng: np.random.Generator, candidate_factor: float = 10.0,
                        client=None):
    """Cluster-Margin on dask arrays, as in memory.

    The ``candidate_factor·n`` lowest-margin unlabeled items (a per-chunk partial sort), grouped by their cluster id
    and taken round-robin, smallest cluster first.

    Parameters
    ----------
    margins : dask.array.Array of float64, shape (n_rows,)
        Margin uncertainty scores (higher = smaller margin).
    clusters : dask.array.Array of int32, shape (n_rows,)
        From ``dask_fit_clusters``.
    n : int
    labeled : array-like of int, shape (m,), or None
    rng : numpy.random.Generator
    candidate_factor : float, default 10.0
    client : distributed.Client, optional

    Returns
    -------
    indices : ndarray of intp, shape (n,)
    scores : ndarray of float64, shape (n,)
        Their margin scores.
    cluster_ids : ndarray of int32, shape (n,)
    """
    labeled = np.asarray([] if labeled is None else labeled, dtype=np.intp)
    n_pool = int(margins.shape[0])
    m = int(min(n_pool - labeled.size, max(n, round(candidate_factor * n))))
    cand, cand_scores = dask_top_n(margins, m, rng, exclude=labeled, client=client, return_scores=True)
    cand_clusters = gather_rows(clusters, cand, client)
    local = round_robin_clusters(np.arange(cand.size), cand_clusters, n, rng)
    return cand[local], cand_scores[local], cand_clusters[local]
