"""Cold start: choosing the first items to label before any model exists; and the strategies that need no model
(``Random``, ``TypiClust``) and the pretrained cold start (``Pretrained``)."""
from __future__ import annotations

import numpy as np
from sklearn.neighbors import NearestNeighbors

from activelens.core.validation import check_indices, check_n, check_proba, check_random_state, check_scalar
from activelens.strategies.base import Selection, Strategy
from activelens.strategies.combined import blend, fit_clusters
from activelens.strategies.select import top_n
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
    picks: list[int] = []
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


class Random(Strategy):
    """``n`` unlabeled items drawn uniformly (``random_bootstrap``); needs only ``pool.n_rows``."""

    name = "random"

    def select(self, pool, ask):
        idx = random_bootstrap(pool.n_rows, ask.n, ask.labeled, ask.rng)
        return Selection(idx, np.zeros(idx.size))


class TypiClust(Strategy):
    """TypiClust (Hacohen et al. 2022): the most typical item of the largest k-means clusters holding no label.

    Kernel: ``pool.kernels["typiclust"](pool, n, labeled, rng) -> idx`` (the Dask pool: clusters and typicality on
    one seeded sample); else ``typiclust`` on ``pool.embedding``.
    """

    name = "typiclust"

    def picks(self, pool, ask) -> np.ndarray:
        """The picks alone (the cold start needs no distances)."""
        kernel = pool.kernels.get("typiclust")
        if kernel is not None:
            return kernel(pool, ask.n, ask.labeled, ask.rng)
        return typiclust(np.asarray(pool.embedding), ask.n, ask.labeled, random_state=ask.rng)

    def select(self, pool, ask):
        idx = self.picks(pool, ask)
        dist = pool.distance_to_labeled(idx, ask.labeled)
        return Selection(idx, dist, {"diversity": dist})


def pretrained_rows(rows, scorer, measure) -> np.ndarray:
    """(len(rows), 1) uncertainty ``measure`` of a pretrained scorer's probabilities for some pool rows."""
    proba = check_proba(pretrained_scores(scorer, rows), name="pretrained scorer's probabilities")
    if proba.shape[0] != rows.shape[0]:
        raise ValueError(f"the pretrained scorer returned {proba.shape[0]} rows for a pool of {rows.shape[0]}")
    return np.asarray(uncertainty_measure(measure)(proba), dtype=np.float64)[:, None]


class Pretrained(Strategy):
    """The cold start from a pretrained scorer: its uncertainty blended with diversity like ``Combined`` (a
    pretrained scorer's most uncertain items tend to sit in one confusing corner: measured on digits, the top 10
    covered 2 classes).

    Kernel: ``pool.kernels["pretrained_scores"](pool, scorer, measure) -> scores`` (the Dask pool: the scorer's
    output checked per chunk, errors naming the rows); else ``pretrained_rows`` through ``pool.apply_rows``. The
    blend uses ``Combined``'s "greedy_blend" kernel.

    Parameters
    ----------
    scorer : fitted classifier with ``predict_proba``, or callable X -> (n, k) probabilities
    uncertainty : {"margin", "entropy", "least_confidence"} or callable, default="margin"
    weight : float in [0, 1], default=0.5
        The uncertainty share of the blend.
    """

    name = "pretrained"

    def __init__(self, scorer, uncertainty="margin", weight: float = 0.5):
        if not (hasattr(scorer, "predict_proba") or callable(scorer)):
            raise TypeError("scorer must have predict_proba or be a callable X -> (n, k) probabilities, got "
                            f"{type(scorer).__name__}")
        uncertainty_measure(uncertainty)
        self.scorer, self.uncertainty = scorer, uncertainty
        self.weight = check_scalar(weight, "weight", float, low=0.0, high=1.0, what="the uncertainty share")

    def _params(self) -> dict:
        return {"scorer": self.scorer, "uncertainty": self.uncertainty, "weight": self.weight}

    def __call__(self, X):
        """The scorer's probabilities for rows ``X`` (so a ``Pretrained`` is itself a pretrained scorer)."""
        return pretrained_scores(self.scorer, X)

    def select(self, pool, ask):
        kernel = pool.kernels.get("pretrained_scores")
        if kernel is not None:
            u = kernel(pool, self.scorer, self.uncertainty)
        else:
            u = pool.apply_rows(None, 1, pretrained_rows, self.scorer, self.uncertainty)[:, 0]
        return blend(pool, u, ask, self.weight)
