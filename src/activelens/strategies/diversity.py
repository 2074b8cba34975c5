"""Diversity sampling: farthest-point (k-center greedy) and k-means++ style D² sampling.

Both keep one vector: the squared distance from every pool row to its nearest chosen or labeled row.
Adding a centre updates that vector with one chunked matrix product, so memory is O(n) plus a bounded
scratch block, never an n×n matrix, and all arithmetic is float32.
"""
from __future__ import annotations

import numpy as np
from sklearn.decomposition import PCA

from .._validation import check_indices, check_matrix, check_n, check_random_state

# Scratch budget for one distance block (rows × centres), in float32 elements: 4M elements = 16 MB.
_BLOCK_ELEMENTS = 1 << 22


def prepare_embedding(X, name: str = "X") -> np.ndarray:
    """Centred float32 C-contiguous copy: centring keeps ‖a‖²−2a·b+‖b‖² accurate in float32."""
    E = check_matrix(X, name=name, dtype=np.float32)
    E = np.array(E, dtype=np.float32, order="C", copy=True)
    E -= E.mean(axis=0, dtype=np.float64).astype(np.float32)
    return E


def default_embedding(X, max_dims: int = 50, random_state=None) -> np.ndarray:
    """Standardized X; past ``max_dims`` features, its PCA to ``max_dims`` dimensions."""
    A = check_matrix(X, name="X", dtype=np.float32)
    std = A.std(axis=0, dtype=np.float64)
    std[std == 0] = 1.0
    Z = ((A - A.mean(axis=0, dtype=np.float64)) / std).astype(np.float32)
    if Z.shape[1] > max_dims and Z.shape[0] > max_dims:
        seed = int(check_random_state(random_state).integers(2**31 - 1))
        Z = PCA(n_components=max_dims, svd_solver="randomized", random_state=seed).fit_transform(Z).astype(np.float32)
    return np.ascontiguousarray(Z)


class NearestDistance:
    """Squared distance from each row of a prepared embedding to the nearest centre added so far.

    Rows that are centres themselves (or excluded) hold -inf, so argmax and D² sampling never return them.
    """

    def __init__(self, E: np.ndarray):
        self.E = E
        self.sq_norms = np.einsum("ij,ij->i", E, E)
        self.d2 = np.full(E.shape[0], np.inf, dtype=np.float32)
        self.n_centres = 0

    def add(self, idx) -> None:
        idx = np.atleast_1d(np.asarray(idx, dtype=np.intp))
        if idx.size == 0:
            return
        n = self.E.shape[0]
        for c0 in range(0, idx.size, 512):
            centres = idx[c0 : c0 + 512]
            C = self.E[centres]
            c_sq = self.sq_norms[centres]
            rows = max(1, _BLOCK_ELEMENTS // centres.size)
            for r0 in range(0, n, rows):
                r1 = min(n, r0 + rows)
                block = self.E[r0:r1] @ C.T  # (rows, centres)
                block *= -2.0
                block += self.sq_norms[r0:r1, None]
                block += c_sq[None, :]
                nearest = block.min(axis=1)
                np.maximum(nearest, 0.0, out=nearest)  # float error can dip just below zero
                np.minimum(self.d2[r0:r1], nearest, out=self.d2[r0:r1])
        self.d2[idx] = -np.inf
        self.n_centres += idx.size

    def exclude(self, idx) -> None:
        """Never pick these rows, without counting them as centres."""
        self.d2[np.asarray(idx, dtype=np.intp)] = -np.inf


def argmax_random_ties(values: np.ndarray, rng: np.random.Generator) -> int:
    best = values.max()
    ties = np.flatnonzero(values == best)
    return int(ties[0] if ties.size == 1 else rng.choice(ties))


def farthest_first(E: np.ndarray, n: int, selected: np.ndarray, rng: np.random.Generator):
    """Greedy k-center on a prepared embedding. Returns (indices, distance of each pick when it was picked)."""
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
        tracker.add(i)
    return picks, dists


def k_center(X, n: int, selected=None, random_state=None) -> np.ndarray:
    """Indices of ``n`` rows of X spread out by farthest-point (k-center greedy) selection.

    Each pick is the row farthest from every row chosen so far and every row in ``selected`` (already
    labeled). With nothing selected the first pick is uniformly random. Ties are broken by ``random_state``.
    """
    E = prepare_embedding(X)
    selected = check_indices(selected, E.shape[0], name="selected")
    n = check_n(n, E.shape[0] - selected.size)
    return farthest_first(E, n, selected, check_random_state(random_state))[0]


def d2_sampling(E: np.ndarray, n: int, selected: np.ndarray, rng: np.random.Generator) -> np.ndarray:
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
    E = prepare_embedding(X)
    selected = check_indices(selected, E.shape[0], name="selected")
    n = check_n(n, E.shape[0] - selected.size)
    return d2_sampling(E, n, selected, check_random_state(random_state))
