"""Query strategies as pure functions: scores or indices into the pool the caller passed."""
from activelens.strategies.coldstart import pretrained, random_bootstrap, typiclust
from activelens.strategies.combined import cluster_margin, combined
from activelens.strategies.diversity import default_embedding, k_center, kmeans_pp
from activelens.strategies.uncertainty import entropy, least_confidence, margin

__all__ = [
    "entropy", "margin", "least_confidence",
    "k_center", "kmeans_pp", "default_embedding",
    "combined", "cluster_margin",
    "random_bootstrap", "typiclust", "pretrained",
]
