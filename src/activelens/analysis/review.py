"""Review of likely-wrong labels: which labeled items a reviewer should look at first.

Every labeled item is scored by a model that did not see it: the learner's estimator is cloned and fitted on the
other folds of the labeled set (stratified, as confident learning does), and the item's out-of-fold probability of
the label it was given is what the score is made of. An item the held-out model finds unlikely under its own label
is suspect; the class the held-out model prefers is the suggestion.

Two scores are offered (``method``):

* ``"normalized_margin"`` (the default): ``(1 - (p(given) - max p(other))) / 2``, how far the best other class
  beats the given one (0: the given label is certain; 1: another class is);
* ``"self_confidence"``: ``1 - p(given)``, the out-of-fold probability of the given label alone.

Which, and why not cleanlab: ``benchmarks/review.py`` (BENCHMARKS.md, "Review of likely-wrong labels": four
datasets, two models, 5-20% of the labels flipped, 5 seeds) found the flips about as well either way when they were
flipped at random (precision at k = the number of flips 0.78-0.84), but when they were flipped toward the class the
model confuses them with, the margin found more (0.70 against 0.64 with logistic regression, 0.76 against 0.67 with
a random forest), as many as cleanlab's ``find_label_issues`` on the same kind of probabilities (0.70, 0.71) and
more in the top 10% shown to a reviewer (0.66 against 0.62; 0.70 against 0.66). So activelens keeps these few lines
rather than a dependency. cleanlab's ``find_label_issues`` also estimates how many labels are wrong; ``suspects``
ranks and leaves the count to the reviewer. The model's own in-sample confidence (no cross-validation) did as well
with a regularised linear model but much worse with a forest (0.65 at random flips), which fits its labels.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.base import clone

from activelens.core.model import padded_proba
from activelens.core.threads import blas_threads
from activelens.core.validation import check_random_state, check_scalar

__all__ = ["suspects", "METHODS", "out_of_fold_proba", "suspicion"]

#: the suspicion scores ``suspects`` can rank by
METHODS = ("normalized_margin", "self_confidence")

COLUMNS = ["position", "id", "given", "suggested", "p_given", "p_suggested", "score", "reason"]


def suspects(learner, n: int, *, method: str = "normalized_margin", cv: int = 5, random_state=None) -> pd.DataFrame:
    """The labeled items most likely to carry a wrong label, most suspect first.

    Parameters
    ----------
    learner : ``activelens.ActiveLearner``
        Read through its public API only (``labeled_frame``, ``pool.rows``, ``estimator``, ``ids``);
        nothing in it changes, and it need not be fitted.
    n : int
        How many suspects to return (at least 1); more than the labeled items returns them all.
    method : {"normalized_margin", "self_confidence"}, default="normalized_margin"
        The suspicion score (see the module's docstring).
    cv : int, default=5
        Folds of the out-of-fold probabilities (at least 2). A class with fewer labeled items than folds is spread
        over as many folds as it has items, so each of its items is still judged by a model that saw the others.
        An item that is the only one of its class cannot be judged that way: it comes last, with no score and a
        reason saying so.
    random_state : int, numpy Generator or None
        Seeds the folds and the order of equal scores. Default: the learner's ``random_state`` when it is an int
        (the same labels give the same suspects), else unseeded.

    Returns
    -------
    pandas.DataFrame
        One row per suspect, most suspect first (index ``rank``, from 1), with columns ``position`` (in the pool),
        ``id`` (``learner.ids``), ``given`` (the label it has), ``suggested`` (the held-out model's class),
        ``p_given`` and ``p_suggested`` (their out-of-fold probabilities), ``score`` (the suspicion, in [0, 1],
        non-increasing; NaN for items that could not be judged) and ``reason`` (a sentence for a reviewer).
        ``frame.attrs`` holds ``method`` and ``folds``.

    Raises
    ------
    TypeError, ValueError
        ``n`` or ``cv`` is not an int in range, ``method`` is unknown, nothing is labeled, or the labeled items
        hold fewer than two classes with two items each.

    Examples
    --------
    >>> learner.suspects(10)                                   # doctest: +SKIP
    >>> learner.relabel(found.position[:2], [3, 8])           # doctest: +SKIP
    """
    n = check_scalar(n, "n", int, low=1, what="how many suspects")
    cv = check_scalar(cv, "cv", int, low=2, what="folds of the out-of-fold probabilities")
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    if random_state is None and isinstance(getattr(learner, "random_state", None), (int, np.integer)):
        random_state = learner.random_state
    rng = check_random_state(random_state)
    idx, y = _labeled(learner)
    classes, counts = _check_labeled(y)
    folds = _fold_ids(y, classes, counts, cv, rng)
    proba = out_of_fold_proba(learner.estimator, learner.pool.rows(idx), y, folds, classes,
                              threads=getattr(learner, "fit_threads", None))
    table = _table(learner, idx, y, classes, proba, folds >= 0, method, rng)
    table = table.iloc[: min(n, len(table))]
    table.attrs.update(method=method, folds=int(folds.max()) + 1)
    return table


def _labeled(learner) -> tuple[np.ndarray, np.ndarray]:
    """(sorted positions, their labels), read in one call (``labeled_frame`` holds the learner's lock, so a label
    taught meanwhile by a widget's thread cannot pair a position with another's label)."""
    frame = learner.labeled_frame()
    idx = frame["position"].to_numpy(dtype=np.intp)
    labels = np.asarray(frame["label"].tolist())
    order = np.argsort(idx, kind="stable")
    return idx[order], labels[order]


def _check_labeled(y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The classes and their counts; an error unless two classes have two labeled items each."""
    if y.size == 0:
        raise ValueError("nothing is labeled yet; suspects() judges labeled items: teach some labels first")
    classes, counts = np.unique(y, return_counts=True)
    if classes.size < 2:
        raise ValueError(f"all {y.size} labeled items have the class {classes.tolist()[0]!r}; suspects() needs at "
                         "least two classes to tell a wrong label. Label items of another class first")
    if (counts >= 2).sum() < 2:
        raise ValueError(f"suspects() needs at least two classes with two labeled items each (labeled: "
                         f"{dict(zip(classes.tolist(), counts.tolist()))}); label more items first")
    return classes, counts


def _fold_ids(y: np.ndarray, classes: np.ndarray, counts: np.ndarray, cv: int, rng: np.random.Generator) -> np.ndarray:
    """A fold per labeled item, stratified: each class's items shuffled and dealt round-robin from a random fold
    (a class with fewer items than folds lands in as many folds as it has items); -1 for the only item of a class
    (never held out: nothing could judge it)."""
    n_folds = int(min(cv, counts[counts >= 2].max()))
    folds = np.full(y.size, -1, dtype=np.intp)
    for c, m in zip(classes, counts):
        if m < 2:
            continue
        members = rng.permutation(np.flatnonzero(y == c))
        folds[members] = (np.arange(m) + rng.integers(n_folds)) % n_folds
    return folds


def out_of_fold_proba(estimator, rows, y: np.ndarray, folds: np.ndarray, classes: np.ndarray,
                      threads: int | None = None) -> np.ndarray:
    """(len(y), len(classes)) probabilities of each item from a clone of ``estimator`` fitted without its fold
    (``folds`` from 0; rows of fold -1 are always trained on and get NaN)."""
    proba = np.full((len(y), len(classes)), np.nan)
    with blas_threads(threads):
        for k in range(int(folds.max()) + 1):
            test = np.flatnonzero(folds == k)
            if test.size == 0:
                continue
            train = np.flatnonzero(folds != k)
            model = clone(estimator).fit(rows[train], y[train])
            proba[test] = padded_proba(model, rows[test], classes)
    return proba


def suspicion(proba: np.ndarray, given: np.ndarray, method: str) -> np.ndarray:
    """The suspicion score in [0, 1] of each row of ``proba`` (n, k) labeled with class column ``given`` (n,)."""
    trust = _trust(proba, given, method)
    return 1.0 - trust if method == "self_confidence" else (1.0 - trust) / 2.0


def _trust(proba: np.ndarray, given: np.ndarray, method: str) -> np.ndarray:
    """What the score is made of, lower = more suspect, at full precision (``1 - p`` rounds p=1e-17 and p=1e-9
    both to 1.0, which would leave their order to chance): p(given), or p(given) - max p(other)."""
    p_given = proba[np.arange(len(given)), given]
    if method == "self_confidence":
        return p_given
    others = proba.copy()
    others[np.arange(len(given)), given] = -np.inf
    return p_given - others.max(axis=1)


def _table(learner, idx: np.ndarray, y: np.ndarray, classes: np.ndarray, proba: np.ndarray, judged: np.ndarray,
           method: str, rng: np.random.Generator) -> pd.DataFrame:
    """Every labeled item as a row of the result, most suspect first (equal scores in a seeded random order)."""
    given = np.searchsorted(classes, y)
    score, trust = np.full(len(y), np.nan), np.full(len(y), np.inf)
    score[judged] = suspicion(proba[judged], given[judged], method)
    trust[judged] = _trust(proba[judged], given[judged], method)
    best = np.where(judged, np.nan_to_num(proba, nan=-1.0).argmax(axis=1), given)
    p_given = proba[np.arange(len(y)), given]
    p_best = proba[np.arange(len(y)), best]
    suggested = classes[best].astype(object)
    suggested[~judged] = None
    shuffle = rng.permutation(len(y))
    order = shuffle[np.argsort(trust[shuffle], kind="stable")]
    frame = pd.DataFrame({
        "position": idx[order], "id": np.asarray(learner.ids[idx[order]]),
        "given": y[order], "suggested": suggested[order],
        "p_given": p_given[order], "p_suggested": p_best[order], "score": score[order],
        "reason": [_reason(y[i], classes[best[i]], p_given[i], p_best[i], judged[i]) for i in order],
    }, columns=COLUMNS)
    frame.index = pd.RangeIndex(1, len(frame) + 1, name="rank")
    return frame


def _reason(given, suggested, p_given: float, p_best: float, judged: bool) -> str:
    """A sentence for the reviewer."""
    given, suggested = (v.item() if isinstance(v, np.generic) else v for v in (given, suggested))
    if not judged:
        return f"the only item labeled {given!r}: no held-out model could judge it"
    if suggested == given:
        return f"held-out model agrees with {given!r} (p={p_given:.2f})"
    return f"held-out model: {given!r} p={p_given:.2f}, {suggested!r} p={p_best:.2f}"
