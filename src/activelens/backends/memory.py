"""``InMemoryPool``: the pool as a numpy array in this process (the default backend)."""
from __future__ import annotations

import threading
from typing import Any

import numpy as np

from activelens.core.fingerprint import pool_digest_block, row_hashes
from activelens.core.model import padded_proba
from activelens.core.pool import Pool
from activelens.core.validation import check_matrix
from activelens.strategies.base import strategy_name
from activelens.strategies.diversity import default_embedding, distance_to_nearest, prepare_embedding
from activelens.strategies.select import top_n
from activelens.strategies.uncertainty import uncertainty_measure


class InMemoryPool(Pool):
    """A numpy pool: every building block runs here, on the whole array; no kernels (the strategies' own loops on
    the embedding are the fast path in memory).

    Parameters
    ----------
    X : ndarray of shape (n_rows, n_features)
        The pool; a floating array keeps its dtype, anything else is checked and converted to float64.
    embeddings : ndarray of shape (n_rows, d), optional
        The space diversity is measured in; default: standardized X, or its PCA to 50 dimensions.
    random_state : int, Generator or None
        Seeds the default embedding's PCA.
    """

    kind = "memory"

    def __init__(self, X, *, embeddings=None, random_state=None):
        if hasattr(X, "dtype") and np.issubdtype(X.dtype, np.floating) and getattr(X, "ndim", 0) == 2:
            self.X = check_matrix(X, name="X", dtype=X.dtype, float32_range=True)
        else:
            self.X = check_matrix(X, name="X", float32_range=True)
        self._set_up(embeddings, random_state)

    def _set_up(self, embeddings, random_state) -> None:
        """The state every in-memory pool keeps beside ``X`` (the caller has set ``self.X``)."""
        self.n_rows, self.n_features = int(self.X.shape[0]), int(self.X.shape[1])
        self._embeddings_given: np.ndarray | None = None
        if embeddings is not None:
            emb = check_matrix(embeddings, name="embeddings", dtype=np.float32)
            if emb.shape[0] != self.n_rows:
                raise ValueError(f"embeddings has {emb.shape[0]} rows but X has {self.n_rows}; give one row per pool item")
            self._embeddings_given = emb
        self.random_state = random_state
        self._embedding: np.ndarray | None = None
        self._proba: tuple[Any, np.ndarray | None, Any] = (None, None, None)   # (model, classes, proba): the last answer, as a round asks more than once
        self._all_hashes: list[str] | None = None
        self._lock = threading.Lock()

    @property
    def local_array(self) -> np.ndarray:   # the plain attribute of the protocol, as a view of X
        return self.X

    def rows(self, idx) -> np.ndarray:
        return self.X[np.asarray(idx, dtype=np.intp)]

    def apply_rows(self, positions, width: int, func, *args) -> np.ndarray:
        if positions is None:   # every row, in one call
            return np.asarray(func(self.X, *args), dtype=np.float64).reshape(self.n_rows, int(width))
        out = np.asarray(func(self.rows(positions), *args), dtype=np.float32)
        return out.reshape(len(positions), int(width))

    # ----- the model's view -----
    def proba(self, model, classes) -> np.ndarray:
        classes = np.asarray(classes)
        with self._lock:
            m, c, p = self._proba
            if m is model and c is not None and c.shape == classes.shape and (c == classes).all():
                return p
        p = self.compute_proba(model, classes)
        with self._lock:
            self._proba = (model, classes, p)
        return p

    def compute_proba(self, model, classes) -> np.ndarray:
        """The model's probabilities over the whole pool, uncached (``proba`` caches the last answer)."""
        return padded_proba(model, self.X, classes)

    def scores(self, model, classes, measure) -> np.ndarray:
        u = np.asarray(uncertainty_measure(measure)(self.proba(model, classes)), dtype=np.float64)
        if u.shape != (self.n_rows,) or not np.isfinite(u).all():
            raise ValueError(f"strategy {strategy_name(measure)!r} must return one finite score per pool item ({self.n_rows}), "
                             f"got shape {u.shape}")
        return u

    # ----- the diversity embedding -----
    @property
    def embedding(self) -> np.ndarray:
        if self._embedding is None:
            base = self._embeddings_given if self._embeddings_given is not None else default_embedding(
                self.X, random_state=self.random_state)
            self._embedding = prepare_embedding(base, name="embeddings")
        return self._embedding

    def distance_to_labeled(self, idx, labeled, rows=None) -> np.ndarray:
        E = self.embedding
        A = E if idx is None else E[np.asarray(idx, dtype=np.intp)]
        return distance_to_nearest(A, E[np.asarray(labeled, dtype=np.intp)])

    # ----- selection building blocks -----
    def top_n(self, scores, n, rng, exclude=None):
        scores = np.asarray(scores, dtype=np.float64)
        idx = top_n(scores, n, rng, exclude=exclude)
        return idx, scores[idx], None

    def sample(self, weights, n, rng) -> np.ndarray:
        w = np.asarray(weights, dtype=np.float64)
        return rng.choice(self.n_rows, size=int(n), replace=False, p=w / w.sum()).astype(np.intp)

    # ----- content hashes -----
    @staticmethod
    def hash_rows(rows, /) -> list[str]:
        """Content hashes of some rows of this kind of pool (a subclass with another row format overrides it)."""
        return row_hashes(rows)

    def hashes(self, idx) -> list[str]:
        idx = [int(i) for i in idx]
        if not idx:
            return []
        if self._all_hashes is not None:
            return [self._all_hashes[i] for i in idx]
        return self.hash_rows(self.rows(idx))

    def all_hashes(self) -> list[str]:
        if self._all_hashes is None:
            self._all_hashes = self.hash_rows(self.X)
        return self._all_hashes

    def digest(self) -> np.ndarray:
        return pool_digest_block(self.X, 0)
