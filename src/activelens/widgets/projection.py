"""2-D maps of the pool: PCA at once, UMAP in a background thread, both cached.

``pca_2d`` is fast enough to paint on display (a randomized SVD on a sample, then one matrix product).
``Projection`` starts a UMAP fit in a daemon thread and calls back when it is ready; a finished UMAP is kept
in a module-level cache keyed by a fingerprint of X, so re-displaying an explorer does not refit, and, given a
``store`` (the learner's :class:`~activelens.LabelStore`), in the store under the same fingerprint
(``put_map_coords``), so a restarted kernel shows it at once.
Past ``sample_above`` rows UMAP is fitted on a random sample and the rest is ``transform``-ed in chunks.
"""
from __future__ import annotations

import hashlib
import threading
from typing import TYPE_CHECKING, Any
from collections import OrderedDict

import numpy as np

from activelens.core.linear_pca import LinearPCA

METHODS = ("pca", "umap", "auto")
#: bumps when ``umap_2d``'s settings change, so a store's cached map from other settings is not reused
UMAP_VERSION = 3
_CACHE: OrderedDict = OrderedDict()   # fingerprint -> (n, 2) float32 UMAP coordinates
_CACHE_SIZE = 4
_CACHE_LOCK = threading.Lock()


def fingerprint(X: np.ndarray, random_state=None) -> str:
    """A cheap key for X: shape, dtype and a hash of (at most) ~4 MB of evenly strided rows."""
    X = np.asarray(X)
    h = hashlib.blake2b(digest_size=16)
    h.update(repr((X.shape, str(X.dtype), random_state)).encode())
    step = max(1, X.shape[0] // max(1, (4 << 20) // max(1, X[0].nbytes)))
    h.update(np.ascontiguousarray(X[::step]).tobytes())
    return h.hexdigest()


def pca_2d(X, random_state=0, max_fit_rows: int = 20_000) -> np.ndarray:
    """(n, 2) float32 PCA scores. Components are estimated on at most ``max_fit_rows`` rows."""
    X = np.asarray(X, dtype=np.float32)
    if X.ndim != 2:
        raise ValueError(f"X must be 2-D to project it, got shape {X.shape}")
    n = X.shape[0]
    rng = np.random.default_rng(random_state)
    fit = X if n <= max_fit_rows else X[rng.choice(n, max_fit_rows, replace=False)]
    return LinearPCA.fit(fit, 2, random_state=random_state).transform(X)


_WARM_LOCK = threading.Lock()
_WARM = None   # the thread that imports numba and loads the compiled layout, once per process


def prewarm() -> threading.Thread:
    """Start importing numba and loading UMAP's compiled layout (numba's on-disk cache) in a daemon thread, once per
    process, so the fit finds it ready: the map's UMAP calls this first thing, before its PCA and kNN graph, which
    run meanwhile. Returns the thread."""
    global _WARM
    with _WARM_LOCK:
        if _WARM is None:
            _WARM = threading.Thread(target=_warm_up, name="activelens-umap-warm-up", daemon=True)
            _WARM.start()
        return _WARM


def _warm_up():
    try:
        from activelens.widgets.umap_layout import warm_up

        warm_up()
    except Exception:  # noqa: BLE001 - the fit itself reports the error on the map
        pass


def umap_2d(X, random_state=0, sample_above: int = 50_000, chunk: int = 50_000, n_neighbors: int = 15,
            on_progress=None, timings=None) -> np.ndarray:
    """(n, 2) float32 UMAP embedding. Up to ``sample_above`` rows: :func:`activelens.widgets.umap_layout.umap_layout`
    (exact kNN, UMAP's fuzzy set in numpy, UMAP's layout compiled once and cached on disk, seeded from the PCA the
    map shows first): seconds in a new kernel; ``on_progress(coords, quick_epochs, n_epochs)`` gets a quick layout first,
    ``timings`` (a dict) the seconds of each step.
    Past that, umap-learn fits a sample and transforms the rest."""
    X = np.asarray(X, dtype=np.float32)
    n = X.shape[0]
    if n <= sample_above:
        prewarm()
        from activelens.widgets.umap_layout import umap_layout

        return umap_layout(X, pca_2d(X, random_state=random_state), n_neighbors=n_neighbors,
                           random_state=0 if random_state is None else int(random_state), on_progress=on_progress,
                           timings=timings)
    import umap  # imported lazily: numba compilation takes seconds
    reducer = umap.UMAP(n_components=2, n_neighbors=min(n_neighbors, max(2, n - 1)), random_state=random_state,
                        low_memory=True, n_jobs=1)
    rng = np.random.default_rng(random_state)
    sample = np.sort(rng.choice(n, sample_above, replace=False))
    out = np.empty((n, 2), dtype=np.float32)
    out[sample] = reducer.fit_transform(X[sample])
    rest = np.setdiff1d(np.arange(n), sample)
    for start in range(0, rest.size, chunk):
        part = rest[start:start + chunk]
        out[part] = reducer.transform(X[part])
    return out


def cached_umap(X, random_state=0):
    """A finished UMAP for X from the cache, or None."""
    key = fingerprint(X, random_state)
    with _CACHE_LOCK:
        if key in _CACHE:
            _CACHE.move_to_end(key)
            return _CACHE[key]
    return None


def _store(key, coords):
    with _CACHE_LOCK:
        _CACHE[key] = coords
        _CACHE.move_to_end(key)
        while len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)


def umap_available() -> bool:
    try:
        import importlib.util
        return importlib.util.find_spec("umap") is not None
    except (ImportError, ValueError):
        return False


class BackgroundUMAP:
    """What a map with a UMAP fitted in a daemon thread shares: ``status``, ``start``, ``wait`` and the thread's
    run (callbacks, errors, the done event). A subclass calls ``_init_background``, sets ``want_umap`` and ``name``,
    and defines ``_umap``: fit, swap the coordinates in, return them."""

    _thread_name = "activelens-umap"
    want_umap: bool   # set by the subclass
    name: str         # set by the subclass: the projection on show

    if TYPE_CHECKING:
        def _umap(self) -> np.ndarray: ...   # defined by the subclass

    def _init_background(self, on_ready=None, on_error=None):
        self.on_ready, self.on_error = on_ready, on_error
        self.thread = None
        self.error = None
        self.done = threading.Event()

    @staticmethod
    def _checked(coords, n: int) -> np.ndarray:
        coords = np.asarray(coords, dtype=np.float32)
        if coords.shape != (n, 2) or not np.isfinite(coords).all():
            raise ValueError(f"UMAP returned coordinates of shape {coords.shape} or non-finite values")
        return coords

    def _run(self):
        try:
            coords = self._umap()
            if self.on_ready is not None:
                self.on_ready(coords, "umap")
        except Exception as exc:  # noqa: BLE001 - reported on the widget, PCA stays
            self.error = f"{type(exc).__name__}: {exc}"
            if self.on_error is not None:
                self.on_error(self.error)
        finally:
            self.done.set()

    def _status(self, note: str = "") -> str:
        if self.error is not None:
            return f"umap failed: {self.error}, showing pca" + note
        if self.want_umap and self.name != "umap":
            return "pca now · umap on its way (fitting in the background)" + note
        refining = getattr(self, "refining", None)
        if self.name == "umap" and refining is not None:
            return f"umap (quick {refining[0]}-epoch layout · {refining[1]}-epoch one on its way)" + note
        if self.name == "umap" and getattr(self, "from_store", False):
            return "umap (saved with the labels)" + note
        return self.name + note

    @property
    def status(self) -> str:
        return self._status()

    def start(self):
        """Start the background UMAP fit (no-op when not wanted or already done)."""
        if self.done.is_set() or self.thread is not None:
            return
        self.thread = threading.Thread(target=self._run, name=self._thread_name, daemon=True)
        self.thread.start()

    def wait(self, timeout=None) -> bool:
        """Block until the background UMAP (if any) is done."""
        return self.done.wait(timeout)


class Projection(BackgroundUMAP):
    """The map's coordinates: PCA now, optionally UMAP later (``on_ready(coords, name)`` from a thread).

    ``method``: "pca" (PCA only), "umap" (PCA first, UMAP swapped in when fitted), "auto" (UMAP if umap-learn
    is installed, else PCA).
    """

    def __init__(self, X, method="auto", random_state=0, on_ready=None, on_error=None, umap_fn=None, store=None):
        if method not in METHODS:
            raise ValueError(f"projection must be one of {', '.join(METHODS)}, got {method!r}")
        self.X = X
        self.random_state = 0 if random_state is None else random_state
        self.want_umap = method == "umap" or (method == "auto" and umap_available())
        self._umap_fn = umap_fn or umap_2d
        self._init_background(on_ready, on_error)
        self.store = store
        self.refining = None   # (quick epochs, full epochs) while the quick layout is on show
        self.timings = {}      # seconds per step of the background UMAP (umap_layout's names)
        self.key = fingerprint(X, self.random_state) if self.want_umap else None
        cached = cached_umap(X, self.random_state) if self.want_umap else None
        self.from_store = False
        if cached is None and self.want_umap and store is not None:
            cached = self._from_store(np.asarray(X).shape[0])
            self.from_store = cached is not None
        if cached is not None:
            self.coords, self.name = cached, "umap"
            self.done.set()
        else:
            if self.want_umap and umap_fn is None and np.asarray(X).shape[0] <= 50_000:
                prewarm()   # numba's import and the compiled layout load while the widget is built and painted
            self.coords, self.name = pca_2d(X, random_state=self.random_state), "pca"
            if not self.want_umap:
                self.done.set()

    def _store_key(self) -> str:
        return f"umap-{UMAP_VERSION}-{self.key}"

    def _from_store(self, n: int):
        try:
            coords = self.store.get_map_coords(self._store_key())
        except Exception:  # noqa: BLE001 - a store that cannot answer only costs a refit
            return None
        if coords is None or coords.shape != (n, 2) or not np.isfinite(coords).all():
            return None
        _store(self.key, coords)
        return coords

    def _umap(self):
        key = self.key or fingerprint(self.X, self.random_state)
        n = np.asarray(self.X).shape[0]
        offered: dict[str, Any] = {"on_progress": self._progress, "timings": self.timings}
        takes = _parameters(self._umap_fn)
        coords = self._umap_fn(self.X, random_state=self.random_state,
                               **{k: v for k, v in offered.items() if k in takes})
        coords = self._checked(coords, n)
        _store(key, coords)
        self.refining = None
        self.coords, self.name = coords, "umap"
        if self.store is not None:
            try:
                self.store.put_map_coords(self._store_key(), coords)
            except Exception:  # noqa: BLE001 - the map is on screen; only the next restart refits
                pass
        return coords


    def _progress(self, coords, epoch, n_epochs):
        """The quick layout: on the map at once (the full one replaces it), never cached."""
        coords = self._checked(coords, np.asarray(self.X).shape[0])
        self.refining = (int(epoch), int(n_epochs))
        self.coords, self.name = coords, "umap"
        if self.on_ready is not None:
            self.on_ready(coords, "umap")


def _parameters(fn) -> set:
    """The keyword names ``fn`` takes (a user's or a test's UMAP function may take neither extra)."""
    import inspect

    try:
        return set(inspect.signature(fn).parameters)
    except (TypeError, ValueError):
        return set()


def normalize(coords: np.ndarray) -> np.ndarray:
    """Centre and scale (one factor for both axes, aspect kept) into [-0.95, 0.95]; float32."""
    c = np.asarray(coords, dtype=np.float32)
    lo, hi = c.min(axis=0), c.max(axis=0)
    centre = (lo + hi) / 2
    half = float(np.max(hi - lo)) / 2
    scale = 0.95 / half if half > 0 else 1.0
    return ((c - centre) * scale).astype(np.float32)
