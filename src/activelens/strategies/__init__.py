"""Query strategies as pure functions: scores or indices into the pool the caller passed."""
from activelens.strategies.badge import badge
from activelens.strategies.coldstart import pretrained, random_bootstrap, typiclust
from activelens.strategies.combined import cluster_margin, combined, margin_kmeans
from activelens.strategies.committee import fit_committee, kl_disagreement, qbc, vote_entropy
from activelens.strategies.diversity import default_embedding, k_center, kmeans_pp
from activelens.strategies.uncertainty import entropy, least_confidence, margin

__all__ = [
    "entropy", "margin", "least_confidence",
    "k_center", "kmeans_pp", "default_embedding",
    "combined", "cluster_margin", "margin_kmeans",
    "badge",
    "qbc", "vote_entropy", "kl_disagreement", "fit_committee",
    "random_bootstrap", "typiclust", "pretrained",
]
