"""Teaching mode: a simulated annotator (the oracle) for the Explorer, with an optional share of noisy answers.

The oracle knows the true class of every pool item (``y``). With ``noise > 0`` each answer is, with that
probability, flipped to another class drawn uniformly (seeded), so a class can watch what label noise does.
Every answer is logged (``Oracle.log``): pool index, round, the true class, the class given, flipped or not.

``OracleSource`` is the labeling session's source in teaching mode: batches from the learner, answers from the
oracle, and the step view's state (the ``teaching`` trait). ``TeachingMixin`` adds teaching mode's commands to
the Explorer; they drive the Explorer's labeling session (``session.py``) through the same commands as a click
does — the same submit, the same retrain — and write traits only through the Explorer's renderers.
"""
from __future__ import annotations

from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Mapping, Sequence, TypeVar

import numpy as np
import pandas as pd

from activelens.core.validation import check_scalar
from activelens.strategies.registry import STRATEGIES, strategy_name
from activelens.widgets.batch_source import LearnerSource
from activelens.widgets.runner import check_rounds

if TYPE_CHECKING:
    from activelens.loop.learner import ActiveLearner
    from activelens.widgets.map_state import MapState
    from activelens.widgets.session import Session

_Host = TypeVar("_Host", bound="TeachingMixin")

#: the four steps of one round, as the step view shows them on the map
STEPS = ("scores", "selection", "labels", "retrain")
STEP_TEXT = {
    "scores": "1/4 scores: the model scores every pool item; bright points are the ones it is unsure about",
    "selection": "2/4 selection: the strategy picks the ringed items",
    "labels": "3/4 labels: the oracle answers; the ringed items take their class colour",
    "retrain": "4/4 retrain: a new model on every label, new scores, the next batch",
}


def check_noise(noise) -> float:
    """``noise`` as a float if it is a share of answers to flip (0 <= noise < 1), else one error naming it."""
    return check_scalar(noise, "noise", float, low=0, high=1, include_high=False, what="share of answers to flip")


@dataclass(frozen=True)
class Answer:
    """One answer of the oracle: the pool position, its true class, the class given and whether it was flipped."""

    index: int
    truth: object
    given: object
    flipped: bool


class Oracle:
    """Answers for pool positions from the true labels ``y``, a seeded share of them flipped.

    Parameters
    ----------
    y : array-like of shape (n_pool,)
        True classes, one per pool item.
    n_pool : int
        The pool's size (``y`` must match it).
    classes : array-like of shape (k,), optional
        The classes an answer may be flipped to (default: the distinct values of ``y``).
    noise : float
        Share of answers flipped to another class, 0 <= noise < 1.
    random_state : int, Generator or None
        Seeds the flips.
    """

    def __init__(self, y, *, n_pool: int, classes=None, noise: float = 0.0, random_state=None):
        y = np.asarray(y)
        if y.ndim != 1 or y.shape[0] != n_pool:
            raise ValueError(f"oracle must hold one true label per pool item ({n_pool}), got shape {y.shape}")
        if y.dtype.kind == "f" and not np.isfinite(y).all():
            raise ValueError("oracle contains NaN or infinity; give a class for every pool item")
        self.y = y
        self.classes = np.asarray(classes) if classes is not None else np.unique(y)
        missing = set(np.unique(y).tolist()) - set(self.classes.tolist())
        if missing:
            raise ValueError(f"oracle has classes {sorted(missing, key=str)} that are not among the labels "
                             f"{self.classes.tolist()}")
        self.noise = check_noise(noise)
        self._rng = np.random.default_rng(random_state)
        self._log: list[dict] = []

    def check_teaching(self) -> None:
        """Teaching mode is on: nothing to refuse."""

    def answer(self, indices, round: int = 0) -> list[Answer]:
        """The oracle's answers for pool positions, in order; each logged."""
        out = []
        for i in indices:
            i = int(i)
            truth = self.y[i]
            truth = truth.item() if hasattr(truth, "item") else truth
            given, flipped = truth, False
            if self.noise and self.classes.size > 1 and self._rng.random() < self.noise:
                others = [c for c in self.classes.tolist() if c != truth]
                given, flipped = others[int(self._rng.integers(len(others)))], True
            out.append(Answer(i, truth, given, flipped))
            self._log.append({"index": i, "round": int(round), "truth": truth, "given": given, "flipped": flipped,
                              "noise": self.noise})
        return out

    @property
    def log(self) -> pd.DataFrame:
        """Every answer given so far: index, round, truth, given, flipped, the noise setting at the time."""
        return pd.DataFrame(self._log, columns=["index", "round", "truth", "given", "flipped", "noise"])

    @property
    def n_answered(self) -> int:
        """Answers given so far."""
        return len(self._log)

    @property
    def n_flipped(self) -> int:
        """Answers flipped so far."""
        return sum(1 for r in self._log if r["flipped"])


#: strategies offered in the Explorer's selector (those that work for any batch after a model exists)
TEACH_STRATEGIES = ("random", "entropy", "margin", "least_confidence", "k_center", "combined", "cluster_margin")


class OracleSource(LearnerSource):
    """Teaching mode's source: batches from the learner's ``query()``, labels taught to it, and a simulated
    annotator (the :class:`Oracle`) that answers the cards. Also keeps the teaching panel's state: the strategies
    offered, the step view's step, the rounds run and whether a run is under way.

    Parameters
    ----------
    learner : ActiveLearner
    oracle : Oracle
    strategies : list of str
        The strategy names offered in the selector.
    """

    oracle_name = "oracle"
    oracle: Oracle

    def __init__(self, learner, oracle: Oracle, strategies: list[str]):
        super().__init__(learner)
        self.oracle = oracle
        self.strategies = strategies
        self.step = 0             # the step view: 0 = off, else a position in STEPS (1-based)
        self.rounds_run = 0
        self.running = False      # a "Run N rounds" is under way

    @classmethod
    def for_explorer(cls, learner, y, noise, strategies, labels) -> "OracleSource":
        """The source for an Explorer's ``oracle=``, ``noise=`` and ``strategies=`` (validated here); ``labels``
        (``LabelNames``) must have a button for every class of ``y``."""
        names = list(TEACH_STRATEGIES if strategies is None else strategies)
        bad = [s for s in names if s not in STRATEGIES]
        if bad or not names:
            raise ValueError(f"strategies must be names among {', '.join(STRATEGIES)}; got {bad or names!r}")
        current = learner.strategy if isinstance(learner.strategy, str) else None
        if current is not None and current not in names:
            names.insert(0, current)
        oracle = Oracle(y, n_pool=learner.n_pool, classes=learner.declared_classes, noise=noise,
                        random_state=learner.random_state)
        missing = labels.missing(oracle.classes.tolist())
        if missing:
            raise ValueError(f"oracle has classes {sorted(missing, key=str)} the explorer has no button for; "
                             f"declare classes= on the learner or pass labels=")
        return cls(learner, oracle, names)

    def check_teaching(self) -> None:
        """Teaching mode is on: nothing to refuse."""

    def answer(self, indices, round: int = 0) -> list[Answer]:
        """The oracle's answers for these pool positions, in order (each logged)."""
        return self.oracle.answer(indices, round=round)

    def check_strategy(self, name) -> str:
        """``name`` if it is one of the strategies offered, else a ValueError naming them."""
        if name not in self.strategies:
            raise ValueError(f"strategy must be one of {', '.join(self.strategies)}, got {name!r}")
        return name

    def teaching_state(self) -> dict:
        """The ``teaching`` trait."""
        step = STEPS[self.step - 1] if self.step else ""
        return {"enabled": True, "strategy": strategy_name(self.learner.strategy), "strategies": list(self.strategies),
                "noise": self.oracle.noise, "answered": self.oracle.n_answered, "flipped": self.oracle.n_flipped,
                "step": self.step, "step_name": step, "step_text": STEP_TEXT.get(step, ""), "steps": list(STEPS),
                "running": self.running, "rounds_run": self.rounds_run}


MAX_ROUNDS = 100


class TeachingMixin:
    """Teaching mode's commands for :class:`~activelens.Explorer` (``oracle=``): the oracle's answers become the
    session's picks and go through the Explorer's one submit path (the learner is taught; the retrain runs in the
    session's background runner). Uses the host's ``_session``, its round (``_next_round``, ``_show_round``) and
    its renderers (``_render_picks``, ``_render_status``, ``_render_teaching``, ``_show``, ``set_color_by``);
    writes no trait itself."""

    if TYPE_CHECKING:   # what the host (the Explorer) provides, for the type checker only
        learner: ActiveLearner
        _session: Session
        _map: MapState
        hold_sync: Callable[[], AbstractContextManager[Any]]
        _render_status: Callable[[str, str], None]
        _render_teaching: Callable[[], None]
        _show: Callable[[Any], None]
        _show_round: Callable[[Any], None]
        _show_failure: Callable[[BaseException], None]
        _submit: Callable[[], None]
        _submit_picks: Callable[[], Any]
        _next_round: Callable[[], tuple[bool, Any]]
        _update_baseline: Callable[[], None]
        set_color_by: Callable[[str], None]

        def __init__(self, learner: Any, **kwargs: Any) -> None: ...

    @classmethod
    def teach(cls: type[_Host], estimator: Any, X: Any, y: Any, *, X_test: Any = None, y_test: Any = None,
              strategy: Any = "margin", batch_size: int = 10, initial: int | None = None, noise: float = 0.0,
              random_state: int | np.random.Generator | None = 0,
              labels: Sequence[str] | Mapping[Any, str] | None = None, **kwargs: Any) -> _Host:
        """A learner and an Explorer in teaching mode in one call: ``Explorer.teach(LogisticRegression(), X, y)``.

        The defaults differ from ``ActiveLearner``'s on purpose: a lesson must show every student the same
        picture on every run (``random_state=0``), and it starts from a named rule the selector offers and the
        step view can explain (``strategy="margin"``; "auto" may pick a cold-start rule first).

        Parameters
        ----------
        estimator : scikit-learn classifier
        X : array-like of shape (n_pool, n_features)
            The pool.
        y : array-like of shape (n_pool,)
            The oracle: the true classes of the pool; every class in it (and in ``y_test``) is declared on the
            learner.
        X_test : array-like of shape (n_test, n_features), optional
        y_test : array-like of shape (n_test,), optional
            The holdout the learning curve is scored on.
        strategy : str, default="margin"
            The learner's strategy (switchable live on the page).
        batch_size : int
            Items per batch.
        initial : int, optional
            Labels that many seeded random pool items (the seed set) with the oracle and fits before the explorer
            opens.
        noise : float
            Share of oracle answers flipped to another class.
        random_state : int, Generator or None, default=0
            Seeds the learner, the seed set and the flips.
        labels : list of str or dict, optional
            The button names (see ``Explorer``).
        **kwargs
            Other ``Explorer`` keywords.

        Returns
        -------
        Explorer
        """
        from activelens.loop.learner import ActiveLearner

        y = np.asarray(y)
        classes = np.unique(y if y_test is None else np.concatenate([y, np.asarray(y_test)]))
        learner = ActiveLearner(estimator, X, strategy=strategy, batch_size=batch_size, classes=classes,
                                holdout=None if X_test is None else (X_test, y_test), random_state=random_state)
        if initial:   # a labeled seed set before the class starts, so the map shows scores from the first step
            initial = check_scalar(initial, "initial", int, low=1, high=len(y), what="seed labels")
            seed = np.random.default_rng(random_state).choice(len(y), size=initial, replace=False)
            learner.teach(seed, y[seed].tolist(), annotator="seed")
            if np.unique(y[seed]).size >= 2:
                learner.fit()
        return cls(learner, oracle=y, noise=noise, labels=labels, **kwargs)

    @property
    def oracle(self) -> Oracle | None:
        """The teaching-mode :class:`Oracle` (None when off); ``oracle.log`` holds every answer it gave."""
        return self._session.source.oracle

    def _teaching_commands(self) -> dict:
        """Teaching mode's entries of the Explorer's command table; each refuses when teaching mode is off."""
        return {"oracle": lambda c: self.label_batch_with_oracle(),
                "run": lambda c: self.run_rounds(c.get("rounds")),
                "strategy": lambda c: self.set_strategy(c.get("value")),
                "noise": lambda c: self.set_noise(c.get("value")),
                "step": lambda c: self.step()}

    def _teacher(self) -> OracleSource:
        source = self._session.source
        source.check_teaching()
        return source

    def _check_batch(self) -> None:
        self._session.check_idle()
        if not self._session.cards:
            raise ValueError("there is no batch to label")

    def label_batch_with_oracle(self) -> None:
        """Teaching mode: the oracle labels every card of the batch, then submit (retrain in the background)."""
        source = self._teacher()
        with self._session.lock:
            self._check_batch()
            source.step = 0
            self._session.answer()
            self._submit()
            source.rounds_run += 1
            self._render_teaching()

    def run_rounds(self, rounds: int = 1) -> None:
        """Teaching mode: ``rounds`` full rounds in the background runner (oracle labels, retrain, next batch).

        Parameters
        ----------
        rounds : int
            From 1 to ``MAX_ROUNDS``; ``wait()`` blocks until they are done.
        """
        source = self._teacher()
        rounds = check_rounds(rounds, MAX_ROUNDS)
        with self._session.lock:
            self._session.check_idle()
            source.step, source.running = 0, True
            self._session.start(self._run_rounds, rounds)
            with self.hold_sync():
                self._render_status("training", f"running {rounds} rounds with the oracle…")
                self._render_teaching()

    def _run_rounds(self, rounds):
        """In the runner: per round the oracle answers the cards, submit, retrain and show the next batch."""
        session, source, failed = self._session, self._session.source, False
        try:
            for r in range(rounds):
                with session.lock, self.hold_sync():
                    if not session.cards:
                        break
                    session.answer()
                    done = self._submit_picks()
                    self._render_status("training", f"round {r + 1} of {rounds}: the oracle labeled {done.taught}; "
                                                    "retraining…")
                fitted, batch = self._next_round()
                with session.lock:
                    self._show_round(batch)
                    source.rounds_run += 1
                    source.running = r + 1 < rounds
                    self._render_teaching()
                if fitted is not None:
                    self._update_baseline()
        except Exception as exc:  # noqa: BLE001 - shown on the page
            failed = True
            self._show_failure(exc)
        finally:
            with session.lock, self.hold_sync():
                source.running = False
                if not failed:
                    self._render_status("idle", session.ready_message())
                self._render_teaching()

    def set_strategy(self, name: str) -> None:
        """Switch the learner's strategy live; the batch on show is re-drawn with it (when idle and nothing of it
        is saved yet).

        Parameters
        ----------
        name : str
            One of the strategies offered (``teaching["strategies"]``).
        """
        source = self._teacher()
        source.check_strategy(name)
        session, learner = self._session, self.learner
        with session.lock:
            learner.strategy = name
            if not session.training and learner.n_labeled < learner.n_pool and not session.saved:
                with self.hold_sync():   # nothing saved from this batch: show what the new strategy picks
                    self._show(session.next_batch())
                    self._render_status("idle", f"strategy: {name} · " + session.ready_message())
            source.step = 0
            self._render_teaching()

    def set_noise(self, noise: float) -> None:
        """Teaching mode: share of the oracle's answers flipped to another class from now on.

        Parameters
        ----------
        noise : float
            0 <= noise < 1.
        """
        source = self._teacher()
        noise = check_noise(noise)
        with self._session.lock:
            source.oracle.noise = noise
            self._render_teaching()

    def step(self) -> str:
        """Teaching mode: advance the step view one step (scores → selection → labels → retrain) and return its name.

        1 scores: colour the map by the model's uncertainty, batch rings hidden. 2 selection: the batch is ringed.
        3 labels: the oracle answers the batch; the map is coloured by label. 4 retrain: retrain in the background,
        colour by uncertainty again, the next batch is ringed."""
        source = self._teacher()
        with self._session.lock:
            self._session.check_idle()
            nxt = source.step % len(STEPS) + 1
            name = STEPS[nxt - 1]
            if name in ("labels", "retrain"):
                self._check_batch()
            source.step = nxt
            if name == "scores":
                self.set_color_by("entropy" if self._map.scored else "label")
            elif name == "labels":
                self._session.answer()
                self._submit_picks()
                self.set_color_by("label")
            elif name == "retrain":
                self.set_color_by("entropy")   # the retrain recolours again with the new model
                self._submit()
                source.rounds_run += 1
            self._render_teaching()
            return name
