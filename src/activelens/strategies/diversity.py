"""Diversity sampling: farthest-point (k-center greedy) and k-means++ style D² sampling, and their strategies
(``KCenter``, ``KMeansPP``).

Both keep one vector: the squared distance from every pool row to its nearest chosen or labeled row.
Adding a centre updates that vector with one chunked matrix product, so memory is O(n) plus a bounded
scratch block, never an n×n matrix, and all arithmetic is float32.
"""
from __future__ import annotations

from typing import Literal

import numpy as np
from sklearn.decomposition import PCA

from activelens.core.threads import blas_threads
from activelens.core.validation import check_indices, check_matrix, check_n, check_random_state
from activelens.strategies.base import Selection, Strategy

# Scratch budget for one distance block (rows × centres), in float32 elements: 4M elements = 16 MB.
_BLOCK_ELEMENTS = 1 << 22
# Prefetched distance rows for greedy loops: at most this many rows, and at most this many float32 elements in all.
_PREFETCH_ROWS = 32
_PREFETCH_ELEMENTS = 1 << 24


def prepare_embedding(X, name: str = "X", order: Literal["C", "F"] = "C") -> np.ndarray:
    """Centred float32 copy, C-contiguous (or F-contiguous with ``order="F"``, the layout NearestDistance reads
    without another copy): centring keeps ‖a‖²−2a·b+‖b‖² accurate in float32."""
    if isinstance(X, np.ndarray) and X.ndim == 2 and X.shape[0] >= 1 and X.shape[1] >= 1 and X.dtype.kind in "fiu":
        # Fast path for arrays: the column sums (accumulated in float64, so float32 data cannot overflow them)
        # are finite exactly when every value is, and they give the mean. Two passes over X instead of five;
        # anything non-finite goes to check_matrix for its usual error.
        with np.errstate(over="ignore"):  # a float64 beyond float32's range becomes inf: reported below
            A = X if X.dtype == np.float32 else X.astype(np.float32)
        sums = A.sum(axis=0, dtype=np.float64)
        if np.isfinite(sums).all():
            mean = (sums / A.shape[0]).astype(np.float32)
            E = np.empty(A.shape, dtype=np.float32, order=order)
            np.subtract(A, mean, out=E)
            return E
    E = check_matrix(X, name=name, dtype=np.float32)
    E = np.array(E, dtype=np.float32, order=order, copy=True)
    E -= E.mean(axis=0, dtype=np.float64).astype(np.float32)
    return E


# Past this many rows the default embedding's PCA is fitted on a seeded sample of them, then applied to every row.
PCA_FIT_ROWS = 100_000



def check_scored_pool(n_rows: int, X, labeled, n, order: Literal["C", "F"] = "C"):
    """The checks a strategy that scores ``n_rows`` items and measures distances in ``X`` makes before picking:
    ``X``'s embedding (``prepare_embedding``) with one row per scored item, ``labeled`` positions in the pool and a
    batch ``n`` that the unlabeled items can fill. Returns ``(E, labeled, n)``."""
    E = prepare_embedding(X, order=order)
    if E.shape[0] != n_rows:
        raise ValueError(f"proba has {n_rows} rows but X has {E.shape[0]}; both must describe the same pool")
    labeled = check_indices(labeled, n_rows, name="labeled")
    return E, labeled, check_n(n, n_rows - labeled.size)

def default_embedding(X, max_dims: int = 50, random_state=None) -> np.ndarray:
    """Standardized X; past ``max_dims`` features, its PCA to ``max_dims`` dimensions (fitted on a seeded sample
    of ``PCA_FIT_ROWS`` rows when the pool is larger)."""
    A = check_matrix(X, name="X", dtype=np.float32)
    std = A.std(axis=0, dtype=np.float64)
    std[std == 0] = 1.0
    Z = (A - A.mean(axis=0, dtype=np.float64).astype(np.float32)) / std.astype(np.float32)  # no float64 copy of X
    if Z.shape[1] > max_dims and Z.shape[0] > max_dims:
        rng = check_random_state(random_state)
        pca = PCA(n_components=max_dims, svd_solver="randomized", random_state=int(rng.integers(2**31 - 1)))
        if Z.shape[0] <= PCA_FIT_ROWS:
            Z = pca.fit_transform(Z).astype(np.float32)
        else:  # the axes from a seeded sample are as good, and fitting on 1M rows took 14 s of a first query
            pca.fit(Z[np.sort(rng.choice(Z.shape[0], size=PCA_FIT_ROWS, replace=False))])
            Z = np.concatenate([pca.transform(Z[i:i + PCA_FIT_ROWS]).astype(np.float32)
                                for i in range(0, Z.shape[0], PCA_FIT_ROWS)])
    return np.ascontiguousarray(Z)


class NearestDistance:
    """Squared distance from each row of a prepared embedding to the nearest centre added so far.

    Rows that are centres themselves (or excluded) hold -inf, so argmax and D² sampling never return them.

    Greedy loops add one centre at a time, and one pass over the pool per centre is what they cost. ``prefetch``
    lets them pay one pass for several likely next centres instead: it computes the distance rows of a few
    candidates with one matrix product (sixteen columns cost a few times one column, not sixteen times) and keeps
    them, so a later ``add`` of a prefetched centre is an elementwise ``minimum``. The cache holds
    at most ``max_prefetch`` rows of the pool's length: memory stays O(n).
    """

    def __init__(self, E: np.ndarray):
        self.E = E
        # Distance passes read E feature-major: (d, n) C-order makes c·e for every row one streaming
        # vector-matrix product, an order of magnitude faster than a gemv over short rows of E. An F-ordered E
        # (what prepare_embedding(order="F") returns) is used as is; a C-ordered one is transposed once.
        self.ET = E.T if E.flags.f_contiguous else np.ascontiguousarray(E.T)
        self.sq_norms = np.einsum("ij,ij->j", self.ET, self.ET)
        self.d2 = np.full(E.shape[0], np.inf, dtype=np.float32)
        self.n_centres = 0
        self.max_prefetch = int(max(1, min(_PREFETCH_ROWS, _PREFETCH_ELEMENTS // max(1, E.shape[0]))))
        self._rows: np.ndarray | None = None     # (k, n) float32 ‖e‖² − 2e·c for the prefetched candidates c
        self._row_sq: np.ndarray | None = None   # ‖c‖² of the prefetched candidates
        self._row_of: dict = {}    # pool position -> row in self._rows
        self._scratch: np.ndarray | None = None

    def _partial_rows(self, centres) -> np.ndarray:
        """(len(centres), n) float32 rows of ‖e‖² − 2e·c: the squared distances short of the centre's own ‖c‖²,
        one matrix product per chunk of pool rows (−2 folded into the centres, ‖e‖² added in the same chunk)."""
        centres = np.asarray(centres, dtype=np.intp)
        n = self.E.shape[0]
        out = np.empty((centres.size, n), dtype=np.float32)
        C = self.E[centres] * np.float32(-2.0)
        step = max(1024, _BLOCK_ELEMENTS // max(1, centres.size))
        for r0 in range(0, n, step):
            r1 = min(n, r0 + step)
            np.add(C @ self.ET[:, r0:r1], self.sq_norms[None, r0:r1], out=out[:, r0:r1])
        return out

    def is_prefetched(self, i: int) -> bool:
        return int(i) in self._row_of

    def prefetch(self, candidates) -> None:
        """Compute and keep the distance rows of up to ``max_prefetch`` candidate centres (replacing the cache)."""
        cand = np.asarray(candidates, dtype=np.intp).ravel()
        cand = cand[np.sort(np.unique(cand, return_index=True)[1])][: self.max_prefetch]  # dedupe, keep order
        if cand.size == 0:
            return
        self._rows = self._partial_rows(cand)
        self._row_sq = self.sq_norms[cand]
        self._row_of = {int(c): k for k, c in enumerate(cand.tolist())}

    def add(self, idx) -> None:
        idx = np.atleast_1d(np.asarray(idx, dtype=np.intp))
        if idx.size == 0:
            return
        if idx.size == 1 and int(idx[0]) in self._row_of:
            k = self._row_of[int(idx[0])]
            assert self._rows is not None and self._row_sq is not None   # set with _row_of by prefetch
            if self._scratch is None:
                self._scratch = np.empty_like(self.d2)
            np.add(self._rows[k], self._row_sq[k], out=self._scratch)
            np.maximum(self._scratch, 0.0, out=self._scratch)  # float error can dip just below zero
            np.minimum(self.d2, self._scratch, out=self.d2)
        else:
            n = self.E.shape[0]
            for c0 in range(0, idx.size, 512):
                centres = idx[c0 : c0 + 512]
                rows = max(1024, _BLOCK_ELEMENTS // centres.size)
                C = self.E[centres] * np.float32(-2.0)
                c_sq = self.sq_norms[centres][:, None]
                for r0 in range(0, n, rows):
                    r1 = min(n, r0 + rows)
                    block = C @ self.ET[:, r0:r1]  # (centres, rows): −2c·e
                    block += self.sq_norms[None, r0:r1]
                    block += c_sq
                    nearest = block.min(axis=0)
                    np.maximum(nearest, 0.0, out=nearest)  # float error can dip just below zero
                    np.minimum(self.d2[r0:r1], nearest, out=self.d2[r0:r1])
        self.d2[idx] = -np.inf
        self.n_centres += idx.size

    def exclude(self, idx) -> None:
        """Never pick these rows, without counting them as centres."""
        self.d2[np.asarray(idx, dtype=np.intp)] = -np.inf


def one_blas_thread():
    """Context manager: BLAS on one thread while a greedy loop runs.

    Each pick is a memory-bound pass over the pool; spreading it over BLAS threads gains little and, on a busy
    machine, threads wait on each other (BENCHMARKS.md, Selection speed, reading 3). The limit is process-wide for
    its duration (threadpoolctl), then restored.
    """
    return blas_threads(1)


def argmax_random_ties(values: np.ndarray, rng: np.random.Generator) -> int:
    i = int(np.argmax(values))
    best = values[i]
    ties = np.flatnonzero(values == best)
    return i if ties.size == 1 else int(rng.choice(ties))


def top_candidates(values: np.ndarray, k: int, must: int) -> np.ndarray:
    """``must`` plus the (about) ``k`` largest entries of ``values``: the likely next picks of a greedy loop."""
    k = min(k, values.size)
    if k <= 0:
        return np.asarray([must], dtype=np.intp)
    if k >= values.size:
        cand = np.arange(values.size)
    else:
        cand = np.argpartition(values, values.size - k)[values.size - k :]
    cand = cand[np.isfinite(values[cand])]
    return np.concatenate([[must], cand[cand != must]])


def farthest_first(E: np.ndarray, n: int, selected: np.ndarray, rng: np.random.Generator):
    """Greedy k-center on a prepared embedding. Returns (indices, distance of each pick when it was picked)."""
    with one_blas_thread():
        return _farthest_first(E, n, selected, rng)


def _farthest_first(E, n, selected, rng):
    tracker = NearestDistance(E)
    tracker.add(selected)
    picks = np.empty(n, dtype=np.intp)
    dists = np.empty(n, dtype=np.float64)
    for t in range(n):
        if tracker.n_centres == 0:
            free = np.flatnonzero(tracker.d2 > -np.inf)
            i = int(rng.choice(free))
            dists[t] = np.inf
        else:
            i = argmax_random_ties(tracker.d2, rng)
            dists[t] = float(np.sqrt(tracker.d2[i]))
        picks[t] = i
        if t < n - 1 and not tracker.is_prefetched(i):
            # the farthest rows now are the likeliest next picks: one pass over E serves several of them
            tracker.prefetch(top_candidates(tracker.d2, min(tracker.max_prefetch, n - t) - 1, i))
        tracker.add(i)
    return picks, dists


def k_center(X, n: int, selected=None, random_state=None) -> np.ndarray:
    """Indices of ``n`` rows of X spread out by farthest-point (k-center greedy) selection.

    Each pick is the row farthest from every row chosen so far and every row in ``selected`` (already
    labeled). With nothing selected the first pick is uniformly random. Ties are broken by ``random_state``.
    """
    E = prepare_embedding(X, order="F")
    selected = check_indices(selected, E.shape[0], name="selected")
    n = check_n(n, E.shape[0] - selected.size)
    return farthest_first(E, n, selected, check_random_state(random_state))[0]


def d2_sampling(E: np.ndarray, n: int, selected: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    with one_blas_thread():
        return _d2_sampling(E, n, selected, rng)


def _d2_sampling(E, n, selected, rng):
    tracker = NearestDistance(E)
    tracker.add(selected)
    picks = np.empty(n, dtype=np.intp)
    for t in range(n):
        weights = np.where(tracker.d2 > 0, tracker.d2, 0.0).astype(np.float64)
        if not np.isfinite(weights).all() or weights.sum() <= 0:
            # no centre yet (all inf) or only duplicates of centres left: uniform over what is free
            weights = (tracker.d2 > -np.inf).astype(np.float64)
        i = int(rng.choice(weights.size, p=weights / weights.sum()))
        picks[t] = i
        tracker.add(i)
    return picks


def kmeans_pp(X, n: int, selected=None, random_state=None) -> np.ndarray:
    """Indices of ``n`` rows drawn by k-means++ seeding: each draw with probability ∝ D², the squared
    distance to the nearest row chosen so far or in ``selected``. Seeded by ``random_state``."""
    E = prepare_embedding(X, order="F")
    selected = check_indices(selected, E.shape[0], name="selected")
    n = check_n(n, E.shape[0] - selected.size)
    return d2_sampling(E, n, selected, check_random_state(random_state))


def distance_to_nearest(A: np.ndarray, B: np.ndarray) -> np.ndarray:
    """(len(A),) float64 Euclidean distance from each row of ``A`` to its nearest row of ``B`` (NaN when ``B`` is
    empty): how far a picked item is from everything labeled, in the diversity embedding."""
    if len(B) == 0:
        return np.full(len(A), np.nan)
    d2 = np.einsum("ij,ij->i", A, A)[:, None] - 2.0 * (A @ B.T) + np.einsum("ij,ij->i", B, B)[None, :]
    return np.sqrt(np.maximum(d2.min(axis=1), 0.0)).astype(np.float64)


class KCenter(Strategy):
    """k-center greedy: each pick the item farthest from every labeled and already-picked item in the embedding.

    Kernel: ``pool.kernels["k_center"](pool, n, labeled, rng) -> (idx, distance of each pick)`` when the backend
    has one (the Dask pool: one chunk-wise update and one small reduction per pick); else ``farthest_first`` on
    ``pool.embedding``.
    """

    name = "k_center"

    def select(self, pool, ask):
        kernel = pool.kernels.get("k_center")
        if kernel is not None:
            idx, dist = kernel(pool, ask.n, ask.labeled, ask.rng)
        else:
            idx, dist = farthest_first(np.asarray(pool.embedding), ask.n, ask.labeled, ask.rng)
        return Selection(idx, dist, {"diversity": dist})


class KMeansPP(Strategy):
    """k-means++ seeding: each pick drawn with probability proportional to its squared distance to the nearest
    labeled or already-picked item.

    Kernel: ``pool.kernels["kmeans_pp"](pool, n, labeled, rng) -> idx`` (the Dask pool: per-chunk D² sums, one
    task in the chosen chunk); else ``d2_sampling`` on ``pool.embedding``.
    """

    name = "kmeans_pp"

    def select(self, pool, ask):
        kernel = pool.kernels.get("kmeans_pp")
        if kernel is not None:
            idx = kernel(pool, ask.n, ask.labeled, ask.rng)
        else:
            idx = d2_sampling(np.asarray(pool.embedding), ask.n, ask.labeled, ask.rng)
        dist = pool.distance_to_labeled(idx, ask.labeled)
        return Selection(idx, dist, {"diversity": dist})
