"""One place that maps strategy names to what they do, on any ``Pool``.

A strategy here is a small object with ``select(pool, ask) -> Selection``: it reads the pool through the ``Pool``
protocol (``activelens.core.pool``), so the same entry runs on a numpy pool and on a distributed one. The learner asks
``resolve(strategy)`` once at construction and ``select`` every round; nobody else dispatches on names.

Adding a strategy: write its pure function (``activelens.strategies.<family>``), give ``Pool`` the loop it needs if
a backend must run it where the rows live, then add one class and one ``STRATEGIES`` entry below.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from activelens.strategies import auto as _auto
from activelens.strategies.coldstart import random_bootstrap
from activelens.strategies.committee import COMMITTEE_SIZE, fit_committee
from activelens.strategies.uncertainty import UNCERTAINTY_MEASURES


@dataclass(frozen=True)
class Ask:
    """What a strategy may use besides the pool: the model, the labeled positions and the learner's settings.

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
    uncertainty : str
        The measure inside blends and the pretrained cold start.
    weight : float
        The uncertainty share of the "combined" blend.
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
    uncertainty: str = "margin"
    weight: float = 0.5
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


def strategy_name(strategy) -> str:
    """The name a strategy is recorded under: the name itself, or a callable's ``__name__`` ("custom" if none)."""
    if isinstance(strategy, str):
        return strategy
    if isinstance(strategy, Strategy):
        return strategy.name
    return getattr(strategy, "__name__", "custom")


class Strategy:
    """Base class: ``name`` and ``select``; ``needs_model`` says whether it scores with the model."""

    name = "strategy"
    needs_model = True

    def select(self, pool, ask: Ask) -> Selection:   # pragma: no cover - abstract
        raise NotImplementedError


class Random(Strategy):
    name, needs_model = "random", False

    def select(self, pool, ask):
        idx = random_bootstrap(pool.n_rows, ask.n, ask.labeled, ask.rng)
        return Selection(idx, np.zeros(idx.size))


class Uncertainty(Strategy):
    """The top-n of an uncertainty measure (a name of ``UNCERTAINTY_MEASURES`` or a callable proba -> scores)."""

    def __init__(self, measure, name=None):
        self.measure = measure
        self.name = name or strategy_name(measure)

    def select(self, pool, ask):
        u = pool.scores(ask.model, ask.classes, self.measure)
        idx, su, rows = pool.top_n(u, ask.n, ask.rng, exclude=ask.labeled)
        su = np.asarray(su, dtype=np.float64)
        return Selection(idx, su, {"uncertainty": su, "diversity": pool.distance_to_labeled(idx, ask.labeled, rows)})


class KCenter(Strategy):
    name, needs_model = "k_center", False

    def select(self, pool, ask):
        idx, dist = pool.farthest_first(ask.n, ask.labeled, ask.rng)
        return Selection(idx, dist, {"diversity": dist})


class KMeansPP(Strategy):
    name, needs_model = "kmeans_pp", False

    def select(self, pool, ask):
        idx = pool.d2_sampling(ask.n, ask.labeled, ask.rng)
        dist = pool.distance_to_labeled(idx, ask.labeled)
        return Selection(idx, dist, {"diversity": dist})


class TypiClust(Strategy):
    name, needs_model = "typiclust", False

    def select(self, pool, ask):
        idx = pool.typiclust(ask.n, ask.labeled, ask.rng)
        dist = pool.distance_to_labeled(idx, ask.labeled)
        return Selection(idx, dist, {"diversity": dist})


class ClusterMargin(Strategy):
    name = "cluster_margin"

    def select(self, pool, ask):
        idx, su, clusters = pool.cluster_margin(ask.model, ask.classes, ask.n, ask.labeled, ask.rng)
        su = np.asarray(su, dtype=np.float64)
        return Selection(idx, su, {"uncertainty": su, "cluster": np.asarray(clusters).astype(float)})


class Combined(Strategy):
    """The seed's greedy blend of uncertainty and diversity; Cluster-Margin for a batch too large for the greedy
    loop on this pool (``Pool.blend_is_affordable``)."""

    name = "combined"

    def select(self, pool, ask):
        if not pool.blend_is_affordable(ask.n):
            return ClusterMargin().select(pool, ask)
        u = pool.scores(ask.model, ask.classes, ask.uncertainty)
        return blend(pool, u, ask)


class MarginKMeans(Strategy):
    """Margin spread by k-means (diverse mini-batch, Zhdanov 2019): the ``factor·n`` lowest-margin items, one per
    cluster of a margin-weighted k-means of them."""

    name = "margin_kmeans"

    def __init__(self, factor: float = 5.0):
        self.factor = factor

    def select(self, pool, ask):
        u = pool.scores(ask.model, ask.classes, "margin")
        idx, su = pool.spread_top(u, ask.n, ask.labeled, self.factor, ask.rng)
        su = np.asarray(su, dtype=np.float64)
        return Selection(idx, su, {"uncertainty": su, "diversity": pool.distance_to_labeled(idx, ask.labeled)})


class Badge(Strategy):
    """BADGE: k-means++ seeding on gradient embeddings (exact last-layer gradients for a linear model)."""

    name = "badge"

    def select(self, pool, ask):
        idx, norms, dist = pool.badge(ask.model, ask.classes, ask.n, ask.labeled, ask.rng)
        norms = np.asarray(norms, dtype=np.float64)
        return Selection(idx, norms, {"uncertainty": norms, "diversity": np.asarray(dist, dtype=np.float64)})


class QueryByCommittee(Strategy):
    """A committee of ``COMMITTEE_SIZE`` copies of the user's estimator, each trained on a stratified bootstrap of
    the labeled items (in pool order); the top of its ``disagreement`` ("vote_entropy" or "kl")."""

    def __init__(self, disagreement: str, name: str):
        self.disagreement, self.name = disagreement, name

    def select(self, pool, ask):
        if ask.estimator is None or ask.y is None:
            raise ValueError(f"strategy {self.name!r} trains a committee: the Ask needs the estimator and the labels")
        labeled = np.asarray(ask.labeled, dtype=np.intp)
        order = np.argsort(labeled, kind="stable")
        members = fit_committee(ask.estimator, pool.rows(labeled[order]), np.asarray(ask.y)[order], COMMITTEE_SIZE,
                                ask.rng)
        u = pool.committee_scores(members, ask.classes, self.disagreement)
        idx, su, rows = pool.top_n(u, ask.n, ask.rng, exclude=ask.labeled)
        su = np.asarray(su, dtype=np.float64)
        return Selection(idx, su, {"uncertainty": su, "diversity": pool.distance_to_labeled(idx, ask.labeled, rows)})


class Auto(Strategy):
    """strategy="auto": the rule ``activelens.strategies.auto.query_rule`` names for this pool and batch (margin
    spread by k-means in memory; margin where the backend cannot run the spread), recorded with its reason."""

    name = "auto"

    def select(self, pool, ask):
        rule, reason = _auto.query_rule(ask.n, getattr(pool, "supported_strategies", None))
        sel = STRATEGIES[rule].select(pool, ask)
        return Selection(sel.indices, sel.scores, sel.components, rule=rule, reason=reason)


def blend(pool, u, ask: Ask) -> Selection:
    """The greedy uncertainty × diversity blend of scores ``u`` (shared by "combined" and the pretrained cold start)."""
    idx, blended, u_part, d_part = pool.greedy_blend(u, ask.n, ask.labeled, ask.weight, ask.rng)
    return Selection(idx, blended, {"uncertainty": u_part, "diversity": d_part})


#: every strategy accepted by name
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
    "qbc": QueryByCommittee("vote_entropy", "qbc"),
    "qbc_kl": QueryByCommittee("kl", "qbc_kl"),
}
assert set(UNCERTAINTY_MEASURES) <= set(STRATEGIES)

#: the cold starts accepted by name (a fitted model or callable — a pretrained scorer — and pool positions too)
COLD_STARTS = ("auto", "random", "typiclust")


def resolve(strategy, pool=None) -> Strategy:
    """The ``Strategy`` for a name, a callable proba -> scores, or a ``Strategy`` object (returned as is); a
    ValueError names the choices.

    With ``pool``, a name the pool cannot run is refused here, at construction, not at the first query ("auto" runs
    on every pool: it picks among what the pool supports).
    """
    if isinstance(strategy, Strategy):
        return strategy
    if isinstance(strategy, str) and strategy in STRATEGIES:
        supported = getattr(pool, "supported_strategies", None)
        if supported is not None and strategy not in supported and strategy != "auto":   # auto adapts to the pool
            raise ValueError(f"strategy {strategy!r} needs the whole pool in memory; on a {pool.kind} pool use one of "
                             f"{', '.join(supported)} or a callable proba -> scores")
        return STRATEGIES[strategy]
    if callable(strategy) and not isinstance(strategy, str):
        return Uncertainty(strategy)
    raise ValueError(f"strategy must be one of {', '.join(STRATEGIES)}, a callable proba -> scores or a Strategy; "
                     f"got {strategy!r}")


def check_cold_start_name(cold_start: str, pool=None) -> str:
    if cold_start not in COLD_STARTS:
        raise ValueError(f"cold_start must be one of {COLD_STARTS}, a fitted model, a callable or pool positions; "
                         f"got {cold_start!r}")
    supported = getattr(pool, "supported_cold_starts", None)
    if supported is not None and cold_start not in supported and cold_start != "auto":   # auto adapts to the pool
        raise ValueError(f"cold_start {cold_start!r} needs the whole pool in memory; on a {pool.kind} pool use one of "
                         f"{', '.join(supported)}, a pretrained scorer (a fitted model with predict_proba or a callable "
                         "X -> proba) or pool positions (an expert seed set)")
    return cold_start


def cold_start_selection(cold_start, pool, ask: Ask) -> tuple[Selection, str]:
    """The first batch before any model: (selection, name recorded). ``cold_start`` is "auto" (TypiClust, or random
    for a pool too small for it: ``activelens.strategies.auto.cold_start_rule``), "random", "typiclust" or a
    pretrained scorer (a fitted model with predict_proba, or a callable X -> proba); the expert seed set is the
    learner's to serve (it is a list, not a rule)."""
    reason = ""
    if isinstance(cold_start, str) and cold_start == "auto":
        cold_start, reason = _auto.cold_start_rule(pool.n_rows, ask.n, len(ask.labeled),
                                                   getattr(pool, "supported_cold_starts", None))
    if isinstance(cold_start, str) and cold_start == "typiclust":
        idx = pool.typiclust(ask.n, ask.labeled, ask.rng)
        return Selection(idx, np.ones(idx.size), rule="typiclust", reason=reason), "typiclust"
    if isinstance(cold_start, str):
        sel = Random().select(pool, ask)
        return Selection(sel.indices, sel.scores, rule="random", reason=reason), "random"
    # a pretrained scorer's most uncertain items tend to sit in one confusing corner (measured on digits:
    # the top 10 covered 2 classes), so its uncertainty is blended with diversity like "combined"
    u = pool.pretrained_scores(cold_start, ask.uncertainty)
    return blend(pool, u, ask), "pretrained"
