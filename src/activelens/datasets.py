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


def text_features(texts):
    """The TF-IDF matrix (scipy.sparse CSR, float64, sublinear term frequencies, L2-normalised rows) of ``texts``:
    deterministic, so the same file gives the same pool (and the same store fingerprint) every time."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    texts = ["" if t is None or (isinstance(t, float) and np.isnan(t)) else str(t) for t in texts]
    return TfidfVectorizer(sublinear_tf=True, dtype=np.float64).fit_transform(texts).tocsr()


def read_frame(path) -> pd.DataFrame:
    """A .csv or .parquet file as a DataFrame; a file that cannot be read is a ValueError that says why and what to do."""
    path = Path(path)
    name = str(path)
    if path.suffix.lower() == ".csv":
        try:
            return pd.read_csv(path)
        except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
            raise ValueError(f"dataset file {name!r} could not be read as CSV ({exc}); check it is a comma-separated "
                             "table with a header row") from None
    if path.suffix.lower() in (".parquet", ".pq"):
        try:
            return pd.read_parquet(path)
        except ImportError:
            raise ValueError(f"reading {name!r} needs a Parquet engine, and neither pyarrow nor fastparquet is "
                             "installed: pip install \"activelens[text]\" (or pyarrow), or save the table as .csv") from None
        except (OSError, ValueError) as exc:
            raise ValueError(f"dataset file {name!r} could not be read as Parquet ({exc})") from None
    raise ValueError(f"dataset file {name!r} must be .csv or .parquet")


def text_column(frame: pd.DataFrame, text: str, where: str):
    """The TF-IDF pool of ``frame[text]``; a ValueError names the columns when ``text`` is not one."""
    if text not in frame.columns:
        raise ValueError(f"text column {text!r} is not in {where}; columns are {list(frame.columns)}")
    return text_features(frame[text].tolist())


def load_dataset(name: str, target: str | None = None, text: str | None = None):
    """(X, y) for a bundled dataset name, or for a .csv/.parquet file whose ``target`` column (default the
    last) holds the labels and whose other columns are numeric features. With ``text``, X is instead the TF-IDF
    matrix (scipy.sparse, never densified) of that text column, and the other columns are ignored."""
    if name in BUNDLED:
        X, y = BUNDLED[name](return_X_y=True)
        return X.astype(np.float64), y
    path = Path(name)
    if not path.exists():
        raise ValueError(f"dataset {name!r} is neither one of {sorted(BUNDLED)} nor an existing file")
    frame = read_frame(path)
    if frame.shape[1] < 2:
        raise ValueError(f"dataset file {name!r} has {frame.shape[1]} column(s); it needs a target column and "
                         "feature (or text) columns")
    target = target or frame.columns[-1]
    if target not in frame.columns:
        raise ValueError(f"target column {target!r} is not in {name}; columns are {list(frame.columns)}")
    y = frame[target]
    if y.isna().any():
        rows = np.flatnonzero(y.isna().to_numpy())
        raise ValueError(f"target column {target!r} of {name} has {rows.size} missing label(s) (first at row "
                         f"{int(rows[0])}); drop those rows, or label them")
    if text is not None:
        if text == target:
            raise ValueError(f"the text column and the target column are both {text!r}")
        return text_column(frame, text, name), y.to_numpy()
    features = frame.drop(columns=[target])
    non_numeric = [c for c in features.columns if not pd.api.types.is_numeric_dtype(features[c])]
    if non_numeric:
        raise ValueError(f"feature columns must be numeric; {non_numeric} are not (encode or drop them)")
    missing = features.isna().to_numpy()
    if missing.any():
        row, col = (int(v) for v in np.argwhere(missing)[0])
        raise ValueError(f"feature column {features.columns[col]!r} of {name} has {int(missing[:, col].sum())} missing "
                         f"value(s) (first at row {row}); impute them or drop those rows")
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
