"""Label efficiency: how many labels each strategy needs, against random sampling and two peer libraries.

    .venv/bin/python benchmarks/label_efficiency.py                 # full run: 4 datasets x 2 models, 5/10 seeds
    .venv/bin/python benchmarks/label_efficiency.py --quick         # digits + breast_cancer, 3 seeds
    .venv/bin/python benchmarks/label_efficiency.py --datasets digits --models lr --seeds 10

For every seed the dataset is split once (30% test, stratified, seeded by the seed) and every strategy -- ours,
random, modAL's margin, scikit-activeml's margin -- starts from the same 20 random labels on that split and is
scored on the same test set after every batch of 10. Only datasets bundled with scikit-learn are used.

Per dataset x model x strategy the tables give:
  AUBC     area under the accuracy-vs-labels curve from `initial` to the dataset's budget, divided by that range
           (the curve's mean accuracy), mean +- sd over seeds; dAUBC is the paired mean difference to random,
           `wins` the seeds on which the strategy's AUBC beats random's.
  labels   labels to first reach the accuracy random sampling reaches with N labels on the same seed and split
           (digits: N=1000; the model fit on a seeded uniformly random N-item subset of the pool), mean +- sd over
           the seeds that reached it within the budget (`reached` counts them), and `xfewer` = N / mean labels.
"""
from __future__ import annotations

import argparse
import inspect
import os
import sys
import time
import warnings

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import limit_threads, markdown_table, print_machine  # noqa: E402

limit_threads(1)

import numpy as np  # noqa: E402
from joblib import Parallel, delayed  # noqa: E402
from sklearn.base import clone  # noqa: E402
from sklearn.datasets import load_breast_cancer, load_digits, load_iris, load_wine  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402
from sklearn.svm import SVC  # noqa: E402

# name -> (loader, budget: the label range AUBC is measured over, N: random's reference label count)
DATASETS = {
    "digits": (load_digits, 500, 1000),          # pool 1257 after the 30% split
    "breast_cancer": (load_breast_cancer, 200, 300),  # pool 398
    "wine": (load_wine, 100, 100),               # pool 124
    "iris": (load_iris, 80, 80),                 # pool 105
}
OURS = ["random", "entropy", "margin", "least_confidence", "k_center", "combined", "cluster_margin"]
PEERS = ["modAL margin", "modAL ranked", "skactiveml margin"]
INITIAL, BATCH, TEST_SIZE = 20, 10, 0.3


def make_model(name: str):
    """The same model for every strategy, random included. Standardizing first matters: unscaled lbfgs needs
    thousands of iterations on digits/wine/breast_cancer and ends up with a different (worse-calibrated) model."""
    if name == "lr":
        return make_pipeline(StandardScaler(), LogisticRegression(C=1.0, max_iter=1000))
    if name == "svm":
        return make_pipeline(StandardScaler(), SVC(kernel="rbf", C=10.0, gamma="scale", probability=True, random_state=0))
    raise ValueError(f"unknown model {name!r}; use lr or svm")


def default_strategy() -> str:
    from activelens.loop.learner import ActiveLearner

    return inspect.signature(ActiveLearner).parameters["strategy"].default


def split(dataset: str, seed: int):
    X, y = DATASETS[dataset][0](return_X_y=True)
    return train_test_split(X, y, test_size=TEST_SIZE, stratify=y, random_state=seed)


def initial_set(model, Xp, seed: int) -> np.ndarray:
    """The cold-start labels simulate() uses for this seed (ActiveLearner's seeded random bootstrap)."""
    from activelens.loop.learner import ActiveLearner

    return ActiveLearner(model, Xp, strategy="random", random_state=seed).query(INITIAL).indices


def run_ours(dataset, model_name, strategy, seed, budget, initial=INITIAL):
    from activelens.loop.simulate import simulate

    warnings.filterwarnings("ignore")
    Xp, Xt, yp, yt = split(dataset, seed)
    r = simulate(make_model(model_name), Xp, yp, strategy=strategy, X_test=Xt, y_test=yt, initial=initial,
                 batch_size=BATCH, budget=budget, random_state=seed)
    return np.asarray(r.n_labels), np.asarray(r.scores, dtype=float)


def run_peer(dataset, model_name, peer, seed, budget):
    """The same loop (same split, same first 20 labels, same model, batch 10), with a peer library choosing."""
    warnings.filterwarnings("ignore")
    Xp, Xt, yp, yt = split(dataset, seed)
    model = make_model(model_name)
    classes = np.unique(yp)
    labeled = list(initial_set(model, Xp, seed))
    n_labels, scores = [], []
    while True:
        lab = np.asarray(labeled)
        if peer == "skactiveml margin":
            from skactiveml.classifier import SklearnClassifier
            from skactiveml.pool import UncertaintySampling

            y_partial = np.full(Xp.shape[0], np.nan)
            y_partial[lab] = yp[lab]
            clf = SklearnClassifier(clone(model), classes=classes, random_state=seed).fit(Xp, y_partial)
        else:
            clf = clone(model).fit(Xp[lab], yp[lab])
        n_labels.append(lab.size)
        scores.append(float(np.mean(clf.predict(Xt) == yt)))
        if lab.size >= budget:
            break
        n = min(BATCH, budget - lab.size)
        free = np.setdiff1d(np.arange(Xp.shape[0]), lab)
        if peer == "modAL margin":
            from modAL.uncertainty import margin_sampling

            got = free[np.asarray(margin_sampling(clf, Xp[free], n_instances=n)[0])]
        elif peer == "modAL ranked":
            from modAL.batch import uncertainty_batch_sampling

            got = free[np.asarray(uncertainty_batch_sampling(_ModalView(clf, Xp[lab]), Xp[free], n_instances=n)[0])]
        else:
            qs = UncertaintySampling(method="margin_sampling", random_state=seed)
            got = np.asarray(qs.query(Xp, y_partial, clf=clf, fit_clf=False, batch_size=n))
        assert np.unique(got).size == got.size and not np.isin(got, lab).any()
        labeled.extend(int(i) for i in got)
    return np.asarray(n_labels), np.asarray(scores)


class _ModalView:
    """What modAL's batch functions read from a learner: a fitted estimator plus its training rows.
    (modAL 0.4.2's own ActiveLearner no longer constructs on current scikit-learn.)"""

    on_transformed = False

    def __init__(self, estimator, X_training):
        self.estimator, self.X_training = estimator, X_training

    def predict_proba(self, X, **kwargs):
        return self.estimator.predict_proba(X, **kwargs)


def run_task(dataset, model_name, strategy, seed):
    _, budget, n_ref = DATASETS[dataset]
    t0 = time.perf_counter()
    ref = None
    if strategy in PEERS:
        n, s = run_peer(dataset, model_name, strategy, seed, budget)
    else:
        n, s = run_ours(dataset, model_name, strategy, seed, budget)
        if strategy == "random":  # the reference: random sampling's accuracy with N labels (a seeded random N-subset)
            ref = float(run_ours(dataset, model_name, "random", seed, n_ref, initial=n_ref)[1][-1])
    return dataset, model_name, strategy, seed, n, s, ref, time.perf_counter() - t0


def aubc(n, s, lo, hi):
    m = (n >= lo) & (n <= hi)
    return float(np.trapezoid(s[m], n[m]) / (n[m][-1] - n[m][0]))


def labels_to(n, s, target):
    hit = np.flatnonzero(s >= target - 1e-12)
    return int(n[hit[0]]) if hit.size else None


def summarize(results, datasets, models, strategies, default):
    rows_by_block = {}
    checks = []
    for ds in datasets:
        _, budget, n_ref = DATASETS[ds]
        for mdl in models:
            runs = {(st, sd): (n, s) for (d, m, st, sd), (n, s, _) in results.items() if d == ds and m == mdl}
            target = {sd: ref for (d, m, st, sd), (_, _, ref) in results.items() if d == ds and m == mdl and st == "random"}
            seeds = sorted(target)
            if not seeds:
                continue
            rnd_aubc = {sd: aubc(*runs["random", sd], INITIAL, budget) for sd in seeds}
            rows = []
            for st in strategies:
                have = [sd for sd in seeds if (st, sd) in runs]
                if not have:
                    continue
                a = np.array([aubc(*runs[st, sd], INITIAL, budget) for sd in have])
                d = a - np.array([rnd_aubc[sd] for sd in have])
                lt = [labels_to(*runs[st, sd], target[sd]) for sd in have]
                got = np.array([v for v in lt if v is not None], dtype=float)
                label = f"{st} (default)" if st == default else st
                rows.append({
                    "strategy": label,
                    "AUBC": f"{a.mean():.4f} ± {a.std():.4f}",
                    "dAUBC": f"{d.mean():+.4f}",
                    "wins": f"{int((d > 0).sum())}/{len(have)}",
                    f"labels to random@{n_ref}": (f"{got.mean():.0f} ± {got.std():.0f}" if got.size else f">{budget}"),
                    "reached": f"{got.size}/{len(have)}",
                    "xfewer": (f"{n_ref / got.mean():.2f}" if got.size else "-"),
                })
                if st == default:
                    # the same question on averages: the seed-mean curve against random's seed-mean accuracy at N
                    curves = [runs[st, sd] for sd in have]
                    n_common = curves[0][0]
                    mean_curve = np.mean([c[1] for c in curves], axis=0) if all(
                        np.array_equal(c[0], n_common) for c in curves) else None
                    mean_lt = None if mean_curve is None else labels_to(n_common, mean_curve, np.mean([target[sd] for sd in have]))
                    checks.append((ds, mdl, a.mean(), np.mean(list(rnd_aubc.values())), got, len(have), n_ref, budget,
                                   lt, mean_lt))
            rows_by_block[ds, mdl] = (rows, np.mean(list(target.values())), len(seeds))
    return rows_by_block, checks


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seeds", type=int, default=5, help="seeds for digits (default 5)")
    ap.add_argument("--small-seeds", type=int, default=10,
                    help="seeds for the small datasets (breast_cancer, wine, iris), which run in seconds (default 10)")
    ap.add_argument("--datasets", default=",".join(DATASETS), help="comma-separated subset of " + ",".join(DATASETS))
    ap.add_argument("--models", default="lr,svm", help="comma-separated: lr (scaled logistic regression), svm (scaled RBF SVC)")
    ap.add_argument("--strategies", default=",".join(OURS), help="our strategies to run (random is always added)")
    ap.add_argument("--peers", default="modal,skactiveml", help="modal (margin + ranked batch), skactiveml, or none")
    ap.add_argument("--quick", action="store_true", help="3 seeds, digits and breast_cancer, lr only, no modAL ranked")
    ap.add_argument("--out", help="also write every curve (dataset, model, strategy, seed, n_labels, accuracy) to this CSV")
    ap.add_argument("--n-jobs", type=int, default=2, help="worker processes (each single-threaded; default 2)")
    args = ap.parse_args(argv)

    datasets = [d for d in args.datasets.split(",") if d]
    models = [m for m in args.models.split(",") if m]
    strategies = [s for s in args.strategies.split(",") if s]
    seeds, small_seeds = args.seeds, args.small_seeds
    peers = []
    if "modal" in args.peers:
        peers += ["modAL margin", "modAL ranked"]
    if "skactiveml" in args.peers:
        peers += ["skactiveml margin"]
    if args.quick:
        seeds = small_seeds = 3
        if args.datasets == ",".join(DATASETS):
            datasets = ["digits", "breast_cancer"]
        if args.models == "lr,svm":
            models = ["lr"]
        peers = [p for p in peers if p != "modAL ranked"]
    for d in datasets:
        if d not in DATASETS:
            ap.error(f"unknown dataset {d!r}; choose from {', '.join(DATASETS)}")
    default = default_strategy()
    if "random" not in strategies:
        strategies = ["random"] + strategies
    if default not in strategies:
        strategies.append(default)
    all_strats = strategies + peers

    print_machine()
    print(f"# default strategy (ActiveLearner signature): {default}; initial {INITIAL}, batch {BATCH}, "
          f"test {TEST_SIZE:.0%} stratified; seeds: digits {seeds}, others {small_seeds}; n_jobs {args.n_jobs}")
    tasks = []
    for ds in datasets:  # digits first: its runs are the longest
        n_seeds = seeds if ds == "digits" else small_seeds
        tasks += [(ds, m, st, sd) for m in models for sd in range(n_seeds) for st in all_strats]
    t0 = time.perf_counter()
    out = Parallel(n_jobs=args.n_jobs, batch_size=1)(delayed(run_task)(*t) for t in tasks)
    wall = time.perf_counter() - t0
    results, seconds = {}, {}
    for ds, m, st, sd, n, s, ref, sec in out:
        results[ds, m, st, sd] = (n, s, ref)
        seconds.setdefault(st, []).append(sec)

    if args.out:
        import csv

        with open(args.out, "w", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(["dataset", "model", "strategy", "seed", "n_labels", "accuracy", "random_reference"])
            for (ds, m, st, sd), (n, s_, ref) in results.items():
                for a, b in zip(n, s_):
                    w.writerow([ds, m, st, sd, int(a), f"{b:.6f}", "" if ref is None else f"{ref:.6f}"])
    blocks, checks = summarize(results, datasets, models, all_strats, default)
    for (ds, mdl), (rows, tgt, n_seeds) in blocks.items():
        _, budget, n_ref = DATASETS[ds]
        print(f"\n## {ds} / {mdl}: AUBC over {INITIAL}..{budget} labels; random@{n_ref} reaches "
              f"{tgt:.4f} (mean over {n_seeds} seeds)\n")
        print(markdown_table(rows))
    print("\n## seconds per run (mean over every dataset/model/seed)\n")
    print(markdown_table([{"strategy": st, "s/run": f"{np.mean(v):.2f}"} for st, v in seconds.items()]))

    print(f"\n## targets (default strategy = {default})\n")
    rows = []
    for ds, mdl, a, ra, got, n_have, n_ref, budget, per_seed, mean_lt in checks:
        row = {"dataset/model": f"{ds}/{mdl}", "AUBC default": f"{a:.4f}", "AUBC random": f"{ra:.4f}",
               "beats random": "yes" if a > ra else "NO"}
        if ds == "digits":
            ok = got.size == n_have and got.max() <= 333
            row["labels to random@1000, per seed"] = (
                f"{[v if v is not None else f'>{budget}' for v in per_seed]}: mean {got.mean():.0f}, median "
                f"{np.median(got):.0f}, max {got.max():.0f}" if got.size else f"not reached within {budget}")
            row["<= 333 on every seed"] = "yes" if ok else "NO"
            row["seed-mean curve to seed-mean random@1000"] = "-" if mean_lt is None else str(mean_lt)
        rows.append(row)
    print(markdown_table(rows, ["dataset/model", "AUBC default", "AUBC random", "beats random",
                                "labels to random@1000, per seed", "<= 333 on every seed",
                                "seed-mean curve to seed-mean random@1000"]))
    print(f"\n# wall time {wall:.0f} s for {len(tasks)} runs")


if __name__ == "__main__":
    main()
