"""Input checks shared by the strategies and the learner.

Every check raises a ValueError/TypeError that names the argument, says what was wrong and what to do.
Checks never modify their input; they return a validated copy or view.
"""
from __future__ import annotations

import numbers

import numpy as np

# Rows of a probability matrix may drift from 1 by float error; anything beyond this is a real mistake.
PROBA_SUM_ATOL = 1e-4


def check_random_state(random_state) -> np.random.Generator:
    """A numpy Generator from None, an int, a Generator or a legacy RandomState."""
    if isinstance(random_state, np.random.Generator):
        return random_state
    if random_state is None or isinstance(random_state, (numbers.Integral, np.integer)):
        return np.random.default_rng(random_state)
    if isinstance(random_state, np.random.RandomState):
        return np.random.default_rng(random_state.randint(np.iinfo(np.int32).max))
    raise TypeError(
        f"random_state must be None, an int or a numpy Generator, got {type(random_state).__name__}"
    )


def check_matrix(X, name: str = "X", dtype=np.float64, min_rows: int = 1) -> np.ndarray:
    """A finite 2-D numeric array with at least ``min_rows`` rows."""
    if hasattr(X, "to_numpy"):  # pandas
        X = X.to_numpy()
    try:
        arr = np.asarray(X, dtype=dtype)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name} must be a numeric 2-D array; it could not be converted: {exc}") from None
    if arr.ndim != 2:
        raise ValueError(f"{name} must be 2-D (n_samples, n_features), got an array of shape {arr.shape}")
    if arr.shape[0] < min_rows:
        raise ValueError(f"{name} is empty: it has {arr.shape[0]} rows, at least {min_rows} needed")
    if arr.shape[1] == 0:
        raise ValueError(f"{name} has no columns (shape {arr.shape})")
    if not np.isfinite(arr).all():
        bad = np.argwhere(~np.isfinite(arr))[0]
        raise ValueError(
            f"{name} contains NaN or infinity (first at row {bad[0]}, column {bad[1]}); "
            "impute or drop those values first"
        )
    return arr


def check_proba(proba, name: str = "proba") -> np.ndarray:
    """A (n, k) matrix of class probabilities: finite, in [0, 1], rows summing to 1.

    Two passes over the matrix, row sums (a matrix-vector product) and the minimum: a NaN or infinity makes its
    row sum non-finite, and with every value ≥ 0 and every row summing to 1 no value can exceed 1, so neither
    needs a pass of its own. Float input keeps its dtype; the input is never modified.
    """
    if hasattr(proba, "to_numpy"):
        proba = proba.to_numpy()
    p = np.asarray(proba)
    if p.dtype.kind != "f":
        try:
            p = p.astype(np.float64)
        except (TypeError, ValueError):
            raise TypeError(f"{name} must be a numeric (n_samples, n_classes) array, got dtype {p.dtype}") from None
    if p.ndim != 2:
        raise ValueError(f"{name} must be 2-D (n_samples, n_classes), got shape {p.shape}")
    if p.shape[1] == 0:
        raise ValueError(f"{name} has no class columns (shape {p.shape})")
    if p.shape[0] == 0:
        return p
    sums = (p @ np.ones(p.shape[1], dtype=p.dtype)).astype(np.float64, copy=False)
    if not np.isfinite(sums).all():
        row = int(np.flatnonzero(~np.isfinite(p).all(axis=1))[0])
        raise ValueError(f"{name} contains NaN or infinity (first in row {row}); check the model's output")
    lo = float(p.min())
    if lo < -PROBA_SUM_ATOL:
        raise ValueError(f"{name} must hold probabilities in [0, 1]; found values from {lo:.4g} to {float(p.max()):.4g}")
    off = np.abs(sums - 1.0) > PROBA_SUM_ATOL
    if off.any():
        row = int(np.flatnonzero(off)[0])
        raise ValueError(
            f"{name} rows must sum to 1; row {row} sums to {sums[row]:.6g}. "
            "Pass predict_proba output, or apply a softmax to decision scores"
        )
    if lo < 0:  # float dust just below 0 (and so just above 1 elsewhere in its row)
        p = np.clip(p, 0.0, 1.0)
    return p


def check_n(n, available: int, name: str = "n") -> int:
    """A batch size that is a positive int and no larger than what is left to pick from."""
    if isinstance(n, bool) or not isinstance(n, (numbers.Integral, np.integer)):
        raise TypeError(f"{name} must be a positive int, got {n!r}")
    n = int(n)
    if n < 1:
        raise ValueError(f"{name} must be at least 1, got {n}")
    if n > available:
        raise ValueError(
            f"{name}={n} is larger than the {available} items left to choose from; ask for at most {available}"
        )
    return n


def check_indices(indices, n_pool: int, name: str = "indices", allow_duplicates: bool = False) -> np.ndarray:
    """1-D int positions into a pool of ``n_pool`` items."""
    if indices is None:
        return np.empty(0, dtype=np.intp)
    arr = np.asarray(indices)
    if arr.ndim == 0:
        arr = arr.reshape(1)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be 1-D positions into the pool, got shape {arr.shape}")
    if arr.size == 0:
        return np.empty(0, dtype=np.intp)
    if arr.dtype == bool:
        raise TypeError(f"{name} must be integer positions, not a boolean mask; use np.flatnonzero(mask)")
    if not np.issubdtype(arr.dtype, np.integer):
        as_int = arr.astype(np.int64, copy=False) if np.issubdtype(arr.dtype, np.floating) else None
        if as_int is None or not np.array_equal(as_int, arr):
            raise TypeError(f"{name} must be integer positions into the pool, got dtype {arr.dtype}")
        arr = as_int
    arr = arr.astype(np.intp, copy=False)
    bad = (arr < 0) | (arr >= n_pool)
    if bad.any():
        raise IndexError(
            f"{name} holds {int(arr[bad][0])}, out of range for a pool of {n_pool} items (valid: 0..{n_pool - 1})"
        )
    if not allow_duplicates and np.unique(arr).size != arr.size:
        vals, counts = np.unique(arr, return_counts=True)
        raise ValueError(f"{name} repeats position {int(vals[counts > 1][0])}; each item may appear once")
    return arr


def check_weight(weight, name: str = "weight") -> float:
    try:
        w = float(weight)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be a number in [0, 1], got {weight!r}") from None
    if not (0.0 <= w <= 1.0):
        raise ValueError(f"{name} must be in [0, 1], got {w}")
    return w
