"""Pools past one machine: scoring and selection on a Dask array, chunk by chunk on the workers.

``ActiveLearner(estimator, X)`` routes here when X is a ``dask.array`` (or a dask DataFrame). Nothing here pulls
the pool to the client: the model goes to the workers once per round, every chunk is scored where it lives
(``map_blocks``), and only small things come back — per-chunk top candidates, per-chunk maxima, the rows of the
labeled items. Labeled positions stay a small numpy array on the client.

Same data, same seed, same results as the in-memory path: every random draw (tie-breaking keys, the first
k-center pick, k-means++'s D² draws, cluster seeds) happens on the client from the learner's generator, in the same
order and the same number as in memory, on the same candidates. Every strategy and cold start runs here: the
uncertainty measures and callables, random, k_center, kmeans_pp, combined, cluster_margin, typiclust; cold starts
random, typiclust, expert positions and a pretrained scorer (its probabilities computed per chunk on the workers,
then the same uncertainty + diversity blend as in memory). Where this can not be bitwise:

* diversity (k_center, kmeans_pp, combined, the pretrained cold start) runs the in-memory float32 arithmetic chunk
  by chunk; a matrix-vector product over a chunk may round differently from one over the whole pool, so a distance
  can differ in the last bit and picks only differ on a near-exact tie (the tests check picks equal and distances
  close). kmeans_pp draws as ``rng.choice(p=d²/Σd²)`` does (one ``rng.random()`` u per pick, the first row whose
  cumulative weight passes u·Σ), summing per chunk: a pick differs only if u falls within rounding of a boundary.
* up to ``sample_rows`` pool rows (100k by default) the pool is a sample itself and its embedding is computed by
  the in-memory code on the client (TypiClust then is the in-memory algorithm on it); past it the embedding's
  statistics (mean, std, PCA, centre), Cluster-Margin's clusters and TypiClust's clusters, cluster sizes and
  typicality are fitted on one seeded sample rather than the whole pool (TypiClust picks sampled rows) — the point
  at scale, with no in-memory counterpart to agree with (Cluster-Margin's uncertainty candidates still agree
  exactly).

Functions (pure: arrays in, arrays out): ``dask_scores``, ``dask_proba``, ``dask_top_n``, ``DaskNearestDistance``,
``dask_k_center``, ``dask_kmeans_pp``, ``dask_greedy_blend``, ``dask_fit_clusters``, ``dask_cluster_margin``,
``dask_typiclust``, ``dask_pretrained_scores``, ``dask_embedding``, ``dask_row_hashes`` (the label store's row
hashes), ``from_memmap``. ``DaskPool`` is the learner's hook.
"""
from __future__ import annotations

import weakref

import numpy as np

from activelens.backends.dask.detect import accepts
from activelens.core.fingerprint import pool_digest_block, row_hashes
from activelens.core.model import padded_proba
from activelens.core.pool import Pool, PoolError
from activelens.core.validation import check_random_state
from activelens.strategies.combined import kmeans_for, round_robin_clusters
from activelens.strategies.diversity import distance_to_nearest
from activelens.strategies.uncertainty import UNCERTAINTY_MEASURES
from activelens.core.linear_pca import LinearPCA

#: from this batch size on, "combined" on a Dask pool runs Cluster-Margin (one pass per round) instead of a
#: greedy blend that needs a pass over the pool per pick
LARGE_BATCH = 100
#: rows a sample-fitted model (clusters, PCA) is fitted on
SAMPLE_ROWS = 100_000
#: k-center merges the pool's chunks to at least this many rows: a pick is one task per chunk, so fewer, fuller
#: chunks spend the pick on arithmetic rather than scheduling (1M rows × 50 float32 dims = 200 MB)
KCENTER_CHUNK_ROWS = 1_000_000
#: strategies that run at scale; the rest need the whole pool in memory
SCALE_STRATEGIES = ("random", "entropy", "margin", "least_confidence", "k_center", "kmeans_pp", "cluster_margin",
                    "combined", "typiclust")
#: named cold starts that run at scale (a pretrained scorer and expert positions do too)
SCALE_COLD_STARTS = ("random", "typiclust")


class ClusterError(PoolError):
    """The Dask cluster failed (a worker died, the scheduler went away) during a round; nothing was recorded."""


# ----- recognising and checking a Dask pool -----
is_dask_collection = accepts


def check_dask_pool(X, name: str = "X"):
    """A 2-D float dask array with known chunk sizes along rows and one chunk along columns."""
    import dask.array as da

    if not isinstance(X, da.Array) and hasattr(X, "to_dask_array"):  # dask DataFrame
        X = X.to_dask_array(lengths=True)
    if not isinstance(X, da.Array):
        raise TypeError(f"{name} must be a dask.array.Array, got {type(X).__name__}")
    if X.ndim != 2:
        raise ValueError(f"{name} must be 2-D (n_samples, n_features), got a dask array of shape {X.shape}")
    if any(not np.isfinite(c) for c in X.chunks[0]) or not np.isfinite(X.shape[0]):
        raise ValueError(
            f"{name} has unknown chunk sizes (rows per chunk are NaN, as after boolean indexing), so pool positions "
            f"are not known; call {name}.compute_chunk_sizes() first (or to_dask_array(lengths=True) on a DataFrame)")
    if any(not np.isfinite(c) for c in X.chunks[1]):
        raise ValueError(f"{name} has an unknown number of columns; call {name}.compute_chunk_sizes() first")
    if X.shape[0] < 1:
        raise ValueError(f"{name} is empty: it has 0 rows")
    if X.shape[1] == 0:
        raise ValueError(f"{name} has no columns (shape {X.shape})")
    if np.issubdtype(X.dtype, np.floating):
        pass
    elif np.issubdtype(X.dtype, np.integer) or X.dtype == bool:
        X = X.astype(np.float64)
    else:
        raise TypeError(f"{name} must be numeric; got a dask array of dtype {X.dtype}")
    if len(X.chunks[1]) > 1:
        X = X.rechunk({1: -1})  # a chunk holds whole rows: the model scores rows
    return X


def _offsets(chunks) -> np.ndarray:
    return np.concatenate([[0], np.cumsum(chunks)]).astype(np.int64)


def _local(positions: np.ndarray, lo: int, hi: int) -> np.ndarray:
    """Sorted global positions that fall in [lo, hi), as positions within that chunk."""
    a, b = np.searchsorted(positions, [lo, hi])
    return (positions[a:b] - lo).astype(np.intp)


def _compute(*collections, client=None):
    """Compute, turning a cluster failure into one ClusterError (errors of the data or model pass through)."""
    import dask

    try:
        # through Client.get (scheduler=client): it releases its futures even on failure, so the failed keys
        # are forgotten and calling again recomputes them
        return dask.compute(*collections, scheduler=client) if client is not None else dask.compute(*collections)
    except (ValueError, TypeError, IndexError, KeyError, ArithmeticError):
        _send_releases(client)
        raise
    except Exception as exc:  # KilledWorker, CommClosedError, CancelledError, TimeoutError, a closed client, ...
        _send_releases(client)
        raise ClusterError(
            f"the Dask cluster failed during this round ({type(exc).__name__}: {exc}); nothing was recorded — "
            "check the cluster (client.dashboard_link) and call the same method again") from exc


def _send_releases(client=None) -> None:
    """After a failed compute: let the client's event loop send the releases ``Client.get`` queued, before we return.

    ``Future.release`` only queues ``_dec_ref`` on the client's loop, and ``_dec_ref`` queues the
    "client-releases-keys" message behind whatever is queued by then. Calling again at once could queue the next
    "update-graph" first; the scheduler then still holds the failed graph's erred keys, and a key shared by both
    graphs (the pool's chunks: a dask array's chunk keys are fixed by its name) makes the new graph fail at once with
    the old error (seen as a first retry failing with KilledWorker on a pool chunk after a worker died, ~1 run in 8).
    Yielding a few times on the loop runs the queued ``_dec_ref`` and their sends, so the releases go out first.
    """
    import asyncio

    client = client if client is not None else _default_client()
    if client is None or not hasattr(client, "sync"):
        return

    async def _let_queued_callbacks_run():
        for _ in range(3):
            await asyncio.sleep(0)

    try:
        client.sync(_let_queued_callbacks_run)
    except Exception:  # a closed client: nothing to release
        pass


def _persist(collection, client=None):
    import dask

    try:
        return client.persist(collection) if client is not None else dask.persist(collection)[0]
    except Exception as exc:
        raise ClusterError(f"the Dask cluster failed while persisting ({type(exc).__name__}: {exc}); nothing was recorded") from exc


def _broadcast(obj):
    """One task holding ``obj``: each worker fetches it once, whatever the number of chunks."""
    import dask

    return dask.delayed(obj, traverse=False)


# ----- scoring -----
def _check_finite_block(x, offset):
    if not np.isfinite(x).all():
        bad = np.argwhere(~np.isfinite(x))[0]
        raise ValueError(f"X contains NaN or infinity (first at row {offset + int(bad[0])}, column {int(bad[1])}); "
                         "impute or drop those values first")


def _proba_block(x, model, classes, block_info=None):
    offset = block_info[0]["array-location"][0][0] if block_info else 0
    _check_finite_block(x, offset)
    return padded_proba(model, x, classes)


def _scores_block(x, model, classes, measure, block_info=None):
    offset = block_info[0]["array-location"][0][0] if block_info else 0
    _check_finite_block(x, offset)
    scorer = UNCERTAINTY_MEASURES[measure] if isinstance(measure, str) else measure
    u = np.asarray(scorer(padded_proba(model, x, classes)), dtype=np.float64)
    if u.shape != (x.shape[0],) or not np.isfinite(u).all():
        name = measure if isinstance(measure, str) else getattr(measure, "__name__", "custom")
        raise ValueError(f"strategy {name!r} must return one finite score per pool item; on rows {offset}.."
                         f"{offset + x.shape[0] - 1} it returned shape {u.shape}")
    return u


def dask_proba(X, model, classes):
    """Lazy (n, len(classes)) probabilities of a dask pool, padded like the in-memory path; the model is sent once."""
    classes = np.asarray(classes)
    return X.map_blocks(_proba_block, _broadcast(model), classes, dtype=np.float64,
                        chunks=(X.chunks[0], (classes.size,)), meta=np.empty((0, 0), np.float64))


def dask_scores(X, model, classes, measure="margin"):
    """Lazy (n,) uncertainty scores of a dask pool, one task per chunk: ``measure(padded_proba(model, chunk))``.

    ``measure`` is "entropy", "margin", "least_confidence" or a callable proba -> scores.
    """
    if isinstance(measure, str) and measure not in UNCERTAINTY_MEASURES:
        raise ValueError(f"unknown uncertainty measure {measure!r}; use one of {sorted(UNCERTAINTY_MEASURES)} or a callable")
    return X.map_blocks(_scores_block, _broadcast(model), np.asarray(classes), measure, dtype=np.float64,
                        drop_axis=1, meta=np.empty((0,), np.float64))


# ----- top-n: a partial sort per chunk, then a reduce on the client -----
def _chunk_candidates(s, offset, local_exclude, n, x=None):
    """This chunk's candidates for the global top n: every item at or above its own n-th best score.

    The global n-th best score T is at least each chunk's n-th best, so every item the in-memory ``top_n``
    would consider (score >= T) is among them, ties included.
    """
    s = np.array(s, dtype=np.float64, copy=True)
    if local_exclude.size:
        s[local_exclude] = -np.inf
    ok = np.isfinite(s)
    n_ok = int(ok.sum())
    if n_ok <= n:
        keep = np.flatnonzero(ok)
    else:
        kth = s.size - n
        keep = np.flatnonzero(s >= np.partition(s, kth)[kth])
    return offset + keep.astype(np.int64), s[keep], n_ok, (None if x is None else np.array(x[keep]))


def dask_top_n(scores, n: int, rng: np.random.Generator, exclude=None, client=None, return_scores: bool = False,
               rows_of=None):
    """``strategies._select.top_n`` on a 1-D dask array: the same positions for the same scores and generator.

    Each chunk returns the items at or above its own n-th best (about n per chunk); the client takes the global
    threshold from those, then orders the candidates by (score, a seeded random key) exactly as in memory.
    With ``return_scores`` also their scores, without a second pass. Ties at a chunk's cut all come back (exactness
    needs them); a pool where millions of items share the n-th best score sends that many positions to the client.
    With ``rows_of`` (a 2-D dask array chunked like ``scores``, e.g. the pool) the candidates bring their rows along
    and the result is (positions, scores, rows): the batch's rows without another read of the pool.
    """
    import dask

    n_pool = scores.shape[0]
    excl = np.unique(np.asarray([] if exclude is None else exclude, dtype=np.int64))
    off = _offsets(scores.chunks[0])
    xs = [None] * len(off[:-1]) if rows_of is None else rows_of.to_delayed().ravel().tolist()
    parts = [dask.delayed(_chunk_candidates)(blk, int(off[i]), _local(excl, off[i], off[i + 1]), int(n), xs[i])
             for i, blk in enumerate(scores.to_delayed().ravel())]
    got = _compute(*parts, client=client)
    idx, val, sel = _reduce_candidates(got, n, n_pool, rng)
    if rows_of is not None:
        return idx, val, np.concatenate([g[3] for g in got])[sel]
    return (idx, val) if return_scores else idx


def _reduce_candidates(got, n, n_pool, rng):
    idx = np.concatenate([g[0] for g in got]) if got else np.empty(0, np.int64)
    val = np.concatenate([g[1] for g in got]) if got else np.empty(0)
    n_ok = sum(g[2] for g in got)
    if n > n_ok:
        raise ValueError(f"asked for {n} items but only {n_ok} can be chosen")
    kth = val.size - n
    threshold = np.partition(val, kth)[kth]
    keep = val >= threshold
    cand, cand_val = idx[keep], val[keep]          # ascending pool positions, as np.flatnonzero gives in memory
    key = rng.random(cand.size)
    order = np.lexsort((key, -cand_val))[:n]
    return cand[order].astype(np.intp), cand_val[order], np.flatnonzero(keep)[order]


# ----- the embedding diversity is measured in -----
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
    """A lazy, chunked diversity embedding plus the same map for a handful of numpy rows (so the rows of a batch
    come from the pool's rows without a pass over the pool)."""

    def __init__(self, X, mean=None, std=None, pca=None, centre=None):
        self.X, self.params = X, (mean, std, pca, centre)
        d = pca.n_components_ if pca is not None else X.shape[1]
        self.array = X.map_blocks(_embed_block, *(_broadcast(p) if p is not None and not isinstance(p, np.ndarray) else p
                                                   for p in self.params),
                                  dtype=np.float32, chunks=(X.chunks[0], (d,)), meta=np.empty((0, 0), np.float32))

    def rows(self, idx, client=None) -> np.ndarray:
        return self.embed(gather_rows(self.X, idx, client))

    def embed(self, rows) -> np.ndarray:
        """The embedding of rows of the array it was built on (the pool's rows for the default embedding)."""
        return _embed_block(rows, *self.params)


class _InMemoryEmbedding(Embedding):
    """A small pool's embedding computed by the in-memory code, served as a dask array chunked like the pool."""

    def __init__(self, E: np.ndarray, row_chunks):
        import dask.array as da

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
    ``embeddings`` (numpy or dask, one row per pool item) replaces the default.
    """
    import dask.array as da

    sample_rows = SAMPLE_ROWS if sample_rows is None else int(sample_rows)
    if embeddings is not None:
        if isinstance(embeddings, da.Array) or is_dask_collection(embeddings):
            E = check_dask_pool(embeddings, name="embeddings")
        else:
            E = np.asarray(embeddings)
            if E.ndim != 2:
                raise ValueError(f"embeddings must be 2-D (n_pool, d), got shape {E.shape}")
        if E.shape[0] != X.shape[0]:
            raise ValueError(f"embeddings has {E.shape[0]} rows but X has {X.shape[0]}; give one row per pool item")
        if X.shape[0] <= sample_rows:  # as in memory, bit for bit
            from activelens.strategies.diversity import prepare_embedding

            E = np.asarray(_compute(E, client=client)[0]) if isinstance(E, da.Array) else E
            return _InMemoryEmbedding(prepare_embedding(E, name="embeddings"), X.chunks[0])
        E = E if isinstance(E, da.Array) else da.from_array(E, chunks=(X.chunks[0], -1))
        if E.chunks[0] != X.chunks[0]:
            E = E.rechunk((X.chunks[0], -1))
        base, mean, std, pca = E, None, None, None
    elif X.shape[0] <= sample_rows:  # a pool no bigger than a sample: the in-memory embedding itself, bit for bit
        from activelens.strategies.diversity import default_embedding, prepare_embedding

        pool = np.asarray(_compute(X, client=client)[0])
        return _InMemoryEmbedding(prepare_embedding(default_embedding(pool, max_dims=max_dims, random_state=random_state)),
                                  X.chunks[0])
    else:
        base, pca = X, None
        seed = int(check_random_state(random_state).integers(2**31 - 1))
        # past sample_rows: every statistic from one seeded sample, no pass over the pool
        raw = _sample_rows(X, sample_rows, np.random.default_rng(seed), client).astype(np.float64)
        mean, std = raw.mean(axis=0), raw.std(axis=0)
        std = np.where(std == 0, 1.0, std)
        if X.shape[1] > max_dims and X.shape[0] > max_dims:
            from sklearn.decomposition import PCA

            sample = _embed_block(raw, mean, std, None, None)
            pca = PCA(n_components=max_dims, svd_solver="randomized", random_state=seed).fit(sample)
        mu = _embed_block(raw, mean, std, pca, None).mean(axis=0, dtype=np.float64)
        return Embedding(base, mean, std, pca, mu.astype(np.float32))
    uncentred = Embedding(base, mean, std, pca, None)
    (mu,) = _compute(uncentred.array.mean(axis=0, dtype=np.float64), client=client)
    return Embedding(base, mean, std, pca, mu.astype(np.float32))


def _sample_rows(E, sample_rows, rng, client=None) -> np.ndarray:
    """All rows when the pool is small enough, else a seeded uniform sample (sorted positions)."""
    n = E.shape[0]
    if n <= sample_rows:
        return np.asarray(_compute(E, client=client)[0])
    pos = np.sort(rng.choice(n, size=sample_rows, replace=False))
    return gather_rows(E, pos, client)


def gather_rows(X, idx, client=None) -> np.ndarray:
    """Rows of a dask array at the given positions (in that order), as numpy."""
    idx = np.asarray(idx, dtype=np.intp)
    if idx.size == 0:
        return np.empty((0,) + X.shape[1:], dtype=X.dtype)
    uniq, inv = np.unique(idx, return_inverse=True)
    source = _MEMMAP_SOURCES.get(X.name)
    if source is not None:  # a file on disk: one task reads just these rows, not the chunks that hold them
        import dask

        rows = np.asarray(_compute(dask.delayed(_read_positions)(source, uniq), client=client)[0])
    else:
        rows = np.asarray(_compute(X[uniq], client=client)[0])
    return rows[inv]


def _read_positions(source, positions):
    return source[positions]


# ----- the label store's per-row content hashes, computed where the rows live -----
def _hash_block(x):
    return np.asarray(row_hashes(x), dtype="S32") if x.shape[0] else np.empty(0, dtype="S32")


def dask_row_hashes(X, client=None) -> list[str]:
    """``store.row_hashes`` of a dask pool, one task per row chunk: each worker hashes its own rows, only the hashes
    (32 bytes a row) come back. Equal to ``row_hashes`` of the same pool as a numpy array."""
    h = X.map_blocks(_hash_block, dtype="S32", drop_axis=1, meta=np.empty((0,), "S32"))
    return np.asarray(_compute(h, client=client)[0]).astype("U32").tolist()


# ----- k-center: the nearest-distance vector as a persisted dask array beside the pool -----
def _sq_norms_block(e):
    return np.einsum("ij,ij->i", e, e)


def _inf_block(e):
    return np.full(e.shape[0], np.inf, dtype=np.float32)


def _update_block(d2, e, sq, off, C=None, c_sq=None, centres=None):
    """``NearestDistance.add`` for one chunk: min over the new centres of ‖e‖² − 2e·c + ‖c‖², then centres -> -inf."""
    d2 = np.array(d2, dtype=np.float32, copy=True)
    if C.shape[0] == 1:  # one centre (every k-center pick): the same arithmetic on vectors, no (rows, 1) temporaries
        near = e @ C[0]
        near *= -2.0
        near += sq
        near += c_sq[0]
        np.maximum(near, 0.0, out=near)
        np.minimum(d2, near, out=d2)
        d2[_local(centres, off, off + d2.size)] = -np.inf
        return d2
    rows = max(1, (1 << 22) // max(1, C.shape[0]))
    for r0 in range(0, e.shape[0], rows):
        r1 = min(e.shape[0], r0 + rows)
        block = e[r0:r1] @ C.T
        block *= -2.0
        block += sq[r0:r1, None]
        block += c_sq[None, :]
        nearest = block.min(axis=1)
        np.maximum(nearest, 0.0, out=nearest)
        np.minimum(d2[r0:r1], nearest, out=d2[r0:r1])
    d2[_local(centres, off, off + d2.size)] = -np.inf
    return d2


def _exclude_block(d2, off, positions):
    d2 = np.array(d2, copy=True)
    d2[_local(positions, off, off + d2.size)] = -np.inf
    return d2


def _chunk_max(d2, e, offset):
    """This chunk's largest squared distance, the positions holding it and (for up to 64 of them) their embedding
    rows, so the next centre comes back with its row and adding it needs no extra trip."""
    best = d2.max()
    ties = np.flatnonzero(d2 == best)
    return float(best), offset + ties.astype(np.int64), offset + ties[:64], np.array(e[ties[:64]])


def _guard(func, *args, **kwargs):
    """Call ``func``; a cluster failure becomes one ClusterError (errors of the data or model pass through)."""
    try:
        return func(*args, **kwargs)
    except (ValueError, TypeError, IndexError, KeyError, ArithmeticError):
        raise
    except Exception as exc:  # KilledWorker, CommClosedError, CancelledError, a closed client, ...
        raise ClusterError(
            f"the Dask cluster failed during this round ({type(exc).__name__}: {exc}); nothing was recorded — "
            "check the cluster (client.dashboard_link) and call the same method again") from exc.with_traceback(None)


class _Chunks:
    """Per-chunk values kept where they were computed: futures on a distributed client (the chunks stay on the
    workers), numpy arrays in this process otherwise. ``map`` runs one task per chunk without building a graph, so
    a step of a sequential loop (a k-center pick) costs a few milliseconds of scheduling, not a graph build."""

    def __init__(self, client):
        self.client = client
        # the futures made here that are still alive (by id: equal keys must not merge), released on a cluster failure
        self._alive = weakref.WeakValueDictionary()

    def _call(self, func, *args, **kwargs):
        """``_guard(func, ...)``; on a cluster failure first release every future this made that is still alive.

        A loop of picks (k-center, the greedy blend, k-means++) holds its per-chunk futures in locals, and the
        ClusterError's traceback keeps those frames — so without this the erred futures and the persisted chunks
        stay on the client and the scheduler (which recomputes the lost chunks for nobody) until the exception is
        garbage-collected. ``_send_releases`` then sends the releases before the error reaches the caller, ahead of
        a retry that reuses the persisted chunks' fixed keys."""
        try:
            return _guard(func, *args, **kwargs)
        except ClusterError:
            for f in list(self._alive.values()):
                f.release()
            _send_releases(self.client)
            raise

    def _keep(self, future):
        self._alive[id(future)] = future
        return future

    def persist(self, A):
        blocks = A.to_delayed().ravel().tolist()
        if self.client is not None:
            return [self._keep(f) for f in self._call(self.client.compute, blocks)]
        return list(_compute(*blocks))

    def map(self, func, *per_chunk, **shared):
        if self.client is not None:
            return [self._keep(self._call(self.client.submit, func, *parts, pure=False, **shared))
                    for parts in zip(*per_chunk)]
        return [func(*parts, **shared) for parts in zip(*per_chunk)]

    def gather(self, values):
        return self._call(self.client.gather, values) if self.client is not None else values


def _default_client():
    """The distributed Client dask would use now (its default scheduler), if it is one."""
    from dask.base import get_scheduler

    client = getattr(get_scheduler(), "__self__", None)
    return client if hasattr(client, "submit") else None


class DaskNearestDistance:
    """``diversity.NearestDistance`` for a dask embedding. The squared-distance vector is kept beside the pool as
    persisted chunks on the workers (``d2`` gives it as a dask array); ``add`` is one task per chunk, ``argmax`` one
    small reduction (each chunk's max, its ties and their rows). The embedding is persisted once too, so a pick
    costs a pass over worker memory, not over the disk: worker memory holds its share of the embedding (n·d·4 bytes
    over the workers) plus two float32 vectors."""

    def __init__(self, E, client=None, min_chunk_rows: int | None = None):
        self.client = client if client is not None else _default_client()
        self._run = _Chunks(self.client)
        if min_chunk_rows is None:  # full chunks, but at least two per worker so every worker has a share
            workers = len(_guard(self.client.nthreads)) if self.client is not None else 1
            min_chunk_rows = min(KCENTER_CHUNK_ROWS, -(-int(E.shape[0]) // (2 * max(1, workers))))
        E = _merge_chunks(E, min_chunk_rows)
        self.offsets = _offsets(E.chunks[0])
        self.starts = [int(o) for o in self.offsets[:-1]]
        self.n_pool = int(E.shape[0])
        self.dims = int(E.shape[1])
        self._E = self._run.persist(E)
        self._sq = self._run.map(_sq_norms_block, self._E)
        self._d2 = self._run.map(_inf_block, self._E)
        self._known_rows = {}
        self.n_centres = 0

    @property
    def d2(self):
        """The squared distances as a (persisted) dask array chunked like the pool."""
        import dask
        import dask.array as da

        sizes = np.diff(self.offsets)
        return da.concatenate([da.from_delayed(dask.delayed(v) if self.client is None else v, shape=(int(m),),
                                               dtype=np.float32) for v, m in zip(self._d2, sizes)])

    def _rows(self, idx):
        missing = [int(i) for i in idx if int(i) not in self._known_rows]
        if missing:
            pos = np.asarray(missing, dtype=np.int64)
            chunk = np.searchsorted(self.offsets, pos, side="right") - 1
            for c in np.unique(chunk):
                local = pos[chunk == c] - self.offsets[c]
                rows = self._run.gather(self._run.map(_take_rows, [self._E[c]], local=local))[0]
                self._known_rows.update(zip(pos[chunk == c].tolist(), rows))
        return np.stack([self._known_rows[int(i)] for i in idx]).astype(np.float32)

    def add(self, idx) -> None:
        idx = np.atleast_1d(np.asarray(idx, dtype=np.intp))
        if idx.size == 0:
            return
        for c0 in range(0, idx.size, 512):
            centres = idx[c0:c0 + 512]
            C = self._rows(centres)
            c_sq = np.einsum("ij,ij->i", C, C)
            self._d2 = self._run.map(_update_block, self._d2, self._E, self._sq, self.starts, C=C, c_sq=c_sq,
                                     centres=np.unique(centres).astype(np.int64))
        self.n_centres += idx.size

    def exclude(self, idx) -> None:
        """Never pick these rows, without counting them as centres."""
        pos = np.unique(np.asarray(idx, dtype=np.int64))
        self._d2 = self._run.map(_exclude_block, self._d2, self.starts, positions=pos)

    def argmax(self):
        """(largest squared distance, sorted positions holding it)."""
        got = self._run.gather(self._run.map(_chunk_max, self._d2, self._E, self.starts))
        best = max(g[0] for g in got)
        ties = np.concatenate([g[1] for g in got if g[0] == best])
        self._known_rows = {int(i): r for g in got if g[0] == best for i, r in zip(g[2], g[3])}
        return best, ties


def _merge_chunks(E, min_rows: int):
    """Adjacent row chunks merged until each holds ``min_rows`` (a pick's tasks then do real work per chunk)."""
    merged, acc = [], 0
    for c in E.chunks[0]:
        acc += c
        if acc >= min_rows:
            merged.append(acc)
            acc = 0
    if acc:
        if merged:
            merged[-1] += acc
        else:
            merged.append(acc)
    return E if tuple(merged) == E.chunks[0] else E.rechunk((tuple(merged), E.shape[1]))


def _take_rows(e, local):
    return np.array(e[local])


def dask_k_center(E, n: int, selected, rng: np.random.Generator, client=None, min_chunk_rows: int | None = None):
    """``diversity.farthest_first`` on a dask embedding: (indices, distance of each pick when picked).

    One chunk-wise update and one small reduction per pick; the same picks as in memory for the same seed.
    """
    selected = np.asarray([] if selected is None else selected, dtype=np.intp)
    tracker = DaskNearestDistance(E, client=client, min_chunk_rows=min_chunk_rows)
    tracker.add(selected)
    picks = np.empty(n, dtype=np.intp)
    dists = np.empty(n, dtype=np.float64)
    for t in range(n):
        if tracker.n_centres == 0:
            # in memory: rng.choice(np.flatnonzero(d2 > -inf)) over every row; the same draw without the array
            i = int(rng.integers(0, tracker.n_pool))
            dists[t] = np.inf
        else:
            best, ties = tracker.argmax()
            if not np.isfinite(best):
                raise ValueError(f"asked for {n} items but only {t} can be chosen")
            i = int(ties[0] if ties.size == 1 else rng.choice(ties))
            dists[t] = float(np.sqrt(np.float32(best)))
        picks[t] = i
        if t + 1 < n:  # the last update would only serve a pick that is never made
            tracker.add(i)
    return picks, dists


# ----- the seed's blend of uncertainty and diversity, greedy, for small batches -----
def _free_minmax(values, d2):
    """min and max of ``values`` over the chunk's free rows (d2 > -inf), or None if none is free."""
    free = d2 > -np.inf
    if not free.any():
        return None
    v = values[free]
    return float(v.min()), float(v.max())


def _dist(d2):
    out = np.empty(d2.size, dtype=np.float64)
    np.sqrt(np.maximum(d2, 0.0), out=out)  # the in-memory greedy_blend's arithmetic
    return out


def _dist_minmax(d2):
    return _free_minmax(_dist(d2), d2)


def _blend_max(u, d2, e, offset, u_lo, u_hi, d_lo, d_hi, weight, has_centres):
    """This chunk's best blended score, its ties, and for the ties their (blended, u_norm, d_norm) and rows."""
    free = d2 > -np.inf
    u_norm = np.zeros(u.size)
    if u_hi - u_lo > 0:
        u_norm[free] = (u[free] - u_lo) / (u_hi - u_lo)
    if not has_centres:
        d_norm = np.ones(u.size)
    else:
        d_norm = (_dist(d2) - d_lo) / (d_hi - d_lo) if d_hi > d_lo else np.zeros(u.size)
    blended = weight * u_norm + (1.0 - weight) * d_norm
    blended[~free] = -np.inf
    best = blended.max()
    ties = np.flatnonzero(blended == best)
    parts = np.column_stack([blended[ties], u_norm[ties], d_norm[ties]])
    return float(best), offset + ties.astype(np.int64), parts, offset + ties[:64], np.array(e[ties[:64]])


def dask_greedy_blend(u, E, n: int, labeled, weight: float, rng: np.random.Generator, client=None):
    """``combined.greedy_blend`` on dask arrays: ``u`` the (lazy) uncertainty scores, ``E`` the embedding. Returns
    (indices, blended score, uncertainty part, diversity part), the same as in memory for the same seed. Each pick
    is two small reductions (the free rows' distance range, then the best blended score) and one chunk-wise update;
    that is a pass over worker memory per pick, so at scale this is for small batches (see ``LARGE_BATCH``)."""
    labeled = np.asarray([] if labeled is None else labeled, dtype=np.intp)
    tracker = DaskNearestDistance(E, client=client)
    run = tracker._run
    u_chunks = run.persist(u.rechunk((tuple(np.diff(tracker.offsets).tolist()),)))
    tracker.exclude(labeled)  # free = d2 > -inf, labeled rows are centres below anyway
    ranges = [r for r in run.gather(run.map(_free_minmax, u_chunks, tracker._d2)) if r is not None]
    u_lo, u_hi = min(r[0] for r in ranges), max(r[1] for r in ranges)
    tracker.add(labeled)
    picks = np.empty(n, dtype=np.intp)
    parts = np.empty((n, 3))
    for t in range(n):
        d_lo = d_hi = 0.0
        if tracker.n_centres:
            ranges = [r for r in run.gather(run.map(_dist_minmax, tracker._d2)) if r is not None]
            if not ranges:
                raise ValueError(f"asked for {n} items but only {t} can be chosen")
            d_lo, d_hi = min(r[0] for r in ranges), max(r[1] for r in ranges)
        got = run.gather(run.map(_blend_max, u_chunks, tracker._d2, tracker._E, tracker.starts, u_lo=u_lo, u_hi=u_hi,
                                 d_lo=d_lo, d_hi=d_hi, weight=float(weight), has_centres=tracker.n_centres > 0))
        best = max(g[0] for g in got)
        if not np.isfinite(best):
            raise ValueError(f"asked for {n} items but only {t} can be chosen")
        ties = np.concatenate([g[1] for g in got if g[0] == best])
        tie_parts = np.concatenate([g[2] for g in got if g[0] == best])
        j = 0 if ties.size == 1 else int(np.flatnonzero(ties == rng.choice(ties))[0])
        i = int(ties[j])
        picks[t], parts[t] = i, tie_parts[j]
        tracker._known_rows = {int(k): r for g in got if g[0] == best for k, r in zip(g[3], g[4])}
        if t + 1 < n:
            tracker.add(i)
    return picks, parts[:, 0], parts[:, 1], parts[:, 2]


# ----- k-means++ (D² sampling): the nearest-distance vector again, a draw by per-chunk sums -----
def _d2_weights(d2, uniform):
    """The in-memory ``d2_sampling`` weights of a chunk: d² where positive (0 on centres and their duplicates), or
    1 on every free row for the uniform draw."""
    if uniform:
        return (d2 > -np.inf).astype(np.float64)
    return np.where(d2 > 0, d2, 0.0).astype(np.float64)


def _d2_chunk_sums(d2):
    """(sum of this chunk's D² weights — inf while there is no centre —, its number of free rows)."""
    return float(_d2_weights(d2, False).sum()), int((d2 > -np.inf).sum())


def _d2_chunk_draw(d2, e, offset, target, uniform):
    """The row of this chunk where the running sum of weights first passes ``target``, and its embedding row."""
    w = _d2_weights(d2, uniform)
    i = int(np.searchsorted(np.cumsum(w), target, side="right"))
    if i >= w.size:  # the chunk's sum rounded a hair above its cumulative sum: its last row that can be drawn
        i = int(np.flatnonzero(w > 0)[-1])
    return offset + i, np.array(e[i])


def dask_kmeans_pp(E, n: int, selected, rng: np.random.Generator, client=None, min_chunk_rows: int | None = None):
    """``diversity.d2_sampling`` (k-means++ seeding) on a dask embedding: ``n`` positions, each drawn with
    probability ∝ D², the squared distance to the nearest row drawn so far or in ``selected``.

    The draw is the in-memory one: ``rng.choice(n_pool, p=w / w.sum())`` is one ``rng.random()`` u and the first row
    whose cumulative weight passes u·Σw. Here the chunks send their sums of w, the client picks the chunk where
    u·Σw falls, and that chunk finds the row (and sends its embedding row, so the update needs no extra trip).
    Per pick: one small reduction, one task, one chunk-wise update. The same picks as in memory for the same
    generator, except when u lands within float rounding of a boundary between two rows.
    """
    selected = np.asarray([] if selected is None else selected, dtype=np.intp)
    tracker = DaskNearestDistance(E, client=client, min_chunk_rows=min_chunk_rows)
    run = tracker._run
    tracker.add(selected)
    picks = np.empty(n, dtype=np.intp)
    for t in range(n):
        got = run.gather(run.map(_d2_chunk_sums, tracker._d2))
        sums = np.array([g[0] for g in got])
        uniform = not np.isfinite(sums).all() or sums.sum() <= 0
        if uniform:  # no centre yet, or only duplicates of centres left: uniform over the free rows, as in memory
            sums = np.array([g[1] for g in got], dtype=np.float64)
        total = sums.sum()
        if total <= 0:
            raise ValueError(f"asked for {n} items but only {t} can be chosen")
        target = rng.random() * total
        cum = np.cumsum(sums)
        c = int(np.searchsorted(cum, target, side="right"))
        if c >= sums.size:  # rounding at the very end: the last chunk that holds weight
            c = int(np.flatnonzero(sums > 0)[-1])
        base = float(cum[c - 1]) if c else 0.0
        (i, row), = run.gather(run.map(_d2_chunk_draw, [tracker._d2[c]], [tracker._E[c]], [tracker.starts[c]],
                                       target=max(0.0, target - base), uniform=uniform))
        picks[t] = i
        if t + 1 < n:
            tracker._known_rows = {int(i): row}
            tracker.add(i)
    return picks


# ----- TypiClust: clusters fitted on a sample, typicality among the sampled rows of each cluster -----
def dask_typiclust(E, n: int, labeled, rng: np.random.Generator, k_neighbors: int = 20, sample_rows: int | None = None,
                   client=None) -> np.ndarray:
    """``coldstart.typiclust`` on a dask pool's embedding ``E`` (an ``Embedding``): ``n`` positions.

    Up to ``sample_rows`` rows the whole embedding comes to the client and every step is the in-memory one (the
    same picks for the same generator). Past it: one seeded sample of ``sample_rows`` rows (one gather), k-means with
    |labeled|+n clusters fitted on it, cluster sizes counted on it, typicality computed among each cluster's
    sampled rows, and the picks are sampled rows; a labeled row outside the sample gets its cluster by ``predict``.
    Draws from ``rng`` as in memory: one seed (for k-means and the sample), then one tie-break per pick.
    """
    from activelens.strategies.coldstart import typical_picks
    from activelens.strategies.diversity import prepare_embedding

    sample_rows = SAMPLE_ROWS if sample_rows is None else int(sample_rows)
    labeled = np.asarray([] if labeled is None else labeled, dtype=np.intp)
    n_pool = int(E.array.shape[0])
    seed = int(rng.integers(2**31 - 1))  # what fit_clusters draws in memory
    if n_pool <= sample_rows:
        pos = np.arange(n_pool)
        raw = np.asarray(_compute(E.array, client=client)[0])
    else:
        pos = np.sort(np.random.default_rng(seed).choice(n_pool, size=sample_rows, replace=False))
        raw = E.rows(pos, client)
    S = prepare_embedding(raw, name="embedding sample")  # in memory typiclust centres its input once more
    n_clusters = int(min(labeled.size + n, S.shape[0]))
    km = kmeans_for(n_clusters, S.shape[0], seed)
    clusters = km.fit_predict(S).astype(np.intp)
    loc = np.searchsorted(pos, labeled)
    inside = (loc < pos.size) & (pos[np.minimum(loc, pos.size - 1)] == labeled)
    taken = np.zeros(pos.size, dtype=bool)
    taken[loc[inside]] = True
    covered = set(clusters[loc[inside]].tolist())
    if (~inside).any():  # labeled rows the sample missed: their cluster, in the sample's centred coordinates
        shift = (raw.sum(axis=0, dtype=np.float64) / raw.shape[0]).astype(np.float32)
        covered |= set(km.predict(E.rows(labeled[~inside], client).astype(np.float32) - shift).tolist())
    local = typical_picks(S, clusters, covered, taken, n, k_neighbors, rng)
    return pos[local].astype(np.intp)


# ----- a pretrained scorer as cold start: probabilities per chunk on the workers -----
def _check_pretrained(p, n_rows: int, n_classes, where: str, offset: int = 0) -> np.ndarray:
    """A pretrained scorer's output for ``n_rows`` rows: (n_rows, n_classes) finite probabilities, else one error."""
    from activelens.core.validation import check_proba

    if hasattr(p, "to_numpy"):
        p = p.to_numpy()
    try:
        p = np.asarray(p, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"the pretrained scorer (cold_start) returned something that is not a numeric array for "
                         f"{where}; it must return (n_rows, n_classes) probabilities") from None
    if p.ndim != 2 or p.shape[0] != n_rows or p.shape[1] < 1:
        raise ValueError(f"the pretrained scorer (cold_start) returned shape {p.shape} for {where} ({n_rows} rows); it "
                         "must return (n_rows, n_classes) probabilities, one row per row it is given")
    if n_classes is not None and p.shape[1] != n_classes:
        raise ValueError(f"the pretrained scorer (cold_start) returned {p.shape[1]} columns for {where} but "
                         f"{n_classes} for the pool's first row; it must return the same classes for every row")
    if not np.isfinite(p).all():
        bad = int(np.flatnonzero(~np.isfinite(p).all(axis=1))[0])
        raise ValueError(f"the pretrained scorer (cold_start) returned NaN or infinity for pool row {offset + bad}; "
                         "check the model's output")
    try:
        return check_proba(p, name="its output")
    except ValueError as exc:
        raise ValueError(f"the pretrained scorer (cold_start) did not return probabilities for {where}: {exc}") from None


def _pretrained_block(x, scorer, measure, n_classes, block_info=None):
    from activelens.strategies.coldstart import pretrained_scores

    offset = block_info[0]["array-location"][0][0] if block_info else 0
    _check_finite_block(x, offset)
    where = f"pool rows {offset}..{offset + x.shape[0] - 1}"
    try:
        p = pretrained_scores(scorer, x)
    except Exception as exc:
        raise ValueError(f"the pretrained scorer (cold_start) failed on {where} ({type(exc).__name__}: {exc})") from exc
    p = _check_pretrained(p, x.shape[0], n_classes, where, offset)
    return np.asarray(UNCERTAINTY_MEASURES[measure](p), dtype=np.float64)


def dask_pretrained_scores(X, scorer, measure="margin", client=None):
    """Lazy (n,) uncertainty of a pretrained scorer's probabilities (a fitted model with predict_proba, or a
    callable X -> proba), one task per chunk on the workers; the scorer is sent once. Its output is checked per
    chunk (shape, the same number of classes as on the pool's first row — scored on the client first —, finite
    probabilities) and a bad one is one ValueError naming the pretrained scorer and the rows."""
    from activelens.strategies.coldstart import pretrained_scores

    first = gather_rows(X, [0], client)
    try:
        p = pretrained_scores(scorer, first)
    except Exception as exc:
        raise ValueError(f"the pretrained scorer (cold_start) failed on pool row 0 ({type(exc).__name__}: {exc})") from exc
    n_classes = _check_pretrained(p, 1, None, "pool row 0").shape[1]
    return X.map_blocks(_pretrained_block, _broadcast(scorer), measure, n_classes, dtype=np.float64, drop_axis=1,
                        meta=np.empty((0,), np.float64))


# ----- Cluster-Margin: clusters fitted once on a sample, assigned per chunk -----
def _predict_block(e, km):
    return km.predict(e).astype(np.int32)


def dask_fit_clusters(E, n_clusters: int, rng: np.random.Generator, sample_rows: int | None = None, client=None):
    """Persisted (n,) int32 cluster ids: k-means fitted on (a seeded sample of) the embedding, assigned per chunk.

    ``E`` is an ``Embedding``. Draws one seed from ``rng`` exactly like ``combined.fit_clusters``; up to
    ``sample_rows`` rows the fit sees the whole pool, so the clusters match the in-memory ones.
    """
    sample_rows = SAMPLE_ROWS if sample_rows is None else int(sample_rows)
    n_pool = int(E.array.shape[0])
    n_clusters = int(min(n_clusters, n_pool))
    seed = int(rng.integers(2**31 - 1))
    if n_pool <= sample_rows:
        sample = np.asarray(_compute(E.array, client=client)[0])
    else:
        sample = E.rows(np.sort(np.random.default_rng(seed).choice(n_pool, size=sample_rows, replace=False)), client)
    km = kmeans_for(n_clusters, sample.shape[0], seed)
    km.fit(sample)
    labels = E.array.map_blocks(_predict_block, _broadcast(km), drop_axis=1, dtype=np.int32,
                                 meta=np.empty((0,), np.int32))
    return _persist(labels, client)


def dask_cluster_margin(margins, clusters, n: int, labeled, rng: np.random.Generator, candidate_factor: float = 10.0,
                        client=None):
    """Cluster-Margin on dask arrays: the ``candidate_factor·n`` lowest-margin unlabeled items (a per-chunk partial
    sort), grouped by their cluster id and taken round-robin, smallest cluster first, as in memory. Returns
    (indices, their margin scores, their cluster ids)."""
    labeled = np.asarray([] if labeled is None else labeled, dtype=np.intp)
    n_pool = int(margins.shape[0])
    m = int(min(n_pool - labeled.size, max(n, round(candidate_factor * n))))
    cand, cand_scores = dask_top_n(margins, m, rng, exclude=labeled, client=client, return_scores=True)
    cand_clusters = gather_rows(clusters, cand, client)
    local = round_robin_clusters(np.arange(cand.size), cand_clusters, n, rng)
    return cand[local], cand_scores[local], cand_clusters[local]


# ----- the map at scale: a reducer fitted on a sample, applied per chunk; a sample that keeps rare regions -----
def _transform_block(x, reducer):
    return np.asarray(reducer.transform(x), dtype=np.float32)


def dask_transform(X, reducer):
    """Lazy (n, k) float32 coordinates: ``reducer`` (UMAP, PCA, … already fitted on a sample) applied per chunk on
    the workers, sent there once."""
    k = int(getattr(reducer, "n_components_", None) or getattr(reducer, "n_components"))
    return X.map_blocks(_transform_block, _broadcast(reducer), dtype=np.float32, chunks=(X.chunks[0], (k,)),
                        meta=np.empty((0, 0), np.float32))


def _quota(counts: np.ndarray, n_max: int) -> np.ndarray:
    """Water-filling: every group gets the same share of ``n_max``, a group smaller than its share gives the rest
    back to the others."""
    quota = np.zeros(counts.size, dtype=np.int64)
    left, open_ = int(n_max), counts > 0
    while left > 0 and open_.any():
        share = max(1, left // int(open_.sum()))
        add = np.where(open_, np.minimum(share, counts - quota), 0)
        if add.sum() == 0:
            break
        if add.sum() > left:  # the last round: hand out what is left, smallest groups first
            add[:] = 0
            for g in np.flatnonzero(open_)[np.argsort(counts[open_] - quota[open_], kind="stable")]:
                take = min(left, counts[g] - quota[g])
                add[g], left = take, left - take
                if left == 0:
                    break
            quota += add
            break
        quota += add
        left -= int(add.sum())
        open_ = quota < counts
    return quota


def _bernoulli_block(groups, offset, keep_prob, seed):
    rng = np.random.default_rng([seed, int(offset)])
    return offset + np.flatnonzero(rng.random(groups.size) < keep_prob[groups]).astype(np.int64)


def map_sample(groups, n_max: int = 1_000_000, always=None, random_state=None, client=None) -> np.ndarray:
    """Sorted pool positions to draw on the map: about ``n_max`` of them, the same number from every group (e.g. the
    Cluster-Margin cluster ids) where the group is large enough, so a rare region keeps all its points while a
    dense one is thinned; plus ``always`` (the labeled items, the current batch). ``groups`` is a 1-D int dask array
    chunked like the pool; each chunk draws its own rows (seeded per chunk), only positions come back."""
    import dask

    counts = _group_counts(groups, client)
    keep_prob = np.divide(_quota(counts, n_max), counts, out=np.zeros(counts.size), where=counts > 0)
    seed = int(check_random_state(random_state).integers(2**31 - 1))
    off = _offsets(groups.chunks[0])
    parts = [dask.delayed(_bernoulli_block)(b, int(off[i]), keep_prob, seed)
             for i, b in enumerate(groups.to_delayed().ravel())]
    got = _compute(*parts, client=client)
    pos = np.concatenate(list(got) + [np.asarray([] if always is None else always, dtype=np.int64)])
    return np.unique(pos)


def _group_counts(groups, client=None) -> np.ndarray:
    import dask

    parts = [dask.delayed(np.bincount)(b) for b in groups.to_delayed().ravel()]
    got = _compute(*parts, client=client)
    out = np.zeros(max(g.size for g in got), dtype=np.int64)
    for g in got:
        out[: g.size] += g
    return out


# ----- a memmap on disk as a dask array (read per chunk on the workers) -----
#: scattered rows are read through a mapping of at most this many bytes of the file at a time
MEMMAP_WINDOW_BYTES = 64 << 20
_MEMMAP_SOURCES: dict = {}  # dask array name -> MemmapRows, for arrays made by from_memmap


class MemmapRows:
    """An array-like over a raw binary file that pickles as (path, shape, dtype, offset) and opens the file where it
    is read: ``da.from_array(MemmapRows(...))`` sends a few bytes per task, where ``da.from_array(np.memmap(...))``
    would pickle the whole array into the graph."""

    def __init__(self, path, shape, dtype=np.float32, offset: int = 0):
        self.path, self.shape, self.dtype, self.offset = str(path), tuple(int(s) for s in shape), np.dtype(dtype), int(offset)
        self.ndim = len(self.shape)

    def __getitem__(self, key):
        if isinstance(key, np.ndarray) and key.ndim == 1 and key.dtype.kind in "iu":
            return self._read_rows(key)
        mm = np.memmap(self.path, dtype=self.dtype, mode="r", shape=self.shape, offset=self.offset)
        return np.array(mm[key])

    def _read_rows(self, positions: np.ndarray) -> np.ndarray:
        """Scattered rows, read through one 64 MB window of the file at a time. Fancy-indexing a memmap of the whole
        file faults in the pages around every row (readahead): 100k random rows of a 10M × 64 file put all 2.5 GB
        of it in the worker's RSS for the moment of the read — what a Dask nanny's memory limit counts."""
        positions = np.asarray(positions, dtype=np.int64)
        n = self.shape[0]
        out = np.empty((positions.size,) + self.shape[1:], dtype=self.dtype)
        if positions.size == 0:
            return out
        if positions.min() < -n or positions.max() >= n:
            raise IndexError(f"row positions out of range for a file of {n} rows")
        positions = np.where(positions < 0, positions + n, positions)
        row_bytes = max(1, int(np.prod(self.shape[1:], dtype=np.int64)) * self.dtype.itemsize)
        window = max(1, MEMMAP_WINDOW_BYTES // row_bytes)
        order = np.argsort(positions, kind="stable")
        sorted_pos = positions[order]
        starts = np.unique(sorted_pos // window) * window
        cuts = np.searchsorted(sorted_pos, np.append(starts, n + window))
        for w0, a, b in zip(starts.tolist(), cuts[:-1].tolist(), cuts[1:].tolist()):
            rows = min(window, n - w0)
            mm = np.memmap(self.path, dtype=self.dtype, mode="r", shape=(rows,) + self.shape[1:],
                           offset=self.offset + w0 * row_bytes)
            out[order[a:b]] = mm[sorted_pos[a:b] - w0]
            del mm   # unmapped: its pages leave this process's RSS before the next window
        return out

    def __reduce__(self):
        return MemmapRows, (self.path, self.shape, self.dtype.str, self.offset)


def from_memmap(path, shape, dtype=np.float32, chunk_rows: int = 500_000, offset: int = 0):
    """A dask array over a raw binary file as ``np.memmap`` writes it, each chunk read by the worker that needs it."""
    import dask.array as da

    rows = MemmapRows(path, shape, dtype, offset)
    X = da.from_array(rows, chunks=(int(chunk_rows),) + rows.shape[1:], asarray=False, fancy=False,
                      name=f"memmap-{rows.path}-{rows.shape}-{rows.dtype.str}-{rows.offset}-{int(chunk_rows)}")
    _MEMMAP_SOURCES[X.name] = rows  # lets gather_rows read a few rows without reading their chunks
    return X


# ----- the map of a large pool: functions run per chunk on the workers -----
#: k-means clusters the map's sample is balanced over
N_GROUPS = 64
#: principal components the groups are clustered in, and the rows their k-means is fitted on
GROUP_DIMS = 16
GROUP_FIT_ROWS = 100_000


def _apply_block(x, locals_, func, args, block_info=None):
    local = locals_[block_info[0]["chunk-location"][0]]
    return func(np.asarray(x)[local], *args)


def apply_rows(X, positions, width: int, func, *args, client=None) -> np.ndarray:
    """``func(rows, *args) -> (len(rows), width) float32`` for the rows of the dask array ``X`` at sorted
    ``positions``, one task per chunk run where the chunk is read, the answers concatenated in ``positions`` order.

    A blockwise ``map_blocks`` (output chunk sizes known from the positions), so dask fuses each chunk's read with
    its work: a worker holds one chunk at a time. (Separate read tasks let the scheduler read every chunk ahead:
    2.7 GB per worker at 10M rows.) ``args`` and the per-chunk positions go to each worker once."""
    positions = np.asarray(positions, dtype=np.int64)
    off = _offsets(X.chunks[0])
    locals_ = [_local(positions, int(off[b]), int(off[b + 1])) for b in range(len(X.chunks[0]))]
    out = X.map_blocks(_apply_block, _broadcast(locals_), func, _broadcast(args), dtype=np.float32,
                       chunks=(tuple(int(v.size) for v in locals_), (int(width),)),
                       meta=np.empty((0, 0), np.float32))
    return np.asarray(_compute(out, client=client)[0], dtype=np.float32).reshape(positions.size, int(width))


def _group_block(x, features, km):
    return km.predict(features.transform(x)).astype(np.int32)


def fit_groups(X, rng, client=None):
    """Persisted (n,) int32 group ids of a dask pool: ``N_GROUPS`` k-means clusters fitted on a seeded sample of
    ``GROUP_FIT_ROWS`` rows in ``GROUP_DIMS`` principal components, assigned per chunk on the workers."""
    n = int(X.shape[0])
    fit_pos = np.sort(rng.choice(n, min(n, GROUP_FIT_ROWS), replace=False))
    rows = gather_rows(X, fit_pos, client)
    features = LinearPCA.fit(rows, GROUP_DIMS, standardize=True)
    km = kmeans_for(min(N_GROUPS, rows.shape[0]), rows.shape[0], int(rng.integers(2**31 - 1)))
    km.fit(features.transform(rows))
    groups = X.map_blocks(_group_block, _broadcast(features), _broadcast(km), drop_axis=1, dtype=np.int32,
                          meta=np.empty((0,), np.int32))
    return _persist(groups, client)


def _digest_chunk(x, block_info=None):
    """A chunk's fingerprint digest, (1, 4): its first row's pool position comes from ``block_info``."""
    return pool_digest_block(x, int(block_info[0]["array-location"][0][0]))[None, :]


# ----- the Pool -----
class DaskPool(Pool):
    """A dask array pool: scored and searched chunk by chunk on the workers, never pulled to the client.

    Parameters
    ----------
    X : dask.array.Array of shape (n_rows, n_features)
        Known chunk sizes along rows; rechunked to one chunk along columns.
    client : distributed.Client, optional
        Where to run (default: dask's current scheduler). ``use_client`` switches after a lost cluster.
    embeddings : array of shape (n_rows, d), numpy or dask, optional
        The diversity embedding; default: X standardized (and reduced by PCA past 50 features), fitted on a sample.
    random_state : int, Generator or None
        Seeds the embedding's sample and PCA.
    """

    kind = "dask"
    supported_strategies = SCALE_STRATEGIES
    supported_cold_starts = SCALE_COLD_STARTS

    def __init__(self, X, *, client=None, embeddings=None, random_state=None):
        self.X = check_dask_pool(X, name="X")
        if client is not None and not hasattr(client, "compute"):
            raise TypeError(f"client must be a distributed.Client, got {type(client).__name__}")
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

    def use_client(self, client):
        """Run on ``client`` from now on; drop what lived on the previous cluster (persisted cluster ids; the
        labeled rows' cache is kept: it is numpy)."""
        if client is not None and not hasattr(client, "compute"):
            raise TypeError(f"client must be a distributed.Client, got {type(client).__name__}")
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

    # ----- content hashes -----
    def hashes(self, idx) -> list[str]:
        idx = [int(i) for i in idx]
        return row_hashes(self.rows(idx)) if idx else []

    def all_hashes(self) -> list[str]:
        return dask_row_hashes(self.X, self.client)

    def digest(self) -> np.ndarray:
        # blockwise: each task reads its chunk and hashes it (fused), only 32 bytes a chunk come back
        n_chunks = len(self.X.chunks[0])
        parts = self.X.map_blocks(_digest_chunk, dtype=np.uint64, chunks=((1,) * n_chunks, (4,)),
                                  meta=np.empty((0, 4), dtype=np.uint64))
        return np.asarray(_compute(parts, client=self.client)[0], dtype=np.uint64).sum(axis=0, dtype=np.uint64)

    # ----- the map -----
    def map_sample(self, n_max, always, rng) -> np.ndarray:
        if self.n_rows <= n_max:
            return np.arange(self.n_rows, dtype=np.int64)
        groups = fit_groups(self.X, rng, client=self.client)
        return map_sample(groups, n_max, always=always, random_state=rng, client=self.client)
