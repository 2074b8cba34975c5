"""``SparsePool``: a ``scipy.sparse`` pool (CSR/CSC/COO…, e.g. a TF-IDF matrix), never densified.

What differs from a numpy pool, and only that, lives here; the selection loops are the in-memory pool's, run on the
diversity embedding:

* rows are CSR rows; the model fits and scores on them as they are (every scikit-learn linear model, naive Bayes,
  SVMs and trees accept sparse input);
* the diversity embedding is, unless the user gives ``embeddings=`` (e.g. sentence vectors, which win), a
  TruncatedSVD of the pool (``SVD_DIMS`` dimensions, fitted on a seeded sample of ``SVD_FIT_ROWS`` rows for a large
  pool), each row L2-normalised: on unit vectors ‖a − b‖² = 2 − 2·cos(a, b), so Euclidean k-center, k-means++,
  TypiClust and Cluster-Margin work in cosine geometry, the geometry of TF-IDF. It is computed once, on first use;
* the Explorer's map is drawn from that embedding (``map_array``): a (n_rows, ≤ 50) float32 array, never the
  (n_rows, n_features) dense matrix;
* the content hash of a sparse row (``sparse_row_hashes``) is blake2b over a tag, the number of features, the column
  indices of its non-zero entries (int64, ascending) and their values (float64, −0.0 and explicit zeros dropped): it
  is the same for CSR, CSC, COO or unsorted/duplicated indices of the same matrix, and different from the hash of
  the same row held dense (a store made for a numpy pool refuses the sparse pool of the same data, and vice versa).
"""
from __future__ import annotations

import hashlib

import numpy as np

from activelens.backends.memory import InMemoryPool
from activelens.core.fingerprint import digest_words, hash_words
from activelens.core.model import padded_proba
from activelens.core.validation import check_matrix
from activelens.strategies.diversity import prepare_embedding

#: dimensions of the default diversity embedding (TruncatedSVD)
SVD_DIMS = 50
#: past this many rows the SVD is fitted on a seeded sample of them, then applied to every row
SVD_FIT_ROWS = 20_000
#: rows transformed (or hashed) per block: bounds the dense (block, SVD_DIMS) scratch
_BLOCK_ROWS = 65_536
_TAG = b"activelens-sparse-row:"


def is_sparse(X) -> bool:
    """Whether X is a scipy.sparse matrix or array (without importing scipy when it is not loaded)."""
    return type(X).__module__.startswith("scipy.sparse") and hasattr(X, "tocsr")


def accepts(X) -> bool:
    return is_sparse(X)


def make(X, *, client=None, embeddings=None, random_state=None) -> "SparsePool":
    if client is not None:
        raise ValueError("client is for a distributed pool; a scipy.sparse pool lives in this process")
    return SparsePool(X, embeddings=embeddings, random_state=random_state)


def check_sparse(X, name: str = "X"):
    """A canonical CSR copy of a 2-D sparse matrix: floating dtype (float32 kept, else float64), finite, summed
    duplicates, sorted indices; at least one row and one column."""
    import scipy.sparse as sp

    if not is_sparse(X):
        raise TypeError(f"{name} must be a scipy.sparse matrix, got {type(X).__name__}")
    if len(X.shape) != 2:
        raise ValueError(f"{name} must be 2-D (n_samples, n_features), got shape {X.shape}")
    if X.shape[0] < 1:
        raise ValueError(f"{name} is empty: it has 0 rows, at least 1 needed")
    if X.shape[1] == 0:
        raise ValueError(f"{name} has no columns (shape {X.shape})")
    dtype = X.dtype if X.dtype in (np.float32, np.float64) else np.float64
    try:
        A = sp.csr_matrix(X, dtype=dtype, copy=True)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name} must hold numbers; it could not be converted: {exc}") from None
    A.sum_duplicates()
    A.sort_indices()
    if not np.isfinite(A.data).all():
        k = int(np.flatnonzero(~np.isfinite(A.data))[0])
        row = int(np.searchsorted(A.indptr, k, side="right") - 1)
        raise ValueError(f"{name} contains NaN or infinity (first at row {row}, column {int(A.indices[k])}); "
                         "impute or drop those values first")
    return A


def check_matrix_or_sparse(X, name: str = "X"):
    """``check_sparse`` for a sparse X, ``check_matrix`` otherwise (for X_test and the like)."""
    return check_sparse(X, name=name) if is_sparse(X) else check_matrix(X, name=name)


def sparse_row_hashes(A) -> list[str]:
    """Content hashes of the rows of a sparse matrix (see the module docstring for the definition)."""
    A = A.tocsr(copy=True) if A.format != "csr" else A.copy()
    A.sum_duplicates()
    A.eliminate_zeros()   # explicit zeros (and -0.0) are not content
    A.sort_indices()
    data = np.asarray(A.data, dtype=np.float64)
    indices = np.asarray(A.indices, dtype=np.int64)
    indptr = np.asarray(A.indptr, dtype=np.int64)
    head = _TAG + np.int64(A.shape[1]).tobytes()
    ib, db = indices.tobytes(), data.tobytes()
    out = []
    for r in range(A.shape[0]):
        a, b = int(indptr[r]), int(indptr[r + 1])
        h = hashlib.blake2b(head, digest_size=16)
        h.update(ib[8 * a:8 * b])
        h.update(db[8 * a:8 * b])
        out.append(h.hexdigest())
    return out


def sparse_embedding(A, dims: int = SVD_DIMS, random_state=None) -> np.ndarray:
    """(n_rows, ≤ dims) float32 TruncatedSVD of sparse ``A``, rows L2-normalised (all-zero rows stay zero)."""
    from sklearn.decomposition import TruncatedSVD

    from activelens.core.validation import check_random_state

    n, d = A.shape
    k = int(max(1, min(dims, d - 1, n - 1)))
    if d < 2 or n < 3:   # too small for an SVD: the rows themselves
        Z = np.asarray(A.toarray(), dtype=np.float32)
    else:
        rng = check_random_state(random_state)
        # two power iterations on float32: TF-IDF's leading topics separate well, and this is what makes the SVD of a
        # 200k-document pool a few seconds (BENCHMARKS.md, Text)
        A = A.astype(np.float32) if A.dtype != np.float32 else A
        svd = TruncatedSVD(n_components=k, algorithm="randomized", n_iter=2,
                           random_state=int(rng.integers(2**31 - 1)))
        if n <= SVD_FIT_ROWS:
            Z = svd.fit_transform(A).astype(np.float32)
        else:   # axes from a seeded sample are as good; fitting on every row costs a first query seconds
            svd.fit(A[np.sort(rng.choice(n, size=SVD_FIT_ROWS, replace=False))])
            Z = np.concatenate([svd.transform(A[i:i + _BLOCK_ROWS]).astype(np.float32)
                                for i in range(0, n, _BLOCK_ROWS)])
    norms = np.linalg.norm(Z, axis=1)
    norms[norms == 0] = 1.0
    Z /= norms[:, None].astype(np.float32)
    return np.ascontiguousarray(Z, dtype=np.float32)


def _unit_rows(A):
    """CSR rows scaled to unit L2 norm (all-zero rows stay zero)."""
    import scipy.sparse as sp

    norms = np.sqrt(np.asarray(A.multiply(A).sum(axis=1)).ravel())
    norms[norms == 0] = 1.0
    return sp.diags(1.0 / norms) @ A


class SparsePool(InMemoryPool):
    """A scipy.sparse pool in this process: rows stay sparse, diversity runs on a TruncatedSVD embedding.

    Parameters
    ----------
    X : scipy.sparse matrix of shape (n_rows, n_features)
        Kept as canonical CSR (float32 kept, anything else float64); never densified.
    embeddings : array-like of shape (n_rows, d), optional
        The space diversity is measured in (and the map is drawn from); default: the L2-normalised TruncatedSVD.
    random_state : int, Generator or None
        Seeds the SVD.
    """

    kind = "sparse"

    def __init__(self, X, *, embeddings=None, random_state=None):   # noqa: D107 - documented on the class
        self.X = check_sparse(X, name="X")
        self._set_up(embeddings, random_state)

    @property
    def local_array(self):
        """None: the rows are here but not as a numpy array (``map_array`` is what the map draws)."""
        return None

    @property
    def map_array(self) -> np.ndarray:
        """The diversity embedding: what the Explorer projects to draw the whole pool."""
        return self.embedding

    def rows(self, idx):
        """CSR rows at positions ``idx`` (models take them as they are)."""
        return self.X[np.asarray(idx, dtype=np.intp)]

    def apply_rows(self, positions, width: int, func, *args) -> np.ndarray:
        if positions is None:   # every row, in one call (as the in-memory pool)
            return np.asarray(func(self.X, *args), dtype=np.float64).reshape(self.n_rows, int(width))
        out = np.asarray(func(self.rows(positions), *args), dtype=np.float32)
        return out.reshape(len(positions), int(width))

    def distance_to_labeled(self, idx, labeled, rows=None) -> np.ndarray:
        """Cosine geometry on the rows themselves (sqrt(2 − 2·cos), the distance of L2-normalised rows), so an
        uncertainty query's "diversity" component never waits for the SVD; the user's ``embeddings=`` win, and every
        row's distance (``idx=None``) is measured in the embedding."""
        if self._embeddings_given is not None or idx is None:
            return super().distance_to_labeled(idx, labeled, rows)
        labeled = np.asarray(labeled, dtype=np.intp)
        idx = np.asarray(idx, dtype=np.intp)
        if labeled.size == 0:
            return np.full(idx.size, np.nan)
        A, B = _unit_rows(self.rows(idx)), _unit_rows(self.rows(labeled))
        best = np.full(idx.size, -np.inf)
        for b0 in range(0, B.shape[0], 4096):
            cos = (A @ B[b0:b0 + 4096].T).toarray() if B.shape[0] else np.zeros((idx.size, 0))
            best = np.maximum(best, cos.max(axis=1))
        return np.sqrt(np.maximum(2.0 - 2.0 * best, 0.0)).astype(np.float64)

    def compute_proba(self, model, classes) -> np.ndarray:
        """Block by block, so whatever scratch the model makes per call (dense intermediates included) stays bounded;
        cached by ``InMemoryPool.proba``."""
        return np.concatenate([padded_proba(model, self.X[i:i + _BLOCK_ROWS], classes)
                               for i in range(0, self.n_rows, _BLOCK_ROWS)])

    @property
    def embedding(self) -> np.ndarray:
        if self._embedding is None:
            if self._embeddings_given is not None:
                self._embedding = prepare_embedding(self._embeddings_given, name="embeddings")
            else:
                self._embedding = prepare_embedding(sparse_embedding(self.X, random_state=self.random_state),
                                                    name="embeddings")
        return self._embedding

    # ----- content hashes (cached and looked up by InMemoryPool.hashes / all_hashes) -----
    hash_rows = staticmethod(sparse_row_hashes)

    def digest(self) -> np.ndarray:
        return digest_words(hash_words(self.all_hashes()), 0)
