"""The map's points and the pool items they draw.

A pool whose rows are in this process is drawn whole (:class:`WholePool`: point i is pool item i, coordinates from
:class:`~activelens.widgets.projection.Projection`). A pool whose rows live elsewhere is drawn as a sample
(:class:`SampledPool`, through :class:`~activelens.widgets.map_view.MapView`): at most ``max_points`` points chosen to
keep rare regions, always with the labeled items and the batch. Both answer the same questions, so the Explorer never
asks which one it has:

* ``snapshot()``: (pool position of each point or None when point i is item i, normalized (m, 2) float32 coordinates)
* ``rows(idx)``: the point numbers of pool positions; ``contains(i)``: is item i drawn
* ``include(idx)``: make sure these items are drawn (True if the points changed); ``drawn_proba``: the probabilities
  of the drawn rows that came along (or None)
* ``proba(learner)``: (m, k) probabilities of the drawn rows under the learner's current model
* ``name``, ``status``, ``start()``, ``wait(timeout)``: the projection and its background UMAP
"""
from __future__ import annotations

import numpy as np

from activelens.widgets import projection as _projection
from activelens.widgets.map_view import MAX_POINTS, MapView, check_max_points


def check_points(learner, coords, projection, max_points):
    """Validate the Explorer's map arguments before anything is built.

    Parameters
    ----------
    learner : ActiveLearner
    coords : array-like of shape (n_pool, 2) or None
        The user's own positions (skips the projection).
    projection : str
        One of ``projection.METHODS``.
    max_points : int or None
        Only for a pool drawn as a sample.

    Returns
    -------
    ndarray of shape (n_pool, 2), float32, or None
        ``coords`` as float32.
    """
    n = learner.n_pool
    user_coords = None
    if coords is not None:
        try:
            user_coords = np.asarray(coords, dtype=np.float32)
        except (TypeError, ValueError):
            raise TypeError("coords must be a numeric (n_pool, 2) array") from None
        if user_coords.shape != (n, 2):
            raise ValueError(f"coords must have shape (n_pool, 2) = ({n}, 2), got {user_coords.shape}")
        if not np.isfinite(user_coords).all():
            raise ValueError("coords contains NaN or infinity")
    if projection not in _projection.METHODS:
        raise ValueError(f"projection must be one of {', '.join(_projection.METHODS)}, got {projection!r}")
    if max_points is not None:
        check_max_points(max_points)
    drawn_whole = learner.pool.map_array is not None   # rows here: the whole pool is drawn
    if max_points is not None and drawn_whole:
        raise ValueError(f"max_points is for a {learner.pool.kind} pool, which is drawn as a sample; an "
                         f"in-memory pool of {n:,} items is drawn whole — leave max_points out")
    if not drawn_whole and n >= 2**32:
        raise ValueError(f"the map addresses pool items with 32 bits; this pool has {n:,} items")
    return user_coords


def make_points(learner, *, coords=None, projection="auto", max_points=None, on_ready=None, on_error=None):
    """The points for ``learner``'s pool: the whole pool when its rows are here, else a sample.

    Parameters
    ----------
    learner : ActiveLearner
    coords : ndarray of shape (n_pool, 2) or None
        Validated by :func:`check_points`.
    projection : str
        "pca", "umap" or "auto".
    max_points : int or None
        A sample's size (default ``MAX_POINTS``).
    on_ready : callable (coords, name) -> None
        Called from the UMAP thread once UMAP coordinates are in.
    on_error : callable (message) -> None
        Called from the UMAP thread when UMAP failed (PCA stays).
    """
    if learner.pool.map_array is not None:
        return WholePool(learner, coords=coords, projection=projection, on_ready=on_ready, on_error=on_error)
    return SampledPool(learner, coords=coords, projection=projection, max_points=max_points, on_ready=on_ready,
                       on_error=on_error)


class WholePool:
    """Every pool item is a point, in pool order (the pool's rows are in this process)."""

    drawn_proba = None

    def __init__(self, learner, *, coords=None, projection="auto", on_ready=None, on_error=None):
        self.n_pool = learner.n_pool
        self._coords = coords
        self._projection = None
        if coords is None:
            self._projection = _projection.Projection(learner.pool.map_array, method=projection,
                                                      random_state=learner.random_state, on_ready=on_ready,
                                                      on_error=on_error, store=learner.store)

    @property
    def name(self) -> str:
        """What the coordinates are: "pca", "umap" or "custom"."""
        return "custom" if self._projection is None else self._projection.name

    @property
    def status(self) -> str:
        """The projection's state for the page, e.g. "pca now · umap on its way (fitting in the background)"."""
        return "custom" if self._projection is None else self._projection.status

    def snapshot(self) -> tuple[None, np.ndarray]:
        """(None: point i is pool item i, (n_pool, 2) float32 coordinates normalized into [-0.95, 0.95])."""
        coords = self._coords if self._projection is None else self._projection.coords
        return None, _projection.normalize(coords)

    def rows(self, idx) -> np.ndarray:
        """Point numbers of pool positions ``idx``: the positions themselves."""
        return np.asarray(idx, dtype=np.intp)

    def contains(self, i: int) -> bool:
        """Every pool item is drawn."""
        return True

    def include(self, idx) -> bool:
        """Every pool item is drawn already: nothing changes."""
        return False

    def proba(self, learner) -> np.ndarray:
        """(n_pool, k) probabilities over ``learner.proba_classes()`` under the learner's current model."""
        return learner.predict_proba()

    def start(self) -> None:
        """Start the background UMAP (when one is wanted)."""
        if self._projection is not None:
            self._projection.start()

    def wait(self, timeout=None) -> bool:
        """Block until the background UMAP (if any) is done."""
        return True if self._projection is None else self._projection.wait(timeout)


class SampledPool:
    """A sample of the pool drawn as points (the pool's rows live elsewhere); ``view`` is the
    :class:`~activelens.widgets.map_view.MapView` that keeps the sample, its coordinates and probabilities."""

    def __init__(self, learner, *, coords=None, projection="auto", max_points=None, on_ready=None, on_error=None):
        want_umap = projection == "umap" or (projection == "auto" and _projection.umap_available())
        model = learner.model_
        self.view = MapView(learner.pool, max_points=MAX_POINTS if max_points is None else max_points,
                            labeled=learner.labeled_indices, coords=coords, random_state=learner.random_state,
                            model=model, classes=None if model is None else learner.proba_classes(model),
                            want_umap=want_umap, on_ready=on_ready, on_error=on_error)

    @property
    def name(self) -> str:
        return self.view.name

    @property
    def status(self) -> str:
        return self.view.status

    @property
    def drawn_proba(self):
        """(m, k) probabilities of the drawn rows the view holds (None before the first model)."""
        return self.view.proba

    def snapshot(self) -> tuple[np.ndarray, np.ndarray]:
        """(sorted pool positions of the points (m,), (m, 2) float32 normalized coordinates) of one moment."""
        positions, coords = self.view.snapshot()
        return positions, _projection.normalize(coords)

    def rows(self, idx) -> np.ndarray:
        """Point numbers of pool positions ``idx``; a ValueError names the first one not drawn."""
        return self.view.locate(idx)

    def contains(self, i: int) -> bool:
        return self.view.contains(i)

    def include(self, idx) -> bool:
        """Draw these pool items too (the batch, items labeled elsewhere). True if the sample grew."""
        return self.view.include(idx)

    def proba(self, learner) -> np.ndarray:
        """(m, k) probabilities of the drawn rows under the learner's current model, computed where the rows live."""
        return self.view.rescore(learner.model_, learner.proba_classes(learner.model_))

    def start(self) -> None:
        self.view.start()

    def wait(self, timeout=None) -> bool:
        return self.view.wait(timeout)
