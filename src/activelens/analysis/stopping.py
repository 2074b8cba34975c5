"""Stopping criteria: one small class each, the same two-method interface.

The learner calls ``update(learner)`` after every ``fit()``; ``check()`` returns a ``StopDecision`` when the
criterion fires, else None; ``progress()`` is a one-line state for the widget ("plateau: 2 of 3 rounds
without gain").
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
from sklearn.metrics import cohen_kappa_score

from activelens.core.validation import check_random_state, check_scalar


@dataclass(frozen=True)
class StopDecision:
    criterion: str
    message: str

    def __str__(self) -> str:
        return f"{self.criterion}: {self.message}"


class LearnerView(Protocol):
    """What a stopping criterion reads from the learner (an ``ActiveLearner``; this layer does not import it)."""

    @property
    def n_pool(self) -> int: ...
    @property
    def n_labeled(self) -> int: ...
    @property
    def last_score(self) -> float | None: ...
    def scores_so_far(self) -> list[float]: ...
    def labels_per_scored_round(self) -> list[int]: ...
    def predict(self, indices: Any = None) -> np.ndarray: ...


class StoppingCriterion:
    name = "criterion"

    def update(self, learner: LearnerView) -> None:  # pragma: no cover - interface
        raise NotImplementedError

    def check(self) -> StopDecision | None:  # pragma: no cover - interface
        raise NotImplementedError

    def progress(self) -> str:  # pragma: no cover - interface
        raise NotImplementedError

    def __repr__(self) -> str:
        params = ", ".join(f"{k}={v!r}" for k, v in vars(self).items() if not k.startswith("_"))
        return f"{type(self).__name__}({params})"


class Budget(StoppingCriterion):
    """Stop once ``max_labels`` items are labeled."""

    name = "budget"

    def __init__(self, max_labels: int):
        self.max_labels = check_scalar(max_labels, "max_labels", int, low=1)
        self._n = 0

    def update(self, learner: LearnerView) -> None:
        self._n = learner.n_labeled

    def check(self) -> StopDecision | None:
        if self._n >= self.max_labels:
            return StopDecision(self.name, f"{self._n} labels reached the budget of {self.max_labels}")
        return None

    def progress(self) -> str:
        if self._n > self.max_labels:
            return f"budget: {self._n} labels, past the budget of {self.max_labels}"
        return f"budget: {self._n} of {self.max_labels} labels"


class TargetScore(StoppingCriterion):
    """Stop once the round's score reaches ``target`` (holdout score when the learner has one)."""

    name = "target"

    def __init__(self, target: float):
        self.target = check_scalar(target, "target", float, low=0, high=1, include_low=False,
                                   what="a score to reach; scores are at most 1")
        self._score: float | None = None

    def update(self, learner: LearnerView) -> None:
        self._score = learner.last_score

    def check(self) -> StopDecision | None:
        if self._score is not None and self._score >= self.target:
            return StopDecision(self.name, f"score {self._score:.4f} reached the target {self.target:.4f}")
        return None

    def progress(self) -> str:
        current = "n/a" if self._score is None else f"{self._score:.3f}"
        return f"target: {current} of {self.target:.3f}"


class Plateau(StoppingCriterion):
    """Stop after ``patience`` rounds in a row whose score beat the best so far by less than ``min_delta``."""

    name = "plateau"

    def __init__(self, patience: int = 3, min_delta: float = 0.005):
        self.patience = check_scalar(patience, "patience", int, low=1, what="rounds")
        self.min_delta = check_scalar(min_delta, "min_delta", float, low=0)
        self._best: float | None = None
        self._stale = 0
        self._seen_rounds = 0

    def update(self, learner: LearnerView) -> None:
        scores = learner.scores_so_far()
        for s in scores[self._seen_rounds:]:
            if self._best is None or s > self._best + self.min_delta:
                self._best, self._stale = s, 0
            else:
                self._stale += 1
                self._best = max(self._best, s)
        self._seen_rounds = len(scores)

    def check(self) -> StopDecision | None:
        if self._stale >= self.patience:
            return StopDecision(self.name, f"{self._stale} rounds without a gain above {self.min_delta:g}")
        return None

    def progress(self) -> str:
        if self._stale > self.patience:
            return f"plateau: {self._stale} rounds without gain (the stop came at {self.patience})"
        return f"plateau: {self._stale} of {self.patience} rounds without gain"


class DiminishingReturns(StoppingCriterion):
    """Stop when the score gained per label, averaged over the last ``window`` rounds, falls below
    ``min_gain_per_label`` (e.g. 1e-4 = one accuracy point per 100 labels)."""

    name = "diminishing_returns"

    def __init__(self, min_gain_per_label: float = 1e-4, window: int = 3):
        self.min_gain_per_label = check_scalar(min_gain_per_label, "min_gain_per_label", float, low=0, include_low=False)
        self.window = check_scalar(window, "window", int, low=1, what="rounds")
        self._rate: float | None = None

    def update(self, learner: LearnerView) -> None:
        scores = learner.scores_so_far()
        labels = learner.labels_per_scored_round()
        if len(scores) <= self.window:
            self._rate = None
            return
        gained = scores[-1] - scores[-1 - self.window]
        spent = labels[-1] - labels[-1 - self.window]
        self._rate = gained / spent if spent > 0 else 0.0

    def check(self) -> StopDecision | None:
        if self._rate is not None and self._rate < self.min_gain_per_label:
            return StopDecision(
                self.name,
                f"{self._rate:.2e} score per label over the last {self.window} rounds, below {self.min_gain_per_label:.2e}",
            )
        return None

    def progress(self) -> str:
        if self._rate is None:
            return f"diminishing returns: waiting for {self.window + 1} scored rounds"
        return f"diminishing returns: {self._rate:.2e} per label (stop below {self.min_gain_per_label:.2e})"


class StabilizingPredictions(StoppingCriterion):
    """Stabilizing predictions (Bloodgood & Vijay-Shanker 2009): stop when successive models agree on a fixed
    stop set — mean Cohen's kappa over the last ``window`` pairs of rounds at least ``threshold``.

    The stop set is ``stop_set_size`` pool items drawn once; it needs no labels.
    """

    name = "stabilizing_predictions"

    def __init__(self, threshold: float = 0.99, window: int = 3, stop_set_size: int = 1000,
                 random_state: int | np.random.Generator | None = None) -> None:
        self.threshold = check_scalar(threshold, "threshold", float, low=0, high=1, include_low=False,
                                      what="an agreement (Cohen's kappa) of at most 1")
        self.window = check_scalar(window, "window", int, low=1, what="rounds")
        self.stop_set_size = check_scalar(stop_set_size, "stop_set_size", int, low=1)
        check_random_state(random_state)
        self.random_state = random_state
        self._stop_set: np.ndarray | None = None
        self._previous: np.ndarray | None = None
        self._kappas: list[float] = []

    def update(self, learner: LearnerView) -> None:
        if self._stop_set is None:
            n_pool = learner.n_pool
            rng = check_random_state(self.random_state)
            self._stop_set = rng.choice(n_pool, size=min(self.stop_set_size, n_pool), replace=False)
        predictions = learner.predict(self._stop_set)
        if self._previous is not None:
            if np.array_equal(predictions, self._previous):
                kappa = 1.0  # identical predictions; kappa is undefined when only one class is predicted
            else:
                kappa = float(cohen_kappa_score(self._previous, predictions))
            self._kappas.append(kappa)
        self._previous = predictions

    @property
    def agreement(self) -> float | None:
        if len(self._kappas) < self.window:
            return None
        return float(np.mean(self._kappas[-self.window:]))

    def check(self) -> StopDecision | None:
        a = self.agreement
        if a is not None and a >= self.threshold:
            return StopDecision(self.name, f"mean kappa {a:.4f} over the last {self.window} model pairs ≥ {self.threshold}")
        return None

    def progress(self) -> str:
        a = self.agreement
        if a is None:
            return f"stabilizing predictions: {len(self._kappas)} of {self.window} model pairs compared"
        return f"stabilizing predictions: kappa {a:.3f} (stop at {self.threshold})"
