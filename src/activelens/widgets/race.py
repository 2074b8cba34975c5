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

Commands from the page (``model.send``, one table: ``Race._commands``): ``{"type": "run", "rounds"}``,
``{"type": "target", "value"}`` (a score, or null for the default: the score random reaches at its last round).
Rounds run in the background runner (``runner.py``); ``wait()`` blocks until they are done. Each racer is labeled
through its own labeling session (``session.py``) with the oracle as its source: the same commands (show, answer,
submit, retrain) as the Explorer's teaching mode.
"""
from __future__ import annotations

import pathlib
import threading
from typing import Any, Sequence

import anywidget
import numpy as np
import pandas as pd
import traitlets
from sklearn.base import clone

from activelens.backends import make_pool
from activelens.core.validation import check_scalar
from activelens.loop.learner import ActiveLearner
from activelens.loop.simulate import labels_to_reach, split_holdout
from activelens.strategies.registry import STRATEGIES
from activelens.widgets import messages
from activelens.widgets import projection as _projection
from activelens.widgets.commands import dispatch
from activelens.widgets.figures import race_figure
from activelens.widgets.label_names import LabelNames
from activelens.widgets.palette import CATEGORICAL
from activelens.widgets.runner import Runner, check_rounds, describe
from activelens.widgets.session import Session
from activelens.widgets.teaching import Oracle, OracleSource

_STATIC = pathlib.Path(__file__).parent.parent / "static"
#: random is always grey; the other racers take the first categorical colours
RANDOM_COLOR = "#7f7f7f"
RACER_COLORS = [c for c in CATEGORICAL[:10] if c != RANDOM_COLOR]
MAX_ROUNDS = 200


def check_racers(strategies) -> list[str]:
    """The racers' names (a name or a list of names in ``STRATEGIES``), "random" added when missing, in order."""
    names = [strategies] if isinstance(strategies, str) else list(strategies)
    bad = [s for s in names if not isinstance(s, str) or s not in STRATEGIES]
    if bad:
        raise ValueError(f"strategies must be names among {', '.join(STRATEGIES)}; got {bad[0]!r}")
    return list(dict.fromkeys(names + ["random"]))


def map_coords(coords, rows, n: int) -> np.ndarray:
    """The small maps' positions: ``coords`` checked as a finite (n, 2) array, or the PCA of ``rows``."""
    if coords is None:
        return _projection.pca_2d(rows, random_state=0)
    c = np.asarray(coords, dtype=np.float32)
    if c.shape != (n, 2) or not np.isfinite(c).all():
        raise ValueError(f"coords must be a finite (n_pool, 2) = ({n}, 2) array, got shape {c.shape}")
    return c


def seed_set(y, initial: int, random_state) -> np.ndarray:
    """The shared seed set: ``initial`` seeded random pool positions, sorted, holding at least two classes (so
    the first model can be fit)."""
    rng = np.random.default_rng(random_state)
    seed = rng.choice(len(y), size=initial, replace=False)
    while np.unique(y[seed]).size < 2:
        seed = rng.choice(len(y), size=initial, replace=False)
    return np.sort(seed)


class Race(anywidget.AnyWidget):
    """Race strategies against each other (and random) from the same seed set on the same pool.

    Parameters
    ----------
    estimator : scikit-learn classifier
        Cloned per racer (and fitted anew each round).
    X : array-like of shape (n, n_features)
        The pool (or pool and holdout, when ``X_test`` is not given).
    y : array-like of shape (n,)
        Its true classes (the oracle).
    strategies : str or list of str
        Strategy names (``activelens.strategies.registry.STRATEGIES``); "random" is added when missing.
    X_test : array-like of shape (n_test, n_features), optional
    y_test : array-like of shape (n_test,), optional
        The holdout the curves are scored on; without it ``test_size`` of X is held out (stratified).
    initial : int
        Size of the shared seed set (seeded random pool items, at least two classes).
    batch_size : int
        Labels per round per racer.
    coords : array-like of shape (n_pool, 2), optional
        Positions for the small maps; default PCA of ``embeddings`` (or X).
    embeddings : array-like of shape (n_pool, d), optional
        For diversity strategies and the default map.
    target : float, optional
        The score for "labels needed to reach X"; default the score random reaches at its last round.
    test_size : float
        Share of X held out when no ``X_test`` is given.
    random_state : int, Generator or None, default=0
        Seeds the split, the seed set and every racer. Unlike ``ActiveLearner`` (None), a race is seeded by default:
        it is a demonstration that should give the same curves on every run, so a class (or a report) can point at
        them.
    """

    _esm = _STATIC / "widget.js"
    _css = _STATIC / "widget.css"

    kind = traitlets.Unicode("race", read_only=True).tag(sync=True)
    strategies = traitlets.List(traitlets.Unicode(), read_only=True).tag(sync=True)
    colors = traitlets.List(traitlets.Unicode(), read_only=True).tag(sync=True)
    n_points = traitlets.Int(0, read_only=True).tag(sync=True)
    coords = traitlets.Bytes(b"", read_only=True).tag(sync=True)
    curves = traitlets.Bytes(b"", read_only=True).tag(sync=True)
    selections = traitlets.Bytes(b"", read_only=True).tag(sync=True)
    reach = traitlets.Dict(read_only=True).tag(sync=True)
    status = traitlets.Dict(read_only=True).tag(sync=True)
    error = traitlets.Unicode("").tag(sync=True)

    def __init__(self, estimator: Any, X: Any, y: Any, *, strategies: str | Sequence[str] = ("margin", "k_center"),
                 X_test: Any = None, y_test: Any = None, initial: int = 20, batch_size: int = 10, coords: Any = None,
                 embeddings: Any = None, target: float | None = None, test_size: float = 0.3,
                 random_state: int | np.random.Generator | None = 0, **kwargs: Any) -> None:
        names = check_racers(strategies)
        if X_test is None and (coords is not None or embeddings is not None):
            what = "coords are positions" if coords is not None else "embeddings are rows"
            raise ValueError(f"{what} of the pool's rows: give X_test/y_test too, so X is not split")
        X, y, X_test, y_test = split_holdout(X, y, X_test, y_test, test_size, random_state)
        n = X.shape[0]
        initial = check_scalar(initial, "initial", int, low=1, high=n, include_high=False, what="the seed set, "
                               f"smaller than the pool ({n})")
        batch_size = check_scalar(batch_size, "batch_size", int, low=1)
        target = check_scalar(target, "target", float, allow_none=True, what="a score")
        c = map_coords(coords, X if embeddings is None else np.asarray(embeddings), n)
        super().__init__(**kwargs)
        self.X, self.y, self.X_test, self.y_test = X, np.asarray(y), X_test, np.asarray(y_test)
        classes = np.unique(np.concatenate([self.y, self.y_test]))
        self.seed = seed_set(self.y, initial, random_state)
        self._lock = threading.RLock()
        self._runner = Runner("activelens-race")
        self._commands = {"run": lambda c: self.run(c.get("rounds")),
                          "target": lambda c: self.set_target(c.get("value"))}
        messages.check_table("race", self._commands)
        self._target = target
        self._points: list[tuple[int, int, float]] = []
        self.learners, self._sessions = {}, {}
        for s in names:   # each racer: a learner, labeled through a session whose source is the oracle
            pool = make_pool(X, embeddings=embeddings, random_state=random_state)
            learner = ActiveLearner(clone(estimator), pool, strategy=s, batch_size=batch_size, classes=classes,
                                    holdout=(X_test, self.y_test), random_state=random_state)
            oracle = Oracle(self.y, n_pool=n, classes=classes)
            self.learners[s] = learner
            self._sessions[s] = Session(learner, OracleSource(learner, oracle, [s]),
                                        LabelNames(classes, [str(k) for k in classes.tolist()]))
        self._sel = np.zeros((len(names), n), dtype=np.uint8)
        self._sel[:, self.seed] = 1
        with self.hold_sync():
            self.set_trait("strategies", names)
            others = iter(RACER_COLORS)
            self.set_trait("colors", [RANDOM_COLOR if s == "random" else next(others) for s in names])
            self.set_trait("n_points", n)
            self.set_trait("coords", _projection.normalize(c).tobytes())
            self.set_trait("selections", self._sel.tobytes())
            self._set_status("idle", "press Run: every racer starts from the same seed set")
            self._update_reach()
        self.on_msg(self._on_command)
        self._start_line()

    def _start_line(self):
        """Round 0: the shared seed set, one fit each (fast; on the kernel's thread so the curves start at once)."""
        for i, learner in enumerate(self.learners.values()):
            learner.teach(self.seed, self.y[self.seed].tolist(), annotator="seed")
            r = learner.fit()
            self._points.append((i, r.n_labels, r.score))
        with self.hold_sync():
            self._publish()

    # ------------------------------------------------------------------ state -> traits
    def _set_status(self, state, message):
        first = next(iter(self.learners.values()), None)
        self.set_trait("status", {"state": state, "busy": state == "running", "message": message,
                                  "round": max(0, len(first.rounds) - 1) if first is not None else 0,
                                  "n_labels": int(first.n_labeled) if first is not None else 0})

    def _publish(self):
        self.set_trait("curves", np.asarray(self._points, dtype=np.float32).reshape(-1, 3).tobytes())
        self.set_trait("selections", self._sel.tobytes())
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
        self.set_trait("reach", {"target": target, "labels": labels,
                                 "target_source": "set" if self._target is not None else "random's last score"})

    # ------------------------------------------------------------------ commands
    def _on_command(self, _widget, content, _buffers=None):
        dispatch(self, self._commands, content)

    def run(self, rounds: int = 1) -> Race:
        """Run ``rounds`` more rounds for every racer in the background runner (``wait()`` blocks until done).

        Parameters
        ----------
        rounds : int
            From 1 to ``MAX_ROUNDS``.

        Returns
        -------
        Race
            self.
        """
        rounds = check_rounds(rounds, MAX_ROUNDS)
        with self._lock:
            if not self._runner.idle:
                raise ValueError("the race is running; wait for it to finish")
            self.error = ""
            self._set_status("running", f"running {rounds} round{'s' if rounds > 1 else ''}…")
            self._runner.start(self._run, int(rounds), on_error=self._failed)
        return self

    def _run(self, rounds):
        """``rounds`` rounds for every racer (in the runner): each racer's session shows its next batch, the oracle
        answers, submit, retrain — the Explorer's commands; one update per round."""
        for k in range(rounds):
            for i, s in enumerate(self.strategies):
                session = self._sessions[s]
                batch = session.next_batch()
                if batch is None:    # every item of the pool is labeled
                    continue
                session.show(batch)
                session.answer()
                session.submit()
                r = session.retrain()
                with self._lock:
                    row = self._sel[i]
                    row[row == 3] = 2
                    row[batch.indices] = 3
                    if r is not None:
                        self._points.append((i, r.n_labels, r.score))
            with self._lock, self.hold_sync():   # one update per round: every racer's point and selection
                self._publish()
                self._set_status("running", f"round {k + 1} of {rounds}")
        with self._lock:
            self._set_status("idle", "done · press Run for more rounds")

    def _failed(self, exc):
        with self._lock, self.hold_sync():
            self.error = f"race failed: {describe(exc)}"
            self._set_status("error", self.error)

    def set_target(self, value: float | None) -> None:
        """The score for "labels needed to reach X".

        Parameters
        ----------
        value : float or None
            None: the score random reaches at its last round.
        """
        value = check_scalar(value, "target", float, allow_none=True, what="a score")
        with self._lock:
            self._target = value
            self._update_reach()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the running rounds are done (at most ``timeout`` seconds). True if idle."""
        return self._runner.wait(timeout)

    # ------------------------------------------------------------------ results
    def curves_frame(self) -> pd.DataFrame:
        """Every curve point so far, in order of arrival: a DataFrame with columns strategy, n_labels, score."""
        pts = list(self._points)
        return pd.DataFrame({"strategy": [self.strategies[i] for i, _, _ in pts],
                             "n_labels": [int(n) for _, n, _ in pts], "score": [float(v) for _, _, v in pts]})

    def labels_to(self, target: float | None = None) -> dict:
        """{strategy: labels needed to first reach ``target``} (None if not reached yet).

        Parameters
        ----------
        target : float or None
            A score; None: the score random reaches at its last round.
        """
        target = self._default_target() if target is None else float(target)
        return {s: labels_to_reach([r.n_labels for r in lr.rounds], [r.score for r in lr.rounds], target)
                for s, lr in self.learners.items()}

    def figure(self) -> Any:
        """The overlaid curves as a ``plotly.graph_objects.Figure``."""
        return race_figure(self.curves_frame(), self.strategies, self.colors)
