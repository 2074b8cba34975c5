"""Simulated active learning: an oracle that knows every label answers each query.

``simulate`` runs one loop and returns its curve; ``compare`` runs strategies × seeds; ``summarize`` turns
curves into the numbers that answer "how many labels does active learning save?".
"""
from __future__ import annotations

import numbers
import time
from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.metrics import get_scorer
from sklearn.model_selection import train_test_split

from activelens.backends.sparse import check_matrix_or_sparse
from activelens.core.validation import MAX_SEED, check_labels, check_random_state, check_scalar
from activelens.loop.learner import ActiveLearner
from activelens.strategies import registry
from activelens.strategies.registry import strategy_name


def area_under_budget_curve(n_labels, scores) -> float:
    """Trapezoid area under score-vs-labels, divided by the label range: the curve's mean score, in [0, 1]
    for accuracy. Compare strategies only over the same label range."""
    n = np.asarray(n_labels, dtype=np.float64)
    s = np.asarray(scores, dtype=np.float64)
    if n.size == 0:
        raise ValueError("an empty curve has no area")
    if n.size == 1 or n[-1] == n[0]:
        return float(s[-1])
    return float(np.trapezoid(s, n) / (n[-1] - n[0]))


def labels_to_reach(n_labels, scores, target: float):
    """The fewest labels at which the curve first reaches ``target``; None if it never does."""
    n = np.asarray(n_labels)
    hit = np.flatnonzero(np.asarray(scores, dtype=np.float64) >= target)
    return int(n[hit[0]]) if hit.size else None


@dataclass(frozen=True)
class SimulationResult:
    strategy: str
    random_state: object
    n_labels: np.ndarray
    scores: np.ndarray
    history: pd.DataFrame = field(repr=False)
    seconds: float = 0.0

    @property
    def aubc(self) -> float:
        return area_under_budget_curve(self.n_labels, self.scores)

    def labels_to(self, score: float) -> int | None:
        """Labels needed to first reach ``score`` on the holdout (None if never reached within the budget)."""
        return labels_to_reach(self.n_labels, self.scores, score)


def split_holdout(X, y, X_test, y_test, test_size, random_state):
    X = check_matrix_or_sparse(X, name="X")
    y = np.asarray(y)
    if y.shape != (X.shape[0],):
        raise ValueError(f"y must hold one label per row of X ({X.shape[0]}), got shape {y.shape}")
    if (X_test is None) != (y_test is None):
        raise ValueError("give both X_test and y_test, or neither (then test_size of X is held out)")
    if X_test is None:
        _check_stratified_split(y, test_size)
        seed = random_state if isinstance(random_state, (int, np.integer)) else 0
        X, X_test, y, y_test = train_test_split(X, y, test_size=test_size, random_state=seed, stratify=y)
    return X, y, check_matrix_or_sparse(X_test, name="X_test"), np.asarray(y_test)


def _check_stratified_split(y, test_size) -> None:
    """A stratified holdout of ``test_size`` can be cut from y: a share in (0, 1), two classes or more, at least two
    rows of each class and room for every class on both sides."""
    values = check_labels(y, name="y")
    if isinstance(test_size, (int, np.integer)) and not isinstance(test_size, bool) and 1 <= test_size < len(values):
        n_test = int(test_size)  # a count of rows, as scikit-learn takes it
    elif isinstance(test_size, (float, np.floating)) and 0 < test_size < 1:
        n_test = int(np.ceil(test_size * len(values)))
    else:
        raise ValueError(f"test_size must be the share of rows held out for testing, strictly between 0 and 1 "
                         f"(e.g. 0.3), got {test_size!r}")
    classes, counts = np.unique(np.asarray(values, dtype=object).astype(str), return_counts=True)
    if classes.size < 2:
        raise ValueError(f"y has a single class ({values[0]!r}); a classifier needs at least two classes to learn "
                         "anything. Check the target column")
    if counts.min() < 2:
        key = str(classes[counts.argmin()])
        rare = next(v for v in values if str(v) == key)
        raise ValueError(f"y's class {rare!r} has only {int(counts.min())} row; a stratified holdout needs at least 2 "
                         "rows of every class (one for the pool, one for the test set). Add rows, or drop that class")
    if n_test < classes.size or len(values) - n_test < classes.size:
        raise ValueError(f"with {len(values)} rows, test_size={test_size} leaves {n_test} test and "
                         f"{len(values) - n_test} pool rows for {classes.size} classes; each side needs one row of "
                         "every class. Use more rows or a test_size nearer 0.5")


def simulate(estimator: Any, X: Any, y: Any, strategy: Any = "auto", *, X_test: Any = None,
             y_test: Any = None, initial: int = 20, batch_size: int = 10, budget: int = 300,
             random_state: int | None = None, test_size: float = 0.3, **learner_kwargs: Any) -> SimulationResult:
    """Run the loop with a simulated oracle: ``initial`` cold-start labels, then batches until ``budget``.

    ``strategy`` and the learner's ``cold_start`` (a keyword passed through) default to "auto", as in
    ``ActiveLearner``; ``result.history`` says which rule each round used and why.

    Without ``X_test``/``y_test`` a stratified ``test_size`` share of X is held out (seeded by an int random_state,
    else by 0, so runs with different generators are scored on the same holdout); the learner gets them as its
    ``holdout``. Other keywords go to ``ActiveLearner`` (``cold_start``, ``scoring``, ``stopping``, ...).
    Every class in y (and y_test) is declared up front, so probabilities cover classes not yet seen.
    """
    check_random_state(random_state)
    initial = check_scalar(initial, "initial", int, low=1, what="cold-start labels")
    batch_size = check_scalar(batch_size, "batch_size", int, low=1, what="items per query")
    budget = check_scalar(budget, "budget", int, low=1, what="labels per run")
    X, y, X_test, y_test = split_holdout(X, y, X_test, y_test, test_size, random_state)
    if budget < initial:
        raise ValueError(f"budget ({budget}) is smaller than initial ({initial}); the budget counts the initial labels too")
    if budget > X.shape[0]:
        raise ValueError(f"budget ({budget}) is larger than the pool ({X.shape[0]} items after the test split)")
    classes = learner_kwargs.pop("classes", None)
    if classes is None:
        classes = np.unique(np.concatenate([y, y_test]))
    learner = ActiveLearner(estimator, X, strategy=strategy, batch_size=batch_size, classes=classes,
                            holdout=(X_test, y_test), random_state=random_state, **learner_kwargs)
    t0 = time.perf_counter()
    first = learner.query(initial)
    learner.teach(first.indices, y[first.indices])
    while np.unique(learner.labels).size < 2:  # the oracle keeps labelling until the model can be fit
        more = learner.query(min(batch_size, budget - learner.n_labeled) or 1)
        learner.teach(more.indices, y[more.indices])
    learner.fit()
    while learner.n_labeled < budget:
        batch = learner.query(min(batch_size, budget - learner.n_labeled))
        learner.teach(batch.indices, y[batch.indices])
        learner.fit()
    h = learner.history
    return SimulationResult(strategy=strategy_name(strategy), random_state=random_state, n_labels=h.n_labels.to_numpy(),
                            scores=h.score.to_numpy(), history=h, seconds=time.perf_counter() - t0)


def full_pool_score(estimator, X, y, *, X_test=None, y_test=None, random_state=None, test_size: float = 0.3,
                    scoring="accuracy") -> float:
    """The score of the model trained on every pool label: the ceiling active learning aims at. Without
    ``X_test``/``y_test`` the holdout is cut as ``simulate`` cuts it (seeded by an int random_state, else by 0)."""
    X, y, X_test, y_test = split_holdout(X, y, X_test, y_test, test_size, random_state)
    return float(get_scorer(scoring)(clone(estimator).fit(X, y), X_test, y_test))


def _run_one(estimator, X, y, strategy, seed, kwargs):
    r = simulate(estimator, X, y, strategy, random_state=seed, **kwargs)
    return pd.DataFrame({"strategy": r.strategy, "seed": seed, "n_labels": r.n_labels, "score": r.scores,
                         "seconds": r.seconds})


def compare(estimator: Any, X: Any, y: Any,
            strategies: Sequence[Any] = ("random", "auto", "margin", "entropy", "combined"),
            seeds: int | Sequence[int] = 5, *, n_jobs: int = 1, progress: bool = True,
            **simulate_kwargs: Any) -> pd.DataFrame:
    """Run every strategy with every seed (same seeds, same test split for all) and return the curves in
    long form: one row per (strategy, seed, round) with ``n_labels`` and ``score``.

    ``seeds`` is a count (seeds 0..seeds-1) or a list of ints. The test split is fixed by ``split_seed``
    (default 0) so every run is scored on the same holdout.
    """
    from joblib import Parallel, delayed
    from tqdm.auto import tqdm

    seed_list = _check_seeds(seeds)
    strategies = _check_strategies(strategies)
    n_jobs = check_scalar(n_jobs, "n_jobs", int, allow_none=True, what="parallel runs, or -1 for every core")
    if n_jobs == 0:
        raise ValueError("n_jobs must be a positive count of parallel runs, -1 for every core, or None, got 0")
    split_seed = simulate_kwargs.pop("split_seed", 0)
    X, y, X_test, y_test = split_holdout(X, y, simulate_kwargs.pop("X_test", None), simulate_kwargs.pop("y_test", None),
                                  simulate_kwargs.pop("test_size", 0.3), split_seed)
    simulate_kwargs.update(X_test=X_test, y_test=y_test)
    jobs = [(s, seed) for s in strategies for seed in seed_list]
    run = Parallel(n_jobs=n_jobs, return_as="generator")(
        delayed(_run_one)(estimator, X, y, s, seed, simulate_kwargs) for s, seed in jobs)
    frames = list(tqdm(run, total=len(jobs), desc="simulating", disable=not progress))
    return pd.concat(frames, ignore_index=True)


def _check_seeds(seeds) -> list[int]:
    """``seeds`` as a list of seeds: a positive count (seeds 0..seeds-1) or a non-empty list of int seeds."""
    if isinstance(seeds, (numbers.Integral, np.integer)) and not isinstance(seeds, (bool, np.bool_)):
        return list(range(check_scalar(seeds, "seeds", int, low=1, high=10_000, what="runs per strategy")))
    if not isinstance(seeds, (list, tuple, np.ndarray)) or len(seeds) == 0:
        raise TypeError(f"seeds must be a positive count or a non-empty list of int seeds, got {seeds!r:.40}")
    return [check_scalar(s, f"seeds[{k}]", int, low=0, high=MAX_SEED, what="a seed") for k, s in enumerate(seeds)]


def _check_strategies(strategies) -> list:
    """``strategies`` as a non-empty list, every entry a strategy the registry resolves."""
    if isinstance(strategies, (str, bytes)) or not isinstance(strategies, (list, tuple)):
        raise TypeError(f"strategies must be a list of strategies, e.g. ['random', 'margin'], got "
                        f"{type(strategies).__name__} {strategies!r:.40}")
    if not strategies:
        raise ValueError("strategies must name at least one strategy, e.g. ['random', 'margin']")
    for k, s in enumerate(strategies):
        try:
            registry.resolve(s)
        except (TypeError, ValueError) as exc:
            raise type(exc)(f"strategies[{k}]: {exc}") from None
    return list(strategies)


def summarize(curves: pd.DataFrame, targets: dict | None = None, baseline: str = "random") -> pd.DataFrame:
    """One row per strategy: mean and sd of AUBC over seeds, labels to reach each target on the seed-mean
    curve, and ratios to ``baseline`` (AUBC ratio; labels saved = baseline labels / strategy labels).

    ``targets`` maps a column name to a score, e.g. ``{"90%": 0.86, "95%": 0.91}``.
    """
    targets = targets or {}
    rows = []
    for strategy, g in curves.groupby("strategy", sort=False):
        aubcs = [area_under_budget_curve(s.n_labels, s.score) for _, s in g.groupby("seed")]
        mean_curve = g.groupby("n_labels").score.mean()
        row = {"strategy": strategy, "aubc": float(np.mean(aubcs)), "aubc_sd": float(np.std(aubcs)),
               "seeds": len(aubcs), "final_score": float(mean_curve.iloc[-1])}
        for col, target in targets.items():
            row[f"labels_to_{col}"] = labels_to_reach(mean_curve.index, mean_curve.values, target)
        rows.append(row)
    table = pd.DataFrame(rows).set_index("strategy")
    for col in targets:
        table[f"labels_to_{col}"] = table[f"labels_to_{col}"].astype("Int64")
    if baseline in table.index:
        table["aubc_vs_random"] = table.aubc / table.loc[baseline, "aubc"]
        for col in targets:
            base = table.loc[baseline, f"labels_to_{col}"]
            table[f"saving_{col}"] = [
                (base / v) if (base is not None and v is not None and not pd.isna(base) and not pd.isna(v)) else np.nan
                for v in table[f"labels_to_{col}"]
            ]
    return table
