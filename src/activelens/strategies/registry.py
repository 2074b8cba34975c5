"""One place that maps strategy names to strategy objects, on any ``Pool``.

A strategy is an object with its own parameters and ``select(pool, ask) -> Selection`` (``activelens.strategies.base``),
one class in its family's module, composed from the ``Pool`` building blocks, so the same object runs on a numpy pool,
a sparse one and a distributed one. The learner asks ``resolve(strategy)`` once at construction and ``select`` every
round; nobody else dispatches on names.

Adding a strategy: one class in its family's module (``uncertainty``, ``diversity``, ``combined``, ``badge``,
``committee``, ``coldstart``, or a new one), and one ``STRATEGIES`` entry below for its name.
"""
from __future__ import annotations

from typing import cast

import numpy as np

from activelens.strategies import auto as _auto
from activelens.strategies.auto import Auto
from activelens.strategies.badge import Badge
from activelens.strategies.base import Ask, Selection, Strategy, strategy_name
from activelens.strategies.coldstart import Pretrained, Random, TypiClust
from activelens.strategies.combined import ClusterMargin, Combined, MarginKMeans
from activelens.strategies.committee import QueryByCommittee
from activelens.strategies.diversity import KCenter, KMeansPP
from activelens.strategies.uncertainty import UNCERTAINTY_MEASURES, Uncertainty

#: every strategy accepted by name, with its default parameters
STRATEGIES = {
    "auto": Auto(),
    "random": Random(),
    "entropy": Uncertainty("entropy"),
    "margin": Uncertainty("margin"),
    "least_confidence": Uncertainty("least_confidence"),
    "k_center": KCenter(),
    "kmeans_pp": KMeansPP(),
    "combined": Combined(),
    "cluster_margin": ClusterMargin(),
    "typiclust": TypiClust(),
    "margin_kmeans": MarginKMeans(),
    "badge": Badge(),
    "qbc": QueryByCommittee("vote_entropy"),
    "qbc_kl": QueryByCommittee("kl"),
}
assert set(UNCERTAINTY_MEASURES) <= set(STRATEGIES)

#: the cold starts accepted by name (a fitted model or callable — a pretrained scorer, or a ``Pretrained`` — and pool
#: positions too)
COLD_STARTS = ("auto", "random", "typiclust")

__all__ = ["Ask", "Selection", "Strategy", "strategy_name", "STRATEGIES", "COLD_STARTS", "resolve",
           "check_cold_start_name", "cold_start_selection"]


def resolve(strategy) -> Strategy:
    """The ``Strategy`` for a name (its default parameters), a callable proba -> scores (``Uncertainty`` of it), or
    a ``Strategy`` object (returned as is); a ValueError names the choices."""
    if isinstance(strategy, Strategy):
        return strategy
    if isinstance(strategy, str) and strategy in STRATEGIES:
        return STRATEGIES[strategy]
    if callable(strategy) and not isinstance(strategy, str):
        return Uncertainty(strategy)
    raise ValueError(f"strategy must be one of {', '.join(STRATEGIES)}, a callable proba -> scores or a Strategy "
                     f"(e.g. activelens.strategies.Combined(weight=0.3)); got {strategy!r}")


def check_cold_start_name(cold_start: str) -> str:
    """``cold_start`` if it is a name of ``COLD_STARTS``, else a ValueError naming the choices."""
    if cold_start not in COLD_STARTS:
        raise ValueError(f"cold_start must be one of {COLD_STARTS}, a fitted model, a callable or pool positions; "
                         f"got {cold_start!r}")
    return cold_start


def cold_start_selection(cold_start, pool, ask: Ask) -> tuple[Selection, str]:
    """The first batch before any model: (selection, name recorded). ``cold_start`` is "auto" (TypiClust, or random
    for a pool too small for it: ``activelens.strategies.auto.cold_start_rule``), "random", "typiclust", a
    ``Pretrained`` or a pretrained scorer (a fitted model with predict_proba, or a callable X -> proba: a
    ``Pretrained`` with its defaults, margin blended half and half); the expert seed set is the learner's to serve
    (it is a list, not a rule)."""
    reason = ""
    if isinstance(cold_start, str) and cold_start == "auto":
        cold_start, reason = _auto.cold_start_rule(pool.n_rows, ask.n, len(ask.labeled))
    if isinstance(cold_start, str) and cold_start == "typiclust":
        idx = cast(TypiClust, STRATEGIES["typiclust"]).picks(pool, ask)
        return Selection(idx, np.ones(idx.size), rule="typiclust", reason=reason), "typiclust"
    if isinstance(cold_start, str):
        sel = STRATEGIES["random"].select(pool, ask)
        return Selection(sel.indices, sel.scores, rule="random", reason=reason), "random"
    scorer = cold_start if isinstance(cold_start, Pretrained) else Pretrained(cold_start)
    return scorer.select(pool, ask), "pretrained"
