"""The Explorer's find-and-bulk-label panel on the Python side: text search and "more like this" (they write the
map's ``selected``), bulk labels of the selection, and the replay of where past rounds' labels went.

``FindPanel`` is a mixin of :class:`~activelens.Explorer`: it uses the host's ``_session``, ``_cards`` (its
``items``), ``_lock``, ``learner``, ``label_names``, ``selected`` (``MapPanel``), ``_positions``, ``point_positions``
and the one retrain path ``_start_retrain``; it is the one writer of the traits it declares:

========  ==========================================  ======  ===================================================
trait     type                                        writer  meaning
========  ==========================================  ======  ===================================================
find      Dict                                        python  {"note": what the last search or "more like this"
                                                              found, "unlabeled": unlabeled items among
                                                              ``selected`` (what "Label N selected as" labels),
                                                              "confirm_over": a bulk label of more items asks
                                                              for a second click}
replay    Dict                                        python  {"last": the last round labels were given in (-1:
                                                              none), "round": the round shown (-1: none), "n":
                                                              its items}
========  ==========================================  ======  ===================================================
"""
from __future__ import annotations

import threading
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any, Callable

import numpy as np
import traitlets

from activelens.widgets.find import (BULK_CONFIRM_OVER, check_search, check_similar, label_rounds,
                                     match_positions, nearest_positions, round_items)

if TYPE_CHECKING:
    from activelens.loop.learner import ActiveLearner
    from activelens.widgets.cards import CardMaker
    from activelens.widgets.session import Session


class FindPanel(traitlets.HasTraits):
    """Search, "more like this", bulk labels and the round replay (a mixin of the Explorer)."""

    find = traitlets.Dict(read_only=True).tag(sync=True)
    replay = traitlets.Dict(read_only=True).tag(sync=True)

    if TYPE_CHECKING:   # what the host (the Explorer, with MapPanel) provides, for the type checker only
        learner: ActiveLearner
        _session: Session
        _cards: CardMaker
        _lock: threading.RLock
        label_names: list[str]
        hold_sync: Callable[[], AbstractContextManager[Any]]

        def _positions(self, what: str, indices: Any) -> list[int]: ...

        def point_positions(self) -> np.ndarray: ...

        def _start_retrain(self) -> None: ...

    def _find_commands(self) -> dict:
        """The page's find commands (part of ``messages.EXPLORER``)."""
        return {"search": lambda c: self._from_page(self.search, c.get("text"), regex=bool(c.get("regex", False))),
                "label_selected": lambda c: self._from_page(self.label_selected, c.get("label")),
                "show_round": lambda c: self._from_page(self.show_round, c.get("round"))}

    def _from_page(self, method, *args, **kwargs):
        method(*args, **kwargs)
        self.error = ""

    # ------------------------------------------------------------------ traits
    def _render_find(self, note=None):
        labeled = set(self.learner.labeled_indices.tolist())
        with self._lock:
            self.set_trait("find", {"note": self.find.get("note", "") if note is None else note,
                                    "unlabeled": sum(1 for i in self.selected if i not in labeled),
                                    "confirm_over": BULK_CONFIRM_OVER})

    def _render_replay(self, shown=-1, n=0):
        _, rounds = label_rounds(self.learner)
        with self._lock:
            self.set_trait("replay", {"last": int(rounds.max()) if rounds.size else -1, "round": shown, "n": n})

    @traitlets.observe("selected")
    def _selection_changed(self, _change):
        if hasattr(self, "_session"):
            self._render_find()

    # ------------------------------------------------------------------ Python API
    def search(self, text: str, *, column: str | None = None, regex: bool = False) -> int:
        """Select (``selected``, shown on the map) the items whose text contains ``text``, case-insensitive.

        Parameters
        ----------
        text : str
            What to look for; with ``regex=True`` a regular expression (``re.search``, case-insensitive).
        column : str, optional
            Items given as a DataFrame: the column to search in. Default: the texts given as ``items``.
        regex : bool, default=False
            Treat ``text`` as a regular expression.

        Returns
        -------
        int
            How many items were found (and selected). Items not drawn on the map (a pool drawn as a sample) are
            not searched.
        """
        pattern = check_search(text, regex)
        texts = self._cards.items.texts(column)
        found = match_positions(texts, pattern, self.point_positions())
        with self._lock, self.hold_sync():
            self.selected = found
            self._render_find(f"{len(found)} found for {text!r}" if found else f"nothing found for {text!r}")
        return len(found)

    def similar(self, position: int, n: int = 20) -> list[int]:
        """Select the ``n`` items nearest to pool item ``position`` in the pool's embedding (the item itself first:
        it is at distance 0); returns them, nearest first."""
        position, n = check_similar(position, n, self.learner.n_pool)
        self._positions("similar", [position])     # drawn on the map
        found = nearest_positions(self.learner.pool, position, n, self.point_positions())
        with self._lock, self.hold_sync():
            self.selected = found
            self._render_find(f"{len(found)} nearest to item {position}")
        return found

    def label_selected(self, label: Any) -> int:
        """Label every unlabeled item of ``selected`` as ``label`` at once (recorded with source "bulk"), then
        retrain as a submit does. ``label`` is a name of ``label_names`` (or the class it stands for). Items already
        labeled are left as they were. Refused while picks on the cards are not submitted, on an empty selection,
        or when every selected item is labeled (nothing is recorded then). Returns how many were labeled."""
        names = self.label_names
        try:
            pos = names.index(label) if isinstance(label, str) and label in names else \
                self._session.labels.position(label)
        except TypeError:   # unhashable: not a class
            pos = None
        if pos is None:
            raise ValueError(f"label {label!r} is not one of label_names: {', '.join(map(repr, names))}")
        if not self.selected:
            raise ValueError("label_selected: nothing is selected; select items first (lasso, box, search, "
                             "similar)")
        with self._lock:
            done, _ = self._session.label_bulk(list(self.selected), pos)
            self.selected = []
            self._start_retrain()
        return done

    def show_round(self, k: int) -> int:
        """Replay round ``k``: select the items labeled in it (0 = before the first fit), so the map shows where that
        round's selection went; the slider under the map does the same. Returns how many there are."""
        items = round_items(self.learner, k)
        with self._lock, self.hold_sync():
            drawn = set(self.point_positions().tolist())
            self.selected = [i for i in items if i in drawn]
            self._render_find(f"round {int(k)}: {len(items)} labeled")
            self._render_replay(int(k), len(items))
        return len(items)

    def _refresh_find(self):
        """After labels changed: the replay's range and the unlabeled count of the selection."""
        self._render_replay(self.replay.get("round", -1), self.replay.get("n", 0))
        self._render_find()

