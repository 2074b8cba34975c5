"""The space diversity is measured in on a Dask pool: a lazy, chunked embedding, and the same map for a few rows."""
from __future__ import annotations

import dask.array as da
import numpy as np
from sklearn.decomposition import PCA

from activelens.backends.dask.compute import broadcast, compute
from activelens.backends.dask.detect import accepts
from activelens.backends.dask.rows import check_dask_pool, gather_rows, sample_positions, sample_size
from activelens.core.validation import check_random_state
from activelens.strategies.diversity import default_embedding, prepare_embedding


def _embed_block(x, mean, std, pca, centre):
    """The default embedding of some pool rows, with the in-memory path's arithmetic: standardize (float64 → float32),
    optionally a PCA, then centre (float32)."""
    if mean is not None:
        z = ((x - mean) / std).astype(np.float32)
    else:
        z = np.array(x, dtype=np.float32, copy=True)
    if pca is not None:
        z = pca.transform(z).astype(np.float32)
    if centre is not None:
        z -= centre
    return z


class Embedding:
    """A lazy, chunked diversity embedding, plus the same map for a handful of numpy rows (so the rows of a batch
    come from the pool's rows without a pass over the pool).

    Parameters
    ----------
    X : dask.array.Array of shape (n_rows, n_features)
        The array embedded: the pool (the default embedding) or the embeddings the user gave.
    mean, std : ndarray of shape (n_features,), optional
        Standardize with these (float64), then cast to float32.
    pca : fitted sklearn PCA, optional
        Then project.
    centre : ndarray of float32, shape (d,), optional
        Then subtract.

    Attributes
    ----------
    array : dask.array.Array of float32, shape (n_rows, d)
        The embedding, chunked like X along rows.
    """

    def __init__(self, X, mean=None, std=None, pca=None, centre=None):
        self.X, self.params = X, (mean, std, pca, centre)
        d = pca.n_components_ if pca is not None else X.shape[1]
        self.array = X.map_blocks(_embed_block, *(broadcast(p) if p is not None and not isinstance(p, np.ndarray) else p
                                                  for p in self.params),
                                  dtype=np.float32, chunks=(X.chunks[0], (d,)), meta=np.empty((0, 0), np.float32))

    def rows(self, idx, client=None) -> np.ndarray:
        """The embedding's rows at positions ``idx`` (m,): float32 (m, d), reading only those rows of X."""
        return self.embed(gather_rows(self.X, idx, client))

    def embed(self, rows) -> np.ndarray:
        """The embedding of rows (m, n_features) of the array it was built on: float32 (m, d)."""
        return _embed_block(rows, *self.params)

    def sample(self, size: int, seed: int, client=None) -> tuple[np.ndarray, np.ndarray]:
        """Every row when there are at most ``size``, else a seeded uniform sample of ``size`` rows.

        Returns
        -------
        positions : ndarray of int64, shape (m,)
            Sorted.
        rows : ndarray of float32, shape (m, d)
        """
        n = int(self.array.shape[0])
        if n <= size:
            return np.arange(n), np.asarray(compute(self.array, client=client)[0])
        positions = sample_positions(n, size, seed)
        return positions, self.rows(positions, client)


class _InMemoryEmbedding(Embedding):
    """A small pool's embedding computed by the in-memory code, served as a dask array chunked like the pool."""

    def __init__(self, E: np.ndarray, row_chunks):
        self.X, self.E = None, E
        self.array = da.from_array(E, chunks=(row_chunks, E.shape[1]))

    def rows(self, idx, client=None) -> np.ndarray:
        return self.E[np.asarray(idx, dtype=np.intp)]


def dask_embedding(X, embeddings=None, max_dims: int = 50, random_state=None, sample_rows: int | None = None,
                   client=None) -> Embedding:
    """The prepared (centred float32) diversity embedding of a dask pool, lazy, chunked like X.

    Default: X standardized; past ``max_dims`` features, a PCA to ``max_dims``; then centred, all applied per chunk.
    A pool of at most ``sample_rows`` rows is a sample itself: it is embedded on the client by the in-memory code
    (the same embedding, bit for bit). Past it the mean, std, PCA and centre are fitted on one seeded sample of
    ``sample_rows`` rows (one gather, no pass over the pool) and applied per chunk on the workers.

    Parameters
    ----------
    X : dask.array.Array of shape (n_rows, n_features)
        The checked pool (``check_dask_pool``).
    embeddings : ndarray or dask.array.Array of shape (n_rows, d), optional
        Replaces the default; one row per pool item.
    max_dims : int, default 50
    random_state : int, Generator or None
        Seeds the sample and the PCA.
    sample_rows : int, optional
        Default ``rows.SAMPLE_ROWS``.
    client : distributed.Client, optional

    Returns
    -------
    Embedding
        ``.array`` is (n_rows, d) float32, centred.

    Raises
    ------
    ValueError
        ``embeddings`` is not 2-D or has another number of rows than X.
    """
    sample_rows = sample_size(sample_rows)
    if embeddings is not None:
        return _given_embedding(X, embeddings, sample_rows, client)
    if X.shape[0] <= sample_rows:  # a pool no bigger than a sample: the in-memory embedding itself, bit for bit
        pool = np.asarray(compute(X, client=client)[0])
        return _InMemoryEmbedding(prepare_embedding(default_embedding(pool, max_dims=max_dims, random_state=random_state)),
                                  X.chunks[0])
    seed = int(check_random_state(random_state).integers(2**31 - 1))
    # past sample_rows: every statistic from one seeded sample, no pass over the pool
    raw = gather_rows(X, sample_positions(X.shape[0], sample_rows, seed), client).astype(np.float64)
    mean, std = raw.mean(axis=0), raw.std(axis=0)
    std = np.where(std == 0, 1.0, std)
    pca = None
    if X.shape[1] > max_dims and X.shape[0] > max_dims:
        sample = _embed_block(raw, mean, std, None, None)
        pca = PCA(n_components=max_dims, svd_solver="randomized", random_state=seed).fit(sample)
    mu = _embed_block(raw, mean, std, pca, None).mean(axis=0, dtype=np.float64)
    return Embedding(X, mean, std, pca, mu.astype(np.float32))


def _given_embedding(X, embeddings, sample_rows: int, client) -> Embedding:
    """The user's ``embeddings``, checked, centred: in memory (as the in-memory pool does, bit for bit) up to
    ``sample_rows`` rows, else chunked like X with the mean of one pass."""
    if isinstance(embeddings, da.Array) or accepts(embeddings):
        E = check_dask_pool(embeddings, name="embeddings")
    else:
        E = np.asarray(embeddings)
        if E.ndim != 2:
            raise ValueError(f"embeddings must be 2-D (n_pool, d), got shape {E.shape}")
    if E.shape[0] != X.shape[0]:
        raise ValueError(f"embeddings has {E.shape[0]} rows but X has {X.shape[0]}; give one row per pool item")
    if X.shape[0] <= sample_rows:  # as in memory, bit for bit
        E = np.asarray(compute(E, client=client)[0]) if isinstance(E, da.Array) else E
        return _InMemoryEmbedding(prepare_embedding(E, name="embeddings"), X.chunks[0])
    E = E if isinstance(E, da.Array) else da.from_array(E, chunks=(X.chunks[0], -1))
    if E.chunks[0] != X.chunks[0]:
        E = E.rechunk((X.chunks[0], -1))
    uncentred = Embedding(E)
    (mu,) = compute(uncentred.array.mean(axis=0, dtype=np.float64), client=client)
    return Embedding(E, centre=mu.astype(np.float32))
