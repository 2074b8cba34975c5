"""The points the Explorer draws for a Dask pool: a sample that keeps rare regions, plus every labeled item and the
batch on show, with 2-D coordinates and class probabilities computed where the rows live.

A pool of ten million items cannot be drawn (nor sent to a browser) whole. ``MapView`` keeps

* ``positions``: sorted pool positions of the drawn points. Up to ``max_points`` pool items all of them; past it
  about ``max_points`` chosen by :func:`activelens.backends.dask.scale.map_sample` — the same number from each of ``N_GROUPS``
  k-means clusters (fitted on a sample of rows standardized and projected to ``GROUP_DIMS`` principal components
  by ``projection.LinearPCA``, assigned per chunk: one float32 subtraction and matrix product, 0.03 s for 250k × 64
  rows where the diversity embedding's float64 route costs 0.4 s), so a small cluster keeps every point while a dense one is
  thinned — plus the labeled items. ``include`` adds the batch items (and any
  item labeled later) when they arrive; they are never dropped.
* ``coords``: (m, 2) float32, from a projection fitted on a sample of rows and applied per chunk on the workers to
  the drawn rows only: PCA at once, UMAP (``start()``, a background thread) when it is fitted.
* ``proba``: (m, k) float32 class probabilities of the current model for the drawn rows (``rescore``), computed per
  chunk on the workers; only these m rows come back, never the pool.

Nothing here touches the learner's random generator: the sample is seeded from ``random_state`` alone, so showing
an Explorer does not change which items the learner selects.
"""
from __future__ import annotations

import threading

import numpy as np

from activelens.core.model import padded_proba
from activelens.widgets.projection import BackgroundUMAP, LinearPCA

#: the map's default size for a Dask pool (points drawn in the browser)
MAX_POINTS = 1_000_000
#: k-means clusters the sample is balanced over
N_GROUPS = 64
#: rows UMAP is fitted on (the rest of the drawn rows are transformed on the workers)
UMAP_FIT_ROWS = 50_000
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
    from activelens.backends.dask.scale import _broadcast, _compute, _local, _offsets

    positions = np.asarray(positions, dtype=np.int64)
    off = _offsets(X.chunks[0])
    locals_ = [_local(positions, int(off[b]), int(off[b + 1])) for b in range(len(X.chunks[0]))]
    out = X.map_blocks(_apply_block, _broadcast(locals_), func, _broadcast(args), dtype=np.float32,
                       chunks=(tuple(int(v.size) for v in locals_), (int(width),)),
                       meta=np.empty((0, 0), np.float32))
    return np.asarray(_compute(out, client=client)[0], dtype=np.float32).reshape(positions.size, int(width))


def _proba_rows(rows, model, classes):
    return padded_proba(model, rows, classes).astype(np.float32)


def _transform_rows(rows, reducer):
    return np.asarray(reducer.transform(rows), dtype=np.float32)


def _coords_and_proba_rows(rows, reducer, model, classes):
    return np.hstack([_transform_rows(rows, reducer), _proba_rows(rows, model, classes)])


def _group_block(x, features, km):
    return km.predict(features.transform(x)).astype(np.int32)


def fit_groups(X, rng, client=None):
    """Persisted (n,) int32 group ids of a dask pool: ``N_GROUPS`` k-means clusters fitted on a seeded sample of
    ``GROUP_FIT_ROWS`` rows in ``GROUP_DIMS`` principal components, assigned per chunk on the workers."""
    from activelens.backends.dask.scale import _broadcast, _persist, gather_rows
    from activelens.strategies.combined import kmeans_for

    n = int(X.shape[0])
    fit_pos = np.sort(rng.choice(n, min(n, GROUP_FIT_ROWS), replace=False))
    rows = gather_rows(X, fit_pos, client)
    features = LinearPCA.fit(rows, GROUP_DIMS, standardize=True)
    km = kmeans_for(min(N_GROUPS, rows.shape[0]), rows.shape[0], int(rng.integers(2**31 - 1)))
    km.fit(features.transform(rows))
    groups = X.map_blocks(_group_block, _broadcast(features), _broadcast(km), drop_axis=1, dtype=np.int32,
                          meta=np.empty((0,), np.int32))
    return _persist(groups, client)


class _Lookup:
    """Coordinates the user gave for every pool item."""

    def __init__(self, coords):
        self.coords = coords

    def transform_positions(self, positions):
        return self.coords[positions]


def _default_umap(rows, random_state):
    import umap  # lazily: numba compiles for seconds

    n_neighbors = min(15, max(2, rows.shape[0] - 1))
    return umap.UMAP(n_components=2, n_neighbors=n_neighbors, random_state=random_state, low_memory=True,
                     n_jobs=1).fit(rows)


class MapView(BackgroundUMAP):
    """The drawn points of a Dask pool (see the module docstring). Thread-safe: the UMAP thread swaps coordinates
    in under the same lock ``include`` holds."""

    _thread_name = "activelens-umap-scale"

    def __init__(self, pool, *, max_points: int = MAX_POINTS, labeled=None, coords=None, random_state=0,
                 model=None, classes=None, want_umap: bool = False, umap_fit=None, on_ready=None, on_error=None):
        from activelens.backends.dask.scale import gather_rows, map_sample

        if isinstance(max_points, bool) or not isinstance(max_points, (int, np.integer)) or max_points < 1:
            raise ValueError(f"max_points must be a positive integer (points drawn on the map), got {max_points!r}")
        self.pool, self.X = pool, pool.X
        self.n_pool = int(self.X.shape[0])
        self.max_points = int(max_points)
        self.random_state = 0 if random_state is None else random_state
        self._lock = threading.RLock()
        self._init_background(on_ready, on_error)
        self.umap_fit = umap_fit or _default_umap
        labeled = np.asarray([] if labeled is None else labeled, dtype=np.int64)
        rng = np.random.default_rng(self.random_state)
        if self.n_pool <= self.max_points:
            self.positions = np.arange(self.n_pool, dtype=np.int64)
            self.sampled = False
        else:
            groups = fit_groups(self.X, rng, client=self.client)
            self.positions = map_sample(groups, self.max_points, always=labeled, random_state=rng, client=self.client)
            self.sampled = True
        if coords is not None:
            self.reducer, self.name = _Lookup(coords), "custom"
            self.want_umap = False
        else:
            fit_rows = min(20_000, self.n_pool)
            fit_pos = np.sort(rng.choice(self.n_pool, fit_rows, replace=False))
            self.reducer, self.name = LinearPCA.fit(gather_rows(self.X, fit_pos, self.client)), "pca"
            self.want_umap = bool(want_umap)
        self.proba = None
        self._model = None      # (model, classes) the proba is for: rows added later are scored with it
        if model is not None and not isinstance(self.reducer, _Lookup):   # coordinates and probabilities: one pass
            both = apply_rows(self.X, self.positions, 2 + len(classes), _coords_and_proba_rows, self.reducer, model,
                              np.asarray(classes), client=self.client)
            self.coords, self.proba, self._model = both[:, :2].copy(), both[:, 2:].copy(), (model, np.asarray(classes))
        else:
            self.coords = self._coords_on_workers(self.reducer, self.positions)
        if not self.want_umap:
            self.done.set()

    @property
    def client(self):
        return self.pool.client   # the learner's, also after ``learner.client = new_client``

    # ----- where things are -----
    @property
    def n_points(self) -> int:
        return int(self.positions.size)

    def snapshot(self):
        """(positions, coords) of the same moment."""
        with self._lock:
            return self.positions, self.coords

    def _search(self, idx):
        """(point numbers where pool positions ``idx`` are or would go, which of them are on the map)."""
        idx = np.asarray(idx, dtype=np.int64).ravel()
        with self._lock:
            at = np.searchsorted(self.positions, idx)
            ok = (at < self.positions.size) & (self.positions[np.minimum(at, self.positions.size - 1)] == idx)
        return at, ok

    def locate(self, idx) -> np.ndarray:
        """Point numbers of pool positions that are on the map; a ValueError names the first that is not."""
        at, ok = self._search(idx)
        if not ok.all():
            bad = np.asarray(idx, dtype=np.int64).ravel()[~ok][0]
            raise ValueError(f"item {int(bad)} is not on the map (a sample of {self.n_points:,} of "
                             f"{self.n_pool:,} items)")
        return at

    def contains(self, i) -> bool:
        return bool(self._search([i])[1][0])

    # ----- growing the sample -----
    def include(self, idx) -> bool:
        """Add pool positions not drawn yet (a new batch, items labeled elsewhere); their coordinates and
        probabilities come from their rows alone (a gather, no pass over the pool). True if the map changed."""
        from activelens.backends.dask.scale import gather_rows

        idx = np.unique(np.asarray(idx, dtype=np.int64).ravel())
        with self._lock:
            new = idx[~np.isin(idx, self.positions, assume_unique=True)]
            if new.size == 0:
                return False
            # rows are read for the projection (unless the user gave coordinates) and for the probabilities
            need_rows = not isinstance(self.reducer, _Lookup) or self.proba is not None
            rows = gather_rows(self.X, new, self.client) if need_rows else None
            xy = self._coords_local(self.reducer, new, rows)
            at = np.searchsorted(self.positions, new)
            self.positions = np.insert(self.positions, at, new)
            self.coords = np.insert(self.coords, at, xy, axis=0)
            if self.proba is not None:
                self.proba = np.insert(self.proba, at, _proba_rows(rows, *self._model), axis=0)
            return True

    # ----- the model's view of the drawn rows -----
    def rescore(self, model, classes) -> np.ndarray:
        """(m, k) float32 probabilities of the drawn rows under ``model``, computed per chunk on the workers."""
        with self._lock:
            if self._model is not None and self._model[0] is model and self.proba is not None:
                return self.proba   # scored with this model already (at construction, with the coordinates)
            positions = self.positions.copy()
        proba = apply_rows(self.X, positions, len(classes), _proba_rows, model, np.asarray(classes), client=self.client)
        with self._lock:
            proba = self._completed(positions, proba, _proba_rows, model, classes)
            self.proba, self._model = proba, (model, np.asarray(classes))
            return proba

    def _completed(self, positions, values, func, *args):
        """``values`` computed for the drawn ``positions`` of an earlier moment -> for the points drawn now: the few
        included meanwhile get ``func(their rows, *args)`` here. Call with the lock held."""
        from activelens.backends.dask.scale import gather_rows

        extra = ~np.isin(self.positions, positions)
        if not extra.any():
            return values
        full = np.empty((self.positions.size, values.shape[1]), dtype=np.float32)
        full[~extra] = values
        full[extra] = func(gather_rows(self.X, self.positions[extra], self.client), *args)
        return full

    # ----- coordinates -----
    def _coords_on_workers(self, reducer, positions):
        if isinstance(reducer, _Lookup):
            return reducer.transform_positions(positions)
        return apply_rows(self.X, positions, 2, _transform_rows, reducer, client=self.client)

    def _coords_local(self, reducer, positions, rows):
        if isinstance(reducer, _Lookup):
            return reducer.transform_positions(positions)
        return _transform_rows(rows, reducer)

    @property
    def status(self) -> str:
        note = (f" · {self.n_points:,} of {self.n_pool:,} items (a sample keeping rare regions, with every labeled "
                "item and the batch)") if self.sampled else ""
        return self._status(note)

    def _umap(self):
        from activelens.backends.dask.scale import gather_rows

        with self._lock:
            positions = self.positions.copy()
        rng = np.random.default_rng(self.random_state)
        fit_pos = positions if positions.size <= UMAP_FIT_ROWS else \
            np.sort(rng.choice(positions, UMAP_FIT_ROWS, replace=False))
        reducer = self.umap_fit(gather_rows(self.X, fit_pos, self.client), self.random_state)
        coords = self._checked(self._coords_on_workers(reducer, positions), positions.size)
        with self._lock:
            coords = self._completed(positions, coords, _transform_rows, reducer)
            self.reducer, self.coords, self.name = reducer, coords, "umap"
        return coords
