"""Race: several strategies from the same seed set on the same pool, side by side, random always among them.

Each strategy gets its own :class:`~activelens.ActiveLearner` (a clone of the estimator) that starts from the same
labeled seed set; a simulated oracle (``y``) answers every batch. Rounds run in a background thread and stream to the
page: the curves (one panel, overlaid), each strategy's selections (one small map each) and "labels needed to reach
X" per strategy.

The traitlets are the protocol; each has one writer (python). Points cross as bytes, never as JSON lists.

==========  =================================================  ======  =================================================
trait       type                                               writer  meaning
==========  =================================================  ======  =================================================
kind        Unicode "race"                                     python  tells the shared bundle to render a race
strategies  List[str]                                          python  the racers, in order (random among them)
colors      List[str]                                          python  one colour per racer
n_points    Int                                                python  pool size
coords      Bytes: float32 (n, 2) row-major, in [-1, 1]        python  positions on the small maps
curves      Bytes: float32 (m, 3) rows (racer, labels, score)  python  every curve point so far, in order of arrival
selections  Bytes: uint8 (n_racers, n) row-major               python  0 unlabeled, 1 seed set, 2 chosen earlier,
                                                                       3 chosen in the latest round
reach       Dict                                               python  {"target", "labels": [int|None per racer],
                                                                       "target_source"}
status      Dict                                               python  {"state": "idle"|"running"|"error", "busy",
                                                                       "round", "n_labels", "message"}
error       Unicode                                            python  last error, "" when none
==========  =================================================  ======  =================================================

Commands from the page (``model.send``): ``{"type": "run", "rounds"}``, ``{"type": "target", "value"}`` (a score, or
null for the default: the score random reaches at its last round).
"""
from __future__ import annotations

import pathlib
import threading

import anywidget
import numpy as np
import pandas as pd
import traitlets
from sklearn.base import clone

from activelens.widgets import projection as _projection
from activelens.loop.learner import ActiveLearner
from activelens.strategies.registry import STRATEGIES
from activelens.loop.simulate import split_holdout, labels_to_reach

_STATIC = pathlib.Path(__file__).parent.parent / "static"
_COLORS = {"random": "#7f7f7f"}
_PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#bcbd22", "#17becf"]
MAX_ROUNDS = 200


class Race(anywidget.AnyWidget):
    """Race strategies against each other (and random) from the same seed set on the same pool.

    Parameters
    ----------
    estimator : any scikit-learn classifier (cloned per racer and per round).
    X, y : the pool and its true classes (the oracle).
    strategies : names (see ``activelens.loop.learner.STRATEGIES``); "random" is added when missing.
    X_test, y_test : the holdout the curves are scored on; without it ``test_size`` of X is held out (stratified).
    initial : size of the shared seed set (seeded random pool items, at least two classes).
    batch_size : labels per round per racer.
    coords : (n_pool, 2) positions for the small maps; default PCA of ``embeddings`` (or X).
    embeddings : (n_pool, d) array for diversity strategies and the default map.
    target : the score for "labels needed to reach X"; default the score random reaches at its last round.
    random_state : seeds the split, the seed set and every racer.
    """

    _esm = _STATIC / "widget.js"
    _css = _STATIC / "widget.css"

    kind = traitlets.Unicode("race").tag(sync=True)
    strategies = traitlets.List(traitlets.Unicode()).tag(sync=True)
    colors = traitlets.List(traitlets.Unicode()).tag(sync=True)
    n_points = traitlets.Int(0).tag(sync=True)
    coords = traitlets.Bytes(b"").tag(sync=True)
    curves = traitlets.Bytes(b"").tag(sync=True)
    selections = traitlets.Bytes(b"").tag(sync=True)
    reach = traitlets.Dict().tag(sync=True)
    status = traitlets.Dict().tag(sync=True)
    error = traitlets.Unicode("").tag(sync=True)

    def __init__(self, estimator, X, y, *, strategies=("margin", "k_center"), X_test=None, y_test=None,
                 initial: int = 20, batch_size: int = 10, coords=None, embeddings=None, target=None,
                 test_size: float = 0.3, random_state=0, **kwargs):
        names = [strategies] if isinstance(strategies, str) else list(strategies)
        bad = [s for s in names if not isinstance(s, str) or s not in STRATEGIES]
        if bad:
            raise ValueError(f"strategies must be names among {', '.join(STRATEGIES)}; got {bad[0]!r}")
        if "random" not in names:
            names.append("random")
        names = list(dict.fromkeys(names))
        if coords is not None and X_test is None:
            raise ValueError("coords are positions of the pool's rows: give X_test/y_test too, so X is not split")
        if embeddings is not None and X_test is None:
            raise ValueError("embeddings are rows of the pool: give X_test/y_test too, so X is not split")
        X, y, X_test, y_test = split_holdout(X, y, X_test, y_test, test_size, random_state)
        n = X.shape[0]
        for name, value in (("initial", initial), ("batch_size", batch_size)):
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
                raise ValueError(f"{name} must be a positive int, got {value!r}")
        if initial >= n:
            raise ValueError(f"initial ({initial}) must be smaller than the pool ({n})")
        if coords is not None:
            c = np.asarray(coords, dtype=np.float32)
            if c.shape != (n, 2) or not np.isfinite(c).all():
                raise ValueError(f"coords must be a finite (n_pool, 2) = ({n}, 2) array, got shape {c.shape}")
        else:
            c = _projection.pca_2d(X if embeddings is None else np.asarray(embeddings), random_state=0)
        super().__init__(**kwargs)
        self.X, self.y, self.X_test, self.y_test = X, np.asarray(y), X_test, np.asarray(y_test)
        classes = np.unique(np.concatenate([self.y, self.y_test]))
        rng = np.random.default_rng(random_state)
        seed = rng.choice(n, size=initial, replace=False)
        while np.unique(self.y[seed]).size < 2:  # a seed set the first model can be fit on
            seed = rng.choice(n, size=initial, replace=False)
        self.seed = np.sort(seed)
        self._lock = threading.RLock()
        self._idle = threading.Event()
        self._idle.set()
        self._worker = None
        self._target = None if target is None else float(target)
        self._points: list[tuple[int, int, float]] = []
        self.learners = {}
        for s in names:
            learner = ActiveLearner(clone(estimator), X, strategy=s, batch_size=batch_size, classes=classes,
                                    embeddings=embeddings, X_test=X_test, y_test=self.y_test,
                                    random_state=random_state)
            self.learners[s] = learner
        self._sel = np.zeros((len(names), n), dtype=np.uint8)
        self._sel[:, self.seed] = 1
        with self.hold_sync():
            self.strategies = names
            others = iter(_PALETTE)
            self.colors = [_COLORS.get(s) or next(others) for s in names]
            self.n_points = n
            self.coords = _projection.normalize(c).tobytes()
            self.selections = self._sel.tobytes()
            self._set_status("idle", "press Run: every racer starts from the same seed set")
            self._update_reach()
        self.on_msg(self._on_command)
        # round 0: the shared seed set, one fit each (fast; on the kernel's thread so the curves start at once)
        for i, (s, learner) in enumerate(self.learners.items()):
            learner.teach(self.seed, self.y[self.seed].tolist(), annotator="seed")
            r = learner.fit()
            self._points.append((i, r.n_labels, r.score))
        with self.hold_sync():
            self._publish()

    # ------------------------------------------------------------------ state -> traits
    def _set_status(self, state, message):
        first = next(iter(self.learners.values()), None)
        self.status = {"state": state, "busy": state == "running", "message": message,
                       "round": max(0, len(first.rounds) - 1) if first is not None else 0,
                       "n_labels": int(first.n_labeled) if first is not None else 0}

    def _publish(self):
        self.curves = np.asarray(self._points, dtype=np.float32).reshape(-1, 3).tobytes()
        self.selections = self._sel.tobytes()
        self._update_reach()

    def _default_target(self):
        r = self.learners["random"].rounds
        return float(r[-1].score) if r else None

    def _update_reach(self):
        target = self._target if self._target is not None else self._default_target()
        labels = []
        for s in self.strategies:
            rounds = self.learners[s].rounds if s in self.learners else []
            hit = labels_to_reach([r.n_labels for r in rounds], [r.score for r in rounds], target) \
                if (rounds and target is not None) else None
            labels.append(hit)
        self.reach = {"target": target, "labels": labels,
                      "target_source": "set" if self._target is not None else "random's last score"}

    # ------------------------------------------------------------------ commands
    def _on_command(self, _widget, content, _buffers=None):
        if not isinstance(content, dict):
            return
        kind = content.get("type")
        try:
            if kind == "run":
                self.run(content.get("rounds"))
            elif kind == "target":
                self.set_target(content.get("value"))
            else:
                self.error = f"unknown command {kind!r}"
        except (ValueError, TypeError) as exc:
            self.error = str(exc)

    def run(self, rounds=1):
        """Run ``rounds`` more rounds for every racer in the background thread (``wait()`` blocks until done)."""
        if isinstance(rounds, bool) or not isinstance(rounds, (int, np.integer)) or not 1 <= rounds <= MAX_ROUNDS:
            raise ValueError(f"rounds must be an int from 1 to {MAX_ROUNDS}, got {rounds!r}")
        with self._lock:
            if not self._idle.is_set():
                raise ValueError("the race is running; wait for it to finish")
            self._idle.clear()
            self.error = ""
            self._set_status("running", f"running {rounds} round{'s' if rounds > 1 else ''}…")
            self._worker = threading.Thread(target=self._run, args=(int(rounds),), name="activelens-race", daemon=True)
            self._worker.start()
        return self

    def _run(self, rounds):
        try:
            for k in range(rounds):
                for i, s in enumerate(self.strategies):
                    learner = self.learners[s]
                    left = self.n_points - learner.n_labeled
                    if left <= 0:
                        continue
                    batch = learner.query(min(learner.batch_size, left))
                    learner.teach(batch.indices, self.y[batch.indices].tolist(), annotator="oracle")
                    r = learner.fit()
                    with self._lock:
                        row = self._sel[i]
                        row[row == 3] = 2
                        row[batch.indices] = 3
                        self._points.append((i, r.n_labels, r.score))
                with self._lock, self.hold_sync():   # one update per round: every racer's point and selection
                    self._publish()
                    self._set_status("running", f"round {k + 1} of {rounds}")
            with self._lock:
                self._set_status("idle", "done · press Run for more rounds")
        except Exception as exc:  # noqa: BLE001 - shown on the page
            with self._lock, self.hold_sync():
                self.error = f"race failed: {type(exc).__name__}: {exc}"
                self._set_status("error", self.error)
        finally:
            self._idle.set()

    def set_target(self, value):
        """The score for "labels needed to reach X" (None: the score random reaches at its last round)."""
        if value is not None:
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not np.isfinite(value):
                raise ValueError(f"target must be a score (a number) or None, got {value!r}")
            value = float(value)
        with self._lock:
            self._target = value
            self._update_reach()

    def wait(self, timeout=None) -> bool:
        """Block until the running rounds are done. True if idle."""
        return self._idle.wait(timeout)

    # ------------------------------------------------------------------ results
    def curves_frame(self) -> pd.DataFrame:
        """Every curve point: strategy, n_labels, score."""
        pts = list(self._points)
        return pd.DataFrame({"strategy": [self.strategies[i] for i, _, _ in pts],
                             "n_labels": [int(n) for _, n, _ in pts], "score": [float(v) for _, _, v in pts]})

    def labels_to(self, target=None) -> dict:
        """{strategy: labels needed to first reach ``target``} (None if not reached yet)."""
        target = self._default_target() if target is None else float(target)
        return {s: labels_to_reach([r.n_labels for r in lr.rounds], [r.score for r in lr.rounds], target)
                for s, lr in self.learners.items()}

    def figure(self):
        """The overlaid curves as a plotly figure."""
        import plotly.graph_objects as go

        df = self.curves_frame()
        fig = go.Figure()
        for s, color in zip(self.strategies, self.colors):
            d = df[df.strategy == s]
            fig.add_trace(go.Scatter(x=d.n_labels, y=d.score, mode="lines+markers", name=s, line=dict(color=color,
                                     dash="dash" if s == "random" else "solid")))
        fig.update_layout(title="race: score vs labels", xaxis_title="labels", yaxis_title="holdout score",
                          template="plotly_white")
        return fig
