"""``LinearPCA``: a PCA small enough to ship to workers — a mean and components, ``transform`` one product."""
from __future__ import annotations

import numpy as np


class LinearPCA:
    """A PCA as a mean and components fitted on (a sample of) rows — of the rows as they are, or standardized, the
    1/std folded into the components: ``transform`` is one subtraction and one matrix product, cheap to send to workers. ``pca_2d`` and the map of a sampled pool use 2 components; the map's sample groups cluster in 16."""

    def __init__(self, mean: np.ndarray, components: np.ndarray):
        self.mean, self.components = mean.astype(np.float32), components.astype(np.float32)
        self.n_components = int(self.components.shape[0])

    @classmethod
    def fit(cls, rows, n_components: int = 2, standardize: bool = False, random_state=0) -> "LinearPCA":
        rows = np.asarray(rows, dtype=np.float32)
        if rows.ndim != 2:
            raise ValueError(f"X must be 2-D to project it, got shape {rows.shape}")
        d = rows.shape[1]
        mean = rows.mean(axis=0)
        if d == 1:
            comps = np.zeros((n_components, 1), dtype=np.float32)
            comps[0, 0] = 1.0
            return cls(mean, comps)
        centred = rows - mean
        scale = None
        if standardize:
            scale = centred.astype(np.float64).std(axis=0)
            scale = np.where(scale > 0, scale, 1.0)
        k = min(n_components, d)
        # the top right singular vectors of the (sample) matrix; the d x d route is cheap when d is small
        if d <= 512:
            z = centred.astype(np.float64) if scale is None else centred.astype(np.float64) / scale
            _, v = np.linalg.eigh(z.T @ z)
            comps = v[:, ::-1][:, :k].T.astype(np.float32)
        else:
            from sklearn.utils.extmath import randomized_svd
            z = centred if scale is None else (centred / scale).astype(np.float32)
            _, _, comps = randomized_svd(z, k, random_state=random_state)
            comps = comps.astype(np.float32)
        # a deterministic sign: the largest loading of each component is positive
        signs = np.sign(comps[np.arange(k), np.abs(comps).argmax(axis=1)])
        signs[signs == 0] = 1
        comps = comps * signs[:, None]
        if scale is not None:   # standardize, then project == project with each column's loading divided by its std
            comps = comps / scale[None, :].astype(np.float32)
        return cls(mean, comps)

    def transform(self, X) -> np.ndarray:
        X = np.asarray(X, dtype=np.float32)
        out = np.empty((X.shape[0], self.n_components), dtype=np.float32)
        for start in range(0, X.shape[0], 200_000):
            out[start:start + 200_000] = (X[start:start + 200_000] - self.mean) @ self.components.T
        return out
