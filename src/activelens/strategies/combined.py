"""The seed's blend of uncertainty and diversity, Cluster-Margin for large batches, margin spread by k-means; and
their strategies (``Combined``, ``ClusterMargin``, ``MarginKMeans``)."""
from __future__ import annotations

import weakref
from typing import Any

import numpy as np
from sklearn.cluster import KMeans, MiniBatchKMeans

from activelens.core.validation import (check_indices, check_n, check_proba, check_random_state, check_scalar,
                                        check_weight)
from activelens.strategies.base import Selection, Strategy, with_distance
from activelens.strategies.select import minmax, top_n
from activelens.strategies.diversity import (NearestDistance, argmax_random_ties, check_scored_pool, one_blas_thread,
                                              prepare_embedding, top_candidates)
from activelens.strategies.uncertainty import margin as margin_score
from activelens.strategies.uncertainty import uncertainty_measure


def greedy_blend(uncertainty: np.ndarray, E: np.ndarray, n: int, labeled: np.ndarray, weight: float,
                 rng: np.random.Generator):
    """Pick ``n`` items one at a time by ``weight·norm(u) + (1−weight)·norm(d)``.

    ``d`` is the distance to the nearest labeled or already-picked item, recomputed after every pick, so
    the second pick of a batch is pushed away from the first: the batch is spread out rather than ten
    near-duplicates of the most uncertain item. Both norms are min-max over the items still free. Returns
    (indices, blended score, uncertainty part, diversity part), the two parts on the same [0, 1] scale the blend used.

    Cost: one elementwise pass per pick over float32 vectors of the pool's length, plus a distance pass over E
    for the pick — shared by the few likeliest next picks (``NearestDistance.prefetch``), so a batch of 100 costs
    a handful of passes over E rather than 100.
    """
    with one_blas_thread():
        return _greedy_blend(uncertainty, E, n, labeled, weight, rng)


def _greedy_blend(uncertainty, E, n, labeled, weight, rng):
    n_pool = E.shape[0]
    taken = np.zeros(n_pool, dtype=bool)
    taken[labeled] = True
    free = ~taken
    u_norm = np.zeros(n_pool)
    u_norm[free] = minmax(uncertainty[free])
    # The uncertainty half of the blend never changes; -inf on taken rows keeps them out of every argmax.
    w_u = (weight * u_norm).astype(np.float32)
    w_u[taken] = -np.inf
    tracker = NearestDistance(E)
    tracker.add(labeled)
    picks = np.empty(n, dtype=np.intp)
    parts = np.empty((n, 3))
    dist = np.empty(n_pool, dtype=np.float32)
    blended = np.empty(n_pool, dtype=np.float32)
    for t in range(n):
        if tracker.n_centres == 0:
            lo = hi = None  # nothing to be far from yet: diversity cannot tell items apart (every d_norm = 1)
            np.add(w_u, np.float32(1.0 - weight), out=blended)
        else:
            np.maximum(tracker.d2, 0.0, out=dist)  # taken rows hold -inf: 0 here, below every free row's max
            np.sqrt(dist, out=dist)
            hi = float(dist.max())
            lo = float(dist.min(where=free, initial=np.inf))
            if hi > lo:
                np.subtract(dist, np.float32(lo), out=blended)
                blended *= np.float32((1.0 - weight) / (hi - lo))
                blended += w_u
            else:
                blended[:] = w_u  # every free item equally far: d_norm = 0
        i = argmax_random_ties(blended, rng)
        d_norm = 1.0 if lo is None or hi is None else ((float(dist[i]) - lo) / (hi - lo) if hi > lo else 0.0)
        picks[t] = i
        parts[t] = weight * u_norm[i] + (1.0 - weight) * d_norm, u_norm[i], d_norm
        taken[i], free[i], w_u[i] = True, False, -np.inf
        if t < n - 1 and not tracker.is_prefetched(i):
            # the next picks are most likely among this round's best blends: one pass over E serves them all
            tracker.prefetch(top_candidates(blended, min(tracker.max_prefetch, n - t) - 1, i))
        tracker.add(i)
    return picks, parts[:, 0], parts[:, 1], parts[:, 2]


def combined(proba, X, n: int, labeled=None, weight: float = 0.5, uncertainty="margin", random_state=None,
             return_components: bool = False):
    """The seed's combined strategy: ``weight·norm(uncertainty) + (1−weight)·norm(diversity)``.

    ``proba`` is the model's (n, k) class probabilities for the pool, ``X`` the pool's embedding (or features),
    ``labeled`` the positions already labeled (never picked). Returns the indices of the batch, best first;
    with ``return_components=True`` also a dict of per-pick ``score``, ``uncertainty`` and ``diversity``.
    """
    measure = uncertainty_measure(uncertainty)
    # the named measures validate proba themselves; a custom callable gets it validated here
    u = np.asarray(measure(proba if isinstance(uncertainty, str) else check_proba(proba)), dtype=np.float64)
    E, labeled, n = check_scored_pool(u.shape[0], X, labeled, n, order="F")
    weight = check_weight(weight)
    idx, score, u_part, d_part = greedy_blend(u, E, n, labeled, weight, check_random_state(random_state))
    if return_components:
        return idx, {"score": score, "uncertainty": u_part, "diversity": d_part}
    return idx


def kmeans_for(n_clusters: int, n_rows: int, seed: int):
    """The k-means every clustering here uses for ``n_rows`` rows: mini-batch past 20k rows to stay fast."""
    if n_rows > 20_000:
        return MiniBatchKMeans(n_clusters=n_clusters, random_state=seed, n_init=3, batch_size=4096)
    return KMeans(n_clusters=n_clusters, random_state=seed, n_init=1)


def fit_clusters(E: np.ndarray, n_clusters: int, random_state=None) -> np.ndarray:
    """Cluster labels for every row of an embedding (``kmeans_for`` its size)."""
    n_clusters = int(min(n_clusters, E.shape[0]))
    seed = int(check_random_state(random_state).integers(2**31 - 1))
    return kmeans_for(n_clusters, E.shape[0], seed).fit_predict(E).astype(np.intp)


def round_robin_clusters(candidates: np.ndarray, clusters: np.ndarray, n: int, rng: np.random.Generator):
    """Cluster-Margin's diversification: candidates grouped by cluster, smallest cluster first, one random
    member from each cluster per pass until ``n`` are taken."""
    groups: dict[int, list[int]] = {}
    for c in candidates:
        groups.setdefault(int(clusters[c]), []).append(int(c))
    order = sorted(groups, key=lambda k: (len(groups[k]), k))
    for k in order:
        rng.shuffle(groups[k])
    picks: list[int] = []
    while len(picks) < n:
        for k in order:
            if groups[k] and len(picks) < n:
                picks.append(groups[k].pop())
    return np.asarray(picks, dtype=np.intp)


def cluster_margin(proba, X, n: int, labeled=None, clusters=None, n_clusters=None, candidate_factor: float = 10.0,
                   random_state=None) -> np.ndarray:
    """Cluster-Margin (Citovsky et al. 2021) for large batches.

    The pool's embedding is clustered once (pass ``clusters`` to reuse labels across rounds); the
    ``candidate_factor·n`` lowest-margin unlabeled items are grouped by cluster and taken round-robin,
    smallest cluster first, so a batch of hundreds spreads over the pool's regions.
    """
    p = check_proba(proba)
    n_pool = p.shape[0]
    labeled = check_indices(labeled, n_pool, name="labeled")
    n = check_n(n, n_pool - labeled.size)
    rng = check_random_state(random_state)
    if clusters is None:
        E = prepare_embedding(X)
        if E.shape[0] != n_pool:
            raise ValueError(f"proba has {n_pool} rows but X has {E.shape[0]}; both must describe the same pool")
        clusters = fit_clusters(E, n_clusters or max(20, 2 * n), rng)
    clusters = np.asarray(clusters)
    if clusters.shape != (n_pool,):
        raise ValueError(f"clusters must hold one label per pool item ({n_pool}), got shape {clusters.shape}")
    m = int(min(n_pool - labeled.size, max(n, round(candidate_factor * n))))
    candidates = top_n(margin_score(p), m, rng, exclude=labeled)
    return round_robin_clusters(candidates, clusters, n, rng)


def weighted_kmeans(E: np.ndarray, weights: np.ndarray, k: int, rng: np.random.Generator, max_iter: int = 30):
    """(centres, labels): Lloyd's k-means of the rows of ``E`` into ``k`` clusters, each row counting ``weights``,
    seeded by weighted k-means++ (D²·weight sampling). For the few hundred rows of a candidate set: plain numpy on
    one (rows × k) distance matrix per iteration, no threads (a library k-means spent 0.3 s of thread overhead on
    500 rows of a busy machine). An emptied cluster keeps its centre."""
    E = np.asarray(E, dtype=np.float64)
    w = np.asarray(weights, dtype=np.float64)
    m = E.shape[0]
    sq = np.einsum("ij,ij->i", E, E)
    first = int(rng.choice(m, p=w / w.sum()))
    centres = [first]
    d2 = np.maximum(sq - 2.0 * E @ E[first] + sq[first], 0.0)
    for _ in range(1, k):
        p = w * d2
        total = p.sum()
        i = int(rng.choice(m, p=p / total)) if total > 0 else int(rng.choice(np.flatnonzero(d2 >= d2.max())))
        centres.append(i)
        np.minimum(d2, np.maximum(sq - 2.0 * E @ E[i] + sq[i], 0.0), out=d2)
    C = E[centres].copy()
    labels = None
    for _ in range(max_iter):
        dist = sq[:, None] - 2.0 * E @ C.T + np.einsum("ij,ij->i", C, C)[None, :]
        new = dist.argmin(axis=1)
        if labels is not None and np.array_equal(new, labels):
            break
        labels = new
        mass = np.bincount(labels, weights=w, minlength=k)
        sums = np.zeros_like(C)
        np.add.at(sums, labels, E * w[:, None])
        full = mass > 0
        C[full] = sums[full] / mass[full, None]
    return C, labels


def kmeans_spread(E: np.ndarray, weights: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` rows of ``E`` spread over it: a k-means of the rows into ``n`` clusters, each row weighted by
    ``weights`` (``weighted_kmeans``), and the row nearest each centre (a row is taken once; ties by ``rng``).
    Positions into ``E``, the centre with the most weight first."""
    m = E.shape[0]
    if n >= m:
        return np.arange(m, dtype=np.intp)[np.argsort(-np.asarray(weights), kind="stable")]
    w = np.asarray(weights, dtype=np.float64) + 1e-9   # a zero weight still counts a little
    E64 = np.asarray(E, dtype=np.float64)
    centres, labels = weighted_kmeans(E64, w, n, rng)
    mass = np.bincount(labels, weights=w, minlength=n)
    d2 = ((E64 ** 2).sum(1)[:, None] - 2.0 * E64 @ centres.T + (centres ** 2).sum(1)[None, :])   # (m, n)
    taken = np.zeros(m, dtype=bool)
    picks = []
    for c in np.argsort(-mass, kind="stable"):
        col = np.where(taken, np.inf, d2[:, c])
        i = argmax_random_ties(-col, rng)
        picks.append(i)
        taken[i] = True
    return np.asarray(picks, dtype=np.intp)


def spread_top(scores: np.ndarray, E: np.ndarray, n: int, labeled: np.ndarray, factor: float,
               rng: np.random.Generator):
    """Diverse mini-batch (Zhdanov 2019): the ``factor·n`` highest ``scores`` (never ``labeled``), clustered by a
    k-means weighted by their scores into ``n`` clusters, and the candidate nearest each centre. ``E`` is the
    embedding (all pool rows, or a callable giving the rows at some positions). Returns (indices, scores there,
    candidates considered). One pick (n = 1) is the top score itself."""
    free = scores.shape[0] - len(labeled)
    m = int(min(free, max(n, round(factor * n))))
    cand = top_n(scores, m, rng, exclude=labeled)
    if n == 1 or m == n:
        return cand[:n], scores[cand[:n]], m
    rows = E(cand) if callable(E) else E[cand]
    picks = cand[kmeans_spread(rows, scores[cand], n, rng)]
    return picks, scores[picks], m


def margin_kmeans(proba, X, n: int, labeled=None, factor: float = 5.0, random_state=None,
                  return_components: bool = False):
    """Margin spread by k-means: the ``factor·n`` lowest-margin items, clustered into ``n`` groups (k-means weighted
    by their margin uncertainty) in ``X`` (the pool's embedding or features), and the item nearest each group's
    centre (Zhdanov 2019, "diverse mini-batch active learning"). The batch stays among the most uncertain items but
    does not pile onto one stretch of a decision boundary. Returns pool positions; with ``return_components`` also
    their margin ``uncertainty``."""
    u = margin_score(proba)
    E, labeled, n = check_scored_pool(u.shape[0], X, labeled, n)
    factor = check_scalar(factor, "factor", float, low=1.0, what="candidates per pick")
    idx, su, _ = spread_top(u, E, n, labeled, factor, check_random_state(random_state))
    if return_components:
        return idx, {"uncertainty": su}
    return idx


def blend(pool, u, ask, weight: float) -> Selection:
    """The greedy uncertainty × diversity blend of scores ``u`` on ``pool`` (shared by ``Combined`` and the
    pretrained cold start)."""
    kernel = pool.kernels.get("greedy_blend")
    if kernel is not None:
        got = kernel(pool, u, ask.n, ask.labeled, weight, ask.rng)
    else:
        got = greedy_blend(np.asarray(u, dtype=np.float64), np.asarray(pool.embedding), ask.n, ask.labeled, weight,
                           ask.rng)
    idx, blended, u_part, d_part = got
    return Selection(idx, blended, {"uncertainty": u_part, "diversity": d_part})


class ClusterMargin(Strategy):
    """Cluster-Margin (Citovsky et al. 2021): the lowest-margin items taken round-robin over clusters of the
    embedding (fitted once per pool, ``max(20, 2·n)`` clusters).

    Kernel: ``pool.kernels["cluster_margin"](pool, model, classes, n, labeled, rng) -> (idx, margins, cluster
    ids)`` (the Dask pool: clusters fitted on a sample and kept on the workers); else ``fit_clusters`` on
    ``pool.embedding`` and ``cluster_margin`` on ``pool.proba``.
    """

    name = "cluster_margin"

    def __init__(self):
        self._clusters: weakref.WeakKeyDictionary[Any, Any] = weakref.WeakKeyDictionary()   # pool -> its cluster ids, fitted at the first query

    def select(self, pool, ask):
        kernel = pool.kernels.get("cluster_margin")
        if kernel is not None:
            idx, su, clusters = kernel(pool, ask.model, ask.classes, ask.n, ask.labeled, ask.rng)
        else:
            if pool not in self._clusters:
                self._clusters[pool] = fit_clusters(np.asarray(pool.embedding), max(20, 2 * ask.n), ask.rng)
            all_clusters = self._clusters[pool]
            proba = np.asarray(pool.proba(ask.model, ask.classes))
            idx = cluster_margin(proba, None, ask.n, ask.labeled, clusters=all_clusters, random_state=ask.rng)
            su, clusters = margin_score(proba[idx]), all_clusters[idx]
        su = np.asarray(su, dtype=np.float64)
        return Selection(idx, su, {"uncertainty": su, "cluster": np.asarray(clusters).astype(float)})


class Combined(Strategy):
    """The seed's greedy blend: each pick maximises ``weight·norm(uncertainty) + (1−weight)·norm(distance to the
    nearest labeled or picked item)``; Cluster-Margin for a batch too large for the greedy loop on this pool.

    Kernels: ``pool.kernels["greedy_blend"](pool, u, n, labeled, weight, rng) -> (idx, blended, uncertainty part,
    diversity part)`` (the Dask pool: two small reductions and one chunk-wise update per pick), else
    ``greedy_blend`` on ``pool.embedding``; and ``pool.kernels["blend_affordable"](pool, n) -> bool``: False sends
    the batch to Cluster-Margin (the Dask pool from ``LARGE_BATCH`` picks, as each pick is a pass over worker
    memory); without it every batch is blended.

    Parameters
    ----------
    weight : float in [0, 1], default=0.5
        The uncertainty share of the blend (diversity gets ``1 - weight``).
    uncertainty : {"margin", "entropy", "least_confidence"} or callable, default="margin"
        The uncertainty measure blended.
    """

    name = "combined"

    def __init__(self, weight: float = 0.5, uncertainty="margin"):
        self.weight = check_scalar(weight, "weight", float, low=0.0, high=1.0, what="the uncertainty share")
        uncertainty_measure(uncertainty)   # an unknown name fails here
        self.uncertainty = uncertainty
        self._large = ClusterMargin()

    def _params(self) -> dict:
        return {"weight": self.weight, "uncertainty": self.uncertainty}

    def select(self, pool, ask):
        affordable = pool.kernels.get("blend_affordable")
        if affordable is not None and not affordable(pool, ask.n):
            return self._large.select(pool, ask)
        return blend(pool, pool.scores(ask.model, ask.classes, self.uncertainty), ask, self.weight)


class MarginKMeans(Strategy):
    """Margin spread by k-means (diverse mini-batch, Zhdanov 2019): the ``factor·n`` lowest-margin items, one per
    cluster of a margin-weighted k-means of them.

    Kernel: ``pool.kernels["spread_top"](pool, scores, n, labeled, factor, rng) -> (idx, scores at idx)`` (the
    Dask pool: the candidates per chunk, the k-means on the client); else ``spread_top`` on ``pool.embedding``.

    Parameters
    ----------
    factor : float >= 1, default=5
        Candidates per pick.
    """

    name = "margin_kmeans"

    def __init__(self, factor: float = 5.0):
        self.factor = check_scalar(factor, "factor", float, low=1.0, what="candidates per pick")

    def _params(self) -> dict:
        return {"factor": self.factor}

    def select(self, pool, ask):
        u = pool.scores(ask.model, ask.classes, "margin")
        kernel = pool.kernels.get("spread_top")
        if kernel is not None:
            idx, su = kernel(pool, u, ask.n, ask.labeled, self.factor, ask.rng)
        else:
            idx, su, _ = spread_top(np.asarray(u, dtype=np.float64), np.asarray(pool.embedding), ask.n,
                                    np.asarray(ask.labeled, dtype=np.intp), self.factor, ask.rng)
        return with_distance(pool, idx, su, ask.labeled)
