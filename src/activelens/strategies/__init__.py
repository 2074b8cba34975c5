"""Query strategies: pure functions (scores, or indices into the pool the caller passed), and one class per strategy
carrying its own parameters (``Combined(weight=0.3)``), composed from the ``Pool`` building blocks."""
from activelens.strategies.auto import Auto
from activelens.strategies.badge import Badge, badge
from activelens.strategies.base import Ask, Selection, Strategy
from activelens.strategies.coldstart import Pretrained, Random, TypiClust, pretrained, random_bootstrap, typiclust
from activelens.strategies.combined import ClusterMargin, Combined, MarginKMeans, cluster_margin, combined, margin_kmeans
from activelens.strategies.committee import QueryByCommittee, fit_committee, kl_disagreement, qbc, vote_entropy
from activelens.strategies.diversity import KCenter, KMeansPP, default_embedding, k_center, kmeans_pp
from activelens.strategies.registry import resolve
from activelens.strategies.uncertainty import Uncertainty, entropy, least_confidence, margin

__all__ = [
    "entropy", "margin", "least_confidence",
    "k_center", "kmeans_pp", "default_embedding",
    "combined", "cluster_margin", "margin_kmeans",
    "badge",
    "qbc", "vote_entropy", "kl_disagreement", "fit_committee",
    "random_bootstrap", "typiclust", "pretrained",
    # the strategies as objects (``ActiveLearner(strategy=Combined(weight=0.3))``), and their base
    "Strategy", "Ask", "Selection", "resolve",
    "Auto", "Random", "Uncertainty", "KCenter", "KMeansPP", "Combined", "ClusterMargin", "MarginKMeans", "TypiClust",
    "Badge", "QueryByCommittee", "Pretrained",
]
