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
color_by           Unicode                                     python  "entropy" | "margin" | "predicted" | "label" |
                                                                       "round" (the round each labeled item was
                                                                       labeled in; unlabeled grey)
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
find, replay       Dict                                        python  search, bulk labels and the round replay (see
                                                                       ``find_panel.py``)
monitor            Dict                                        python  annotation quality ({} without a store or queue):
                                                                       {"annotator", "annotators": [{"name",
                                                                       "n_labels", "gold_n", "gold_accuracy", "kappa",
                                                                       "labels_per_hour"}], "agreement": {"method",
                                                                       "kappa", "n_items"}, "cost_per_point",
                                                                       "cost_unit", "queue": {...} | None}; refreshed
                                                                       after each retrain (see ``monitor_panel.py``)
=================  ==========================================  ======  ================================================

Commands from the page (``model.send``, one table: ``Explorer._commands``, keyed by the shared schema
``messages.json`` and checked against it at construction): ``{"type": "label", "index", "label"}``
(label = position in ``label_names``), ``{"type": "skip", "index"}``, ``{"type": "undo"}``, ``{"type": "submit"}``,
``{"type": "color_by", "value"}``, ``{"type": "select", "indices"}`` (click, lasso or box on the map: the
selection), ``{"type": "add", "indices"}`` (the "add to batch" control: the selection joins the batch),
``{"type": "peek", "index"}`` (hover; answered with a ``{"type": "peek", "index", "id" (with ids), "preview",
"item", ...}`` message), ``{"type": "search", "text", "regex"}``, ``{"type": "label_selected", "label"}`` (label:
a name in ``label_names``) and ``{"type": "show_round", "round"}`` (see ``find_panel.py``).
Teaching mode (``oracle=``) adds ``{"type": "oracle"}`` (label the batch with the oracle and submit),
``{"type": "run", "rounds"}``, ``{"type": "strategy", "value"}``, ``{"type": "noise", "value"}`` and
``{"type": "step"}`` (advance the step view: scores → selection → labels → retrain).

Submitting teaches the learner at once (a card shows "saved" only then), and retrain → rescore → next batch run
in the background runner (``runner.py``); ``wait()`` blocks until that work is done. Nothing leaves the batch
silently: cards left unpicked stay in the next batch (annotator mode: they go back to the queue), skipped cards go
back to the pool, a submit with nothing picked is refused with "nothing picked", and the status line says which.

A selection on the map (``selected``) is for exploring; it becomes labeling work only through ``add_to_batch``
(or the page's "add to batch" button), which states any cap (``MAX_HAND_PICKED`` cards).

Where the parts live: the batch, the picks, submit, undo and retrain in the labeling session (``session.py``,
plain Python: the Explorer renders it into its traits and forwards the page's commands to it); where batches come
from and labels go (the learner, the shared annotation queue in annotator mode, the learner with the oracle in
teaching mode) in ``batch_source.py`` and ``teaching.py``; the map's traits in ``map_panel.py``, its probabilities
and colours in ``map_state.py``, its points (the whole pool, or a sample of a pool whose rows live elsewhere) in
``points.py``; colours in ``palette.py``; the cards in ``cards.py``; the label buttons' classes in
``label_names.py``; the random baseline in ``baseline.py``; plotly exports in ``figures.py``.

Cards and the map's hover show each item's id when the learner has ids (``ids=`` or a pandas pool's index). A
text card shows its first lines, with "more" to read the rest in a scrolling box. Keys: a label whose name is a
single character is picked by that very key ("2" by 2); the others get 1-9 then 0 in the order of ``labels=``,
skipping keys taken. Space skips, Backspace undoes, arrows move, Enter submits, Esc hands the keys back to the
notebook.

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
from typing import TYPE_CHECKING, Any, Callable, Mapping, Sequence

import anywidget
import numpy as np
import traitlets

from activelens.widgets import messages
from activelens.widgets import palette as _palette
from activelens.widgets.baseline import RandomBaseline
from activelens.widgets.batch_source import QueueSource
from activelens.widgets.cards import CardMaker, check_button_order
from activelens.widgets.commands import dispatch
from activelens.widgets.curve import curve_state
from activelens.widgets.figures import curve_figure
from activelens.widgets.find_panel import FindPanel
from activelens.widgets.items import ItemSource
from activelens.widgets.label_names import LabelNames
from activelens.widgets.map_panel import MapPanel
from activelens.widgets.map_state import MapState
from activelens.widgets.monitor_panel import monitor_or_error
from activelens.widgets.palette import check_color_by
from activelens.widgets.points import check_points, make_points
from activelens.widgets.runner import describe
from activelens.widgets.session import MAX_HAND_PICKED, Session, failure_text, saved_to
from activelens.widgets.teaching import OracleSource, TeachingMixin
from activelens.widgets.term_weights import TermWeights, check_feature_names

if TYPE_CHECKING:
    from activelens.loop.learner import ActiveLearner
    from activelens.storage.queue import AnnotationQueue

_STATIC = pathlib.Path(__file__).parent.parent / "static"

class Explorer(TeachingMixin, FindPanel, MapPanel, anywidget.AnyWidget):
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
    color_by : {"entropy", "margin", "predicted", "label", "round"}
        The map's initial colouring ("round": the round each labeled item was labeled in).
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

    Cards, keys and the map's hover: see the module's docstring.
    """

    _esm = _STATIC / "widget.js"
    _css = _STATIC / "widget.css"

    label_names = traitlets.List(traitlets.Unicode(), read_only=True).tag(sync=True)
    class_colors = traitlets.List(traitlets.Unicode(), read_only=True).tag(sync=True)
    batch = traitlets.List(traitlets.Dict(), read_only=True).tag(sync=True)
    batch_id = traitlets.Int(0, read_only=True).tag(sync=True)
    max_hand_picked = traitlets.Int(MAX_HAND_PICKED, read_only=True).tag(sync=True)
    button_order = traitlets.Unicode("labels").tag(sync=True)
    pending = traitlets.Dict(read_only=True).tag(sync=True)
    saved = traitlets.List(traitlets.Int(), read_only=True).tag(sync=True)
    status = traitlets.Dict(read_only=True).tag(sync=True)
    curve = traitlets.Dict(read_only=True).tag(sync=True)
    error = traitlets.Unicode("").tag(sync=True)
    teaching = traitlets.Dict(read_only=True).tag(sync=True)
    monitor = traitlets.Dict(read_only=True).tag(sync=True)

    def __init__(self, learner: ActiveLearner, *, items: Any = None,
                 labels: Sequence[str] | Mapping[Any, str] | None = None, coords: Any = None,
                 projection: str = "auto", color_by: str = "entropy", item_renderer: Callable[[int], Any] | None = None,
                 oracle: Any = None, noise: float = 0.0, strategies: Sequence[str] | None = None,
                 annotator: str | None = None, queue: AnnotationQueue | None = None, max_points: int | None = None,
                 button_order: str = "labels", feature_names: Any = None, **kwargs: Any) -> None:
        from activelens.loop.learner import ActiveLearner

        if not isinstance(learner, ActiveLearner):
            raise TypeError(f"learner must be an activelens.ActiveLearner, got {type(learner).__name__}")
        check_color_by(color_by)
        check_button_order(button_order)
        names = check_feature_names(feature_names, learner.pool.n_features)
        # --- validate everything before anything is built or displayed ---
        items = ItemSource(items, learner.n_pool, renderer=item_renderer)
        label_names = LabelNames.resolve(learner, labels, oracle=oracle)
        user_coords = check_points(learner, coords, projection, max_points)
        source = source_for(learner, label_names, annotator=annotator, queue=queue, oracle=oracle, noise=noise,
                            strategies=strategies)

        super().__init__(**kwargs)
        self.learner = learner
        self._session = Session(learner, source, label_names)
        self._lock = self._session.lock
        self._cards = CardMaker(learner, items, label_names, None if names is None else TermWeights(names),
                                button_order)
        self._baseline = RandomBaseline()
        self._commands = self._command_table()
        with self.hold_sync():
            self.set_trait("label_names", label_names.names)
            self.button_order = button_order
            self.set_trait("class_colors", _palette.class_colours(len(label_names)))
            self.set_trait("palette", _palette.build_palette(len(label_names)))
            points = make_points(learner, coords=user_coords, projection=projection, max_points=max_points,
                                 on_ready=self._on_projection, on_error=self._on_projection_error)
            self._map = MapState(learner, label_names, points)
            self.set_trait("projection", points.name)
            self._render_points()
            self.color_by = color_by
            self._rescore()
            self._show(self._session.next_batch())
            self._render_panels()
            self._render_status("idle", self._session.ready_message())
            self._render_teaching()
            self._refresh_find()
        self.on_msg(self._on_command)
        points.start()
        if learner.rounds and learner.X_test is not None:   # restored rounds: their baseline, in the background
            self._session.runner.start(self._update_baseline)

    def _command_table(self) -> dict:
        """The page's commands (``messages.EXPLORER``), checked against the shared schema."""
        table = {"label": lambda c: self._picking(self._session.pick, c.get("index"), c.get("label")),
                 "skip": lambda c: self._picking(self._session.skip, c.get("index")),
                 "undo": lambda c: self.undo(),
                 "submit": lambda c: self._submit(),
                 "color_by": lambda c: self.set_color_by(c.get("value")),
                 "select": lambda c: setattr(self, "selected", [] if c.get("indices") is None else c["indices"]),
                 "add": lambda c: self.add_to_batch(self.selected if c.get("indices") is None else c["indices"]),
                 "peek": lambda c: self._peek(c.get("index")),
                 **self._find_commands(),
                 **self._teaching_commands()}
        messages.check_table("explorer", table)
        return table

    # ------------------------------------------------------------------ the session -> traits (one writer each)
    def _show(self, batch):
        """Show ``batch`` (a ``Batch`` or None) as the cards, after the kept unpicked ones."""
        if batch is not None and self._map.include(batch.indices):
            self._render_points()
            self._render_colours()
        self._session.show(batch)
        with self.hold_sync():
            self._render_cards()
            self.set_trait("batch_id", self.batch_id + 1)
            self._render_picks()

    def _render_cards(self):
        self.set_trait("batch", [self._cards.card(c.index, c.why, c.origin, self._map.probs(c.index), c.current)
                                 for c in self._session.cards])

    @traitlets.validate("button_order")
    def _valid_button_order(self, proposal):
        return check_button_order(proposal["value"])

    @traitlets.observe("button_order")
    def _reorder(self, change):   # a user's ``w.button_order = ...`` re-draws the cards on show
        if hasattr(self, "_cards"):
            self._cards.order = change["new"]
            self._render_cards()

    def _render_picks(self):
        with self.hold_sync():
            self.set_trait("pending", {str(i): lab for i, lab in self._session.picks.items()})
            self.set_trait("saved", sorted(self._session.saved))

    def _render_status(self, state, message):
        self.set_trait("status", {"state": state, "busy": state == "training", "message": message,
                                  "round": len(self.learner.rounds), "n_labeled": int(self.learner.n_labeled),
                                  "saved_to": saved_to(self.learner)})

    def _render_panels(self):
        """The curve, and the monitor (when there are annotations to show)."""
        with self._lock:
            self.set_trait("curve", curve_state(self.learner, self._baseline))
        if self._session.source.monitored:
            mon = monitor_or_error(self.learner, self._session.source, self.monitor)
            with self._lock:
                self.set_trait("monitor", mon)

    def _render_teaching(self):
        self.set_trait("teaching", self._session.source.teaching_state())

    # ------------------------------------------------------------------ commands -> the session
    def _on_command(self, _widget, content, _buffers=None):
        dispatch(self, self._commands, content)

    def _picking(self, command, *args):
        with self._lock:
            command(*args)
            self._render_picks()
            self.error = ""

    def _submit_picks(self):
        """The picks to the source (the page shows them as saved only now); the ``Submitted`` record."""
        with self._lock:
            try:
                done = self._session.submit()
            finally:
                self._render_picks()
            self.error = ""
            return done

    def _submit(self):
        """The one submit path: the picks to the source, then retrain → rescore → next batch in the background."""
        with self._lock:
            self._submit_picks()
            self._start_retrain()

    def _start_retrain(self):
        """Retrain → rescore → next batch in the background (after a submit or a bulk label)."""
        with self._lock:
            self._render_status("training", f"{self._session.note} · retraining…")
            self._session.start(self._retrain)

    def _retrain(self):
        """In the runner: the next round; then the random baseline as the runner's next work."""
        try:
            fitted, batch = self._next_round()
            with self._lock:
                self._show_round(batch)
                self._session.end_training()   # in the same step: a pick never meets "still training"
            if fitted is not None:
                self._session.runner.start(self._update_baseline)
        except Exception as exc:  # noqa: BLE001 - shown on the page; the labels are already saved
            self._show_failure(exc)

    def _next_round(self):
        """Retrain (when the labels allow it), rescore, draw the next batch: (the new ``Round`` or None, batch)."""
        fitted = self._session.retrain()
        self._rescore()
        return fitted, self._session.next_batch()

    def _show_round(self, batch):
        """Show the round's batch, the panels and the status with what the submit did."""
        session = self._session
        with self._lock, self.hold_sync():     # trait writes: one thread at a time
            note = session.note
            self._show(batch)
            self._render_panels()
            message = session.ready_message()
            self._render_status("idle", f"{note} · {message}" if note else message)
            self._refresh_find()

    def _show_failure(self, exc):
        with self._lock, self.hold_sync():
            self.error = failure_text(exc, self.learner)
            self._render_status("error", self.error)

    def _update_baseline(self):
        try:
            if self._baseline.update(self.learner):
                with self._lock:
                    self.set_trait("curve", curve_state(self.learner, self._baseline))
        except Exception as exc:  # noqa: BLE001 - the curve shows without a baseline; say why
            with self._lock:
                self.error = f"random baseline failed: {describe(exc)}"

    # ------------------------------------------------------------------ Python API
    def undo(self) -> int:
        """What Undo (the button, Backspace) does: take back the latest pick on the cards; with none left, the
        labels the last submit or bulk label gave (``learner.unlabel``, source "undo"): their items come back as
        cards and the model retrains without them. Returns how many labels were taken back (0 for a pick)."""
        with self._lock:
            if self._session.undo():
                self._render_picks()
                self.error = ""
                return 0
            n = self._session.take_back_last()
            if n:
                self._start_retrain()
            else:
                self._render_status("idle", self._session.note)
            self.error = ""
            return n

    def add_to_batch(self, positions: Any) -> list[int]:
        """Add pool items (e.g. ``explorer.selected``) to the batch, as the map's "add to batch" control does:
        unlabeled items as hand-picked cards, labeled ones as *labeled cards* (their label marked, who gave it and
        when): a label picked on a labeled card and submitted changes its label (``learner.relabel``; the same
        label is recorded as "confirm"), a skip (Space) takes the label back (``learner.unlabel``). Items on the
        batch are left out; a batch holds at most ``MAX_HAND_PICKED`` cards, and the status line says how many were
        added and why any were not. Refused in annotator mode. Returns the positions added, in order."""
        with self._lock:
            added, note = self._session.add(self._positions("add_to_batch", positions))
            with self.hold_sync():
                if added:
                    self._render_cards()
                self.selected = [i for i in self.selected if i not in set(added)]   # now ringed, not "selected"
                self.error = ""
                self._render_status(self.status.get("state", "idle"), note)
            return added

    def refresh(self) -> None:
        """Show the learner's current state after changing it from Python (``learner.teach``/``fit`` in a cell):
        rescore and recolour the map, draw the next batch, update the curve. Picks not yet submitted are dropped
        (annotator mode: the cards not submitted go back to the queue, and the queue's resolved labels come in)."""
        if not self.wait(timeout=600):
            raise RuntimeError("the explorer is still retraining; try again when it is idle")
        with self._lock:
            self._session.release()
            self._session.source.sync()
            self._rescore()
            with self.hold_sync():
                self._show(self._session.next_batch())
                self._render_panels()
                self.error = ""
                self._render_status("idle", self._session.ready_message())
                self._refresh_find()

    def close(self) -> None:
        """Close the widget. Annotator mode: the claimed items not submitted go back to the queue now, so another
        annotator can take them at once instead of when their lease runs out."""
        if hasattr(self, "_session"):   # not when the constructor refused its arguments
            self._session.close(timeout=60)
        super().close()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until a submitted batch has been retrained and the next batch is shown (at most ``timeout``
        seconds, None: as long as it takes); True if idle."""
        return self._session.wait(timeout)

    @property
    def queue(self) -> AnnotationQueue | None:
        """Annotator mode: the :class:`~activelens.AnnotationQueue` the cards are claimed from (None otherwise)."""
        return self._session.source.queue

    @property
    def batch_indices(self) -> list[int]:
        """Pool positions of the cards on show, in order."""
        return self._session.indices

    def curve_figure(self) -> Any:
        """The learning curve (and the random baseline when there is one) as a ``plotly.graph_objects.Figure``."""
        s = self.learner.strategy
        return curve_figure(self.curve, str(s if isinstance(s, str) else "strategy"))


def source_for(learner, labels, *, annotator, queue, oracle, noise, strategies):
    """The labeling session's source for the Explorer's arguments, validated: ``QueueSource`` (``annotator=``),
    ``OracleSource`` (``oracle=``: teaching mode) or ``LearnerSource``. The one place that reads which of them
    were given; nothing after it asks which source it has."""
    source = QueueSource.for_explorer(learner, annotator, queue, oracle)
    if oracle is None:
        return source
    return OracleSource.for_explorer(learner, oracle, noise, strategies, labels)
