"""Datasets for simulations: those that ship inside scikit-learn, or a CSV/Parquet file the user names.
Nothing is ever downloaded."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from sklearn import datasets as skd

BUNDLED = {
    "digits": skd.load_digits,
    "breast_cancer": skd.load_breast_cancer,
    "wine": skd.load_wine,
    "iris": skd.load_iris,
}


def load_dataset(name: str, target: str | None = None):
    """(X, y) for a bundled dataset name, or for a .csv/.parquet file whose ``target`` column (default the
    last) holds the labels and whose other columns are numeric features."""
    if name in BUNDLED:
        X, y = BUNDLED[name](return_X_y=True)
        return X.astype(np.float64), y
    path = Path(name)
    if not path.exists():
        raise ValueError(f"dataset {name!r} is neither one of {sorted(BUNDLED)} nor an existing file")
    if path.suffix.lower() == ".csv":
        try:
            frame = pd.read_csv(path)
        except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
            raise ValueError(f"dataset file {name!r} could not be read as CSV ({exc}); check it is a comma-separated "
                             "table with a header row") from None
    elif path.suffix.lower() in (".parquet", ".pq"):
        try:
            frame = pd.read_parquet(path)
        except ImportError:
            raise ValueError(f"reading {name!r} needs a Parquet engine, and neither pyarrow nor fastparquet is "
                             "installed: pip install pyarrow, or save the table as .csv") from None
        except (OSError, ValueError) as exc:
            raise ValueError(f"dataset file {name!r} could not be read as Parquet ({exc})") from None
    else:
        raise ValueError(f"dataset file {name!r} must be .csv or .parquet")
    if frame.shape[1] < 2:
        raise ValueError(f"dataset file {name!r} has {frame.shape[1]} column(s); it needs feature columns and a "
                         "target column")
    target = target or frame.columns[-1]
    if target not in frame.columns:
        raise ValueError(f"target column {target!r} is not in {name}; columns are {list(frame.columns)}")
    features = frame.drop(columns=[target])
    non_numeric = [c for c in features.columns if not pd.api.types.is_numeric_dtype(features[c])]
    if non_numeric:
        raise ValueError(f"feature columns must be numeric; {non_numeric} are not (encode or drop them)")
    missing = features.isna().to_numpy()
    if missing.any():
        row, col = (int(v) for v in np.argwhere(missing)[0])
        raise ValueError(f"feature column {features.columns[col]!r} of {name} has {int(missing[:, col].sum())} missing "
                         f"value(s) (first at row {row}); impute them or drop those rows")
    y = frame[target]
    if y.isna().any():
        rows = np.flatnonzero(y.isna().to_numpy())
        raise ValueError(f"target column {target!r} of {name} has {rows.size} missing label(s) (first at row "
                         f"{int(rows[0])}); drop those rows, or label them")
    return features.to_numpy(dtype=np.float64), y.to_numpy()


# scipy sub-packages whose docstrings make the text dataset (each with enough documented functions)
SCIPY_TOPICS = ("stats", "special", "signal", "linalg", "optimize", "ndimage", "interpolate", "sparse", "fft",
                "integrate", "spatial")


def load_scipy_docstrings(max_chars: int = 600):
    """A text classification dataset that ships inside an installed package: the summary of each documented
    public function or class in scipy's sub-packages (the docstring up to its Parameters section), labeled by
    the sub-package it belongs to ("stats", "signal", …). About 1,200 texts in 11 classes; scipy's
    documentation is BSD-3-Clause licensed. The exact texts follow the installed scipy version.

    Returns (texts: list[str], labels: np.ndarray of str).
    """
    import importlib
    import inspect

    texts, labels, seen = [], [], set()
    for topic in SCIPY_TOPICS:
        module = importlib.import_module(f"scipy.{topic}")
        for name in sorted(getattr(module, "__all__", [])):
            obj = getattr(module, name, None)
            doc = inspect.getdoc(obj) if obj is not None and not name.startswith("_") else None
            summary = (doc or "").split("\nParameters")[0].strip()[:max_chars]
            if len(summary) < 40 or summary in seen:  # too short to classify, or an alias of one already taken
                continue
            seen.add(summary)
            texts.append(summary)
            labels.append(topic)
    return texts, np.asarray(labels)
