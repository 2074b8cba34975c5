"""Explorer: the notebook widget — the pool map, the batch as cards with inline label buttons, the learning curve.

The traitlets are the whole protocol. Each has exactly one writer; the page never writes a trait, it sends
commands (``model.send``) that Python answers by updating traits.

=================  ==========================================  ======  ================================================
trait              type                                        writer  meaning
=================  ==========================================  ======  ================================================
n_points           Int                                         python  points on the map: the pool, or for a pool drawn
                                                                       as a sample the drawn points (``point_index``)
coords             Bytes: float32 (n, 2) row-major, in [-1,1]  python  the map's positions (PCA, then UMAP when ready)
point_index        Bytes: uint32 (n,), sorted                  python  the pool position of each point; empty when
                                                                       point i is pool item i (the whole pool drawn)
projection         Unicode                                     python  "pca", "umap" or "custom": what ``coords`` are
projection_status  Unicode                                     python  e.g. "pca now · umap on its way (fitting in the background)"
color_values       Bytes: uint8 (n,)                           python  palette index per point (only this is resent
                                                                       after a retrain; see ``palette.py``)
labeled_points     Bytes: uint32 (m,)                          python  the point numbers of the labeled items (drawn
                                                                       on top, larger, outlined, in every colouring)
color_by           Unicode                                     python  "entropy" | "margin" | "predicted" | "label"
palette            List[str] (hex colours, ≤ 256)              python  colour of each palette index
legend             Dict                                        python  {"kind": "continuous"|"categorical", ...}
label_names        List[str]                                   python  the names on the buttons, in class order
class_colors       List[str]                                   python  one colour per class
batch              List[Dict]                                  python  one card per batch item (see ``cards.py``)
batch_id           Int                                         python  bumps each time a new batch arrives
max_hand_picked    Int                                         python  at most this many cards (items picked on the
                                                                       map are added up to it)
selected           List[int]                                   python  the pool positions chosen on the map (click,
                                                                       lasso, box), sorted; settable from Python;
                                                                       the page asks with ``select``
button_order       Unicode                                     python  "labels" (the order of ``labels=`` on every
                                                                       card) or "probability"
pending            Dict[str(index) -> int]                     python  label position picked per card, -1 = skip;
                                                                       acknowledged picks not yet in the learner
saved              List[int]                                   python  batch items the learner has a label for
                                                                       (annotator mode: submitted to the queue)
status             Dict                                        python  {"state": "idle"|"training"|"error", "busy",
                                                                       "message", "round", "n_labeled", "saved_to"}
                                                                       (saved_to: where labels are kept, e.g.
                                                                       "labels saved to labels.db")
curve              Dict                                        python  {"n_labels", "scores", "baseline_n",
                                                                       "baseline_scores", "baseline_lo", "baseline_hi",
                                                                       "baseline_note", "source", "gain", "stopping",
                                                                       "hint"}
                                                                       (see ``curve.py``)
error              Unicode                                     python  last error, "" when none
teaching           Dict                                        python  teaching mode ({} when off): {"enabled",
                                                                       "strategy", "strategies", "noise", "answered",
                                                                       "flipped", "step", "step_name", "step_text",
                                                                       "running", "rounds_run"} (see teaching.py)
monitor            Dict                                        python  annotation quality ({} without a store or queue):
                                                                       {"annotator", "annotators": [{"name",
                                                                       "n_labels", "gold_n", "gold_accuracy", "kappa",
                                                                       "labels_per_hour"}], "agreement": {"method",
                                                                       "kappa", "n_items"}, "cost_per_point",
                                                                       "cost_unit", "queue": {...} | None}; refreshed
                                                                       after each retrain (see ``monitor_panel.py``)
=================  ==========================================  ======  ================================================

Commands from the page (``model.send``, one table: ``Explorer._commands``): ``{"type": "label", "index", "label"}``
(label = position in ``label_names``), ``{"type": "skip", "index"}``, ``{"type": "undo"}``, ``{"type": "submit"}``,
``{"type": "color_by", "value"}``, ``{"type": "select", "indices"}`` (click, lasso or box on the map: the
selection), ``{"type": "add", "indices"}`` (the "add to batch" control: the selection joins the batch),
``{"type": "peek", "index"}`` (hover; answered with a ``{"type": "peek", "index", "id" (with ids), "preview",
"item", ...}`` message).
Teaching mode (``oracle=``) adds ``{"type": "oracle"}`` (label the batch with the oracle and submit),
``{"type": "run", "rounds"}``, ``{"type": "strategy", "value"}``, ``{"type": "noise", "value"}`` and
``{"type": "step"}`` (advance the step view: scores → selection → labels → retrain).

Submitting teaches the learner at once (a card shows "saved" only then), and retrain → rescore → next batch run
in the background runner (``runner.py``); ``wait()`` blocks until that work is done. Nothing leaves the batch
silently: cards left unpicked stay in the next batch (annotator mode: they go back to the queue), skipped cards go
back to the pool, a submit with nothing picked is refused with "nothing picked", and the status line says which.

A selection on the map (``selected``) is for exploring; it becomes labeling work only through ``add_to_batch``
(or the page's "add to batch" button), which states any cap (``MAX_HAND_PICKED`` cards).

Where the parts live: the map's points (the whole pool, or a sample of a pool whose rows live elsewhere) in
``points.py``; where batches come from and labels go (the learner, or the shared annotation queue in annotator
mode) in ``batch_source.py``; colours in ``palette.py``; the cards in ``cards.py``; the label buttons' classes in
``label_names.py``; the random baseline in ``baseline.py``; plotly exports in ``figures.py``.

Annotator mode (``annotator="name"``): the cards are claimed from the shared :class:`~activelens.AnnotationQueue`;
when it has nothing to claim the learner's ``query()`` fills it first. Submitting sends each label through the
queue (a card shows "saved" once it is committed), releases skipped and unpicked cards and teaches the learner the
queue's resolved labels before the retrain. Two Explorers with different annotators on one store never hold the
same item at once.

A pool whose rows live elsewhere (a distributed pool) is drawn as a sample: at most ``max_points`` points chosen to
keep rare regions, always with the labeled items and the batch; ``point_index`` tells the page which pool item each
point is, and every index in a command or a card stays a pool position.
"""
from __future__ import annotations

import pathlib
import threading
import time

import anywidget
import numpy as np
import traitlets

from activelens.core.pool import PoolError
from activelens.widgets import palette as _palette
from activelens.widgets.baseline import RandomBaseline
from activelens.widgets.batch_source import QueueSource, SubmitFailed
from activelens.widgets.cards import HAND_PICKED, card, check_button_order, suggested_position, why_of
from activelens.widgets.commands import dispatch
from activelens.widgets.curve import curve_state
from activelens.widgets.figures import curve_figure, map_figure
from activelens.widgets.items import ItemSource
from activelens.widgets.label_names import LabelNames
from activelens.widgets.monitor_panel import monitor_state
from activelens.widgets.palette import check_color_by, uncertainty
from activelens.widgets.points import check_points, make_points
from activelens.widgets.runner import Runner, describe
from activelens.widgets.teaching import TeachingMixin
from activelens.widgets.term_weights import TermWeights, check_feature_names
from activelens.widgets.wire import item_id

_STATIC = pathlib.Path(__file__).parent.parent / "static"

#: at most this many cards: items picked on the map are added up to it (the page is told: ``max_hand_picked``)
MAX_HAND_PICKED = 50


class Explorer(TeachingMixin, anywidget.AnyWidget):
    """Label, explore and steer an :class:`~activelens.ActiveLearner` inside a notebook.

    Parameters
    ----------
    learner : ActiveLearner
        Its holdout (``X_test``, ``y_test``) feeds the learning curve.
    items : sequence of str, ndarray of shape (n_pool, h, w[, 3|4]), DataFrame or ndarray of shape (n_pool, d), optional
        What each pool item looks like on a card: texts, images, rows as small tables. Default: "item i".
    labels : list of str or dict {class: str}, optional
        Names shown on the buttons, in class order (unique). They map to the learner's declared ``classes``;
        without them to the classes already taught, else to 0..k-1. Default: the learner's declared classes.
    coords : array-like of shape (n_pool, 2), optional
        Positions of your own for the map (skips the projection).
    projection : {"auto", "pca", "umap"}
        "pca" (at once), "umap" (PCA now, UMAP swapped in when fitted in the background) or "auto" (UMAP when
        umap-learn is installed).
    color_by : {"entropy", "margin", "predicted", "label"}
        The map's initial colouring.
    item_renderer : callable (int) -> str | ndarray | dict, optional
        Overrides ``items``: what pool item ``i`` looks like.
    oracle : array-like of shape (n_pool,), optional
        Teaching mode: the true class of every pool item. Adds buttons "Label batch with oracle" and "Run N
        rounds", a live strategy selector, a noisy-annotator setting and a step view; the oracle's answers go
        through the same path as clicked labels. See also ``Explorer.teach``.
    noise : float
        Teaching mode: share of oracle answers flipped to another class (seeded by the learner's random_state).
    strategies : list of str, optional
        Teaching mode: the strategy names offered in the selector.
    annotator : str, optional
        Annotator mode: this annotator's name; the batch is claimed from the shared annotation queue.
    queue : AnnotationQueue, optional
        Annotator mode: the queue to claim from. Default: one on the learner's store
        (``ActiveLearner(..., store="labels.db")``).
    max_points : int, optional
        A pool whose rows live elsewhere: at most this many points drawn (default 1,000,000), a sample that keeps
        rare regions plus every labeled item and the batch. A pool in memory is always drawn whole.
    button_order : {"labels", "probability"}
        "labels" (default): the buttons keep the order of ``labels=`` on every card, each with the model's
        probability, the suggestion marked. "probability": most probable first (for many classes).
    feature_names : sequence of str or fitted vectoriser, optional
        One name per pool feature, or the vectoriser that made the pool (e.g. a fitted ``TfidfVectorizer``). With a
        linear model (``coef_``, also as a pipeline's last step), a text card highlights the document's terms that
        weigh most for the suggested label.

    Cards and the map's hover show each item's id when the learner has ids (``ids=`` or a pandas pool's index). A
    text card shows its first lines, with "more" to read the rest in a scrolling box.

    Keys: a label whose name is a single character is picked by that very key ("2" by 2); the others get 1-9
    then 0 in the order of ``labels=``, skipping keys taken. Space skips, Backspace undoes, arrows move, Enter
    submits, Esc hands the keys back to the notebook.
    """

    _esm = _STATIC / "widget.js"
    _css = _STATIC / "widget.css"

    n_points = traitlets.Int(0).tag(sync=True)
    coords = traitlets.Bytes(b"").tag(sync=True)
    point_index = traitlets.Bytes(b"").tag(sync=True)
    projection = traitlets.Unicode("pca").tag(sync=True)
    projection_status = traitlets.Unicode("").tag(sync=True)
    color_values = traitlets.Bytes(b"").tag(sync=True)
    labeled_points = traitlets.Bytes(b"").tag(sync=True)
    color_by = traitlets.Unicode("entropy").tag(sync=True)
    palette = traitlets.List(traitlets.Unicode()).tag(sync=True)
    legend = traitlets.Dict().tag(sync=True)
    label_names = traitlets.List(traitlets.Unicode()).tag(sync=True)
    class_colors = traitlets.List(traitlets.Unicode()).tag(sync=True)
    batch = traitlets.List(traitlets.Dict()).tag(sync=True)
    batch_id = traitlets.Int(0).tag(sync=True)
    max_hand_picked = traitlets.Int(MAX_HAND_PICKED).tag(sync=True)
    selected = traitlets.List(traitlets.Int()).tag(sync=True)
    button_order = traitlets.Unicode("labels").tag(sync=True)
    pending = traitlets.Dict().tag(sync=True)
    saved = traitlets.List(traitlets.Int()).tag(sync=True)
    status = traitlets.Dict().tag(sync=True)
    curve = traitlets.Dict().tag(sync=True)
    error = traitlets.Unicode("").tag(sync=True)
    teaching = traitlets.Dict().tag(sync=True)
    monitor = traitlets.Dict().tag(sync=True)

    def __init__(self, learner, *, items=None, labels=None, coords=None, projection="auto", color_by="entropy",
                 item_renderer=None, oracle=None, noise=0.0, strategies=None, annotator=None, queue=None,
                 max_points=None, button_order="labels", feature_names=None, **kwargs):
        from activelens.loop.learner import ActiveLearner

        if not isinstance(learner, ActiveLearner):
            raise TypeError(f"learner must be an activelens.ActiveLearner, got {type(learner).__name__}")
        check_color_by(color_by)
        check_button_order(button_order)
        names = check_feature_names(feature_names, learner.pool.n_features)
        # --- validate everything before anything is built or displayed ---
        self._items = ItemSource(items, learner.n_pool, renderer=item_renderer)
        self._labels = LabelNames.resolve(learner, labels, oracle=oracle)
        user_coords = check_points(learner, coords, projection, max_points)
        teacher = self._check_teaching(learner, oracle, noise, strategies) if oracle is not None else None
        source = QueueSource.for_explorer(learner, annotator, queue, oracle)

        super().__init__(**kwargs)
        self.learner = learner
        self._terms = None if names is None else TermWeights(names)
        self._lock = threading.RLock()
        self._runner = Runner("activelens-retrain")
        self._training = False             # True from submit until the next batch is shown
        self._proba = None                 # (n_points, k) over the buttons' classes for the current model
        self._proba_version = -1
        self._cards_for = []               # pool indices of the current cards, in order
        self._why = {}                     # pool index -> why it is on the batch (kept with an unpicked card)
        self._keep = []                    # unpicked cards of the last submit: they open the next batch
        self._sources = {}                 # pool index -> "query" | "hand"
        self._pick_order = []              # indices in the order their labels were picked (for undo)
        self._submit_note = ""             # what the last submit did (shown with the next status)
        self._baseline = RandomBaseline()
        self._source = source
        self._commands = {
            "label": lambda c: self._cmd_label(c.get("index"), c.get("label")),
            "skip": lambda c: self._cmd_label(c.get("index"), -1),
            "undo": lambda c: self._cmd_undo(),
            "submit": lambda c: self._cmd_submit(),
            "color_by": lambda c: self.set_color_by(c.get("value")),
            "select": lambda c: self._cmd_select(c.get("indices")),
            "add": lambda c: self._cmd_add(c.get("indices")),
            "peek": lambda c: self._cmd_peek(c.get("index")),
            **self._teaching_commands(),
        }

        k = len(self._labels)
        with self.hold_sync():
            self.label_names = self._labels.names
            self.button_order = button_order
            self.class_colors = _palette.class_colours(k)
            self.palette = _palette.build_palette(k)
            self.color_by = color_by
            self._points = make_points(learner, coords=user_coords, projection=projection, max_points=max_points,
                                       on_ready=self._on_projection, on_error=self._on_projection_error)
            self.projection = self._points.name
            self._send_points()
            self._refresh_scores()
            self._new_batch(self._next_batch())
            self._refresh_curve()
            self._refresh_monitor()
            self._set_status("idle", self._ready_message())
            self._init_teaching(teacher)
        self.on_msg(self._on_command)
        self._points.start()
        if learner.rounds and learner.X_test is not None:   # restored rounds: their baseline, in the background
            self._runner.start(self._update_baseline)

    def _update_baseline(self):
        try:
            if self._baseline.update(self.learner):
                with self._lock:
                    self._refresh_curve()
        except Exception as exc:  # noqa: BLE001 - the curve shows without a baseline; say why
            with self._lock:
                self.error = f"random baseline failed: {describe(exc)}"

    # ------------------------------------------------------------------ scores and colours
    def _refresh_scores(self):
        """Recompute probabilities for a new model, then the colour buffer."""
        learner = self.learner
        self._show_on_map(learner.labeled_indices)
        if learner.model_ is not None and self._proba_version != learner.model_version:
            raw = self._points.proba(learner)
            self._proba = self._labels.over_names(raw, learner.proba_classes())
            self._proba_version = learner.model_version
        self._recolor()

    def _show_on_map(self, idx) -> bool:
        """Make sure these pool items are drawn (the batch, labeled items); resend the points if the map changed.
        The colours follow with the caller's ``_recolor``."""
        if not self._points.include(idx):
            return False
        drawn = self._points.drawn_proba
        if drawn is not None and self._proba is not None:
            self._proba = self._labels.over_names(drawn, self.learner.proba_classes())
        self._send_points()
        return True

    def _send_points(self):
        positions, coords = self._points.snapshot()
        with self._lock, self.hold_sync():
            self.n_points = int(coords.shape[0])
            self.point_index = b"" if positions is None else positions.astype(np.uint32).tobytes()
            self.coords = coords.tobytes()
            self.projection_status = self._points.status

    def _recolor(self):
        learner = self.learner
        idx = learner.labeled_indices
        rows = self._points.rows(idx)
        vals = _palette.color_buffer(self.color_by, self._proba, self.n_points, len(self.palette), rows,
                                     self._labels.positions(learner.labels.tolist()))
        legend = _palette.legend(self.color_by, self._proba is not None, self.label_names, self.class_colors)
        with self._lock, self.hold_sync():
            self.color_values = vals.tobytes()
            self.labeled_points = np.asarray(rows, dtype=np.uint32).tobytes()
            self.legend = legend

    # ------------------------------------------------------------------ batch and cards
    def _card(self, i, why, source="query"):
        probs = None if self._proba is None else self._proba[self._points.rows([i])[0]]
        item = self._items.payload(i)
        j = suggested_position(probs)
        model = self.learner.model_
        if self._terms is not None and item["kind"] == "text" and j is not None and model is not None:
            terms = self._terms.terms(model, self.learner.pool.rows([i]), self._labels.value(j))
            if terms:
                item = {**item, "terms": terms}
        return card(i, item, self.label_names, probs, why, source, keys=self._labels.keys, order=self.button_order,
                    item_id=self._item_id(i))

    def _item_id(self, i):
        """Item ``i``'s id for the page, or None when the learner has no ids."""
        return item_id(self.learner.ids[i]) if self.learner.has_ids else None

    def _new_batch(self, batch):
        if batch is not None and self._show_on_map(batch.indices):
            self._recolor()
        why = why_of(batch) if batch is not None else {}
        labeled = set(self.learner.labeled_indices.tolist()) if self._keep else set()
        kept, self._keep = [i for i in self._keep if i not in labeled], []
        fresh = [(i, w) for i, w in why.items() if i not in set(kept)]
        fresh = fresh[:max(0, len(why) - len(kept))] if kept else fresh
        cards = [self._card(i, self._why.get(i, {}), self._sources.get(i, "query")) for i in kept]
        cards += [self._card(i, w) for i, w in fresh]
        self._why = {c["index"]: c["why"] for c in cards}
        self._sources = {c["index"]: c["source"] for c in cards}
        self._cards_for = [c["index"] for c in cards]
        self._pick_order = []
        self._source.shown()
        with self.hold_sync():
            self.batch = cards
            self.pending = {}
            self.saved = []
            self.batch_id = self.batch_id + 1

    def _next_batch(self):
        """The next batch from the source (the learner, or the queue in annotator mode), smaller at the end of the
        pool; None when every item is labeled (or the queue has nothing for this annotator). The unpicked cards kept
        from the last submit (``_keep``) take their places first."""
        left = self.learner.n_pool - self.learner.n_labeled - len(self._keep)
        want = min(self.learner.batch_size - len(self._keep), left)
        if want <= 0:
            return None
        return self._source.next_batch(min(want + len(self._keep), left + len(self._keep)))

    # ------------------------------------------------------------------ panels and status
    def _refresh_monitor(self):
        if not self._source.monitored:
            return
        try:
            mon = monitor_state(self.learner, self._source)
        except Exception as exc:  # noqa: BLE001 - the panel shows it; labeling goes on
            mon = dict(self.monitor, error=f"monitor failed: {describe(exc)}")
        with self._lock:
            self.monitor = mon

    def _refresh_curve(self):
        self.curve = curve_state(self.learner, self._baseline)

    def _two_classes(self) -> bool:
        """The learner holds labels of at least two classes (a model can be fit)."""
        return len(set(map(str, self.learner.labels.tolist()))) >= 2

    def _ready_message(self):
        learner = self.learner
        if learner.model_ is None:
            if learner.n_labeled and not self._two_classes():
                return "label an item of another class to train the first model"
            return "cold start: label this batch, then submit"
        return f"round {len(learner.rounds)} · pick labels, then submit"

    def _saved_to(self) -> str:
        store = self.learner.store
        if store is None:
            return "labels in memory only: ActiveLearner(..., store=\"labels.db\") keeps them across restarts"
        return f"labels saved to {store.where}"

    def _set_status(self, state, message):
        self.status = {"state": state, "busy": state == "training", "message": message,
                       "round": len(self.learner.rounds), "n_labeled": int(self.learner.n_labeled),
                       "saved_to": self._saved_to()}

    # ------------------------------------------------------------------ commands from the page
    def _on_command(self, _widget, content, _buffers=None):
        dispatch(self, self._commands, content)

    def _check_card(self, index):
        if isinstance(index, bool) or not isinstance(index, (int, np.integer)) or int(index) not in self._cards_for:
            raise ValueError(f"item {index!r} is not in the current batch")
        return int(index)

    def _cmd_label(self, index, label):
        with self._lock:
            if self._training:
                raise ValueError("still training; wait for the next batch")
            i = self._check_card(index)
            if i in self.saved:
                raise ValueError(f"item {i} is already saved")
            k = len(self._labels)
            if isinstance(label, bool) or not isinstance(label, (int, np.integer)) or not -1 <= label < k:
                raise ValueError(f"label must be a position in label_names (0..{k - 1}) or -1 to skip")
            pending = dict(self.pending)
            pending[str(i)] = int(label)
            if i in self._pick_order:
                self._pick_order.remove(i)
            self._pick_order.append(i)
            self.pending = pending
            self.error = ""

    def _cmd_undo(self):
        with self._lock:
            if not self._pick_order:
                return
            i = self._pick_order.pop()
            pending = dict(self.pending)
            pending.pop(str(i), None)
            self.pending = pending

    def _positions(self, what, indices) -> list[int]:
        """``indices`` checked as pool positions drawn on the map, in order, without repeats."""
        if isinstance(indices, (str, bytes)) or not hasattr(indices, "__iter__"):
            raise TypeError(f"{what}: give a list of pool positions, got {indices!r}")
        out = []
        for i in indices:
            if isinstance(i, bool) or not isinstance(i, (int, np.integer)) or not 0 <= i < self.learner.n_pool:
                raise ValueError(f"{what}: {i!r} is not a pool position (0..{self.learner.n_pool - 1})")
            i = int(i)
            if not self._points.contains(i):
                raise ValueError(f"{what}: item {i} is not on the map; pick points that are drawn")
            out.append(i)
        return list(dict.fromkeys(out))

    @traitlets.validate("selected")
    def _valid_selected(self, proposal):
        return sorted(self._positions("selected", proposal["value"]))

    def _cmd_select(self, indices):
        self.selected = [] if indices is None else indices

    def _cmd_add(self, indices):
        self.add_to_batch(self.selected if indices is None else indices)

    def add_to_batch(self, positions) -> list[int]:
        """Add pool items to the batch as hand-picked cards (the map's "add to batch" control does this with the
        selection). Items already labeled or on the batch are left out; a batch holds at most
        ``MAX_HAND_PICKED`` cards, and the status line says how many were added and why any were not.

        Parameters
        ----------
        positions : list of int
            Pool positions (e.g. ``explorer.selected``).

        Returns
        -------
        list of int
            The positions added, in order.
        """
        with self._lock:
            if self._training:
                raise ValueError("still training; add items when the next batch is shown")
            self._source.check_add()
            asked = self._positions("add_to_batch", positions)
            labeled = set(self.learner.labeled_indices.tolist())
            have = set(self._cards_for)
            new = [i for i in asked if i not in labeled and i not in have]
            room = max(0, MAX_HAND_PICKED - len(self._cards_for))
            added = new[:room]
            notes = [f"added {len(added)} of {len(asked)} selected to the batch"]
            if len(asked) - len(new):
                notes.append(f"{len(asked) - len(new)} already labeled or on the batch")
            if len(new) > room:
                notes.append(f"{len(new) - room} not added: a batch holds at most {MAX_HAND_PICKED} cards — "
                             "label and submit, then add the rest")
            with self.hold_sync():
                if added:
                    cards = list(self.batch) + [self._card(i, dict(HAND_PICKED), source="hand") for i in added]
                    self._cards_for += added
                    self._why.update({i: dict(HAND_PICKED) for i in added})
                    self._sources.update({i: "hand" for i in added})
                    self.batch = cards
                left = [i for i in self.selected if i not in set(added)]
                if left != list(self.selected):
                    self.selected = left          # what joined the batch is ringed now, no longer "selected"
                self.error = ""
                self._set_status(self.status.get("state", "idle"), " · ".join(notes))
            return added

    def _cmd_peek(self, index):
        if isinstance(index, bool) or not isinstance(index, (int, np.integer)) or not 0 <= index < self.learner.n_pool:
            return
        i = int(index)
        if not self._points.contains(i):
            return
        out = {"type": "peek", "index": i, "preview": self._items.preview(i), "item": self._items.thumbnail(i)}
        if self.learner.has_ids:
            out["id"] = self._item_id(i)
        label = dict(zip(self.learner.labeled_indices.tolist(), self.learner.labels.tolist())).get(i) \
            if self.learner.n_labeled < 5000 else None
        if label is not None:
            out["label"] = self.label_names[self._labels.position(label, 0)]
        if self._proba is not None:
            p = self._proba[self._points.rows([i])[0]]
            j = int(p.argmax())
            out.update(predicted=self.label_names[j], p=round(float(p[j]), 4),
                       entropy=round(float(uncertainty(p[None, :], "entropy")[0]), 3))
        self.send(out)

    def _cmd_submit(self, annotator=None, retrain=True):
        with self._lock:
            if self._training:
                raise ValueError("already training")
            picks = [(i, self.pending.get(str(i))) for i in self._cards_for if i not in self.saved]
            taught = [(i, lab) for i, lab in picks if lab is not None and lab >= 0]
            skipped = [i for i, lab in picks if lab is not None and lab < 0]
            unpicked = [i for i, lab in picks if lab is None]
            if unpicked and not taught and not skipped:   # open cards, none picked (an empty batch claims more)
                raise ValueError("nothing picked: pick a label on a card (a click, or its key) or skip it (Space), "
                                 "then submit")
            keeps = retrain and self._source.keeps_unpicked
            rest = skipped if keeps else skipped + unpicked
            try:
                self._source.submit([(i, self._labels.value(lab)) for i, lab in taught], rest, annotator=annotator)
            except SubmitFailed as exc:   # the labels committed before the failure are saved; the picks stay
                self.saved = sorted(set(self.saved) | set(exc.saved))
                raise
            except Exception as exc:  # noqa: BLE001 - the store refused (locked, read-only): nothing was taught
                raise SubmitFailed(f"submit failed, nothing was saved: {describe(exc)}. Your picks are kept: press "
                                   "Submit again to retry", []) from exc
            # the learner has them now: only now does the page show them as saved
            self._keep = unpicked if keeps else []
            self._submit_note = self._submitted_text(len(taught), len(skipped), len(unpicked), keeps)
            with self.hold_sync():
                self.saved = sorted(set(self.saved) | {i for i, _ in taught})
                self.error = ""
                if not retrain:   # teaching mode's step view: labels now, retrain on the next step
                    return
                self._set_status("training", f"{self._submit_note} · retraining…")
            self._training = True
            self._runner.start(self._retrain)

    def _submitted_text(self, n_taught, n_skipped, n_unpicked, kept) -> str:
        """What a submit did with each card, for the status line."""
        parts = [f"saved {n_taught} label{'' if n_taught == 1 else 's'}"]
        if n_unpicked:
            where = "stay in the batch" if kept else f"went back to the {self._source.returns_to}"
            parts.append(f"{n_unpicked} unpicked {where}")
        if n_skipped:
            parts.append(f"{n_skipped} skipped went back to the {self._source.returns_to}")
        return ", ".join(parts)

    def _retrain(self, final=True):
        """Retrain (when the labels allow it), rescore, show the next batch; then the random baseline. Runs in the
        background runner; a failure is shown on the page (the labels are already saved). ``final=False``: one
        round of teaching mode's "Run N rounds", which keeps training until its last round."""
        try:
            t0 = time.perf_counter()
            learner = self.learner
            can_fit = bool(learner.n_labeled) and self._two_classes() and self._source.fit_wanted()
            if can_fit:
                learner.fit()
            self._refresh_scores()
            batch = self._next_batch()
            with self._lock, self.hold_sync():     # trait writes: one thread at a time
                self._new_batch(batch)
                self._refresh_curve()
                self._refresh_monitor()
                self._last_retrain_seconds = time.perf_counter() - t0
                message = self._ready_message() if self._cards_for else self._source.empty_message()
                note, self._submit_note = self._submit_note, ""
                self._set_status("idle", f"{note} · {message}" if note else message)
                if final:
                    self._training = False
            if can_fit:
                self._update_baseline()
        except Exception as exc:  # noqa: BLE001 - shown on the page; the labels are already saved
            if isinstance(exc, PoolError):   # its own text says "call again", which means fit() + refresh() here
                message = (f"retrain failed: the {self.learner.pool.kind.capitalize()} cluster failed "
                           f"({describe(exc.__cause__)}); your {self.learner.n_labeled} labels are saved — when the "
                           "cluster is back (or with a new client: learner.client = Client(...)), run learner.fit() "
                           "and w.refresh()")
            else:
                message = f"retrain failed: {describe(exc)}"
            with self._lock, self.hold_sync():
                self.error = message
                self._set_status("error", self.error)
        finally:
            if final:
                self._training = False

    # ------------------------------------------------------------------ projection callbacks (UMAP thread)
    def _on_projection(self, coords, name):
        with self._lock, self.hold_sync():
            self.projection = name
            self._send_points()

    def _on_projection_error(self, message):
        with self._lock:
            self.projection_status = self._points.status   # "umap failed: <message>, showing pca"

    # ------------------------------------------------------------------ Python API
    def set_color_by(self, mode):
        """Colour the map by ``mode`` (sends only the colour buffer).

        Parameters
        ----------
        mode : {"entropy", "margin", "predicted", "label"}
        """
        check_color_by(mode)
        with self._lock, self.hold_sync():
            self.color_by = mode
            self._recolor()

    def refresh(self) -> None:
        """Show the learner's current state after changing it from Python (``learner.teach``/``fit`` in a cell):
        rescore and recolour the map, draw the next batch, update the curve. Picks not yet submitted are dropped
        (annotator mode: the cards not submitted go back to the queue, and the queue's resolved labels come in)."""
        if not self.wait(timeout=600):
            raise RuntimeError("the explorer is still retraining; try again when it is idle")
        with self._lock:
            self._refresh_scores()
            self._source.release([i for i in self._cards_for if i not in self.saved])
            if self._source.sync():
                self._refresh_scores()
            with self.hold_sync():
                self._new_batch(self._next_batch())
                self._refresh_curve()
                self._refresh_monitor()
                self.error = ""
                self._set_status("idle", self._ready_message())

    def close(self):
        """Close the widget. Annotator mode: the claimed items not submitted go back to the queue now, so another
        annotator can take them at once instead of when their lease runs out."""
        source = getattr(self, "_source", None)
        if source is not None and source.leases and self._cards_for:
            self.wait(timeout=60)
            with self._lock:
                try:
                    source.release([i for i in self._cards_for if i not in self.saved])
                except Exception:  # noqa: BLE001 - closing must not fail; the leases then expire as before
                    pass
                self._cards_for = []
        super().close()

    def wait(self, timeout=None) -> bool:
        """Block until a submitted batch has been retrained and the next batch is shown.

        Parameters
        ----------
        timeout : float or None
            Seconds to wait at most (None: as long as it takes).

        Returns
        -------
        bool
            True if idle.
        """
        return self._runner.wait(timeout)

    def wait_projection(self, timeout=None) -> bool:
        """Block until the background UMAP (if any) is done; True if it is (see :meth:`wait`)."""
        return self._points.wait(timeout)

    @property
    def batch_indices(self) -> list[int]:
        """Pool positions of the cards on show, in order."""
        return list(self._cards_for)

    def coordinates(self) -> np.ndarray:
        """The map's coordinates as sent to the page: ndarray of shape (n_points, 2), float32, in [-0.95, 0.95]."""
        return np.frombuffer(self.coords, dtype=np.float32).reshape(-1, 2)

    def point_positions(self) -> np.ndarray:
        """(n_points,) int64: the pool position of each point on the map (all of them when the whole pool is drawn;
        a sample for a pool drawn as a sample)."""
        if not self.point_index:   # empty: point i is pool item i
            return np.arange(self.n_points, dtype=np.int64)
        return np.frombuffer(self.point_index, dtype=np.uint32).astype(np.int64)

    def figure(self):
        """The map as a ``plotly.graph_objects.Figure`` (for reports): points coloured as on the page, labeled points
        on top (larger, outlined), the batch ringed, the selection marked."""
        vals = np.frombuffer(self.color_values, dtype=np.uint8)
        rows = self._points.rows(self._cards_for) if self._cards_for else np.empty(0, dtype=int)
        labeled = self._points.rows(self.learner.labeled_indices)
        selected = self._points.rows(self.selected) if self.selected else None
        return map_figure(self.coordinates(), np.asarray(self.palette)[vals].tolist(), rows, self._cards_for,
                          self.projection, self.color_by, labeled_rows=labeled, selected_rows=selected)

    def curve_figure(self):
        """The learning curve (and the random baseline when there is one) as a ``plotly.graph_objects.Figure``."""
        s = self.learner.strategy
        return curve_figure(self.curve, str(s if isinstance(s, str) else "strategy"))
