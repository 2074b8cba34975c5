"""What strategy="auto" and cold_start="auto" decide, as pure functions of what the learner knows, and the ``Auto``
strategy.

``Auto`` and the registry's ``cold_start_selection("auto", ...)`` call these and run the rule they name;
each decision comes with a short reason, which the learner records in ``history`` (``rule``, ``reason``) and on
every ``Batch``. BENCHMARKS.md ("Label efficiency") has the measurements behind the choices.
"""
from __future__ import annotations

from activelens.strategies.base import Selection, Strategy
from activelens.strategies.combined import MarginKMeans
from activelens.strategies.uncertainty import Uncertainty

#: TypiClust clusters the pool into (labeled + batch) clusters and takes the most typical item of each; below this
#: many pool rows per cluster the clusters are too small for typicality to mean anything and random is used
MIN_ROWS_PER_CLUSTER = 10


def cold_start_rule(n_rows: int, n: int, n_labeled: int) -> tuple[str, str]:
    """(rule, reason) for the picks made before any model: "typiclust", or "random" for a pool too small for it."""
    clusters = n_labeled + n
    if n_rows < MIN_ROWS_PER_CLUSTER * clusters:
        return "random", (f"cold start: {n_rows} pool items are too few for {clusters} clusters of "
                          f"{MIN_ROWS_PER_CLUSTER}+ items, so {n} random items")
    return "typiclust", (f"cold start (no model yet): TypiClust, the most typical item of {n} of the pool's {clusters} "
                         "k-means clusters that hold no label")


def query_rule(n: int) -> tuple[str, str]:
    """(rule, reason) once a model exists: margin spread by k-means ("margin_kmeans"), or plain "margin" for one item
    at a time."""
    if n == 1:
        return "margin", "one item: the most uncertain (margin)"
    return "margin_kmeans", (f"uncertainty, spread out: the {round(SPREAD * n)} lowest-margin items in {n} k-means "
                             "groups, the item nearest each group's centre, so the batch covers several stretches of "
                             "the decision boundary instead of one")


#: candidates per pick of the k-means spread
SPREAD = 5


class Auto(Strategy):
    """strategy="auto": the rule ``query_rule`` names for this batch (margin spread by k-means, or margin for one
    item), recorded with its reason. Uses what ``MarginKMeans`` and ``Uncertainty`` use."""

    name = "auto"

    def __init__(self):
        self._rules = {"margin": Uncertainty("margin"), "margin_kmeans": MarginKMeans(SPREAD)}

    def select(self, pool, ask):
        rule, reason = query_rule(ask.n)
        sel = self._rules[rule].select(pool, ask)
        return Selection(sel.indices, sel.scores, sel.components, rule=rule, reason=reason)
