"""Uncertainty sampling: scores proba (n, k) -> scores (n,), higher = more informative, and the ``Uncertainty``
strategy (the top-n of one of them).

All three are 0 for a confident one-hot row and maximal for the uniform row. Zero probabilities are fine:
entropy takes the log only where p > 0, so 0·log 0 counts as 0 rather than NaN.
"""
from __future__ import annotations

import numpy as np

from activelens.core.validation import check_proba
from activelens.strategies.base import Strategy, strategy_name, with_distance


def entropy(proba) -> np.ndarray:
    """Shannon entropy of each row, in nats: ``-sum_k p_k log p_k``."""
    p = check_proba(proba)
    logp = np.log(p, where=p > 0, out=np.zeros_like(p))
    return -np.einsum("ij,ij->i", p, logp).astype(np.float64, copy=False)


def margin(proba) -> np.ndarray:
    """One minus the gap between the two most likely classes (a small gap = an uncertain item)."""
    p = check_proba(proba)
    if p.shape[1] == 1:
        return np.zeros(p.shape[0])
    top2 = np.partition(p, -2, axis=1)[:, -2:]
    return (1.0 - (top2[:, 1] - top2[:, 0])).astype(np.float64, copy=False)


def least_confidence(proba) -> np.ndarray:
    """One minus the probability of the most likely class."""
    p = check_proba(proba)
    return (1.0 - p.max(axis=1)).astype(np.float64, copy=False)


UNCERTAINTY_MEASURES = {"entropy": entropy, "margin": margin, "least_confidence": least_confidence}


def uncertainty_measure(name_or_func):
    """Resolve a measure by name, or accept a callable proba -> scores."""
    if callable(name_or_func):
        return name_or_func
    try:
        return UNCERTAINTY_MEASURES[name_or_func]
    except (KeyError, TypeError):
        raise ValueError(
            f"unknown uncertainty measure {name_or_func!r}; use one of {sorted(UNCERTAINTY_MEASURES)} or a callable"
        ) from None


class Uncertainty(Strategy):
    """The ``n`` most uncertain items under the model: the top-n of ``measure``.

    Composed from ``pool.scores``, ``pool.top_n`` and ``pool.distance_to_labeled``; no kernel.

    Parameters
    ----------
    measure : {"entropy", "margin", "least_confidence"} or callable, default="margin"
        A name of ``UNCERTAINTY_MEASURES``, or a callable proba (n, k) -> scores (n,), higher = more informative.
    name : str, optional
        The name recorded in the history (default: the measure's name, or the callable's ``__name__``).
    """

    def __init__(self, measure="margin", name=None):
        uncertainty_measure(measure)   # an unknown name fails here, at construction
        self.measure = measure
        self.name = name or strategy_name(measure)

    def _params(self) -> dict:
        return {"measure": self.measure}

    def select(self, pool, ask):
        u = pool.scores(ask.model, ask.classes, self.measure)
        idx, su, rows = pool.top_n(u, ask.n, ask.rng, exclude=ask.labeled)
        return with_distance(pool, idx, su, ask.labeled, rows)
