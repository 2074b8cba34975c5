"""The Explorer's map panel on the Python side: the map's traits (see the table in ``explorer.py``), written from
``MapState`` (the model's probabilities and colours) and the drawn points, and the map's Python API (colouring,
the selection, coordinates, a plotly figure).

``MapPanel`` is a mixin of :class:`~activelens.Explorer`: it uses the host's ``_map`` (``MapState``), ``_cards``
(``CardMaker``), ``_lock``, ``learner`` and ``batch_indices``; it is the one writer of the traits it declares. Setting ``color_by`` from Python
recolours the map and its legend as the page's dropdown does.
"""
from __future__ import annotations

import threading
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any, Callable

import numpy as np
import traitlets

from activelens.widgets.figures import map_figure
from activelens.widgets.palette import check_color_by

if TYPE_CHECKING:
    from activelens.loop.learner import ActiveLearner
    from activelens.widgets.cards import CardMaker
    from activelens.widgets.map_state import MapState


class MapPanel(traitlets.HasTraits):
    """The map's traits and their renderers (a mixin of the Explorer)."""

    n_points = traitlets.Int(0, read_only=True).tag(sync=True)
    coords = traitlets.Bytes(b"", read_only=True).tag(sync=True)
    point_index = traitlets.Bytes(b"", read_only=True).tag(sync=True)
    projection = traitlets.Unicode("pca", read_only=True).tag(sync=True)
    projection_status = traitlets.Unicode("", read_only=True).tag(sync=True)
    color_values = traitlets.Bytes(b"", read_only=True).tag(sync=True)
    labeled_points = traitlets.Bytes(b"", read_only=True).tag(sync=True)
    color_by = traitlets.Unicode("entropy").tag(sync=True)
    palette = traitlets.List(traitlets.Unicode(), read_only=True).tag(sync=True)
    legend = traitlets.Dict(read_only=True).tag(sync=True)
    selected = traitlets.List(traitlets.Int()).tag(sync=True)

    if TYPE_CHECKING:   # what the host (the Explorer, an anywidget) provides, for the type checker only
        learner: ActiveLearner
        _map: MapState
        _cards: CardMaker
        _lock: threading.RLock
        label_names: list[str]
        class_colors: list[str]
        hold_sync: Callable[[], AbstractContextManager[Any]]
        send: Callable[[Any], None]

        @property
        def batch_indices(self) -> list[int]: ...

    def _render_points(self):
        positions, coords = self._map.points.snapshot()
        with self._lock, self.hold_sync():
            self.set_trait("n_points", int(coords.shape[0]))
            self.set_trait("point_index", b"" if positions is None else positions.astype(np.uint32).tobytes())
            self.set_trait("coords", coords.tobytes())
            self.set_trait("projection_status", self._map.points.status)

    def _render_colours(self):
        vals, rows, legend = self._map.colours(self.color_by, self.n_points, len(self.palette), self.label_names,
                                               self.class_colors)
        with self._lock, self.hold_sync():
            self.set_trait("color_values", vals.tobytes())
            self.set_trait("labeled_points", rows.tobytes())
            self.set_trait("legend", legend)

    def _rescore(self):
        if self._map.rescore():
            self._render_points()
        self._render_colours()

    # ------------------------------------------------------------------ MapState -> traits
    @traitlets.observe("color_by")
    def _recolour(self, _change):   # a user's ``w.color_by = "label"`` takes effect like the page's dropdown
        if hasattr(self, "_map"):
            self._render_colours()

    def _peek(self, index):   # the hover: answered with a "peek" message (the item, and the model's view of it)
        if isinstance(index, bool) or not isinstance(index, (int, np.integer)) or not 0 <= index < self.learner.n_pool \
                or not self._map.points.contains(int(index)):
            return
        self.send({**self._cards.peek(int(index)), **self._map.peek(int(index))})

    def _positions(self, what, indices) -> list[int]:
        """``indices`` checked as pool positions drawn on the map, in order, without repeats."""
        if isinstance(indices, (str, bytes)) or not hasattr(indices, "__iter__"):
            raise TypeError(f"{what}: give a list of pool positions, got {indices!r}")
        out = []
        for i in indices:
            if isinstance(i, bool) or not isinstance(i, (int, np.integer)) or not 0 <= i < self.learner.n_pool:
                raise ValueError(f"{what}: {i!r} is not a pool position (0..{self.learner.n_pool - 1})")
            if not self._map.points.contains(int(i)):
                raise ValueError(f"{what}: item {int(i)} is not on the map; pick points that are drawn")
            out.append(int(i))
        return list(dict.fromkeys(out))

    @traitlets.validate("selected")
    def _valid_selected(self, proposal):
        return sorted(self._positions("selected", proposal["value"]))

    @traitlets.validate("color_by")
    def _valid_color_by(self, proposal):
        return check_color_by(proposal["value"])

    # ------------------------------------------------------------------ projection callbacks (UMAP thread)
    def _on_projection(self, coords, name):
        with self._lock, self.hold_sync():
            self.set_trait("projection", name)
            self._render_points()

    def _on_projection_error(self, message):
        with self._lock:
            self.set_trait("projection_status", self._map.points.status)   # "umap failed: <message>, showing pca"

    def set_color_by(self, mode: str) -> None:
        """Colour the map by ``mode``: "entropy", "margin", "predicted" or "label" (the same as setting
        ``color_by``; only the colour buffer is sent)."""
        with self._lock:
            if self.color_by == check_color_by(mode):
                self._render_colours()
            self.color_by = mode     # a change recolours (``_recolour``)

    def wait_projection(self, timeout: float | None = None) -> bool:
        """Block until the background UMAP (if any) is done; True if it is (see :meth:`wait`)."""
        return self._map.points.wait(timeout)

    def coordinates(self) -> np.ndarray:
        """The map's coordinates as sent to the page: ndarray of shape (n_points, 2), float32, in [-0.95, 0.95]."""
        return np.frombuffer(self.coords, dtype=np.float32).reshape(-1, 2)

    def point_positions(self) -> np.ndarray:
        """(n_points,) int64: the pool position of each point on the map (all of them when the whole pool is drawn;
        a sample for a pool drawn as a sample)."""
        if not self.point_index:   # empty: point i is pool item i
            return np.arange(self.n_points, dtype=np.int64)
        return np.frombuffer(self.point_index, dtype=np.uint32).astype(np.int64)

    def figure(self) -> Any:
        """The map as a ``plotly.graph_objects.Figure`` (for reports): points coloured as on the page, labeled points
        on top (larger, outlined), the batch ringed, the selection marked."""
        points, cards = self._map.points, self.batch_indices
        vals = np.frombuffer(self.color_values, dtype=np.uint8)
        rows = points.rows(cards) if cards else np.empty(0, dtype=int)
        selected = points.rows(self.selected) if self.selected else None
        return map_figure(self.coordinates(), np.asarray(self.palette)[vals].tolist(), rows, cards, self.projection,
                          self.color_by, labeled_rows=points.rows(self.learner.labeled_indices),
                          selected_rows=selected)
