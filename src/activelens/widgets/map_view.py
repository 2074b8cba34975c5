"""The points the Explorer draws for a pool whose rows live elsewhere (a distributed backend): a sample that keeps
rare regions, plus every labeled item and the batch on show, with 2-D coordinates and class probabilities computed
where the rows live, through the ``Pool`` protocol.

A pool of ten million items cannot be drawn (nor sent to a browser) whole. ``MapView`` keeps

* ``positions``: sorted pool positions of the drawn points. Up to ``max_points`` pool items all of them; past it
  about ``max_points`` chosen by ``Pool.map_sample`` (a distributed backend balances them over k-means groups, so a small
  cluster keeps every point while a dense one is thinned) — plus the labeled items. ``include`` adds the batch
  items (and any item labeled later) when they arrive; they are never dropped.
* ``coords``: (m, 2) float32, from a projection fitted on a sample of rows and applied where the rows live
  (``Pool.apply_rows``) to the drawn rows only: PCA at once, UMAP (``start()``, a background thread) when fitted.
* ``proba``: (m, k) float32 class probabilities of the current model for the drawn rows (``rescore``); only these
  m rows come back, never the pool.

Nothing here touches the learner's random generator: the sample is seeded from ``random_state`` alone, so showing
an Explorer does not change which items the learner selects.
"""
from __future__ import annotations

import threading
from typing import Any, Protocol

import numpy as np

from activelens.core.model import padded_proba
from activelens.core.validation import check_scalar
from activelens.widgets.projection import BackgroundUMAP, LinearPCA

#: the map's default size for a pool drawn as a sample (points drawn in the browser)
MAX_POINTS = 1_000_000
#: rows UMAP is fitted on (the rest of the drawn rows are transformed on the workers)
UMAP_FIT_ROWS = 50_000


def check_max_points(max_points) -> int:
    """``max_points`` as a positive int (the most points drawn on the map), or one error naming it."""
    return check_scalar(max_points, "max_points", int, low=1, what="points drawn on the map")


def _proba_rows(rows, model, classes):
    return padded_proba(model, rows, classes).astype(np.float32)


def _transform_rows(rows, reducer):
    return np.asarray(reducer.transform(rows), dtype=np.float32)


def _coords_and_proba_rows(rows, reducer, model, classes):
    return np.hstack([_transform_rows(rows, reducer), _proba_rows(rows, model, classes)])


class _Reducer(Protocol):
    """A fitted 2-D projection (``LinearPCA``, a fitted UMAP): ``transform(rows)`` gives (n, 2) coordinates."""

    def transform(self, rows) -> Any: ...


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
    """The drawn points of a pool drawn as a sample (see the module docstring). Thread-safe: the UMAP thread swaps coordinates
    in under the same lock ``include`` holds."""

    _thread_name = "activelens-umap-scale"

    def __init__(self, pool, *, max_points: int = MAX_POINTS, labeled=None, coords=None, random_state=0,
                 model=None, classes=None, want_umap: bool = False, umap_fit=None, on_ready=None, on_error=None):
        max_points = check_max_points(max_points)
        self.pool = pool
        self.n_pool = pool.n_rows
        self.max_points = int(max_points)
        self.random_state = 0 if random_state is None else random_state
        self._lock = threading.RLock()
        self._init_background(on_ready, on_error)
        self.umap_fit = umap_fit or _default_umap
        labeled = np.asarray([] if labeled is None else labeled, dtype=np.int64)
        rng = np.random.default_rng(self.random_state)
        self.positions = pool.map_sample(self.max_points, labeled, rng)
        self.sampled = self.positions.size < self.n_pool
        self.reducer: _Lookup | _Reducer
        self.coords: np.ndarray
        if coords is not None:
            self.reducer, self.name = _Lookup(coords), "custom"
            self.want_umap = False
        else:
            fit_rows = min(20_000, self.n_pool)
            fit_pos = np.sort(rng.choice(self.n_pool, fit_rows, replace=False))
            self.reducer, self.name = LinearPCA.fit(pool.rows(fit_pos)), "pca"
            self.want_umap = bool(want_umap)
        self.proba: np.ndarray | None = None
        self._model: tuple[Any, np.ndarray] | None = None      # (model, classes) the proba is for: rows added later are scored with it
        if model is not None and not isinstance(self.reducer, _Lookup):   # coordinates and probabilities: one pass
            both = pool.apply_rows(self.positions, 2 + len(classes), _coords_and_proba_rows, self.reducer, model,
                                   np.asarray(classes))
            self.coords, self.proba, self._model = both[:, :2].copy(), both[:, 2:].copy(), (model, np.asarray(classes))
        else:
            self.coords = self._coords_on_workers(self.reducer, self.positions)
        if not self.want_umap:
            self.done.set()

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
        idx = np.unique(np.asarray(idx, dtype=np.int64).ravel())
        with self._lock:
            new = idx[~np.isin(idx, self.positions, assume_unique=True)]
            if new.size == 0:
                return False
            # rows are read for the projection (unless the user gave coordinates) and for the probabilities
            need_rows = not isinstance(self.reducer, _Lookup) or self.proba is not None
            rows = self.pool.rows(new) if need_rows else None
            xy = self._coords_local(self.reducer, new, rows)
            at = np.searchsorted(self.positions, new)
            self.positions = np.insert(self.positions, at, new)
            self.coords = np.insert(self.coords, at, xy, axis=0)
            if self.proba is not None and self._model is not None:   # set together
                self.proba = np.insert(self.proba, at, _proba_rows(rows, *self._model), axis=0)
            return True

    # ----- the model's view of the drawn rows -----
    def rescore(self, model, classes) -> np.ndarray:
        """(m, k) float32 probabilities of the drawn rows under ``model``, computed per chunk on the workers."""
        with self._lock:
            if self._model is not None and self._model[0] is model and self.proba is not None:
                return self.proba   # scored with this model already (at construction, with the coordinates)
            positions = self.positions.copy()
        proba = self.pool.apply_rows(positions, len(classes), _proba_rows, model, np.asarray(classes))
        with self._lock:
            proba = self._completed(positions, proba, _proba_rows, model, classes)
            self.proba, self._model = proba, (model, np.asarray(classes))
            return proba

    def _completed(self, positions, values, func, *args):
        """``values`` computed for the drawn ``positions`` of an earlier moment -> for the points drawn now: the few
        included meanwhile get ``func(their rows, *args)`` here. Call with the lock held."""
        extra = ~np.isin(self.positions, positions)
        if not extra.any():
            return values
        full = np.empty((self.positions.size, values.shape[1]), dtype=np.float32)
        full[~extra] = values
        full[extra] = func(self.pool.rows(self.positions[extra]), *args)
        return full

    # ----- coordinates -----
    def _coords_on_workers(self, reducer, positions):
        if isinstance(reducer, _Lookup):
            return reducer.transform_positions(positions)
        return self.pool.apply_rows(positions, 2, _transform_rows, reducer)

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
        with self._lock:
            positions = self.positions.copy()
        rng = np.random.default_rng(self.random_state)
        fit_pos = positions if positions.size <= UMAP_FIT_ROWS else \
            np.sort(rng.choice(positions, UMAP_FIT_ROWS, replace=False))
        reducer = self.umap_fit(self.pool.rows(fit_pos), self.random_state)
        coords = self._checked(self._coords_on_workers(reducer, positions), positions.size)
        with self._lock:
            coords = self._completed(positions, coords, _transform_rows, reducer)
            self.reducer, self.coords, self.name = reducer, coords, "umap"
        return coords
