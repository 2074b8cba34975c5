"""Which rows of a large Dask pool the map draws: about ``n_max`` of them, balanced over k-means groups so a rare
region keeps its points while a dense one is thinned. Each chunk draws its own rows on its worker; only positions
come back."""
from __future__ import annotations

import dask
import numpy as np

from activelens.backends.dask.compute import blocks, broadcast, compute, offsets, persist
from activelens.backends.dask.rows import gather_rows
from activelens.core.linear_pca import LinearPCA
from activelens.core.validation import check_random_state
from activelens.strategies.combined import kmeans_for

#: k-means groups the map's sample is balanced over
N_GROUPS = 64
#: principal components the groups are clustered in
GROUP_DIMS = 16
#: rows the groups' PCA and k-means are fitted on
GROUP_FIT_ROWS = 100_000


def _group_block(x, features, km):
    return km.predict(features.transform(x)).astype(np.int32)


def fit_groups(X, rng: np.random.Generator, client=None):
    """Group ids of every pool row, for ``map_sample``.

    ``N_GROUPS`` k-means clusters fitted on a seeded sample of ``GROUP_FIT_ROWS`` rows in ``GROUP_DIMS`` principal
    components, assigned per chunk on the workers.

    Parameters
    ----------
    X : dask.array.Array of shape (n_rows, n_features)
    rng : numpy.random.Generator
        Draws the sample, then the k-means seed.
    client : distributed.Client, optional

    Returns
    -------
    dask.array.Array of int32, shape (n_rows,)
        Persisted, chunked like X.
    """
    n = int(X.shape[0])
    fit_pos = np.sort(rng.choice(n, min(n, GROUP_FIT_ROWS), replace=False))
    rows = gather_rows(X, fit_pos, client)
    features = LinearPCA.fit(rows, GROUP_DIMS, standardize=True)
    km = kmeans_for(min(N_GROUPS, rows.shape[0]), rows.shape[0], int(rng.integers(2**31 - 1)))
    km.fit(features.transform(rows))
    groups = X.map_blocks(_group_block, broadcast(features), broadcast(km), drop_axis=1, dtype=np.int32,
                          meta=np.empty((0,), np.int32))
    return persist(groups, client)


def group_counts(groups, client=None) -> np.ndarray:
    """Rows per group id.

    Parameters
    ----------
    groups : dask.array.Array of non-negative int, shape (n_rows,)
    client : distributed.Client, optional

    Returns
    -------
    ndarray of int64, shape (max id + 1,)
    """
    parts = [dask.delayed(np.bincount)(b) for b in blocks(groups)]
    got = compute(*parts, client=client)
    out = np.zeros(max(g.size for g in got), dtype=np.int64)
    for g in got:
        out[: g.size] += g
    return out


def _quota(counts: np.ndarray, n_max: int) -> np.ndarray:
    """Water-filling: every group gets the same share of ``n_max``, a group smaller than its share gives the rest
    back to the others."""
    quota = np.zeros(counts.size, dtype=np.int64)
    left, open_ = int(n_max), counts > 0
    while left > 0 and open_.any():
        share = max(1, left // int(open_.sum()))
        add = np.where(open_, np.minimum(share, counts - quota), 0)
        if add.sum() == 0:
            break
        if add.sum() > left:  # the last round: hand out what is left, smallest groups first
            add[:] = 0
            for g in np.flatnonzero(open_)[np.argsort(counts[open_] - quota[open_], kind="stable")]:
                take = min(left, counts[g] - quota[g])
                add[g], left = take, left - take
                if left == 0:
                    break
            quota += add
            break
        quota += add
        left -= int(add.sum())
        open_ = quota < counts
    return quota


def _bernoulli_block(groups, offset, keep_prob, seed):
    rng = np.random.default_rng([seed, int(offset)])
    return offset + np.flatnonzero(rng.random(groups.size) < keep_prob[groups]).astype(np.int64)


def map_sample(groups, n_max: int = 1_000_000, always=None, random_state=None, client=None) -> np.ndarray:
    """Sorted pool positions to draw on the map: about ``n_max``, the same number from every group where the group
    is large enough, plus ``always``.

    Parameters
    ----------
    groups : dask.array.Array of int, shape (n_rows,)
        Group ids chunked like the pool (``fit_groups``, or e.g. the Cluster-Margin cluster ids).
    n_max : int, default 1_000_000
    always : array-like of int, optional
        Positions always drawn (the labeled items, the current batch).
    random_state : int, Generator or None
        One seed is drawn from it; each chunk draws its own rows from (seed, chunk offset).
    client : distributed.Client, optional

    Returns
    -------
    ndarray of int64, shape (m,)
        Sorted, unique.
    """
    counts = group_counts(groups, client)
    keep_prob = np.divide(_quota(counts, n_max), counts, out=np.zeros(counts.size), where=counts > 0)
    seed = int(check_random_state(random_state).integers(2**31 - 1))
    off = offsets(groups.chunks[0])
    parts = [dask.delayed(_bernoulli_block)(b, int(off[i]), keep_prob, seed)
             for i, b in enumerate(blocks(groups))]
    got = compute(*parts, client=client)
    pos = np.concatenate(list(got) + [np.asarray([] if always is None else always, dtype=np.int64)])
    return np.unique(pos)
