"""Input checks shared by the strategies and the learner.

Every check raises a ValueError/TypeError that names the argument, says what was wrong and what to do.
Checks never modify their input; they return a validated copy or view.
"""
from __future__ import annotations

import math
import numbers
import os
from pathlib import Path

import numpy as np
from pandas import NA as _PD_NA   # pandas' missing value: refused wherever a value is needed

# Rows of a probability matrix may drift from 1 by float error; anything beyond this is a real mistake.
PROBA_SUM_ATOL = 1e-4


#: the largest seed scikit-learn takes (2**32 - 1); activelens passes seeds on to it
MAX_SEED = 2 ** 32 - 1


def check_random_state(random_state, name: str = "random_state") -> np.random.Generator:
    """A numpy Generator from None, an int seed in [0, 2**32 - 1], a Generator or a legacy RandomState."""
    if isinstance(random_state, np.random.Generator):
        return random_state
    if isinstance(random_state, (numbers.Integral, np.integer)) and not isinstance(random_state, (bool, np.bool_)):
        return np.random.default_rng(check_scalar(random_state, name, int, low=0, high=MAX_SEED, what="a seed"))
    if random_state is None:
        return np.random.default_rng()
    if isinstance(random_state, np.random.RandomState):
        return np.random.default_rng(random_state.randint(np.iinfo(np.int32).max))
    raise TypeError(
        f"{name} must be None, an int seed or a numpy Generator, got {type(random_state).__name__} {random_state!r:.40}"
    )


#: the largest float32; distances, embeddings and the map are computed in float32
FLOAT32_MAX = float(np.finfo(np.float32).max)


def check_matrix(X, name: str = "X", dtype=np.float64, min_rows: int = 1, float32_range: bool = False) -> np.ndarray:
    """A finite 2-D real array with at least ``min_rows`` rows.

    With ``float32_range`` (or ``dtype=np.float32``) every value must also fit in float32, where activelens measures
    distances and draws the map. Complex input is refused (its imaginary part would be lost silently).
    """
    if hasattr(X, "to_numpy"):  # pandas
        X = X.to_numpy()
    if _ragged(X):
        raise ValueError(f"{name} is ragged (its rows have different lengths); give every row the same number of "
                         "features")
    if np.iscomplexobj(X):
        raise TypeError(f"{name} holds complex numbers; activelens needs real features. Pass {name}.real, "
                        f"np.abs({name}), or both as separate columns (np.hstack([{name}.real, {name}.imag]))")
    try:
        with np.errstate(over="ignore", invalid="ignore"):  # an overflow in the cast is reported below, by value
            arr = np.asarray(X, dtype=dtype)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name} must be a numeric 2-D array; it could not be converted: {exc}") from None
    if arr.ndim != 2:
        raise ValueError(f"{name} must be 2-D (n_samples, n_features), got an array of shape {arr.shape}")
    if arr.shape[0] < min_rows:
        raise ValueError(f"{name} is empty: it has {arr.shape[0]} rows, at least {min_rows} needed")
    if arr.shape[1] == 0:
        raise ValueError(f"{name} has no columns (shape {arr.shape})")
    # min and max: NaN and infinity propagate into them, and they give the range, without a boolean copy of X
    lo, hi = (float(arr.min()), float(arr.max())) if arr.dtype.kind == "f" else (0.0, 0.0)
    if not (np.isfinite(lo) and np.isfinite(hi)):
        bad = tuple(np.argwhere(~np.isfinite(arr))[0])
        source = np.asarray(X)
        original = source[bad] if source.shape == arr.shape else np.nan
        if source.dtype.kind in "fiu" and np.isfinite(original):
            raise _float32_range_error(name, original, bad)
        raise ValueError(
            f"{name} contains NaN or infinity (first at row {bad[0]}, column {bad[1]}); "
            "impute or drop those values first"
        )
    if float32_range and max(-lo, hi) > FLOAT32_MAX:
        bad = tuple(np.argwhere(np.abs(arr) > FLOAT32_MAX)[0])
        raise _float32_range_error(name, arr[bad], bad)
    return arr


def _ragged(values) -> bool:
    """Whether ``values`` is a nested list or tuple whose rows have different lengths (numpy refuses those)."""
    if not isinstance(values, (list, tuple)) or not values:
        return False
    lengths = {len(v) if isinstance(v, (list, tuple, np.ndarray)) else -1 for v in values}
    return len(lengths) > 1


def _float32_range_error(name, value, where) -> ValueError:
    return ValueError(
        f"{name} holds {float(value):.4g} (row {where[0]}, column {where[1]}), beyond float32's range "
        f"(±{FLOAT32_MAX:.3g}); activelens measures distances and draws the map in float32. Rescale {name} "
        "(e.g. sklearn's StandardScaler, or divide by a constant) before passing it"
    )


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


#: the range of a stored or numpy integer: a larger int would overflow the database driver or numpy
INT64_MIN, INT64_MAX = -(2 ** 63), 2 ** 63 - 1


def check_scalar(value, name: str, kind: type = int, *, low=None, high=None, include_low: bool = True,
                 include_high: bool = True, allow_none: bool = False, what: str = ""):
    """One int or float setting, checked the way every public argument of activelens is (scikit-learn's
    ``check_scalar`` in spirit): the type, then the range, with a message that names the argument.

    Parameters
    ----------
    value : object
        What the caller passed.
    name : str
        The argument's name, as the caller spelt it.
    kind : {int, float}, default=int
        ``int`` accepts Python and numpy integers (never bool); ``float`` accepts those and finite reals.
    low, high : number, optional
        The range; ``include_low`` / ``include_high`` say whether the ends are allowed.
    allow_none : bool, default=False
        Whether None is a valid answer (returned as is).
    what : str, optional
        What the number means, added to the message ("BLAS threads for the fit").

    Returns
    -------
    int or float
        ``value`` as a plain Python number.

    Raises
    ------
    TypeError
        ``value`` is not a number of ``kind``.
    ValueError
        ``value`` is outside the range (or not finite).
    """
    if value is None and allow_none:
        return None
    if kind is int:
        ok = isinstance(value, (numbers.Integral, np.integer)) and not isinstance(value, (bool, np.bool_))
    else:
        ok = isinstance(value, (numbers.Real, np.integer, np.floating)) and not isinstance(value, (bool, np.bool_))
    described = _describe_scalar(kind, low, high, include_low, include_high) + (f" ({what})" if what else "")
    or_none = " or None" if allow_none else ""
    if not ok:
        raise TypeError(f"{name} must be {described}{or_none}, got {value!r}")
    value = kind(value)
    if kind is int and not INT64_MIN <= int(value) <= INT64_MAX:
        raise ValueError(f"{name} must be {described}{or_none} that fits in 64 bits, got {value!r}")
    if kind is float and not math.isfinite(value):
        raise ValueError(f"{name} must be {described}{or_none}, got {value!r}")
    too_low = low is not None and (value < low if include_low else value <= low)
    too_high = high is not None and (value > high if include_high else value >= high)
    if too_low or too_high:
        raise ValueError(f"{name} must be {described}{or_none}, got {value!r}")
    return value


def _describe_scalar(kind, low, high, include_low, include_high) -> str:
    noun = "an int" if kind is int else "a number"
    if kind is int and low == 1 and include_low and high is None:
        return "a positive int"
    if kind is int and low == 0 and include_low and high is None:
        return "a non-negative int"
    if low is not None and high is not None:
        return f"{noun} with {low} {'<=' if include_low else '<'} value {'<=' if include_high else '<'} {high}"
    if low is not None:
        return f"{noun} {'>=' if include_low else '>'} {low}"
    if high is not None:
        return f"{noun} {'<=' if include_high else '<'} {high}"
    return noun


def check_n(n, available: int, name: str = "n") -> int:
    """A batch size that is a positive int and no larger than what is left to pick from."""
    n = check_scalar(n, name, int, low=1)
    if n > available:
        raise ValueError(
            f"{name}={n} is larger than the {available} items left to choose from; ask for at most {available}"
        )
    return n


def check_indices(indices, n_pool: int | None, name: str = "indices", allow_duplicates: bool = False) -> np.ndarray:
    """1-D int positions into a pool of ``n_pool`` items (``None``: a pool of unknown size, only negatives are out).

    Integral floats (``3.0``) are taken as the ints they are; fractions, NaN, a boolean mask and repeated positions
    (unless ``allow_duplicates``) are refused, and a position outside the pool raises IndexError.
    """
    if indices is None:
        return np.empty(0, dtype=np.intp)
    if isinstance(indices, (str, bytes, dict, set, frozenset)) or indices is _PD_NA:
        raise TypeError(f"{name} must be integer positions into the pool (a list or array of ints), got "
                        f"{type(indices).__name__} {indices!r:.40}")
    if _ragged(indices):
        raise ValueError(f"{name} must be 1-D positions into the pool, got nested lists of different lengths")
    try:
        arr = np.asarray(indices)
    except (TypeError, ValueError, OverflowError):
        raise TypeError(f"{name} must be integer positions into the pool, got {indices!r:.60}") from None
    if arr.ndim == 0:
        arr = arr.reshape(1)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be 1-D positions into the pool, got shape {arr.shape}")
    if arr.size == 0:
        return np.empty(0, dtype=np.intp)
    if arr.dtype == bool:
        raise TypeError(f"{name} must be integer positions, not a boolean mask; use np.flatnonzero(mask)")
    if not np.issubdtype(arr.dtype, np.integer):
        whole = np.issubdtype(arr.dtype, np.floating) and np.abs(arr).max() < 2.0 ** 62 and bool(np.isfinite(arr).all()) and bool((arr == np.round(arr)).all())
        if not whole:
            raise TypeError(f"{name} must be integer positions into the pool, got {arr[:4].tolist()!r:.60} (dtype "
                            f"{arr.dtype}); positions are whole numbers")
        arr = arr.astype(np.int64)
    arr = arr.astype(np.intp, copy=False)
    bad = (arr < 0) if n_pool is None else (arr < 0) | (arr >= n_pool)
    if bad.any():
        valid = "positions count from 0" if n_pool is None else f"valid: 0..{n_pool - 1}"
        size = "" if n_pool is None else f" for a pool of {n_pool} items"
        raise IndexError(f"{name} holds {int(arr[bad][0])}, out of range{size} ({valid})")
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




# ----- names and paths -----

def check_name(value, name: str, *, allow_none: bool = False, what: str = "a name") -> str | None:
    """A name (an annotator, a strategy, a source): a non-empty string without NUL characters.

    The one check of every name users pass, so the learner, the queue and the store agree on what a name is (a NUL
    character would be cut by C libraries and refused by PostgreSQL).
    """
    if value is None and allow_none:
        return None
    if not isinstance(value, str):
        raise TypeError(f"{name} must be {what}, a non-empty string{' or None' if allow_none else ''}, got "
                        f"{type(value).__name__} {value!r:.40}")
    if not value.strip():
        raise ValueError(f"{name} must be {what}, a non-empty string, got {value!r}")
    if "\x00" in value:
        raise ValueError(f"{name} holds a NUL character (\\x00) in {value!r:.40}; remove it")
    return value


def check_path(path, name: str, *, must_exist: bool = False, file: bool = True) -> Path:
    """A file path (str or os.PathLike) as a Path: no NUL character, not a directory when a file is wanted, and with a
    folder that exists (``must_exist``: the file itself exists and can be read)."""
    if not isinstance(path, (str, os.PathLike)) or isinstance(path, bytes):
        raise TypeError(f"{name} must be a file path (a str or pathlib.Path), got {type(path).__name__} {path!r:.40}")
    text = os.fspath(path)
    if not text:
        raise ValueError(f"{name} is an empty path; give a file name")
    if "\x00" in text:
        raise ValueError(f"{name} {text!r:.60} holds a NUL character (\\x00); remove it")
    p = Path(text).expanduser()
    if file and p.is_dir():
        raise IsADirectoryError(f"{name} {text!r} is a directory; give a file in it, e.g. {str(p / 'labels.db')!r}")
    if must_exist:
        if not p.exists():
            raise FileNotFoundError(f"{name} {text!r} does not exist")
        if not os.access(p, os.R_OK):
            raise PermissionError(f"{name} {text!r} cannot be read (permission denied); check its permissions")
    elif not p.resolve().parent.is_dir():
        raise FileNotFoundError(f"{name} {text!r}: the folder {str(p.resolve().parent)!r} does not exist; create it "
                                "first")
    return p


# ----- ids -----

def check_ids(ids, name: str = "ids") -> list:
    """Item ids as a list: a 1-D sequence of hashable values, none of them missing (None, NaN, pd.NA)."""
    if isinstance(ids, (str, bytes, dict, set, frozenset)) or not hasattr(ids, "__iter__"):
        raise TypeError(f"{name} must be a sequence of ids (a list, array or pandas Index), got {type(ids).__name__} "
                        f"{ids!r:.40}")
    if isinstance(ids, np.ndarray) and ids.ndim != 1:
        raise ValueError(f"{name} must be 1-D, one id per item, got an array of shape {ids.shape}")
    if getattr(ids, "nlevels", 1) > 1:   # a pandas MultiIndex
        raise TypeError(f"{name} is a pandas MultiIndex ({ids.nlevels} levels); ids are one value per item: pass "
                        "ids=[\"/\".join(map(str, key)) for key in X.index], or one level (ids=X.index.get_level_values(0))")
    kind = getattr(getattr(ids, "dtype", None), "kind", "O")
    if kind in "iubMm":   # numbers and dates: hashable and never missing
        return ids
    if kind == "f":
        missing = np.flatnonzero(np.isnan(np.asarray(ids, dtype=np.float64)))
        if missing.size:
            raise ValueError(f"{name}[{int(missing[0])}] is missing (NaN); every item needs an id")
        return ids
    values = list(ids)
    for k, v in enumerate(values):
        try:
            hash(v)
        except TypeError:
            raise TypeError(f"{name}[{k}] is {type(v).__name__} {v!r:.40}, which cannot be an id (not hashable); use "
                            "strings or numbers") from None
        if v is None or v is _PD_NA or (isinstance(v, float) and math.isnan(v)):
            raise ValueError(f"{name}[{k}] is missing ({v!r}); every item needs an id")
        if isinstance(v, str) and "\x00" in v:
            raise ValueError(f"{name}[{k}] {v!r:.40} holds a NUL character (\\x00), which a database cannot store; "
                             "remove it")
    return values


# ----- labels and classes -----

def label_kind(value) -> str:
    """The kind of a class label: "strings", "numbers", "bool" (a store and a model need one kind throughout)."""
    if isinstance(value, str):
        return "strings"
    if isinstance(value, (bool, np.bool_)):
        return "bool"
    if isinstance(value, (numbers.Number, np.number)):
        return "numbers"
    return type(value).__name__


def check_label(value, name: str = "label"):
    """One class label as a plain Python value: a string, a number or a bool (a numpy scalar becomes its Python value).

    Containers (lists, tuples, dicts, arrays) are refused: a model cannot use them as a class, and a store would give
    a tuple back as a list. None and NaN are refused: they mean "no label".
    """
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value[()]
    if isinstance(value, np.generic):
        value = value.item()
    if value is None or (isinstance(value, float) and not np.isfinite(value)):
        raise ValueError(f"{name} must not be None or NaN, nor infinite (got {value!r}); give a class label, or leave "
                         "the item unlabeled")
    if value is _PD_NA:
        raise ValueError(f"{name} must not be pd.NA (a missing value); give a class label, or leave the item unlabeled")
    if isinstance(value, str):
        if not value.strip() or "\x00" in value:
            raise ValueError(f"{name} must be a visible class name, got {value!r:.40} (empty, blank or holding a NUL "
                             "character); name the class")
        return value
    if isinstance(value, numbers.Integral) and not isinstance(value, bool) and not INT64_MIN <= int(value) <= INT64_MAX:
        raise ValueError(f"{name} {value} does not fit in 64 bits; use a smaller number or a string for the class")
    if isinstance(value, (bool, numbers.Integral, numbers.Real)) and not isinstance(value, complex):
        return value
    if isinstance(value, (list, tuple, dict, set, np.ndarray)):
        what = f"an array of shape {value.shape}" if isinstance(value, np.ndarray) else f"a {type(value).__name__}"
        raise TypeError(f"{name} is {what} ({value!r:.60}); a class label is one value, a string or a number. "
                        "If each label came wrapped (an (n, 1) column, [[0], [1]]), flatten them with np.ravel")
    raise TypeError(f"{name} must be a class label (a string or a number), got {type(value).__name__} {value!r:.60}")


def check_labels(labels, name: str = "labels") -> list:
    """Class labels as a list of plain Python values (``check_label`` for each); one value counts as one label.

    A 2-D array (an (n, 1) column), a dict or a set is refused with the fix, never flattened or iterated silently.
    """
    if hasattr(labels, "to_numpy") and not isinstance(labels, np.ndarray):  # pandas
        if getattr(labels, "ndim", 1) != 1:
            raise ValueError(f"{name} must be 1-D, one label per index; got a table of shape {labels.shape}: pass "
                             "one column")
        labels = labels.to_numpy()
    if isinstance(labels, (dict, set, frozenset)):
        raise TypeError(f"{name} must be a sequence of labels in the order of the indices, got a "
                        f"{type(labels).__name__}; pass a list (e.g. [d[i] for i in indices])")
    if isinstance(labels, np.ndarray):
        if labels.ndim == 0:
            return [check_label(labels, name)]
        if labels.ndim != 1:
            raise ValueError(f"{name} must be 1-D, one label per index; got an array of shape {labels.shape}. "
                             f"For an (n, 1) column pass {name}.ravel()")
        if labels.dtype.kind in "iub":
            return labels.tolist()
        if labels.dtype.kind == "f" and np.isfinite(labels).all():
            return labels.tolist()
        labels = labels.tolist()
    elif isinstance(labels, (str, bytes)) or np.isscalar(labels) or labels is None:
        return [check_label(labels, name)]
    elif not hasattr(labels, "__iter__"):
        return [check_label(labels, name)]
    return [check_label(v, f"{name}[{k}]") for k, v in enumerate(labels)]


def check_classes(classes, name: str = "classes") -> np.ndarray:
    """Declared classes: a non-empty ordered sequence of unique class labels of one kind (all strings, or all numbers).

    A string is refused (``classes="abc"`` is not three classes), and so is a set (its order is arbitrary, and the
    order of the classes is the order of the probability columns).
    """
    if isinstance(classes, (str, bytes)):
        raise TypeError(f"{name} must be a list of class labels, got the string {classes!r}; write {name}=[{classes!r}] "
                        f"for one class, or {name}=list({classes!r}) for one class per character")
    if isinstance(classes, (set, frozenset, dict)):
        raise TypeError(f"{name} must be an ordered sequence (the order of the probability columns), got a "
                        f"{type(classes).__name__}; pass sorted({name}) or a list")
    if isinstance(classes, np.ndarray) and classes.ndim != 1:
        raise ValueError(f"{name} must be a 1-D list of class labels, got an array of shape {classes.shape}")
    if not hasattr(classes, "__iter__"):
        raise TypeError(f"{name} must be a list of class labels, got {type(classes).__name__} {classes!r:.60}")
    values = check_labels(list(classes), name=name)
    if not values:
        raise ValueError(f"{name} must be a non-empty list of class labels, got {list(values)}")
    kinds = sorted({label_kind(v) for v in values})
    if len(kinds) > 1:
        raise TypeError(f"{name} mixes {' and '.join(kinds)} ({values!r:.80}); a label taught as 2 and one taught as "
                        "'2' would be different classes. Use one type for every class")
    seen = set()
    for v in values:
        if v in seen:
            raise ValueError(f"{name} must be unique, got {v!r} twice in {values!r:.80}")
        seen.add(v)
    return np.asarray(values)


def label_mismatch(value, classes=None, kind: str | None = None) -> str | None:
    """Why a checked label does not fit: not one of ``classes``, or not of the ``kind`` of the labels held already.
    None when it fits."""
    if classes is not None:
        known = classes.tolist() if isinstance(classes, np.ndarray) else list(classes)
        if value not in known or label_kind(value) != label_kind(known[0]):
            return f"unknown class {value!r}; declared classes are {sorted(known, key=str)}"
    if kind is not None and label_kind(value) != kind:
        one = {"strings": "a string", "numbers": "a number", "bool": "a bool"}.get(label_kind(value), label_kind(value))
        return f"label {value!r} is {one}, but the labels held already are {kind}; use one type for every label"
    return None


def check_label_type(labels, held, classes=None, name: str = "labels") -> None:
    """Refuse new ``labels`` that would give the learner two types of label: strings mixed with numbers, or (without
    declared ``classes``) a fractional number, which scikit-learn reads as a regression target and which would jam
    every later fit. ``held`` is one label held already (or None)."""
    kinds = {label_kind(v) for v in labels} | ({label_kind(held)} if held is not None else set())
    if len(kinds) > 1:
        raise TypeError(f"{name} mix {' and '.join(sorted(kinds))}; use one type for every label")
    if classes is None:
        for v in labels:
            if isinstance(v, float) and not v.is_integer():
                raise TypeError(f"{name} holds {v!r}, not a whole number: a classifier reads fractional numbers as a "
                                "regression target and every later fit would fail. Use whole numbers or strings for "
                                "classes, or declare them with classes=")
