"""Teaching mode: a simulated annotator (the oracle) for the Explorer, with an optional share of noisy answers.

The oracle knows the true class of every pool item (``y``). With ``noise > 0`` each answer is, with that
probability, flipped to another class drawn uniformly (seeded), so a class can watch what label noise does.
Every answer is logged (``Oracle.log``): pool index, round, the true class, the class given, flipped or not.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from activelens.strategies.registry import STRATEGIES, strategy_name
from activelens.widgets.runner import check_rounds, describe

#: the four steps of one round, as the step view shows them on the map
STEPS = ("scores", "selection", "labels", "retrain")
STEP_TEXT = {
    "scores": "1/4 scores: the model scores every pool item; bright points are the ones it is unsure about",
    "selection": "2/4 selection: the strategy picks the ringed items",
    "labels": "3/4 labels: the oracle answers; the ringed items take their class colour",
    "retrain": "4/4 retrain: a new model on every label, new scores, the next batch",
}


def check_noise(noise) -> float:
    """``noise`` as a float if it is a share of answers to flip (0 <= noise < 1), else a ValueError."""
    if isinstance(noise, bool) or not isinstance(noise, (int, float, np.integer, np.floating)) \
            or not np.isfinite(noise) or not 0 <= noise < 1:
        raise ValueError(f"noise must be a share of answers to flip, 0 <= noise < 1; got {noise!r}")
    return float(noise)


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
MAX_ROUNDS = 100


class TeachingMixin:
    """Teaching mode for :class:`~activelens.Explorer` (``oracle=``): the oracle's answers are put on the cards as
    picks and submitted through the Explorer's own submit path (the learner is taught, the retrain runs in the
    Explorer's background runner). Uses the Explorer's lock, runner and traits; writes only the ``teaching`` trait."""

    # ------------------------------------------------------------------ construction
    @classmethod
    def teach(cls, estimator, X, y, *, X_test=None, y_test=None, strategy="margin", batch_size=10, initial=None,
              noise=0.0, random_state=0, labels=None, **kwargs):
        """A learner and an Explorer in teaching mode in one call: ``Explorer.teach(LogisticRegression(), X, y)``.

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
        strategy : str
            The learner's strategy (switchable live on the page).
        batch_size : int
            Items per batch.
        initial : int, optional
            Labels that many seeded random pool items (the seed set) with the oracle and fits before the explorer
            opens.
        noise : float
            Share of oracle answers flipped to another class.
        random_state : int
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
                                X_test=X_test, y_test=y_test, random_state=random_state)
        if initial:   # a labeled seed set before the class starts, so the map shows scores from the first step
            seed = np.random.default_rng(random_state).choice(len(y), size=int(initial), replace=False)
            learner.teach(seed, y[seed].tolist(), annotator="seed")
            if np.unique(y[seed]).size >= 2:
                learner.fit()
        return cls(learner, oracle=y, noise=noise, labels=labels, **kwargs)

    def _check_teaching(self, learner, oracle, noise, strategies):
        names = list(TEACH_STRATEGIES if strategies is None else strategies)
        bad = [s for s in names if s not in STRATEGIES]
        if bad or not names:
            raise ValueError(f"strategies must be names among {', '.join(STRATEGIES)}; got {bad or names!r}")
        current = learner.strategy if isinstance(learner.strategy, str) else None
        if current is not None and current not in names:
            names.insert(0, current)
        return Oracle(oracle, n_pool=learner.n_pool, classes=learner.declared_classes, noise=noise,
                      random_state=learner.random_state), names

    def _init_teaching(self, teacher):
        self._oracle = None
        self._step = 0
        self._rounds_run = 0
        self._teach_strategies = []
        if teacher is None:
            return
        self._oracle, self._teach_strategies = teacher
        missing = self._labels.missing(self._oracle.classes.tolist())
        if missing:
            raise ValueError(f"oracle has classes {sorted(missing, key=str)} the explorer has no button for; "
                             f"declare classes= on the learner or pass labels=")
        self._sync_teaching()

    @property
    def oracle(self):
        """The teaching-mode :class:`Oracle` (None when off); ``oracle.log`` holds every answer it gave."""
        return self._oracle

    def _sync_teaching(self, running=False):
        if self._oracle is None:
            return
        step = STEPS[self._step - 1] if self._step else ""
        self.teaching = {
            "enabled": True, "strategy": strategy_name(self.learner.strategy),
            "strategies": list(self._teach_strategies), "noise": self._oracle.noise,
            "answered": self._oracle.n_answered, "flipped": self._oracle.n_flipped, "step": self._step,
            "step_name": step, "step_text": STEP_TEXT.get(step, ""), "steps": list(STEPS), "running": bool(running),
            "rounds_run": self._rounds_run,
        }

    # ------------------------------------------------------------------ commands
    def _teaching_commands(self) -> dict:
        """Teaching mode's entries of the Explorer's command table; each refuses when teaching mode is off."""
        handlers = {"oracle": lambda c: self.label_batch_with_oracle(),
                    "run": lambda c: self.run_rounds(c.get("rounds")),
                    "strategy": lambda c: self.set_strategy(c.get("value")),
                    "noise": lambda c: self.set_noise(c.get("value")),
                    "step": lambda c: self.step()}
        return {kind: self._needs_oracle(kind, handler) for kind, handler in handlers.items()}

    def _needs_oracle(self, kind, handler):
        def command(content):
            if self._oracle is None:
                raise ValueError(f"{kind!r} needs teaching mode: Explorer(learner, oracle=y)")
            handler(content)
        return command

    def _require_oracle(self):
        if getattr(self, "_oracle", None) is None:
            raise ValueError("teaching mode is off; create the explorer with oracle=y (the true classes)")

    def _oracle_picks(self):
        """Put the oracle's answers for the unsaved cards into ``pending`` (as if clicked). Caller holds the lock."""
        todo = [i for i in self._cards_for if i not in self.saved]
        answers = self._oracle.answer(todo, round=len(self.learner.rounds))
        pending = dict(self.pending)
        for a in answers:
            pending[str(a.index)] = self._labels.position(a.given)
        self.pending = pending
        return answers

    def label_batch_with_oracle(self):
        """Teaching mode: the oracle labels every card of the batch, then submit (retrain in the background)."""
        self._require_oracle()
        with self._lock:
            if self._training:
                raise ValueError("still training; wait for the next batch")
            if not self._cards_for:
                raise ValueError("there is no batch to label")
            self._step = 0
            self._oracle_picks()
            self._cmd_submit(annotator="oracle")
            self._rounds_run += 1
            self._sync_teaching()

    def run_rounds(self, rounds=1):
        """Teaching mode: ``rounds`` full rounds in the background runner (oracle labels, retrain, next batch).

        Parameters
        ----------
        rounds : int
            From 1 to ``MAX_ROUNDS``; ``wait()`` blocks until they are done.
        """
        self._require_oracle()
        rounds = check_rounds(rounds, MAX_ROUNDS)
        with self._lock:
            if self._training:
                raise ValueError("still training; wait for the next batch")
            self._step = 0
            self._training = True
            with self.hold_sync():
                self._set_status("training", f"running {rounds} rounds with the oracle…")
                self._sync_teaching(running=True)
            self._runner.start(self._run_rounds, int(rounds))

    def _run_rounds(self, rounds):
        """In the runner: per round the oracle answers the cards, the learner is taught, retrain (not final)."""
        try:
            for r in range(rounds):
                with self._lock, self.hold_sync():
                    if not self._cards_for:
                        break
                    answers = self._oracle_picks()
                    idx = [a.index for a in answers]
                    self._source.submit([(a.index, a.given) for a in answers], [], annotator="oracle")
                    self.saved = sorted(set(self.saved) | set(idx))
                    self._set_status("training", f"round {r + 1} of {rounds}: the oracle labeled {len(idx)}; "
                                                 "retraining…")
                self._retrain(final=False)
                with self._lock:
                    self._rounds_run += 1
                    self._sync_teaching(running=r + 1 < rounds)
                if self.status.get("state") == "error":
                    break
        except Exception as exc:  # noqa: BLE001 - shown on the page
            with self._lock, self.hold_sync():
                self.error = f"run failed: {describe(exc)}"
                self._set_status("error", self.error)
        finally:
            with self._lock, self.hold_sync():
                self._training = False
                if self.status.get("state") != "error":
                    self._set_status("idle", self._ready_message() if self._cards_for else self._source.empty_message())
                self._sync_teaching()

    def set_strategy(self, name):
        """Switch the learner's strategy live; the batch on show is re-drawn with it (when idle and nothing of it
        is saved yet).

        Parameters
        ----------
        name : str
            One of the strategies offered (``teaching["strategies"]``).
        """
        self._require_oracle()
        if name not in self._teach_strategies:
            raise ValueError(f"strategy must be one of {', '.join(self._teach_strategies)}, got {name!r}")
        with self._lock:
            self.learner.strategy = name
            if not self._training and self.learner.n_labeled < self.learner.n_pool:
                keep = [i for i in self._cards_for if i in self.saved]
                if not keep:   # nothing saved from this batch: show what the new strategy picks
                    with self.hold_sync():
                        self._new_batch(self._next_batch())
                        self._set_status("idle", f"strategy: {name} · " + self._ready_message())
            self._step = 0
            self._sync_teaching()

    def set_noise(self, noise):
        """Teaching mode: share of the oracle's answers flipped to another class from now on.

        Parameters
        ----------
        noise : float
            0 <= noise < 1.
        """
        self._require_oracle()
        with self._lock:
            self._oracle.noise = check_noise(noise)
            self._sync_teaching()

    def step(self):
        """Teaching mode: advance the step view one step (scores → selection → labels → retrain) and return its name.

        1 scores: colour the map by the model's uncertainty, batch rings hidden. 2 selection: the batch is ringed.
        3 labels: the oracle answers the batch; the map is coloured by label. 4 retrain: retrain in the background,
        colour by uncertainty again, the next batch is ringed."""
        self._require_oracle()
        with self._lock:
            if self._training:
                raise ValueError("still training; wait for the next batch")
            nxt = self._step % len(STEPS) + 1
            name = STEPS[nxt - 1]
            if name in ("labels", "retrain") and not self._cards_for:
                raise ValueError("there is no batch to label")
            self._step = nxt
            if name == "scores":
                self.set_color_by("entropy" if self._proba is not None else "label")
            elif name == "labels":
                self._oracle_picks()
                self._cmd_submit(annotator="oracle", retrain=False)
                self.set_color_by("label")
            elif name == "retrain":
                self.color_by = "entropy"   # the retrain thread recolours with the new model
                self._cmd_submit(annotator="oracle")
                self._rounds_run += 1
            self._sync_teaching()
            return name
