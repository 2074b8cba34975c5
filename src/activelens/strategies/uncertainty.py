"""Uncertainty sampling scores: proba (n, k) -> scores (n,), higher = more informative.

All three are 0 for a confident one-hot row and maximal for the uniform row. Zero probabilities are fine:
entropy takes the log only where p > 0, so 0·log 0 counts as 0 rather than NaN.
"""
from __future__ import annotations

import numpy as np
from activelens.core.validation import check_proba


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
