"""Candidate rules for strategy="auto", measured by label_efficiency.py's --variants (in-memory pools only).

Each is a registry Strategy (``select(pool, ask)``), so the learner runs it like a named strategy.
"""
from __future__ import annotations

import numpy as np
from sklearn.cluster import KMeans

from activelens.strategies.registry import STRATEGIES, Selection, Strategy
from activelens.strategies.select import top_n


def _farthest_among(E_cand, E_lab, n, rng):
    """k-center greedy over candidate rows, starting from the labeled rows."""
    d = np.full(E_cand.shape[0], np.inf)
    if E_lab.shape[0]:
        for c0 in range(0, E_lab.shape[0], 256):
            B = E_lab[c0:c0 + 256]
            d2 = (E_cand ** 2).sum(1)[:, None] - 2 * E_cand @ B.T + (B ** 2).sum(1)[None]
            d = np.minimum(d, np.sqrt(np.maximum(d2.min(1), 0)))
    picks = []
    for _ in range(n):
        i = int(np.argmax(d)) if np.isfinite(d).any() else int(rng.integers(d.size))
        picks.append(i)
        d = np.minimum(d, np.sqrt(np.maximum(((E_cand - E_cand[i]) ** 2).sum(1), 0)))
        d[picks] = -np.inf
    return np.asarray(picks)


class MarginDiverse(Strategy):
    """Top factor*n by margin, then k-center greedy among them (away from the labeled items)."""

    def __init__(self, factor=3, name=None):
        self.factor, self.name = factor, name or f"margin_div{factor}"

    def select(self, pool, ask):
        u = pool.scores(ask.model, ask.classes, "margin")
        m = min(pool.n_rows - len(ask.labeled), max(ask.n, self.factor * ask.n))
        cand = top_n(u, m, ask.rng, exclude=ask.labeled)
        E = pool.embedding
        pick = _farthest_among(E[cand], E[ask.labeled], ask.n, ask.rng)
        idx = cand[pick]
        return Selection(idx, u[idx], {"uncertainty": u[idx]})


class MarginKMeans(Strategy):
    """Zhdanov (2019) diverse mini-batch: top factor*n by margin, k-means into n clusters weighted by uncertainty,
    the candidate nearest each centre."""

    def __init__(self, factor=5, name=None):
        self.factor, self.name = factor, name or f"margin_km{factor}"

    def select(self, pool, ask):
        u = pool.scores(ask.model, ask.classes, "margin")
        m = min(pool.n_rows - len(ask.labeled), max(ask.n, self.factor * ask.n))
        cand = top_n(u, m, ask.rng, exclude=ask.labeled)
        E = np.asarray(pool.embedding[cand], dtype=np.float64)
        km = KMeans(ask.n, n_init=1, random_state=int(ask.rng.integers(2**31 - 1))).fit(E, sample_weight=u[cand] + 1e-9)
        picks = []
        for c in range(ask.n):
            d = ((E - km.cluster_centers_[c]) ** 2).sum(1)
            d[picks] = np.inf
            picks.append(int(np.argmin(d)))
        idx = cand[np.asarray(picks)]
        return Selection(idx, u[idx], {"uncertainty": u[idx]})


class Phased(Strategy):
    """``early`` while fewer than ``per_class`` labels per class are in, ``late`` afterwards (TCM: TypiClust, then
    Margin)."""

    def __init__(self, early="typiclust", late="margin", per_class=3, name=None):
        self.early, self.late, self.per_class = early, late, per_class
        self.name = name or f"{early}<{per_class}k>{late}"

    def select(self, pool, ask):
        k = len(ask.classes)
        rule = self.early if len(ask.labeled) < self.per_class * k else self.late
        return STRATEGIES[rule].select(pool, ask)


class Hedge(Strategy):
    """Each batch: a share ``eps`` of TypiClust picks (typical items of clusters with no label) and the rest by
    ``rule``."""

    def __init__(self, rule="margin", eps=0.2, name=None):
        self.rule, self.eps = rule, eps
        self.name = name or f"{rule}+typ{eps}"

    def select(self, pool, ask):
        from dataclasses import replace

        k = int(np.ceil(self.eps * ask.n)) if ask.n > 1 else 0
        main = STRATEGIES[self.rule].select(pool, replace(ask, n=ask.n - k)) if ask.n - k > 0 else None
        taken = np.concatenate([ask.labeled, main.indices]) if main is not None else ask.labeled
        extra = STRATEGIES["typiclust"].picks(pool, replace(ask, n=k, labeled=taken)) if k else np.empty(0, dtype=np.intp)
        idx = np.concatenate([main.indices, extra]) if main is not None else extra
        return Selection(idx.astype(np.intp), np.zeros(idx.size))


VARIANTS = {
    "margin_div3": MarginDiverse(3),
    "margin_div5": MarginDiverse(5),
    "margin_km3": MarginKMeans(3),
    "margin_km5": MarginKMeans(5),
    "margin_km10": MarginKMeans(10),
    "tcm3": Phased("typiclust", "margin", 3, "tcm3"),
    "tcm6": Phased("typiclust", "margin", 6, "tcm6"),
    "margin+typ0.2": Hedge("margin", 0.2),
    "badge+typ0.2": Hedge("badge", 0.2),
}
