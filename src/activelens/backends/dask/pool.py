"""``DaskPool``: the ``Pool`` protocol (``activelens.core.pool``) over a dask array, scored and searched chunk by
chunk on the workers, never pulled to the client."""
from __future__ import annotations

import numpy as np

from activelens.backends.dask.badge import dask_badge
from activelens.backends.dask.clusters import dask_cluster_margin, dask_fit_clusters
from activelens.backends.dask.diversity import dask_greedy_blend, dask_k_center, dask_kmeans_pp, dask_typiclust
from activelens.backends.dask.embedding import Embedding, dask_embedding
from activelens.backends.dask.hashing import dask_digest, dask_row_hashes
from activelens.backends.dask.map_sample import fit_groups, map_sample
from activelens.backends.dask.rows import apply_rows, check_dask_pool, gather_rows
from activelens.backends.dask.scoring import dask_committee_scores, dask_pretrained_scores, dask_proba, dask_scores
from activelens.backends.dask.select import dask_top_n
from activelens.backends.dask.spread import dask_spread_top
from activelens.core.fingerprint import row_hashes
from activelens.core.pool import Pool
from activelens.strategies.badge import is_linear_head, last_layer
from activelens.strategies.diversity import distance_to_nearest

#: from this batch size on, "combined" on a Dask pool runs Cluster-Margin (one pass per round) instead of a
#: greedy blend that needs a pass over the pool per pick
LARGE_BATCH = 100
#: strategies that run at scale (every named strategy today); a name left out would need the whole pool in memory
SCALE_STRATEGIES = ("auto", "random", "entropy", "margin", "least_confidence", "k_center", "kmeans_pp",
                    "cluster_margin", "combined", "typiclust", "margin_kmeans", "badge", "qbc", "qbc_kl")
#: named cold starts that run at scale (a pretrained scorer and expert positions do too)
SCALE_COLD_STARTS = ("random", "typiclust")


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
        Where to run (default: dask's current scheduler). ``use_client`` switches after a lost cluster.
    embeddings : ndarray or dask.array.Array of shape (n_rows, d), optional
        The diversity embedding; default: X standardized (and reduced by PCA past 50 features), fitted on a sample.
    random_state : int, Generator or None
        Seeds the embedding's sample and PCA.

    Attributes
    ----------
    X : dask.array.Array of shape (n_rows, n_features)
        The checked pool.
    client : distributed.Client or None
    supported_strategies : tuple of str
        Strategy names that run on this pool.
    supported_cold_starts : tuple of str
        Named cold starts that run on this pool.
    """

    kind = "dask"
    supported_strategies = SCALE_STRATEGIES
    supported_cold_starts = SCALE_COLD_STARTS

    def __init__(self, X, *, client=None, embeddings=None, random_state=None):
        self.X = check_dask_pool(X, name="X")
        _check_client(client)
        self.client = client
        self._embeddings_given = embeddings
        if embeddings is not None:  # check the rows now, not at the first diversity query
            n_e = embeddings.shape[0] if hasattr(embeddings, "shape") else len(embeddings)
            if n_e != self.X.shape[0]:
                raise ValueError(f"embeddings has {n_e} rows but X has {self.X.shape[0]}; give one row per pool item")
        self.random_state = random_state
        self._embedding = None
        self._clusters = None
        self._rows_cache = (None, None)

    def use_client(self, client) -> None:
        """Run on ``client`` (a ``distributed.Client``) from now on; drop what lived on the previous cluster
        (persisted cluster ids; the labeled rows' cache is kept: it is numpy)."""
        _check_client(client)
        self.client = client
        self.forget_cached()

    def forget_cached(self) -> None:
        self._clusters = None

    # ----- rows -----
    def rows(self, idx) -> np.ndarray:
        """Pool rows as numpy (the labeled ones, for fit); the last answer is kept, as a fit asks twice."""
        idx = np.asarray(idx, dtype=np.intp)
        key = idx.tobytes()
        if self._rows_cache[0] != key:
            self._rows_cache = (key, gather_rows(self.X, idx, self.client))
        return self._rows_cache[1]

    def apply_rows(self, positions, width, func, *args) -> np.ndarray:
        return apply_rows(self.X, positions, width, func, *args, client=self.client)

    # ----- the model's view -----
    def proba(self, model, classes):
        return dask_proba(self.X, model, classes)

    def scores(self, model, classes, measure):
        return dask_scores(self.X, model, classes, measure)

    def pretrained_scores(self, scorer, measure):
        return dask_pretrained_scores(self.X, scorer, measure, client=self.client)

    # ----- the diversity embedding -----
    @property
    def embedding(self) -> Embedding:
        if self._embedding is None:
            self._embedding = dask_embedding(self.X, self._embeddings_given, random_state=self.random_state,
                                             client=self.client)
        return self._embedding

    def distance_to_labeled(self, idx, labeled, rows=None) -> np.ndarray:
        labeled = np.asarray(labeled, dtype=np.intp)
        if labeled.size == 0:
            return np.full(len(idx), np.nan)
        emb = self.embedding
        if emb.X is self.X and rows is not None:  # the default embedding: from the rows at hand (fit's are cached)
            A, B = emb.embed(rows), emb.embed(self.rows(labeled))
        else:
            both = emb.rows(np.concatenate([np.asarray(idx, dtype=np.intp), labeled]), self.client)
            A, B = both[: len(idx)], both[len(idx):]
        return distance_to_nearest(A, B)

    # ----- selection loops -----
    def top_n(self, scores, n, rng, exclude=None):
        return dask_top_n(scores, n, rng, exclude=exclude, client=self.client, rows_of=self.X)

    def farthest_first(self, n, labeled, rng):
        return dask_k_center(self.embedding.array, n, labeled, rng, client=self.client)

    def d2_sampling(self, n, labeled, rng):
        return dask_kmeans_pp(self.embedding.array, n, labeled, rng, client=self.client)

    def typiclust(self, n, labeled, rng):
        return dask_typiclust(self.embedding, n, labeled, rng, client=self.client)

    def greedy_blend(self, uncertainty, n, labeled, weight, rng):
        return dask_greedy_blend(uncertainty, self.embedding.array, n, labeled, weight, rng, client=self.client)

    def blend_is_affordable(self, n: int) -> bool:
        return n < LARGE_BATCH   # each greedy pick is a pass over worker memory

    def cluster_margin(self, model, classes, n, labeled, rng):
        if self._clusters is None:
            self._clusters = dask_fit_clusters(self.embedding, max(20, 2 * n), rng, client=self.client)
        u = dask_scores(self.X, model, classes, "margin")
        return dask_cluster_margin(u, self._clusters, n, labeled, rng, client=self.client)

    def spread_top(self, scores, n, labeled, factor, rng):
        return dask_spread_top(scores, self.embedding, n, labeled, factor, rng, client=self.client)

    def badge(self, model, classes, n, labeled, rng):
        # a linear last step reads its own features; any other model is embedded in the diversity space
        embedding = None if is_linear_head(last_layer(model)[1]) else self.embedding.array
        return dask_badge(self.X, model, classes, n, labeled, rng, embedding=embedding, client=self.client)

    def committee_scores(self, models, classes, disagreement):
        return dask_committee_scores(self.X, models, classes, disagreement)

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
