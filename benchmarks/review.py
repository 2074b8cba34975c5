"""Review of likely-wrong labels: how well ``learner.suspects(n)`` finds flipped labels, beside baselines.

    .venv/bin/python benchmarks/review.py                 # every dataset, model, rate, kind, 5 seeds: 11-21 min
    .venv/bin/python benchmarks/review.py --models lr     # the linear model alone: ~2.5 min
    .venv/bin/python benchmarks/review.py --seeds 2 --datasets wine
    .venv/bin/python benchmarks/review.py --report-only benchmarks/results/review.csv.gz   # the tables of a saved run

Setup. Four datasets, none downloaded: scikit-learn's digits (10 classes, 400 labels), breast_cancer
(2 classes, 300 labels), wine (3 classes, 120 labels), and scipy's own docstrings as TF-IDF rows (a sparse pool; which
of 11 sub-packages a function belongs to, 400 labels); the rest of each set is the holdout. The labeled set is a
random stratified sample of that size (the size a set has after some rounds of active learning). Two models: ``lr``
(StandardScaler + LogisticRegression(C=1); C=10 unscaled on TF-IDF) and ``rf`` (a random forest of 50 trees, which
fits its own training labels almost perfectly, so its in-sample confidence says little). Then 5%, 10% or 20% of
the labels are flipped, either (a) ``uniform``: to another class drawn at random, or (b) ``confusable``: to the
class the clean model confuses the item's class with most (the largest mean out-of-fold probability of another
class among the class's items, clean labels, 5 folds).

Rankers, each ordering every labeled item, most suspect first:

* ``normalized_margin``: ``suspects(learner, n_labeled)`` (out-of-fold p(given) - max p(other), 5 folds; the
  default, chosen by this benchmark);
* ``self_confidence``: the same with ``method="self_confidence"`` (out-of-fold p(given));
* ``in-sample``: 1 - p(given) from the model fitted on all the (noisy) labels, no cross-validation;
* ``cleanlab issues``: cleanlab's ``find_label_issues`` (prune by noise rate, ranked by self-confidence) on 5-fold
  ``cross_val_predict`` probabilities, the items it does not flag after them in ``get_label_quality_scores`` order;
  ``cleanlab found`` is how many it flagged (its own estimate of the number of wrong labels);
* ``random``: a random order.

Measured per seed: precision at k = number of flips (= recall at k), precision and recall in the top 10% of the
labeled items, and holdout accuracy after a reviewer corrects the flips among the top 10% it is shown (the model
refitted on the corrected labels), beside the noisy model's (``before``) and the clean labels' (``clean``).
Printed as mean ± standard error over the seeds.
"""
from __future__ import annotations

import argparse
import functools
import os
import sys
import time
import warnings

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import limit_threads, markdown_table, print_machine  # noqa: E402

limit_threads(1)
warnings.filterwarnings("ignore")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import scipy.sparse as sp  # noqa: E402
from sklearn.base import clone  # noqa: E402
from sklearn.datasets import load_breast_cancer, load_digits, load_wine  # noqa: E402
from sklearn.ensemble import RandomForestClassifier  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.model_selection import StratifiedKFold, cross_val_predict, train_test_split  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

from activelens import ActiveLearner  # noqa: E402
from activelens.analysis.review import suspects  # noqa: E402

try:
    import cleanlab.filter
    import cleanlab.rank
except ImportError:   # cleanlab is a dev extra; its rows are left out without it
    cleanlab = None

def load_scipy_docs(return_X_y=True):
    """scipy's own docstrings (activelens.datasets.load_scipy_docstrings): TF-IDF rows (sparse), the sub-package."""
    from activelens.datasets import load_scipy_docstrings, text_features

    texts, labels = load_scipy_docstrings()
    return text_features(texts), np.unique(labels, return_inverse=True)[1]


DATASETS = {"digits": (load_digits, 400), "breast_cancer": (load_breast_cancer, 300), "wine": (load_wine, 120),
            "scipy_docs": (load_scipy_docs, 400)}
MODELS = ("lr", "rf")
RATES = (0.05, 0.10, 0.20)
KINDS = ("uniform", "confusable")


def make_model(name, sparse):
    """``lr``: StandardScaler + LogisticRegression(C=1) (TF-IDF rows: LogisticRegression(C=10), no scaling);
    ``rf``: RandomForestClassifier(50 trees), which fits its training labels almost perfectly."""
    if name == "rf":
        return RandomForestClassifier(n_estimators=50, random_state=0)
    if sparse:
        return LogisticRegression(C=10.0, max_iter=2000)
    return make_pipeline(StandardScaler(), LogisticRegression(C=1.0, max_iter=2000))


def oof(model, X, y, seed):
    return cross_val_predict(model, X, y, cv=StratifiedKFold(5, shuffle=True, random_state=seed),
                             method="predict_proba")


def confusable_target(model, X, y):
    """Per class, the other class the clean model gives the most probability to among that class's items."""
    p = oof(model, X, y, 0)
    target = {}
    for c in np.unique(y):
        mean = p[y == c].mean(axis=0)
        mean[c] = -1
        target[c] = int(mean.argmax())
    return target


def flip(y, rate, kind, target, rng):
    k = int(round(rate * y.size))
    at = rng.choice(y.size, k, replace=False)
    noisy = y.copy()
    classes = np.unique(y)
    for i in at:
        if kind == "uniform":
            noisy[i] = rng.choice(classes[classes != y[i]])
        else:
            noisy[i] = target[y[i]]
    return noisy, at


def rankings(model, X_lab, noisy, seed):
    """Each ranker's order of the labeled items (positions 0..n-1 into X_lab), most suspect first."""
    n = noisy.size
    learner = ActiveLearner(model, X_lab, random_state=seed)
    learner.teach(np.arange(n), noisy)
    out = {m: suspects(learner, n, method=m, random_state=seed).position.to_numpy()
           for m in ("normalized_margin", "self_confidence")}
    fitted = clone(model).fit(X_lab, noisy)
    out["in-sample"] = np.argsort(fitted.predict_proba(X_lab)[np.arange(n), noisy], kind="stable")
    found = None
    if cleanlab is not None:
        p = oof(model, X_lab, noisy, seed)
        issues = cleanlab.filter.find_label_issues(noisy, p, return_indices_ranked_by="self_confidence")
        quality = cleanlab.rank.get_label_quality_scores(noisy, p)
        rest = [i for i in np.argsort(quality, kind="stable") if i not in set(issues.tolist())]
        out["cleanlab issues"] = np.concatenate([issues, rest]).astype(int)
        found = len(issues)
    out["random"] = np.random.default_rng(seed).permutation(n)
    return out, found


@functools.lru_cache(maxsize=None)
def load(name):
    return DATASETS[name][0](return_X_y=True)


@functools.lru_cache(maxsize=None)
def split(name, model_name, seed):
    """(model, X_lab, X_test, y_lab, y_test, confusable target) of a dataset, model and seed (computed once)."""
    X, y = load(name)
    model = make_model(model_name, sp.issparse(X))
    X_lab, X_test, y_lab, y_test = train_test_split(X, y, train_size=DATASETS[name][1], stratify=y, random_state=seed)
    return model, X_lab, X_test, y_lab, y_test, confusable_target(model, X_lab, y_lab)


def one(name, model_name, rate, kind, seed):
    model, X_lab, X_test, y_lab, y_test, target = split(name, model_name, seed)
    n_lab = y_lab.size
    rng = np.random.default_rng(seed)
    noisy, flipped = flip(y_lab, rate, kind, target, rng)
    order, found = rankings(model, X_lab, noisy, seed)
    acc = lambda labels: clone(model).fit(X_lab, labels).score(X_test, y_test)  # noqa: E731
    base = {"dataset": name, "model": model_name, "rate": rate, "kind": kind, "seed": seed, "flips": flipped.size,
            "before": acc(noisy), "clean": acc(y_lab), "cleanlab found": found}
    rows = []
    k, top = flipped.size, max(1, int(round(0.10 * n_lab)))
    is_flip = np.zeros(n_lab, bool)
    is_flip[flipped] = True
    for ranker, o in order.items():
        fixed = noisy.copy()
        shown = o[:top][is_flip[o[:top]]]
        fixed[shown] = y_lab[shown]
        rows.append({**base, "ranker": ranker, "P@flips": is_flip[o[:k]].mean(),
                     "P@10%": is_flip[o[:top]].mean(), "R@10%": is_flip[o[:top]].sum() / k, "after": acc(fixed)})
    return rows


def mse(s):
    return f"{s.mean():.3f} ± {s.std(ddof=1) / np.sqrt(len(s)):.3f}" if len(s) > 1 else f"{s.mean():.3f}"


def report(frame: pd.DataFrame) -> None:
    """Print the tables: every row; over datasets and rates per model, kind and ranker; 10% flips side by side."""
    table = []
    for (name, m, kind, rate, ranker), g in frame.groupby(["dataset", "model", "kind", "rate", "ranker"], sort=False):
        table.append({"dataset": f"{name}/{m}", "flips": f"{kind} {rate:.0%} ({g.flips.iloc[0]})", "ranker": ranker,
                      "P@flips": mse(g["P@flips"]), "P@10%": mse(g["P@10%"]), "R@10%": mse(g["R@10%"]),
                      "acc before": mse(g.before), "acc after top 10%": mse(g.after), "acc clean": mse(g.clean),
                      "cleanlab found": mse(g["cleanlab found"].astype(float)) if ranker == "cleanlab issues" else ""})
    print(markdown_table(table))
    frame = frame.assign(gain=frame.after - frame.before)
    print("\n# over every dataset and rate, per model, kind and ranker "
          "(mean ± s.e. over the dataset x rate x seed runs)")
    summary = [{"model": m, "kind": kind, "ranker": ranker,
                **{c: mse(g[c]) for c in ("P@flips", "P@10%", "R@10%", "gain")}}
               for (m, kind, ranker), g in frame.groupby(["model", "kind", "ranker"], sort=False)]
    print(markdown_table(summary))
    print("\n# 10% of the labels flipped: P@flips per ranker; holdout accuracy before review, after reviewing the "
          "top 10% in the default's order, with clean labels")
    side = []
    for (name, m, kind), g in frame[frame.rate == 0.10].groupby(["dataset", "model", "kind"], sort=False):
        by = {r: h for r, h in g.groupby("ranker", sort=False)}
        side.append({"dataset": f"{name}/{m}", "kind": kind, **{r: mse(h["P@flips"]) for r, h in by.items()},
                     "acc before": mse(by["normalized_margin"].before), "after": mse(by["normalized_margin"].after),
                     "clean": mse(by["normalized_margin"].clean)})
    print(markdown_table(side))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--datasets", default=",".join(DATASETS))
    ap.add_argument("--models", default=",".join(MODELS))
    ap.add_argument("--csv", help="write every row here")
    ap.add_argument("--report-only", metavar="CSV", help="print the tables of a --csv file, run nothing")
    args = ap.parse_args(argv)
    if args.report_only:
        report(pd.read_csv(args.report_only))
        return
    print("# command: python benchmarks/review.py " + " ".join(sys.argv[1:]))
    print_machine()
    t0 = time.perf_counter()
    rows = [r for name in args.datasets.split(",") for m in args.models.split(",") for kind in KINDS for rate in RATES
            for seed in range(args.seeds) for r in one(name, m, rate, kind, seed)]
    frame = pd.DataFrame(rows)
    if args.csv:
        frame.to_csv(args.csv, index=False)
    report(frame)
    print(f"\n# {time.perf_counter() - t0:.0f} s")


if __name__ == "__main__":
    main()
