"""Cold start: choosing the first items to label before any model exists."""
from __future__ import annotations

import numpy as np
from sklearn.neighbors import NearestNeighbors

from activelens.core.validation import check_indices, check_n, check_random_state
from activelens.strategies.select import top_n
from activelens.strategies.combined import fit_clusters
from activelens.strategies.diversity import prepare_embedding
from activelens.strategies.uncertainty import uncertainty_measure


def random_bootstrap(n_pool: int, n: int, labeled=None, random_state=None) -> np.ndarray:
    """``n`` positions drawn uniformly without replacement from the unlabeled part of the pool."""
    labeled = check_indices(labeled, n_pool, name="labeled")
    n = check_n(n, n_pool - labeled.size)
    free = np.setdiff1d(np.arange(n_pool), labeled, assume_unique=True)
    return check_random_state(random_state).choice(free, size=n, replace=False).astype(np.intp)


def typicality(E: np.ndarray, k: int = 20) -> np.ndarray:
    """Inverse mean distance to the k nearest neighbours: high in dense regions."""
    k = min(k, E.shape[0] - 1)
    if k < 1:
        return np.ones(E.shape[0])
    dist, _ = NearestNeighbors(n_neighbors=k + 1).fit(E).kneighbors(E)
    return 1.0 / (dist[:, 1:].mean(axis=1) + 1e-12)


def typiclust(X, n: int, labeled=None, k_neighbors: int = 20, random_state=None) -> np.ndarray:
    """TypiClust (Hacohen et al. 2022): cluster the pool into |labeled|+n clusters and take the most typical
    item of each of the largest clusters that hold no labeled item yet."""
    E = prepare_embedding(X)
    n_pool = E.shape[0]
    labeled = check_indices(labeled, n_pool, name="labeled")
    n = check_n(n, n_pool - labeled.size)
    rng = check_random_state(random_state)
    clusters = fit_clusters(E, labeled.size + n, rng)
    taken = np.zeros(n_pool, dtype=bool)
    taken[labeled] = True
    return typical_picks(E, clusters, set(clusters[labeled].tolist()), taken, n, k_neighbors, rng)


def typical_picks(E: np.ndarray, clusters: np.ndarray, covered: set, taken: np.ndarray, n: int, k_neighbors: int,
                  rng: np.random.Generator) -> np.ndarray:
    """TypiClust's picks from rows ``E`` with cluster ids ``clusters``: the most typical free row of each cluster,
    clusters holding no labeled item (not in ``covered``) first, largest first, round after round until ``n``.
    Positions are rows of ``E``; ``taken`` marks rows never to pick. Ties by ``rng`` (one ``top_n`` per pick).
    Shared by ``typiclust`` (E the pool) and the distributed backend's TypiClust (E a sample of it)."""
    taken = np.array(taken, dtype=bool, copy=True)
    sizes = np.bincount(clusters)
    # uncovered clusters first, largest first; then covered ones if there are not enough
    order = sorted(range(sizes.size), key=lambda c: (c in covered, -sizes[c], c))
    typ = np.full(E.shape[0], np.nan)  # typicality within its own cluster, computed for a cluster when first needed
    picks = []
    while len(picks) < n:
        progressed = False
        for c in order:
            if len(picks) == n:
                break
            in_cluster = np.flatnonzero(clusters == c)
            members = in_cluster[~taken[in_cluster]]
            if members.size == 0:
                continue
            if np.isnan(typ[in_cluster[0]]):
                typ[in_cluster] = typicality(E[in_cluster], k_neighbors)
            best = members[top_n(typ[members], 1, rng)[0]]
            picks.append(int(best))
            taken[best] = True
            progressed = True
        if not progressed:
            break
    return np.asarray(picks, dtype=np.intp)


def pretrained_scores(scorer, X) -> np.ndarray:
    """Class probabilities from a fitted model (predict_proba) or a callable X -> proba."""
    if hasattr(scorer, "predict_proba"):
        return scorer.predict_proba(X)
    if callable(scorer):
        return scorer(X)
    raise TypeError("a pretrained scorer must have predict_proba or be a callable returning (n, k) probabilities")


def pretrained(scorer, X, n: int, labeled=None, uncertainty="margin", random_state=None) -> np.ndarray:
    """Rank the pool by a pretrained model's uncertainty before the first label is given."""
    proba = pretrained_scores(scorer, X)
    scores = uncertainty_measure(uncertainty)(proba)
    labeled = check_indices(labeled, scores.shape[0], name="labeled")
    n = check_n(n, scores.shape[0] - labeled.size)
    return top_n(scores, n, check_random_state(random_state), exclude=labeled)
