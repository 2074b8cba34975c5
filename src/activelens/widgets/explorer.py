"""Explorer: the notebook widget — the pool map, the batch as cards with inline label buttons, the learning curve.

The traitlets are the whole protocol. Each has exactly one writer; the page never writes a trait, it sends
commands (``model.send``) that Python answers by updating traits.

=================  ==========================================  ======  ================================================
trait              type                                        writer  meaning
=================  ==========================================  ======  ================================================
n_points           Int                                         python  points on the map: the pool, or for a Dask pool
                                                                       the drawn sample (see ``point_index``)
coords             Bytes: float32 (n, 2) row-major, in [-1,1]  python  the map's positions (PCA, then UMAP when ready)
point_index        Bytes: uint32 (n,), sorted                  python  the pool position of each point; empty when
                                                                       point i is pool item i (an in-memory pool)
projection         Unicode                                     python  "pca", "umap" or "custom": what ``coords`` are
projection_status  Unicode                                     python  e.g. "umap: fitting in the background"
color_values       Bytes: uint8 (n,)                           python  palette index per point (only this is resent
                                                                       after a retrain)
color_by           Unicode                                     python  "entropy" | "margin" | "predicted" | "label"
palette            List[str] (hex colours, ≤ 256)              python  colour of each palette index
legend             Dict                                        python  {"kind": "continuous"|"categorical", ...}
label_names        List[str]                                   python  the names on the buttons, in class order
class_colors       List[str]                                   python  one colour per class
batch              List[Dict]                                  python  one card per batch item (see ``_card``)
batch_id           Int                                         python  bumps each time a new batch arrives
pending            Dict[str(index) -> int]                     python  label position picked per card, -1 = skip;
                                                                       acknowledged picks not yet in the learner
saved              List[int]                                   python  batch items the learner has a label for
                                                                       (annotator mode: submitted to the queue)
status             Dict                                        python  {"state": "idle"|"training"|"error", "busy",
                                                                       "message", "round", "n_labeled"}
curve              Dict                                        python  {"n_labels", "scores", "baseline_n",
                                                                       "baseline_scores", "source", "gain", "stopping"}
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
                                                                       after each retrain (see ``_monitor_state``)
=================  ==========================================  ======  ================================================

Commands from the page (``model.send``): ``{"type": "label", "index", "label"}`` (label = position in
``label_names``), ``{"type": "skip", "index"}``, ``{"type": "undo"}``, ``{"type": "submit"}``,
``{"type": "color_by", "value"}``, ``{"type": "add", "indices"}`` (lasso / click on the map),
``{"type": "peek", "index"}`` (hover; answered with a ``{"type": "peek", ...}`` message).
Teaching mode (``oracle=``) adds ``{"type": "oracle"}`` (label the batch with the oracle and submit),
``{"type": "run", "rounds"}``, ``{"type": "strategy", "value"}``, ``{"type": "noise", "value"}`` and
``{"type": "step"}`` (advance the step view: scores → selection → labels → retrain).

Submitting teaches the learner at once (a card shows "saved" only then), and retrain → rescore → next batch run
in a background thread; ``wait()`` blocks until that work is done.

Annotator mode (``annotator="name"``): the cards are claimed from the shared :class:`~activelens.AnnotationQueue`
(``queue.claim``); when it has nothing to claim the learner's ``query()`` fills it first (``queue.put``). Submitting
sends each label through ``queue.submit`` (a card shows "saved" once it is committed), releases skipped and unpicked
cards (``queue.release``) and teaches the learner the queue's resolved labels (``queue.sync``) before the retrain.
Two Explorers with different annotators on one store never hold the same item at once.

A Dask pool (``ActiveLearner(est, X_dask)``) is drawn as a sample (:class:`~activelens.widgets.map_view.MapView`): at most
``max_points`` points chosen to keep rare regions, always with the labeled items and the batch; ``point_index``
tells the page which pool item each point is, and every index in a command or a card stays a pool position.
"""
from __future__ import annotations

import pathlib
import threading
import time

import anywidget
import numpy as np
import traitlets

from activelens.core.pool import PoolError
from activelens.widgets import projection as _projection
from activelens.widgets.items import ItemSource
from activelens.widgets.map_view import MAX_POINTS, MapView
from activelens.widgets.teaching import TeachingMixin

_STATIC = pathlib.Path(__file__).parent.parent / "static"

COLOR_MODES = ("entropy", "margin", "predicted", "label")
RAMP_SIZE = 64                  # palette[0:64] continuous ramp (viridis)
GREY = RAMP_SIZE                # palette[64] unscored / unlabeled
CLASS0 = RAMP_SIZE + 1          # palette[65:65+k] class colours (labeled), then k lighter ones (predicted)
MAX_HAND_PICKED = 50

_VIRIDIS = ["#440154", "#482475", "#414487", "#355f8d", "#2a788e", "#21918c", "#22a884", "#44bf70", "#7ad151",
            "#bddf26", "#fde725"]
_CATEGORICAL = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22",
                "#17becf", "#393b79", "#637939", "#8c6d31", "#843c39", "#7b4173", "#3182bd", "#e6550d", "#31a354",
                "#756bb1", "#636363"]


def _hex(rgb) -> str:
    return "#" + "".join(f"{int(round(c)):02x}" for c in rgb)


def _rgb(h: str):
    return np.array([int(h[i:i + 2], 16) for i in (1, 3, 5)], dtype=float)


def _ramp(stops, n):
    pts = np.array([_rgb(s) for s in stops])
    t = np.linspace(0, len(stops) - 1, n)
    lo = np.floor(t).astype(int).clip(0, len(stops) - 2)
    f = (t - lo)[:, None]
    return [_hex(c) for c in pts[lo] * (1 - f) + pts[lo + 1] * f]


def _lighter(h: str, amount=0.55) -> str:
    return _hex(_rgb(h) + (255 - _rgb(h)) * amount)


class Explorer(TeachingMixin, anywidget.AnyWidget):
    """Label, explore and steer an :class:`~activelens.ActiveLearner` inside a notebook.

    Parameters
    ----------
    learner : ActiveLearner. Its holdout (``X_test``, ``y_test``) feeds the learning curve.
    items : what each pool item looks like on a card: a sequence of texts, an image array (n, h, w[, 3|4]),
        a DataFrame (rows as small tables) or a 2-D numeric array (rows as tables). Default: "item i".
    labels : names shown on the buttons, in class order: a list of unique strings, or a dict {class: name}.
        They map to the learner's declared ``classes``; without them to the classes already taught, else to
        0..k-1. Default: the learner's declared classes.
    coords : (n_pool, 2) positions of your own for the map (skips the projection).
    projection : "pca" (at once), "umap" (PCA now, UMAP swapped in when fitted in the background) or "auto"
        (UMAP when umap-learn is installed).
    color_by : the map's initial colouring: "entropy", "margin", "predicted" or "label".
    item_renderer : optional callable ``index -> str | image array | dict`` overriding ``items``.
    oracle : teaching mode: the true class of every pool item (n_pool,). Adds buttons "Label batch with oracle"
        and "Run N rounds", a live strategy selector, a noisy-annotator setting and a step view; the oracle's
        answers go through the same path as clicked labels. See also ``Explorer.teach``.
    noise : teaching mode: share of oracle answers flipped to another class (seeded by the learner's random_state).
    strategies : teaching mode: the strategy names offered in the selector.
    annotator : annotator mode: this annotator's name; the batch is claimed from the shared annotation queue.
    queue : annotator mode: the :class:`~activelens.AnnotationQueue` to claim from. Default: one on the learner's
        store (``ActiveLearner(..., store="labels.db")``).
    max_points : a Dask pool: at most this many points drawn (default 1,000,000), a sample that keeps rare regions
        plus every labeled item and the batch. An in-memory pool is always drawn whole.
    """

    _esm = _STATIC / "widget.js"
    _css = _STATIC / "widget.css"

    n_points = traitlets.Int(0).tag(sync=True)
    coords = traitlets.Bytes(b"").tag(sync=True)
    point_index = traitlets.Bytes(b"").tag(sync=True)
    projection = traitlets.Unicode("pca").tag(sync=True)
    projection_status = traitlets.Unicode("").tag(sync=True)
    color_values = traitlets.Bytes(b"").tag(sync=True)
    color_by = traitlets.Unicode("entropy").tag(sync=True)
    palette = traitlets.List(traitlets.Unicode()).tag(sync=True)
    legend = traitlets.Dict().tag(sync=True)
    label_names = traitlets.List(traitlets.Unicode()).tag(sync=True)
    class_colors = traitlets.List(traitlets.Unicode()).tag(sync=True)
    batch = traitlets.List(traitlets.Dict()).tag(sync=True)
    batch_id = traitlets.Int(0).tag(sync=True)
    pending = traitlets.Dict().tag(sync=True)
    saved = traitlets.List(traitlets.Int()).tag(sync=True)
    status = traitlets.Dict().tag(sync=True)
    curve = traitlets.Dict().tag(sync=True)
    error = traitlets.Unicode("").tag(sync=True)
    teaching = traitlets.Dict().tag(sync=True)
    monitor = traitlets.Dict().tag(sync=True)

    def __init__(self, learner, *, items=None, labels=None, coords=None, projection="auto", color_by="entropy",
                 item_renderer=None, oracle=None, noise=0.0, strategies=None, annotator=None, queue=None,
                 max_points=None, **kwargs):
        from activelens.loop.learner import ActiveLearner

        if not isinstance(learner, ActiveLearner):
            raise TypeError(f"learner must be an activelens.ActiveLearner, got {type(learner).__name__}")
        if color_by not in COLOR_MODES:
            raise ValueError(f"color_by must be one of {', '.join(COLOR_MODES)}, got {color_by!r}")
        n = learner.n_pool
        # --- validate everything before anything is built or displayed ---
        self._items = ItemSource(items, n, renderer=item_renderer)
        self._classes, names = self._resolve_labels(learner, labels)
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
        teacher = self._check_teaching(learner, oracle, noise, strategies) if oracle is not None else None
        queue = self._check_annotator(learner, annotator, queue, oracle)
        drawn_whole = learner.pool.local_array is not None   # rows here: the whole pool is drawn
        if max_points is not None and drawn_whole:
            raise ValueError(f"max_points is for a {learner.pool.kind} pool, which is drawn as a sample; an "
                             f"in-memory pool of {n:,} items is drawn whole — leave max_points out")
        if not drawn_whole and n >= 2**32:
            raise ValueError(f"the map addresses pool items with 32 bits; this pool has {n:,} items")

        super().__init__(**kwargs)
        self.learner = learner
        self._n_pool = n
        self._view = None           # a MapView for a Dask pool: which pool items the map draws
        self._lock = threading.RLock()
        self._idle = threading.Event()     # set when no background work is running (wait())
        self._idle.set()
        self._training = False             # True from submit until the next batch is shown
        self._worker = None
        self._position = {c: i for i, c in enumerate(self._classes.tolist())}
        self._proba = None          # (n, k) over self._classes for the current model
        self._proba_version = -1
        self._batch = None          # the learner's Batch (or None)
        self._cards_for = []        # pool indices of the current cards, in order
        self._why = {}              # index -> why dict
        self._pick_order = []       # indices in the order their labels were picked (for undo)
        self._baseline = ([], [])
        self._annotator, self._queue = annotator, queue
        self._shown_at = time.monotonic()   # when the current batch was shown (annotator mode: seconds per label)

        k = len(names)
        colours = [_CATEGORICAL[i % len(_CATEGORICAL)] for i in range(k)]
        palette = _ramp(_VIRIDIS, RAMP_SIZE) + ["#b8b8b8"]
        if CLASS0 + 2 * k <= 256:
            palette += colours + [_lighter(c) for c in colours]
        else:  # too many classes for one byte: reuse the categorical colours
            palette += _CATEGORICAL + [_lighter(c) for c in _CATEGORICAL]
        with self.hold_sync():
            self.n_points = n
            self.label_names = names
            self.class_colors = colours
            self.palette = palette
            self.color_by = color_by
            if not drawn_whole:   # rows live elsewhere: draw a sample, computed where the rows live
                want_umap = projection == "umap" or (projection == "auto" and _projection.umap_available())
                self._view = self._proj = MapView(
                    learner.pool, max_points=MAX_POINTS if max_points is None else max_points,
                    labeled=learner.labeled_indices, coords=user_coords, random_state=learner.random_state,
                    model=learner.model_, classes=None if learner.model_ is None else
                    learner.proba_classes(learner.model_), want_umap=want_umap, on_ready=self._on_projection, on_error=self._on_projection_error)
                self.projection = self._view.name
                self._send_points()
                if user_coords is not None:
                    self._proj = None
            elif user_coords is not None:
                self._proj = None
                self.coords = _projection.normalize(user_coords).tobytes()
                self.projection, self.projection_status = "custom", "custom"
            else:
                self._proj = _projection.Projection(learner.pool.local_array, method=projection, random_state=learner.random_state,
                                                    on_ready=self._on_projection, on_error=self._on_projection_error)
                self.coords = _projection.normalize(self._proj.coords).tobytes()
                self.projection, self.projection_status = self._proj.name, self._proj.status
            self._refresh_scores()
            self._new_batch(self._next_batch())
            self._refresh_curve()
            self._refresh_monitor()
            self._set_status("idle", self._ready_message())
            self._init_teaching(teacher)
        self.on_msg(self._on_command)
        if self._proj is not None:
            self._proj.start()

    # ------------------------------------------------------------------ labels <-> classes
    @staticmethod
    def _resolve_labels(learner, labels):
        declared = learner.declared_classes
        taught = learner.classes_ if learner.n_labeled else None
        if labels is None:
            if declared is not None:
                classes = np.asarray(declared)
            elif taught is not None and taught.size:
                classes = np.asarray(taught)
            else:
                raise ValueError("labels: give the class names to show on the buttons (labels=[...]), or declare "
                                 "classes= on the ActiveLearner")
            return classes, [str(c) for c in classes.tolist()]
        if isinstance(labels, dict):
            keys, names = list(labels.keys()), list(labels.values())
        else:
            if isinstance(labels, str) or not hasattr(labels, "__iter__"):
                raise TypeError(f"labels must be a list of class names (strings) or a dict {{class: name}}, got {labels!r}")
            keys, names = None, list(labels)
        bad = [v for v in names if not isinstance(v, str)]
        if bad:
            raise TypeError(f"labels must be strings; {bad[0]!r} is a {type(bad[0]).__name__}")
        if len(names) < 1:
            raise ValueError("labels is empty; give one name per class")
        if len(set(names)) != len(names):
            dup = sorted({v for v in names if names.count(v) > 1})
            raise ValueError(f"labels must be unique; {dup} appear more than once")
        if keys is not None:
            classes = np.asarray(keys)
            if declared is not None and set(classes.tolist()) != set(declared.tolist()):
                raise ValueError(f"labels: the dict's keys {keys} must be the learner's declared classes {declared.tolist()}")
        elif declared is not None:
            if len(names) != declared.size:
                raise ValueError(f"labels has {len(names)} names but the learner declares {declared.size} classes "
                                 f"{declared.tolist()}; give one name per class, in that order")
            classes = np.asarray(declared)
        elif taught is not None and taught.size:
            tl = taught.tolist()
            if all(isinstance(t, str) for t in tl) and set(tl) <= set(names):
                classes = np.asarray(names)
            elif all(isinstance(t, (int, np.integer)) for t in tl) and min(tl) >= 0 and max(tl) < len(names):
                classes = np.arange(len(names))
            else:
                raise ValueError(f"labels: the learner already has classes {tl} which do not match the names {names}; "
                                 "pass labels as a dict {class: name}")
        else:
            classes = np.arange(len(names))
        if classes.size != len(names) or len(set(classes.tolist())) != classes.size:
            raise ValueError("labels: classes must be unique, one name each")
        return classes, names

    # ------------------------------------------------------------------ scores and colours
    def _refresh_scores(self):
        """Recompute probabilities for a new model, then the colour buffer."""
        learner = self.learner
        if self._view is not None:
            self._show_on_map(learner.labeled_indices)
        if learner.model_ is not None and self._proba_version != learner.model_version:
            if self._view is not None:   # the drawn rows only, scored on the workers
                raw = self._view.rescore(learner.model_, learner.proba_classes(learner.model_))
            else:
                raw = learner.predict_proba()
            self._proba = self._over_label_names(raw)
            self._proba_version = learner.model_version
        self._recolor()

    def _over_label_names(self, raw):
        """Probabilities over the learner's classes -> over ``label_names``' classes, rows summing to 1."""
        learner = self.learner
        model_classes = learner.declared_classes if learner.declared_classes is not None else np.asarray(learner.model_.classes_)
        p = np.zeros((raw.shape[0], len(self._classes)), dtype=np.float32)
        for j, c in enumerate(model_classes.tolist()):
            if c in self._position:
                p[:, self._position[c]] = raw[:, j]
        s = p.sum(axis=1, keepdims=True)
        s[s == 0] = 1
        return p / s

    # ------------------------------------------------------------------ points on the map <-> pool positions
    def _rows(self, idx) -> np.ndarray:
        """Point numbers (rows of ``coords`` and of the probabilities) of pool positions."""
        idx = np.asarray(idx, dtype=np.intp)
        return idx if self._view is None else self._view.locate(idx)

    def _show_on_map(self, idx):
        """A Dask pool: make sure these pool items are drawn (the batch, labeled items); resend the points if the
        sample grew. The colours follow with the caller's ``_recolor``."""
        if self._view is None or not self._view.include(idx):
            return False
        if self._view.proba is not None and self._proba is not None:
            self._proba = self._over_label_names(self._view.proba)
        self._send_points()
        return True

    def _send_points(self):
        positions, coords = self._view.snapshot()
        with self._lock, self.hold_sync():
            self.n_points = int(positions.size)
            self.point_index = positions.astype(np.uint32).tobytes()
            self.coords = _projection.normalize(coords).tobytes()
            self.projection_status = self._view.status

    def _uncertainty(self, mode):
        p = self._proba
        k = p.shape[1]
        if mode == "entropy":
            with np.errstate(divide="ignore", invalid="ignore"):
                h = -np.where(p > 0, p * np.log(p), 0.0).sum(axis=1)
            return h / np.log(k) if k > 1 else np.zeros(p.shape[0])
        top2 = -np.partition(-p, 1, axis=1)[:, :2] if k > 1 else np.column_stack([p[:, 0], np.zeros(p.shape[0])])
        return 1.0 - (top2[:, 0] - top2[:, 1])

    def _color_buffer(self, mode):
        n, k = self.n_points, len(self._classes)
        if self._proba is not None and self._proba.shape[0] != n:
            raise RuntimeError(f"internal: {self._proba.shape[0]} probability rows for {n} points")
        ncol = (len(self.palette) - CLASS0) // 2
        vals = np.full(n, GREY, dtype=np.uint8)
        if mode in ("entropy", "margin") and self._proba is not None:
            u = np.clip(self._uncertainty(mode), 0, 1)
            vals = np.minimum((u * RAMP_SIZE).astype(np.int64), RAMP_SIZE - 1).astype(np.uint8)
        elif mode == "predicted" and self._proba is not None:
            vals = (CLASS0 + ncol + self._proba.argmax(axis=1) % ncol).astype(np.uint8)
        idx = self.learner.labeled_indices
        if idx.size:  # labeled items: their class colour, in every mode
            pos = np.array([self._position.get(v, 0) for v in self.learner.labels.tolist()])
            vals[self._rows(idx)] = (CLASS0 + pos % ncol).astype(np.uint8)
        legend = self._legend(mode, k)
        return vals, legend

    def _legend(self, mode, k):
        classes = [{"name": nm, "color": c} for nm, c in zip(self.label_names, self.class_colors)]
        if mode in ("entropy", "margin") and self._proba is not None:
            return {"kind": "continuous", "title": "entropy (normalized)" if mode == "entropy" else "margin uncertainty",
                    "min": "0 (sure)", "max": "1 (unsure)", "ramp": _ramp(_VIRIDIS, 8), "classes": classes}
        note = "no model yet" if self._proba is None and mode != "label" else ""
        return {"kind": "categorical", "title": {"predicted": "predicted class", "label": "label"}.get(mode, mode),
                "note": note, "classes": classes}

    def _recolor(self):
        vals, legend = self._color_buffer(self.color_by)
        with self._lock, self.hold_sync():
            self.color_values = vals.tobytes()
            self.legend = legend

    # ------------------------------------------------------------------ batch and cards
    def _card(self, i, why, source="query"):
        options = list(range(len(self._classes)))
        probs = None
        if self._proba is not None:
            probs = self._proba[self._rows([i])[0]]
            options.sort(key=lambda j: (-probs[j], j))
        return {
            "index": int(i),
            "item": self._items.payload(i),
            "options": [{"label": j, "name": self.label_names[j], "key": (j + 1) % 10 if j < 10 else None,
                         "p": None if probs is None else round(float(probs[j]), 4)} for j in options],
            "suggested": None if probs is None else int(options[0]),
            "why": why,
            "source": source,
        }

    def _new_batch(self, batch):
        self._batch = batch
        if batch is not None and self._show_on_map(batch.indices):
            self._recolor()
        cards, why = [], {}
        if batch is not None:
            comps = {k: np.asarray(v, dtype=float) for k, v in batch.components.items()}
            for pos, i in enumerate(batch.indices.tolist()):
                w = {"strategy": batch.strategy, "score": _num(batch.scores[pos])}
                for name, arr in comps.items():
                    w[name] = _num(arr[pos])
                why[i] = w
                cards.append(self._card(i, w))
        self._why = why
        self._cards_for = [c["index"] for c in cards]
        self._pick_order = []
        self._shown_at = time.monotonic()
        with self.hold_sync():
            self.batch = cards
            self.pending = {}
            self.saved = []
            self.batch_id = self.batch_id + 1

    def _next_batch(self):
        """The learner's next batch, smaller at the end of the pool; None when every item is labeled.
        Annotator mode: the items claimed from the shared queue; None when it has nothing for this annotator."""
        left = self._n_pool - self.learner.n_labeled
        if self._queue is not None:
            return self._claim_batch(min(self.learner.batch_size, left)) if left > 0 else None
        return self.learner.query(min(self.learner.batch_size, left)) if left > 0 else None

    # ------------------------------------------------------------------ annotator mode (the shared queue)
    @staticmethod
    def _check_annotator(learner, annotator, queue, oracle):
        from activelens.storage.queue import AnnotationQueue, check_annotator

        if annotator is None:
            if queue is not None:
                raise ValueError("queue= needs annotator=: give this annotator's name (annotator=\"name\") to claim "
                                 "items from the queue")
            return None
        check_annotator(annotator)
        if oracle is not None:
            raise ValueError("annotator= (claiming from the shared queue) and oracle= (teaching mode) cannot be "
                             "combined; use one of them")
        if queue is None:
            if learner.store is None:
                raise ValueError(f"annotator={annotator!r} claims from the shared annotation queue, which lives in the "
                                 "learner's label store, and this learner has none: create it with "
                                 "ActiveLearner(..., store=\"labels.db\") or pass queue=AnnotationQueue(...)")
            return AnnotationQueue(learner.store)
        if not isinstance(queue, AnnotationQueue):
            raise TypeError(f"queue must be an activelens.AnnotationQueue, got {type(queue).__name__}")
        return queue

    def _claim_batch(self, n):
        """Claim up to ``n`` items for this annotator; when the queue has too little to claim, fill it with the
        learner's next selection first (the selection service's role), then claim the rest."""
        from activelens.core.records import Batch

        queue, name = self._queue, self._annotator
        got = queue.claim(name, n=n)
        if len(got) < n:   # the queue ran short (gold items may fill some slots): top it up, claim the rest
            self._fill_queue(n - len(got))
            got += queue.claim(name, n=n - len(got))
        if not got:
            return None
        return Batch(indices=np.asarray(got, dtype=np.intp), scores=np.full(len(got), np.nan),
                     strategy="shared queue", round=len(self.learner.rounds), model_version=self.learner.model_version)

    def _fill_queue(self, n):
        learner, queue = self.learner, self._queue
        queued = set(queue.queued_indices().tolist())
        labeled = set(learner.labeled_indices.tolist())
        left = self._n_pool - len(labeled)
        if left <= 0:
            return 0
        # items already queued (held by others, or answered but not resolved yet) are not selected again
        batch = learner.query(min(left, n + len(queued - labeled)))
        keep = [k for k, i in enumerate(batch.indices.tolist()) if i not in queued][:n]
        if not keep:
            return 0
        return queue.put(batch.indices[keep], scores=np.asarray(batch.scores, dtype=float)[keep],
                         strategy=str(batch.strategy), round=int(batch.round), model_version=int(batch.model_version))

    def _release_cards(self, indices):
        """Give claimed items back to the queue (skipped or left unpicked); a lease that already ended is fine."""
        from activelens.storage.queue import QueueError

        for i in indices:
            try:
                self._queue.release(self._annotator, i)
            except QueueError:
                pass

    def _submit_to_queue(self, taught, rest):
        """Commit each label through the queue, release the rest, teach the learner the resolved labels.
        Returns the indices committed."""
        from activelens.storage.queue import QueueError

        secs = max(0.0, time.monotonic() - self._shown_at) / max(1, len(taught))
        done = []
        try:
            for i, lab in taught:
                self._queue.submit(self._annotator, i, self._class_value(lab), seconds=secs)
                done.append(i)
        except QueueError as exc:
            self.saved = sorted(set(self.saved) | set(done))
            raise ValueError(f"submit to the queue failed: {exc}") from None
        self._release_cards(rest)
        self._sync_from_queue()
        return done

    def _sync_from_queue(self):
        """Teach the learner the queue's resolved labels (``queue.sync``), then take in the labels other notebooks'
        learners already committed to the same store (their own sync): those are in the store, so they only enter
        this learner's memory (nothing is written twice)."""
        learner = self.learner
        return self._queue.sync(learner) + learner.pull_from_store()

    def _class_value(self, lab):
        c = self._classes[lab]
        return c.item() if hasattr(c, "item") else c

    def _refresh_monitor(self):
        if self._queue is None and self.learner.store is None:
            return
        try:
            mon = self._monitor_state()
        except Exception as exc:  # noqa: BLE001 - the panel shows it; labeling goes on
            mon = dict(self.monitor, error=f"monitor failed: {type(exc).__name__}: {exc}")
        with self._lock:
            self.monitor = mon

    def _monitor_state(self) -> dict:
        """Per annotator: labels, gold accuracy, mean kappa with the others, labels per hour; overall agreement;
        cost per accuracy point (in labels); the queue's counts."""
        from activelens.analysis import monitor as _mon

        learner = self.learner
        ann = self._queue.store.annotations() if self._queue is not None else None
        if ann is None or not len(ann):
            ann = _mon.annotations_of(learner)
        table = _mon.annotator_table(ann)
        agr = _mon.agreement(ann)
        rows = [{"name": str(name), "n_labels": int(r["n_labels"]), "gold_n": int(r["gold_n"]),
                 "gold_accuracy": _opt(r["gold_accuracy"]), "kappa": _opt(r["kappa_with_others"]),
                 "labels_per_hour": _opt(r["labels_per_hour"])} for name, r in table.iterrows()]
        cost = _mon.cost_per_point(learner.history)
        cpp = [float(v) for v in cost["cost_per_point"].tolist() if v is not None and np.isfinite(v)] if len(cost) else []
        return {"annotator": self._annotator or "", "annotators": rows,
                "agreement": {"method": agr["method"] or "", "kappa": _opt(agr["kappa"]), "n_items": int(agr["n_items"])},
                "cost_per_point": round(cpp[-1], 2) if cpp else None,
                "cost_unit": str(cost["unit"].iloc[0]) if len(cost) else "labels",
                "queue": self._queue.status() if self._queue is not None else None, "error": ""}

    def _refresh_curve(self):
        rounds = [r for r in self.learner.rounds if np.isfinite(r.score)]
        last = self.learner.rounds[-1] if self.learner.rounds else None
        stop = self.learner.stop_reason()
        self.curve = {
            "n_labels": [int(r.n_labels) for r in rounds],
            "scores": [float(r.score) for r in rounds],
            "baseline_n": list(self._baseline[0]),
            "baseline_scores": list(self._baseline[1]),
            "source": last.score_source if last is not None else "",
            "metric": str(self.learner.scoring),
            "gain": _num(last.gain) if last is not None else None,
            "stopping": list(self.learner.stopping_progress()),
            "stop": str(stop) if stop is not None else "",
        }

    def _empty_message(self):
        if self._queue is not None and self._n_pool > self.learner.n_labeled:
            return f"the queue has nothing for {self._annotator} right now; submit again later to claim more"
        return "every item is labeled"

    def _ready_message(self):
        learner = self.learner
        if learner.model_ is None:
            if learner.n_labeled and len(set(map(str, learner.labels.tolist()))) < 2:
                return "label an item of another class to train the first model"
            return "cold start: label this batch, then submit"
        return f"round {len(learner.rounds)} · pick labels, then submit"

    def _set_status(self, state, message):
        self.status = {"state": state, "busy": state == "training", "message": message,
                       "round": len(self.learner.rounds), "n_labeled": int(self.learner.n_labeled)}

    # ------------------------------------------------------------------ commands from the page
    def _on_command(self, _widget, content, _buffers=None):
        if not isinstance(content, dict):
            return
        kind = content.get("type")
        try:
            if kind == "label":
                self._cmd_label(content.get("index"), content.get("label"))
            elif kind == "skip":
                self._cmd_label(content.get("index"), -1)
            elif kind == "undo":
                self._cmd_undo()
            elif kind == "submit":
                self._cmd_submit()
            elif kind == "color_by":
                self.set_color_by(content.get("value"))
            elif kind == "add":
                self._cmd_add(content.get("indices") or [])
            elif kind == "peek":
                self._cmd_peek(content.get("index"))
            elif self._teaching_command(kind, content):
                pass
            else:
                self.error = f"unknown command {kind!r}"
        except (ValueError, TypeError) as exc:
            self.error = str(exc)

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
            if isinstance(label, bool) or not isinstance(label, (int, np.integer)) or not -1 <= label < len(self._classes):
                raise ValueError(f"label must be a position in label_names (0..{len(self._classes) - 1}) or -1 to skip")
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

    def _cmd_add(self, indices):
        with self._lock:
            if self._training:
                raise ValueError("still training; add items when the next batch is shown")
            if self._queue is not None:
                raise ValueError(f"annotator mode: {self._annotator!r} labels the items claimed from the shared queue; "
                                 "items picked on the map cannot be added")
            labeled = set(self.learner.labeled_indices.tolist())
            have = set(self._cards_for)
            new = []
            for i in indices:
                if isinstance(i, bool) or not isinstance(i, (int, np.integer)) or not 0 <= i < self._n_pool:
                    raise ValueError(f"add: {i!r} is not a pool position")
                i = int(i)
                if self._view is not None and not self._view.contains(i):
                    raise ValueError(f"add: item {i} is not on the map; pick points that are drawn")
                if i not in labeled and i not in have and i not in new:
                    new.append(i)
            new = new[:max(0, MAX_HAND_PICKED - len(self._cards_for))]
            if not new:
                return
            cards = list(self.batch)
            for i in new:
                w = {"strategy": "picked on the map"}
                self._why[i] = w
                cards.append(self._card(i, w, source="hand"))
            self._cards_for += new
            self.batch = cards
            self.error = ""

    def _cmd_peek(self, index):
        if isinstance(index, bool) or not isinstance(index, (int, np.integer)) or not 0 <= index < self._n_pool:
            return
        i = int(index)
        if self._view is not None and not self._view.contains(i):
            return
        out = {"type": "peek", "index": i, "preview": self._items.preview(i)}
        label = dict(zip(self.learner.labeled_indices.tolist(), self.learner.labels.tolist())).get(i) \
            if self.learner.n_labeled < 5000 else None
        if label is not None:
            out["label"] = self.label_names[self._position.get(label, 0)]
        if self._proba is not None:
            p = self._proba[self._rows([i])[0]]
            j = int(p.argmax())
            with np.errstate(divide="ignore", invalid="ignore"):
                h = float(-np.where(p > 0, p * np.log(p), 0).sum())
            out.update(predicted=self.label_names[j], p=round(float(p[j]), 4), entropy=round(h, 4))
        self.send(out)

    def _cmd_submit(self, annotator=None, retrain=True):
        with self._lock:
            if self._training:
                raise ValueError("already training")
            picks = [(i, self.pending.get(str(i))) for i in self._cards_for]
            taught = [(i, lab) for i, lab in picks if lab is not None and lab >= 0 and i not in self.saved]
            if self._queue is not None:   # annotator mode: through the shared queue
                rest = [i for i, lab in picks if (lab is None or lab < 0) and i not in self.saved]
                self._submit_to_queue(taught, rest)
            elif taught:
                idx = [i for i, _ in taught]
                self.learner.teach(idx, [self._classes[lab].item() if hasattr(self._classes[lab], "item")
                                         else self._classes[lab] for _, lab in taught], annotator=annotator)
            # the learner has them now: only now does the page show them as saved
            with self.hold_sync():
                self.saved = sorted(set(self.saved) | {i for i, _ in taught})
                self.error = ""
                if not retrain:   # teaching mode's step view: labels now, retrain on the next step
                    return
                self._set_status("training", "retraining…")
            self._training = True
            self._idle.clear()
            previous = self._worker
            self._worker = threading.Thread(target=self._retrain, args=(previous,), name="activelens-retrain",
                                            daemon=True)
            self._worker.start()

    def _retrain(self, previous=None, final=True):
        if previous is not None:  # the last round's baseline may still be running: one worker at a time
            previous.join()
        try:
            t0 = time.perf_counter()
            learner = self.learner
            can_fit = learner.n_labeled and len(set(map(str, learner.labels.tolist()))) >= 2
            if self._queue is not None and learner.model_ is not None and not learner.n_new_labels:
                can_fit = False   # annotator mode: nothing resolved since the last fit (e.g. overlap items)
            if can_fit:
                learner.fit()
            self._refresh_scores()
            batch = self._next_batch()
            with self._lock, self.hold_sync():     # trait writes: one thread at a time
                self._new_batch(batch)
                self._refresh_curve()
                self._refresh_monitor()
                self._last_retrain_seconds = time.perf_counter() - t0
                self._set_status("idle", self._ready_message() if batch is not None else self._empty_message())
                if final:   # teaching mode's "Run N rounds" keeps training until its last round
                    self._training = False
            if can_fit and self._update_baseline():
                with self._lock:
                    self._refresh_curve()
        except Exception as exc:  # noqa: BLE001 - shown on the page; the labels are already saved
            if isinstance(exc, PoolError):   # its own text says "call again", which means fit() + refresh() here
                cause = exc.__cause__
                message = (f"retrain failed: the {self.learner.pool.kind.capitalize()} cluster failed ({type(cause).__name__}: {cause}); your "
                           f"{self.learner.n_labeled} labels are saved — when the cluster is back (or with a new client: "
                           "learner.client = Client(...)), run learner.fit() and w.refresh()")
            else:
                message = f"retrain failed: {type(exc).__name__}: {exc}"
            with self._lock, self.hold_sync():
                self.error = message
                self._set_status("error", self.error)
        finally:
            if final:
                self._training = False
                if self._worker is threading.current_thread():  # a newer worker keeps wait() waiting
                    self._idle.set()

    def _update_baseline(self, repeats: int = 3) -> bool:
        """The random-sampling baseline at the curve's label counts (needs a holdout).

        Random pool items have no labels, so the baseline is estimated on the holdout itself: a classifier trained
        on ``n`` random holdout rows, scored on the rest of the holdout, averaged over ``repeats`` draws. Only for
        ``n`` up to half the holdout. Runs in the retrain thread, after the new batch is shown."""
        learner = self.learner
        if learner.X_test is None:
            return False
        from sklearn.base import clone
        from sklearn.metrics import get_scorer

        scorer = get_scorer(learner.scoring)
        done = dict(zip(*self._baseline))
        m = learner.X_test.shape[0]
        todo = [n for n in (r.n_labels for r in learner.rounds) if n not in done and n <= m // 2]
        if not todo:
            return False
        rng = np.random.default_rng(0 if learner.random_state is None else learner.random_state)
        for n in todo:
            scores = []
            for _ in range(repeats):
                pick = rng.permutation(m)
                train, test = pick[:n], pick[n:]
                if np.unique(learner.y_test[train]).size < 2:
                    continue
                try:
                    model = clone(learner.estimator).fit(learner.X_test[train], learner.y_test[train])
                    scores.append(float(scorer(model, learner.X_test[test], learner.y_test[test])))
                except Exception:  # noqa: BLE001 - a draw the estimator cannot fit is skipped
                    continue
            if scores:
                done[n] = float(np.mean(scores))
        xs = sorted(done)
        self._baseline = (xs, [done[x] for x in xs])
        return True

    # ------------------------------------------------------------------ projection callbacks
    def _on_projection(self, coords, name):
        with self._lock, self.hold_sync():
            if self._view is not None:   # the view swapped its coordinates in under its own lock
                self.projection = name
                self._send_points()
                return
            self.coords = _projection.normalize(coords).tobytes()
            self.projection = name
            self.projection_status = name

    def _on_projection_error(self, message):
        with self._lock:
            self.projection_status = self._proj.status   # "umap failed: <message>, showing pca"

    # ------------------------------------------------------------------ Python API
    def set_color_by(self, mode):
        """Colour the map by "entropy", "margin", "predicted" or "label" (sends only the colour buffer)."""
        if mode not in COLOR_MODES:
            raise ValueError(f"color_by must be one of {', '.join(COLOR_MODES)}, got {mode!r}")
        with self._lock, self.hold_sync():
            self.color_by = mode
            self._recolor()

    def refresh(self) -> None:
        """Show the learner's current state after changing it from Python (``learner.teach``/``fit`` in a cell):
        rescore and recolour the map, draw the next batch, update the curve. Picks not yet submitted are dropped."""
        if not self.wait(timeout=600):
            raise RuntimeError("the explorer is still retraining; try again when it is idle")
        with self._lock:
            self._refresh_scores()
            learner = self.learner
            if self._queue is not None:   # annotator mode: give back what was claimed and not submitted
                self._release_cards([i for i in self._cards_for if i not in self.saved])
                self._sync_from_queue()
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
        queue = getattr(self, "_queue", None)
        if queue is not None and self._cards_for:
            self.wait(timeout=60)
            with self._lock:
                try:
                    self._release_cards([i for i in self._cards_for if i not in self.saved])
                except Exception:  # noqa: BLE001 - closing must not fail; the leases then expire as before
                    pass
                self._cards_for = []
        super().close()

    def wait(self, timeout=None) -> bool:
        """Block until a submitted batch has been retrained and the next batch is shown. True if idle."""
        return self._idle.wait(timeout)

    def wait_projection(self, timeout=None) -> bool:
        """Block until the background UMAP (if any) is done."""
        return True if self._proj is None else self._proj.wait(timeout)

    @property
    def batch_indices(self) -> list[int]:
        """Pool positions of the cards on show, in order."""
        return list(self._cards_for)

    def coordinates(self) -> np.ndarray:
        """The map's (n_points, 2) float32 coordinates as sent to the page."""
        return np.frombuffer(self.coords, dtype=np.float32).reshape(-1, 2)

    def point_positions(self) -> np.ndarray:
        """The pool position of each point on the map (all of them for an in-memory pool; a sample for a Dask
        pool)."""
        if self._view is None:
            return np.arange(self.n_points, dtype=np.int64)
        return np.frombuffer(self.point_index, dtype=np.uint32).astype(np.int64)

    def figure(self):
        """The map as a plotly figure (for reports): points coloured as on the page, the batch ringed."""
        import plotly.graph_objects as go

        xy = self.coordinates()
        vals = np.frombuffer(self.color_values, dtype=np.uint8)
        colours = np.asarray(self.palette)[vals]
        fig = go.Figure()
        fig.add_trace(go.Scattergl(x=xy[:, 0], y=xy[:, 1], mode="markers", name="pool",
                                   marker=dict(color=colours.tolist(), size=4), hoverinfo="skip"))
        b = self._rows(self._cards_for) if self._cards_for else np.empty(0, dtype=int)
        if b.size:
            fig.add_trace(go.Scattergl(x=xy[b, 0], y=xy[b, 1], mode="markers", name="batch",
                                       marker=dict(color="rgba(0,0,0,0)", size=12, line=dict(color="#ff3d00", width=2)),
                                       text=[str(i) for i in self._cards_for]))
        fig.update_layout(title=f"pool map ({self.projection}), colour: {self.color_by}", template="plotly_white",
                          xaxis=dict(visible=False), yaxis=dict(visible=False, scaleanchor="x"))
        return fig

    def curve_figure(self):
        """The learning curve (and the random baseline when there is one) as a plotly figure."""
        import plotly.graph_objects as go

        c = self.curve
        fig = go.Figure()
        fig.add_trace(go.Scatter(x=c.get("n_labels", []), y=c.get("scores", []), mode="lines+markers",
                                 name=str(self.learner.strategy if isinstance(self.learner.strategy, str) else "strategy")))
        if c.get("baseline_n"):
            fig.add_trace(go.Scatter(x=c["baseline_n"], y=c["baseline_scores"], mode="lines", name="random",
                                     line=dict(dash="dash")))
        fig.update_layout(title="learning curve", xaxis_title="labels", yaxis_title=f"{c.get('metric', 'score')} "
                          f"({c.get('source') or 'no score yet'})", template="plotly_white")
        return fig


def _opt(v):
    """A finite number rounded for the page, else None (JSON has no NaN)."""
    try:
        v = float(v)
    except (TypeError, ValueError):
        return None
    return round(v, 4) if np.isfinite(v) else None


def _num(v):
    v = float(v)
    return round(v, 4) if np.isfinite(v) else None
