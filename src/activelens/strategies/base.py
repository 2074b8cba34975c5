"""What every strategy shares: the question it is asked (``Ask``), its answer (``Selection``) and its base class.

A strategy is a small object with its own parameters (``Combined(weight=0.3)``) and one method,
``select(pool, ask) -> Selection``, composed from the ``Pool`` building blocks (``activelens.core.pool``), so it runs
on every backend. A strategy whose loop a backend runs faster its own way looks the loop up in ``pool.kernels`` under
the name its class documents, and composes the building blocks when the backend offers none.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class Ask:
    """What a strategy may use besides the pool: the model and the labeled positions.

    Attributes
    ----------
    n : int
        Items to pick.
    labeled : ndarray of shape (n_labeled,)
        Pool positions that already have a label (never picked).
    rng : numpy.random.Generator
        Breaks ties and draws; the learner puts it back if the round fails.
    model : fitted classifier or None
        None before the first fit (a cold start).
    classes : ndarray of shape (n_classes,) or None
        The classes ``model``'s probabilities are padded to.
    estimator : unfitted classifier or None
        The user's estimator, for strategies that train models of their own (a committee).
    y : ndarray of shape (n_labeled,) or None
        The labels of ``labeled``, in the same order.
    """

    n: int
    labeled: np.ndarray
    rng: np.random.Generator
    model: object = None
    classes: np.ndarray | None = None
    estimator: object = None
    y: np.ndarray | None = None


@dataclass(frozen=True)
class Selection:
    """A strategy's answer: pool positions best first, their scores, and per item why (name -> array); ``rule`` and
    ``reason`` name the concrete rule a strategy that chooses between rules ("auto") used, and why."""

    indices: np.ndarray
    scores: np.ndarray
    components: dict = field(default_factory=dict)
    rule: str = ""
    reason: str = ""


class Strategy:
    """Base class: a ``name`` (what the learner records) and ``select(pool, ask) -> Selection``.

    Subclasses keep their parameters as attributes named like their constructor's arguments (``repr`` shows them).
    """

    name = "strategy"

    def select(self, pool, ask: Ask) -> Selection:   # pragma: no cover - abstract
        raise NotImplementedError

    def _params(self) -> dict:
        return {}

    def __repr__(self) -> str:
        return f"{type(self).__name__}({', '.join(f'{k}={v!r}' for k, v in self._params().items())})"


def strategy_name(strategy) -> str:
    """The name a strategy is recorded under: the name itself, or a callable's ``__name__`` ("custom" if none)."""
    if isinstance(strategy, str):
        return strategy
    if isinstance(strategy, Strategy):
        return strategy.name
    return getattr(strategy, "__name__", "custom")


def with_distance(pool, idx, su, labeled, rows=None) -> Selection:
    """A top-of-scores selection with its "uncertainty" and its "diversity" (distance to the labeled items)."""
    su = np.asarray(su, dtype=np.float64)
    return Selection(idx, su, {"uncertainty": su, "diversity": pool.distance_to_labeled(idx, labeled, rows)})
