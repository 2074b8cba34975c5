"""``DaskPool``: the ``Pool`` protocol (``activelens.core.pool``) over a dask array, scored and searched chunk by
chunk on the workers, never pulled to the client."""
from __future__ import annotations

import numpy as np

from types import MappingProxyType
from typing import Any, Callable, Mapping

import dask.array as da

from activelens.backends.dask.badge import dask_badge
from activelens.backends.dask.clusters import dask_cluster_margin, dask_fit_clusters
from activelens.backends.dask.diversity import dask_greedy_blend, dask_k_center, dask_kmeans_pp, dask_typiclust
from activelens.backends.dask.embedding import Embedding, dask_embedding
from activelens.backends.dask.hashing import dask_digest, dask_row_hashes
from activelens.backends.dask.map_sample import fit_groups, map_sample
from activelens.backends.dask.rows import apply_rows, check_dask_pool, gather_rows, map_rows
from activelens.backends.dask.scoring import dask_pretrained_scores, dask_proba, dask_scores
from activelens.backends.dask.select import dask_top_n
from activelens.backends.dask.spread import dask_spread_top
from activelens.core.fingerprint import row_hashes
from activelens.core.pool import Pool
from activelens.strategies.badge import is_linear_head, last_layer
from activelens.strategies.diversity import distance_to_nearest

#: from this batch size on, "combined" on a Dask pool runs Cluster-Margin (one pass per round) instead of a
#: greedy blend that needs a pass over the pool per pick
LARGE_BATCH = 100


def _check_client(client) -> None:
    if client is not None and not hasattr(client, "compute"):
        raise TypeError(f"client must be a distributed.Client, got {type(client).__name__}")


class DaskPool(Pool):
    """A dask array pool: scored and searched chunk by chunk on the workers, never pulled to the client.

    Parameters
    ----------
    X : dask.array.Array or dask.dataframe.DataFrame of shape (n_rows, n_features)
        Known chunk sizes along rows; rechunked to one chunk along columns (``check_dask_pool``).
    client : distributed.Client, optional
        Where to run (default: dask's current scheduler). Set ``pool.client`` to switch after a lost cluster.
    embeddings : ndarray or dask.array.Array of shape (n_rows, d), optional
        The diversity embedding; default: X standardized (and reduced by PCA past 50 features), fitted on a sample.
    random_state : int, Generator or None
        Seeds the embedding's sample and PCA.

    Attributes
    ----------
    X : dask.array.Array of shape (n_rows, n_features)
        The checked pool.
    client : distributed.Client or None
    kernels : Mapping
        The loops this backend runs its own way, one reduction per pick on the workers (``KERNELS``).
    """

    kind = "dask"

    def __init__(self, X, *, client=None, embeddings=None, random_state=None):
        self.X = check_dask_pool(X, name="X")
        self.n_rows, self.n_features = int(self.X.shape[0]), int(self.X.shape[1])
        _check_client(client)
        self._client = client
        self._embeddings_given = embeddings
        if embeddings is not None:  # check the rows now, not at the first diversity query
            n_e = embeddings.shape[0] if hasattr(embeddings, "shape") else len(embeddings)
            if n_e != self.X.shape[0]:
                raise ValueError(f"embeddings has {n_e} rows but X has {self.X.shape[0]}; give one row per pool item")
        self.random_state = random_state
        self._embedding = None
        self._clusters = None
        self._rows_cache: tuple[bytes | None, Any] = (None, None)   # (key, rows)

    @property
    def client(self):
        return self._client

    @client.setter
    def client(self, client) -> None:
        """Run on ``client`` (a ``distributed.Client``) from now on; drop what lived on the previous cluster
        (persisted cluster ids; the labeled rows' cache is kept: it is numpy)."""
        _check_client(client)
        self._client = client
        self._clusters = None

    # ----- rows -----
    def rows(self, idx) -> np.ndarray:
        """Pool rows as numpy (the labeled ones, for fit); the last answer is kept, as a fit asks twice."""
        idx = np.asarray(idx, dtype=np.intp)
        key = idx.tobytes()
        if self._rows_cache[0] != key:
            self._rows_cache = (key, gather_rows(self.X, idx, self.client))
        return self._rows_cache[1]

    def apply_rows(self, positions, width, func, *args):
        if positions is None:
            return map_rows(self.X, width, func, *args)
        return apply_rows(self.X, positions, width, func, *args, client=self.client)

    # ----- the model's view -----
    def proba(self, model, classes):
        return dask_proba(self.X, model, classes)

    def scores(self, model, classes, measure):
        return dask_scores(self.X, model, classes, measure)

    def top_n(self, scores, n, rng, exclude=None):
        if not isinstance(scores, da.Array):   # numpy scores: chunked like the pool, so rows come along
            scores = da.from_array(np.asarray(scores, dtype=np.float64), chunks=(self.X.chunks[0],))
        return dask_top_n(scores, n, rng, exclude=exclude, client=self.client, rows_of=self.X)

    def sample(self, weights, n, rng):
        """As in memory: the weights come to the client (n_rows floats) and ``rng.choice`` draws."""
        w = np.asarray(weights, dtype=np.float64)
        return rng.choice(self.n_rows, size=int(n), replace=False, p=w / w.sum()).astype(np.intp)

    # ----- the diversity embedding -----
    def _embedding_model(self) -> Embedding:
        """The embedding with what made it (the sample's statistics and PCA), for the kernels and the map."""
        if self._embedding is None:
            self._embedding = dask_embedding(self.X, self._embeddings_given, random_state=self.random_state,
                                             client=self.client)
        return self._embedding

    @property
    def embedding(self):
        """(n_rows, d) float32 dask array, chunked like X."""
        return self._embedding_model().array

    def distance_to_labeled(self, idx, labeled, rows=None):
        labeled = np.asarray(labeled, dtype=np.intp)
        if idx is None:   # every row: one lazy pass on the workers
            return map_rows(self.embedding, 1, _distance_rows, self._embedding_model().rows(labeled, self.client))[:, 0]
        if labeled.size == 0:
            return np.full(len(idx), np.nan)
        emb = self._embedding_model()
        if emb.X is self.X and rows is not None:  # the default embedding: from the rows at hand (fit's are cached)
            A, B = emb.embed(rows), emb.embed(self.rows(labeled))
        else:
            both = emb.rows(np.concatenate([np.asarray(idx, dtype=np.intp), labeled]), self.client)
            A, B = both[: len(idx)], both[len(idx):]
        return distance_to_nearest(A, B)

    # ----- content hashes -----
    def hashes(self, idx) -> list[str]:
        idx = [int(i) for i in idx]
        return row_hashes(self.rows(idx)) if idx else []

    def all_hashes(self) -> list[str]:
        return dask_row_hashes(self.X, self.client)

    def digest(self) -> np.ndarray:
        return dask_digest(self.X, self.client)

    # ----- the map -----
    def map_sample(self, n_max, always, rng) -> np.ndarray:
        """Every row if it fits, else about ``n_max`` rows balanced over k-means groups (``map_sample.map_sample``)."""
        if self.n_rows <= n_max:
            return np.arange(self.n_rows, dtype=np.int64)
        groups = fit_groups(self.X, rng, client=self.client)
        return map_sample(groups, n_max, always=always, random_state=rng, client=self.client)

    # ----- kernels: the strategies' loops, run the Dask way (KERNELS below) -----
    def _fitted_clusters(self, n: int, rng):
        """Cluster-Margin's cluster ids (a dask array kept on the workers), fitted at the first call with
        ``max(20, 2·n)`` clusters; dropped when the client changes."""
        if self._clusters is None:
            self._clusters = dask_fit_clusters(self._embedding_model(), max(20, 2 * n), rng, client=self.client)
        return self._clusters


def _distance_rows(e, labeled_rows):
    return distance_to_nearest(np.asarray(e), labeled_rows)[:, None]


def _k_center(pool, n, labeled, rng):
    return dask_k_center(pool.embedding, n, labeled, rng, client=pool.client)


def _kmeans_pp(pool, n, labeled, rng):
    return dask_kmeans_pp(pool.embedding, n, labeled, rng, client=pool.client)


def _typiclust(pool, n, labeled, rng):
    return dask_typiclust(pool._embedding_model(), n, labeled, rng, client=pool.client)


def _greedy_blend(pool, u, n, labeled, weight, rng):
    return dask_greedy_blend(u, pool.embedding, n, labeled, weight, rng, client=pool.client)


def _blend_affordable(pool, n):
    return n < LARGE_BATCH   # each greedy pick is a pass over worker memory


def _cluster_margin(pool, model, classes, n, labeled, rng):
    clusters = pool._fitted_clusters(n, rng)
    u = dask_scores(pool.X, model, classes, "margin")
    return dask_cluster_margin(u, clusters, n, labeled, rng, client=pool.client)


def _spread_top(pool, scores, n, labeled, factor, rng):
    return dask_spread_top(scores, pool._embedding_model(), n, labeled, factor, rng, client=pool.client)


def _badge(pool, model, classes, n, labeled, rng):
    # a linear last step reads its own features; any other model is embedded in the diversity space
    embedding = None if is_linear_head(last_layer(model)[1]) else pool.embedding
    return dask_badge(pool.X, model, classes, n, labeled, rng, embedding=embedding, client=pool.client)


def _pretrained_scores(pool, scorer, measure):
    return dask_pretrained_scores(pool.X, scorer, measure, client=pool.client)


#: the strategies' loops this backend runs its own way (names and signatures: each strategy class's docstring)
KERNELS: Mapping[str, Callable[..., Any]] = MappingProxyType({
    "k_center": _k_center, "kmeans_pp": _kmeans_pp, "typiclust": _typiclust, "greedy_blend": _greedy_blend,
    "blend_affordable": _blend_affordable, "cluster_margin": _cluster_margin, "spread_top": _spread_top,
    "badge": _badge, "pretrained_scores": _pretrained_scores,
})
DaskPool.kernels = KERNELS
