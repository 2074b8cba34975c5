"""Query-by-committee (Seung et al. 1992; bagged committees: Abe & Mamitsuka 1998): train several copies of the
user's estimator on bootstrap samples of the labeled items and ask about the items they disagree on.

Disagreement of a committee's probabilities ``probas`` (m members, n items, k classes), higher = more disagreement:

* ``vote_entropy``: each member votes for its most likely class; the entropy of the vote shares (0 when all agree,
  ``log min(m, k)`` at most);
* ``kl_disagreement``: the mean over members of KL(member ‖ committee mean) — how far the members' distributions
  are from their consensus (McCallum & Nigam 1998), 0 when they are identical.
"""
from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from sklearn.base import clone

from activelens.core.threads import blas_threads
from activelens.core.model import padded_proba
from activelens.core.validation import check_indices, check_n, check_random_state, check_scalar
from activelens.strategies.base import Strategy, with_distance
from activelens.strategies.select import top_n

#: members of the committee the "qbc" strategies train
COMMITTEE_SIZE = 5


def check_committee_proba(probas) -> np.ndarray:
    P = np.asarray(probas, dtype=np.float64)
    if P.ndim != 3 or P.shape[0] < 1 or P.shape[2] < 1:
        raise ValueError(f"committee probabilities must be (members, items, classes), got shape {P.shape}")
    if not np.isfinite(P).all() or (P < 0).any():
        raise ValueError("committee probabilities must be finite and non-negative")
    sums = P.sum(axis=2)
    if not np.allclose(sums, 1.0, atol=1e-6):
        raise ValueError("every member's probabilities must sum to 1 over the classes")
    return P


def vote_entropy(probas) -> np.ndarray:
    """(n,) entropy (nats) of the members' votes (argmax of each member's probabilities) for every item."""
    P = check_committee_proba(probas)
    m, n, k = P.shape
    votes = P.argmax(axis=2)                                   # (m, n)
    shares = np.zeros((n, k))
    np.add.at(shares, (np.broadcast_to(np.arange(n), (m, n)), votes), 1.0)
    shares /= m
    logs = np.log(shares, where=shares > 0, out=np.zeros_like(shares))
    return -(shares * logs).sum(axis=1)


def kl_disagreement(probas) -> np.ndarray:
    """(n,) mean over members of KL(p_member ‖ p_mean) for every item (0·log 0 counts as 0)."""
    P = check_committee_proba(probas)
    mean = P.mean(axis=0)                                      # (n, k): positive wherever some member is
    ratio = np.divide(P, mean[None], out=np.ones_like(P), where=P > 0)
    return np.maximum((P * np.log(ratio)).sum(axis=2).mean(axis=0), 0.0)


DISAGREEMENTS = {"vote_entropy": vote_entropy, "kl": kl_disagreement}


def disagreement_measure(name):
    try:
        return DISAGREEMENTS[name]
    except (KeyError, TypeError):
        raise ValueError(f"unknown disagreement {name!r}; use one of {sorted(DISAGREEMENTS)}") from None


def stratified_bootstrap(y, n_members: int, rng: np.random.Generator) -> list[np.ndarray]:
    """``n_members`` bootstrap samples (sorted positions into ``y``): each class's items are drawn with replacement
    as often as the class has items, so every member sees every class (a member that never saw a class would
    disagree about it for no reason)."""
    y = np.asarray(y)
    groups = [np.flatnonzero(y == c) for c in np.unique(y)]
    out = []
    for _ in range(int(n_members)):
        out.append(np.sort(np.concatenate([rng.choice(g, size=g.size, replace=True) for g in groups])))
    return out


def fit_committee(estimator, X, y, n_members: int = COMMITTEE_SIZE, random_state=None) -> list:
    """``n_members`` clones of ``estimator``, each fitted on a stratified bootstrap sample of (X, y) in row order
    (one BLAS thread: the fits are small)."""
    rng = check_random_state(random_state)
    X, y = (X if sp.issparse(X) else np.asarray(X)), np.asarray(y)   # sparse rows (TF-IDF) stay sparse
    if np.unique(y).size < 2:
        raise ValueError("a committee needs labeled items of at least two classes")
    with blas_threads(1):
        return [clone(estimator).fit(X[s], y[s]) for s in stratified_bootstrap(y, n_members, rng)]


def qbc(probas, n: int, labeled=None, disagreement: str = "vote_entropy", random_state=None) -> np.ndarray:
    """The ``n`` items the committee disagrees on most (``probas``: (members, items, classes)), never one of
    ``labeled``; ties broken by ``random_state``."""
    scores = disagreement_measure(disagreement)(probas)
    labeled = check_indices(labeled, scores.shape[0], name="labeled")
    n = check_n(n, scores.shape[0] - labeled.size)
    return top_n(scores, n, check_random_state(random_state), exclude=labeled)


def committee_rows(rows, members, classes, disagreement) -> np.ndarray:
    """(len(rows), 1) disagreement of fitted ``members`` over some pool rows, probabilities padded to ``classes``
    (what ``QueryByCommittee`` maps over the pool with ``pool.apply_rows``)."""
    probas = np.stack([padded_proba(m, rows, classes) for m in members])
    return np.asarray(disagreement_measure(disagreement)(probas), dtype=np.float64)[:, None]


class QueryByCommittee(Strategy):
    """Query by committee: ``n_members`` copies of the user's estimator, each trained on a stratified bootstrap of
    the labeled items (in pool order); the top of their ``disagreement``.

    Composed from ``pool.rows`` (the labeled rows), ``pool.apply_rows`` (the disagreement, chunk by chunk where the
    rows live), ``pool.top_n`` and ``pool.distance_to_labeled``; no kernel.

    Parameters
    ----------
    disagreement : {"vote_entropy", "kl"}, default="vote_entropy"
    n_members : int, default=COMMITTEE_SIZE
        Members of the committee (at least 2).
    name : str, optional
        The name recorded (default "qbc", or "qbc_kl" for ``disagreement="kl"``).
    """

    def __init__(self, disagreement: str = "vote_entropy", n_members: int = COMMITTEE_SIZE, name: str | None = None):
        disagreement_measure(disagreement)   # an unknown name fails here
        self.disagreement = disagreement
        self.n_members = check_scalar(n_members, "n_members", int, low=2, what="members of the committee")
        self.name = name or ("qbc" if disagreement == "vote_entropy" else f"qbc_{disagreement}")

    def _params(self) -> dict:
        return {"disagreement": self.disagreement, "n_members": self.n_members}

    def select(self, pool, ask):
        if ask.estimator is None or ask.y is None:
            raise ValueError(f"strategy {self.name!r} trains a committee: the Ask needs the estimator and the labels")
        labeled = np.asarray(ask.labeled, dtype=np.intp)
        order = np.argsort(labeled, kind="stable")
        members = fit_committee(ask.estimator, pool.rows(labeled[order]), np.asarray(ask.y)[order], self.n_members,
                                ask.rng)
        u = pool.apply_rows(None, 1, committee_rows, members, np.asarray(ask.classes), self.disagreement)[:, 0]
        idx, su, rows = pool.top_n(u, ask.n, ask.rng, exclude=ask.labeled)
        return with_distance(pool, idx, su, ask.labeled, rows)
