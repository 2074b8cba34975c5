"""Picking the top of a score vector, with ties broken by a seeded generator."""
from __future__ import annotations

import numpy as np


def top_n(scores: np.ndarray, n: int, rng: np.random.Generator, exclude: np.ndarray | None = None) -> np.ndarray:
    """Positions of the ``n`` highest scores, best first, never one in ``exclude``.

    Equal scores are ordered by a random key from ``rng`` so ties do not always favour the lowest index.
    Runs in O(len(scores)) plus O(m log m) over the m candidates at or above the n-th best score.
    """
    scores = np.asarray(scores, dtype=np.float64)
    if exclude is not None and len(exclude):
        scores = scores.copy()
        scores[exclude] = -np.inf
    n_ok = int(np.isfinite(scores).sum()) if exclude is not None and len(exclude) else scores.size
    if n > n_ok:
        raise ValueError(f"asked for {n} items but only {n_ok} can be chosen")
    kth = scores.size - n
    threshold = np.partition(scores, kth)[kth]
    cand = np.flatnonzero(scores >= threshold)
    key = rng.random(cand.size)
    order = np.lexsort((key, -scores[cand]))[:n]
    return cand[order]


def minmax(values: np.ndarray) -> np.ndarray:
    """Scale to [0, 1]; a constant vector becomes all zeros (no information, no NaN)."""
    values = np.asarray(values, dtype=np.float64)
    lo, hi = values.min(), values.max()
    if hi - lo <= 0:
        return np.zeros_like(values)
    return (values - lo) / (hi - lo)
