"""Diversity on a Dask pool, pick by pick, the in-memory loops chunk by chunk: k-center (farthest first), the greedy
blend of uncertainty and diversity, k-means++ seeding (D² sampling), and TypiClust.

Every random draw happens on the client from the caller's generator, in the same order and number as in memory, so
the picks are the in-memory ones for the same seed; a matrix-vector product over a chunk may round differently from
one over the whole pool, so a pick can differ only on a near-exact tie.
"""
from __future__ import annotations

import numpy as np

from activelens.backends.dask.nearest import DaskNearestDistance, weighted_chunk
from activelens.backends.dask.rows import sample_size
from activelens.strategies.coldstart import typical_picks
from activelens.strategies.combined import kmeans_for
from activelens.strategies.diversity import prepare_embedding


def _can_not_choose(n: int, t: int) -> ValueError:
    return ValueError(f"asked for {n} items but only {t} can be chosen")


def _tracker_from(E, selected, client, min_chunk_rows) -> DaskNearestDistance:
    """A tracker over ``E`` with the ``selected`` positions (or none) as its first centres."""
    tracker = DaskNearestDistance(E, client=client, min_chunk_rows=min_chunk_rows)
    tracker.add(np.asarray([] if selected is None else selected, dtype=np.intp))
    return tracker


# ----- k-center -----
def dask_k_center(E, n: int, selected, rng: np.random.Generator, client=None, min_chunk_rows: int | None = None):
    """``strategies.diversity.farthest_first`` on a dask embedding: the same picks as in memory for the same seed.

    One chunk-wise update and one small reduction per pick.

    Parameters
    ----------
    E : dask.array.Array of float32, shape (n_rows, d)
        The prepared embedding (``Embedding.array``).
    n : int
        Items to pick.
    selected : array-like of int, shape (m,), or None
        Positions already chosen (the labeled items): never picked, distances measured from them.
    rng : numpy.random.Generator
        The first pick (with nothing selected) and ties.
    client : distributed.Client, optional
    min_chunk_rows : int, optional
        See ``DaskNearestDistance``.

    Returns
    -------
    indices : ndarray of intp, shape (n,)
    distances : ndarray of float64, shape (n,)
        Each pick's distance to its nearest earlier centre when picked (inf for a first pick).

    Raises
    ------
    ValueError
        Fewer than ``n`` rows can be picked.
    """
    tracker = _tracker_from(E, selected, client, min_chunk_rows)
    picks = np.empty(n, dtype=np.intp)
    dists = np.empty(n, dtype=np.float64)
    for t in range(n):
        if tracker.n_centres == 0:
            # in memory: rng.choice(np.flatnonzero(d2 > -inf)) over every row; the same draw without the array
            i = int(rng.integers(0, tracker.n_pool))
            dists[t] = np.inf
        else:
            best, ties = tracker.argmax()
            if not np.isfinite(best):
                raise _can_not_choose(n, t)
            i = int(ties[0] if ties.size == 1 else rng.choice(ties))
            dists[t] = float(np.sqrt(np.float32(best)))
        picks[t] = i
        if t + 1 < n:  # the last update would only serve a pick that is never made
            tracker.add(i)
    return picks, dists


# ----- the seed's blend of uncertainty and diversity, greedy, for small batches -----
def _free_minmax(d2, values):
    """min and max of ``values`` over the chunk's free rows (d2 > -inf), or None if none is free."""
    free = d2 > -np.inf
    if not free.any():
        return None
    v = values[free]
    return float(v.min()), float(v.max())


def _dist(d2):
    out = np.empty(d2.size, dtype=np.float64)
    np.sqrt(np.maximum(d2, 0.0), out=out)  # the in-memory greedy_blend's arithmetic
    return out


def _dist_minmax(d2):
    return _free_minmax(d2, _dist(d2))


def _blend_max(d2, e, offset, u, u_lo, u_hi, d_lo, d_hi, weight, has_centres):
    """This chunk's best blended score, its ties, and for the ties their (blended, u_norm, d_norm) and rows."""
    free = d2 > -np.inf
    u_norm = np.zeros(u.size)
    if u_hi - u_lo > 0:
        u_norm[free] = (u[free] - u_lo) / (u_hi - u_lo)
    if not has_centres:
        d_norm = np.ones(u.size)
    else:
        d_norm = (_dist(d2) - d_lo) / (d_hi - d_lo) if d_hi > d_lo else np.zeros(u.size)
    blended = weight * u_norm + (1.0 - weight) * d_norm
    blended[~free] = -np.inf
    best = blended.max()
    ties = np.flatnonzero(blended == best)
    parts = np.column_stack([blended[ties], u_norm[ties], d_norm[ties]])
    return float(best), offset + ties.astype(np.int64), parts, offset + ties[:64], np.array(e[ties[:64]])


def _range(got) -> tuple[float, float] | None:
    """The overall (min, max) of per-chunk (min, max) answers, None where no chunk had a free row."""
    ranges = [r for r in got if r is not None]
    return (min(r[0] for r in ranges), max(r[1] for r in ranges)) if ranges else None


def dask_greedy_blend(u, E, n: int, labeled, weight: float, rng: np.random.Generator, client=None):
    """``strategies.combined.greedy_blend`` on dask arrays: the same picks as in memory for the same seed.

    Each pick is two small reductions (the free rows' distance range, then the best blended score) and one
    chunk-wise update: a pass over worker memory per pick, so at scale this is for small batches
    (``pool.LARGE_BATCH``).

    Parameters
    ----------
    u : dask.array.Array of float64, shape (n_rows,)
        The (lazy) uncertainty scores.
    E : dask.array.Array of float32, shape (n_rows, d)
        The prepared embedding.
    n : int
    labeled : array-like of int, shape (m,), or None
    weight : float
        The uncertainty share of the blend, in [0, 1].
    rng : numpy.random.Generator
        Breaks ties.
    client : distributed.Client, optional

    Returns
    -------
    indices : ndarray of intp, shape (n,)
    blended, uncertainty, diversity : ndarray of float64, shape (n,)
        Each pick's blended score and its two normalized parts.

    Raises
    ------
    ValueError
        Fewer than ``n`` rows can be picked.
    """
    labeled = np.asarray([] if labeled is None else labeled, dtype=np.intp)
    tracker = DaskNearestDistance(E, client=client)
    u_chunks = tracker.align(u)
    tracker.exclude(labeled)  # free = d2 > -inf, labeled rows are centres below anyway
    u_range = _range(tracker.per_chunk(_free_minmax, u_chunks))
    if u_range is None:  # every row is labeled
        raise _can_not_choose(n, 0)
    tracker.add(labeled)
    picks = np.empty(n, dtype=np.intp)
    parts = np.empty((n, 3))
    for t in range(n):
        picks[t], parts[t] = _blend_pick(tracker, u_chunks, u_range, weight, rng, n, t)
        if t + 1 < n:
            tracker.add(int(picks[t]))
    return picks, parts[:, 0], parts[:, 1], parts[:, 2]


def _blend_pick(tracker, u_chunks, u_range, weight, rng, n, t):
    """One greedy pick: the free rows' distance range, then the best blended score (ties by ``rng``), and its
    embedding row remembered for the next update. Returns (position, (blended, uncertainty, diversity))."""
    d_lo = d_hi = 0.0
    if tracker.n_centres:
        d_range = _range(tracker.per_chunk(_dist_minmax))
        if d_range is None:
            raise _can_not_choose(n, t)
        d_lo, d_hi = d_range
    got = tracker.per_chunk(_blend_max, u_chunks, rows=True, u_lo=u_range[0], u_hi=u_range[1], d_lo=d_lo, d_hi=d_hi,
                            weight=float(weight), has_centres=tracker.n_centres > 0)
    best = max(g[0] for g in got)
    if not np.isfinite(best):
        raise _can_not_choose(n, t)
    top = [g for g in got if g[0] == best]
    ties = np.concatenate([g[1] for g in top])
    tie_parts = np.concatenate([g[2] for g in top])
    j = 0 if ties.size == 1 else int(np.flatnonzero(ties == rng.choice(ties))[0])
    tracker.remember_rows(np.concatenate([g[3] for g in top]), [r for g in top for r in g[4]])
    return int(ties[j]), tie_parts[j]


# ----- k-means++ (D² sampling): the nearest-distance vector again, a draw by per-chunk sums -----
def _d2_weights(d2, uniform):
    """The in-memory ``d2_sampling`` weights of a chunk: d² where positive (0 on centres and their duplicates), or
    1 on every free row for the uniform draw."""
    if uniform:
        return (d2 > -np.inf).astype(np.float64)
    return np.where(d2 > 0, d2, 0.0).astype(np.float64)


def _d2_chunk_sums(d2):
    """(sum of this chunk's D² weights — inf while there is no centre —, its number of free rows)."""
    return float(_d2_weights(d2, False).sum()), int((d2 > -np.inf).sum())


def _d2_chunk_draw(d2, e, offset, target, uniform):
    """The row of this chunk where the running sum of weights first passes ``target``, and its embedding row."""
    w = _d2_weights(d2, uniform)
    i = int(np.searchsorted(np.cumsum(w), target, side="right"))
    if i >= w.size:  # the chunk's sum rounded a hair above its cumulative sum: its last row that can be drawn
        i = int(np.flatnonzero(w > 0)[-1])
    return offset + i, np.array(e[i])


def dask_kmeans_pp(E, n: int, selected, rng: np.random.Generator, client=None, min_chunk_rows: int | None = None):
    """``strategies.diversity.d2_sampling`` (k-means++ seeding) on a dask embedding.

    Each pick is drawn with probability ∝ D², the squared distance to the nearest row drawn so far or in
    ``selected``. The draw is the in-memory one: ``rng.choice(n_pool, p=w / w.sum())`` is one ``rng.random()`` u and
    the first row whose cumulative weight passes u·Σw. Here the chunks send their sums of w, the client picks the
    chunk where u·Σw falls, and that chunk finds the row (and sends its embedding row, so the update needs no extra
    trip). Per pick: one small reduction, one task, one chunk-wise update. The same picks as in memory for the same
    generator, except when u lands within float rounding of a boundary between two rows.

    Parameters
    ----------
    E : dask.array.Array of float32, shape (n_rows, d)
        The prepared embedding.
    n : int
    selected : array-like of int, shape (m,), or None
        Positions already chosen: never drawn, distances measured from them.
    rng : numpy.random.Generator
        One ``rng.random()`` per pick.
    client : distributed.Client, optional
    min_chunk_rows : int, optional
        See ``DaskNearestDistance``.

    Returns
    -------
    ndarray of intp, shape (n,)

    Raises
    ------
    ValueError
        Fewer than ``n`` rows can be drawn.
    """
    tracker = _tracker_from(E, selected, client, min_chunk_rows)
    picks = np.empty(n, dtype=np.intp)
    for t in range(n):
        got = tracker.per_chunk(_d2_chunk_sums)
        sums = np.array([g[0] for g in got])
        uniform = not np.isfinite(sums).all() or sums.sum() <= 0
        if uniform:  # no centre yet, or only duplicates of centres left: uniform over the free rows, as in memory
            sums = np.array([g[1] for g in got], dtype=np.float64)
        total = sums.sum()
        if total <= 0:
            raise _can_not_choose(n, t)
        c, rest = weighted_chunk(sums, rng)
        (i, row), = tracker.per_chunk(_d2_chunk_draw, rows=True, chunk=c, target=rest, uniform=uniform)
        picks[t] = i
        if t + 1 < n:
            tracker.remember_rows([i], [row])
            tracker.add(i)
    return picks


# ----- TypiClust: clusters fitted on a sample, typicality among the sampled rows of each cluster -----
def dask_typiclust(E, n: int, labeled, rng: np.random.Generator, k_neighbors: int = 20, sample_rows: int | None = None,
                   client=None) -> np.ndarray:
    """``strategies.coldstart.typiclust`` on a dask pool's embedding.

    Up to ``sample_rows`` rows the whole embedding comes to the client and every step is the in-memory one (the
    same picks for the same generator). Past it: one seeded sample of ``sample_rows`` rows (one gather), k-means with
    |labeled|+n clusters fitted on it, cluster sizes counted on it, typicality computed among each cluster's
    sampled rows, and the picks are sampled rows; a labeled row outside the sample gets its cluster by ``predict``.
    Draws from ``rng`` as in memory: one seed (for k-means and the sample), then one tie-break per pick.

    Parameters
    ----------
    E : Embedding
        The pool's diversity embedding (``dask_embedding``).
    n : int
    labeled : array-like of int, shape (m,), or None
    rng : numpy.random.Generator
    k_neighbors : int, default 20
        Neighbours typicality is measured over.
    sample_rows : int, optional
        Default ``rows.SAMPLE_ROWS``.
    client : distributed.Client, optional

    Returns
    -------
    ndarray of intp, shape (n,)
    """
    labeled = np.asarray([] if labeled is None else labeled, dtype=np.intp)
    seed = int(rng.integers(2**31 - 1))  # what fit_clusters draws in memory
    pos, raw = E.sample(sample_size(sample_rows), seed, client)
    S = prepare_embedding(raw, name="embedding sample")  # in memory typiclust centres its input once more
    n_clusters = int(min(labeled.size + n, S.shape[0]))
    km = kmeans_for(n_clusters, S.shape[0], seed)
    clusters = km.fit_predict(S).astype(np.intp)
    loc = np.searchsorted(pos, labeled)
    inside = (loc < pos.size) & (pos[np.minimum(loc, pos.size - 1)] == labeled)
    taken = np.zeros(pos.size, dtype=bool)
    taken[loc[inside]] = True
    covered = set(clusters[loc[inside]].tolist())
    if (~inside).any():  # labeled rows the sample missed: their cluster, in the sample's centred coordinates
        shift = (raw.sum(axis=0, dtype=np.float64) / raw.shape[0]).astype(np.float32)
        covered |= set(km.predict(E.rows(labeled[~inside], client).astype(np.float32) - shift).tolist())
    local = typical_picks(S, clusters, covered, taken, n, k_neighbors, rng)
    return pos[local].astype(np.intp)
