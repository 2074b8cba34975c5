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
        frame = pd.read_csv(path)
    elif path.suffix.lower() in (".parquet", ".pq"):
        frame = pd.read_parquet(path)
    else:
        raise ValueError(f"dataset file {name!r} must be .csv or .parquet")
    target = target or frame.columns[-1]
    if target not in frame.columns:
        raise ValueError(f"target column {target!r} is not in {name}; columns are {list(frame.columns)}")
    features = frame.drop(columns=[target])
    non_numeric = [c for c in features.columns if not pd.api.types.is_numeric_dtype(features[c])]
    if non_numeric:
        raise ValueError(f"feature columns must be numeric; {non_numeric} are not (encode or drop them)")
    return features.to_numpy(dtype=np.float64), frame[target].to_numpy()
