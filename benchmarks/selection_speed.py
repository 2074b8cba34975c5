"""Selection speed: how long choosing a batch takes on large pools, against baselines measured in the same run.

    .venv/bin/python benchmarks/selection_speed.py             # pools of 10k, 100k, 1M rows x 50 float32 features
    .venv/bin/python benchmarks/selection_speed.py --quick     # skip the 1M pool
    .venv/bin/python benchmarks/selection_speed.py --repeat 7 --modal-repeat 3

Every timing is the median of ``--repeat`` runs (modAL's ranked batch: ``--modal-repeat``, it takes seconds).
The pool is standard-normal float32 (seeded), 20 rows are already labeled, and the model's probabilities are
a softmax over 10 classes. Rows:

  entropy / margin        activelens.strategies.entropy / margin (validation included) vs a plain numpy one-liner
  combined 100            activelens.strategies.combined (the default: margin, weight 0.5; embedding prep included)
                          vs a naive greedy numpy blend (recompute ||X - x_i|| for every pick)
                          vs modAL 0.4.2's ranked batch (modAL.batch.uncertainty_batch_sampling, Cardoso et al.)
  k_center 100            activelens.strategies.k_center vs a naive numpy farthest-first (10k/100k only)

Rows with a model (``--rows model`` runs only these): a LogisticRegression fitted on the 20 labeled rows, labeled
by a random linear teacher over 10 classes; the pool's embedding is computed before timing, as a learner computes it
once. Each timing is one round's selection from the fitted model: probabilities over the pool
included, for every library.

  auto 100                strategy="auto" through the registry (activelens.strategies.registry.STRATEGIES["auto"]) vs
                          "margin" on the same pool and model, and modAL's ranked batch (uncertainty + diversity)
  BADGE 100               activelens "badge" (exact last-layer gradients of the LR, k-means++ on the factors) vs
                          scikit-activeml's Badge (builds the (n, classes x features) gradient embedding)
  QBC 100                 activelens "qbc" (5 bagged members fitted on the 20 labels, vote entropy) vs modAL's
                          vote_entropy_sampling over a committee of 5 bagged members vs scikit-activeml's
                          QueryByCommittee(vote_entropy) over a BaggingClassifier of 5 (fits included everywhere)

Memory: tracemalloc's peak for one call (numpy reports its buffers to tracemalloc), divided by the pool's size
in bytes, and the process's peak RSS at the end.
"""
from __future__ import annotations

import argparse
import os
import resource
import sys
import time
import tracemalloc

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import markdown_table, print_machine  # noqa: E402

import numpy as np  # noqa: E402
from scipy.special import softmax  # noqa: E402

from activelens.strategies import combined, entropy, k_center, margin  # noqa: E402

BATCH, N_FEATURES, N_CLASSES, N_LABELED = 100, 50, 10, 20


def pool(n: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, N_FEATURES), dtype=np.float32)
    P = softmax(2.0 * rng.standard_normal((n, N_CLASSES)), axis=1)
    labeled = rng.choice(n, N_LABELED, replace=False)
    return X, P, labeled


# ---- baselines -------------------------------------------------------------------------------------------------

def numpy_entropy(P):
    return -(P * np.log(P, where=P > 0, out=np.zeros_like(P))).sum(axis=1)


def numpy_margin(P):
    top2 = np.partition(P, -2, axis=1)[:, -2:]
    return 1.0 - (top2[:, 1] - top2[:, 0])


def naive_blend(P, X, n, labeled, weight=0.5):
    """The obvious greedy blend: full-pool distance recomputed with broadcasting for every pick."""
    u = numpy_entropy(P)
    free = np.ones(X.shape[0], dtype=bool)
    free[labeled] = False
    u = (u - u[free].min()) / (u[free].max() - u[free].min())
    d = np.full(X.shape[0], np.inf)
    for j in labeled:
        d = np.minimum(d, np.linalg.norm(X - X[j], axis=1))
    picks = []
    for _ in range(n):
        lo, hi = d[free].min(), d[free].max()
        s = weight * u + (1 - weight) * (d - lo) / (hi - lo)
        s[~free] = -np.inf
        i = int(np.argmax(s))
        picks.append(i)
        free[i] = False
        d = np.minimum(d, np.linalg.norm(X - X[i], axis=1))
    return np.asarray(picks)


def naive_k_center(X, n, labeled):
    d = np.full(X.shape[0], np.inf)
    for j in labeled:
        d = np.minimum(d, np.linalg.norm(X - X[j], axis=1))
    d[labeled] = -np.inf
    picks = []
    for _ in range(n):
        i = int(np.argmax(d))
        picks.append(i)
        d = np.minimum(d, np.linalg.norm(X - X[i], axis=1))
        d[picks] = -np.inf
    return np.asarray(picks)


class _ModalView:
    """What modAL's batch functions read from a learner: training rows and predict_proba (modAL 0.4.2's own
    ActiveLearner no longer constructs on current scikit-learn). predict_proba serves the precomputed P."""

    on_transformed = False

    def __init__(self, X_training, proba_of_unlabeled):
        self.X_training, self._p = X_training, proba_of_unlabeled

    def predict_proba(self, X, **kwargs):
        assert X.shape[0] == self._p.shape[0]
        return self._p


def modal_ranked(P, X, n, labeled):
    from modAL.batch import uncertainty_batch_sampling

    free = np.setdiff1d(np.arange(X.shape[0]), labeled)
    got = uncertainty_batch_sampling(_ModalView(X[labeled], P[free]), X[free], n_instances=n)[0]
    return free[np.asarray(got)]


# ---- rows with a model: auto, BADGE, QBC ------------------------------------------------------------------------

def model_setup(X, labeled, seed=0):
    """A LogisticRegression fitted on the labeled rows, labeled by a random linear teacher over 10 classes, and the
    teacher's labels of the pool."""
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(seed + 1)
    W = rng.standard_normal((N_FEATURES, N_CLASSES)).astype(np.float32)
    y = (X @ W).argmax(axis=1)
    rows = np.sort(labeled)
    return LogisticRegression(max_iter=300).fit(X[rows], y[rows]), y


def ours_select(name, X, model, y, labeled):
    """One round of a registry strategy on an InMemoryPool whose embedding is ready; returns a timer function."""
    import copy

    from activelens.backends.memory import InMemoryPool
    from activelens.strategies.registry import STRATEGIES, Ask

    pool = InMemoryPool(X, random_state=0)
    pool.embedding  # noqa: B018 - computed once per learner, not per round
    classes = np.arange(N_CLASSES)

    def run():
        m = copy.deepcopy(model)   # a new model object: the pool's probabilities are computed again, as each round
        ask = Ask(n=BATCH, labeled=labeled, rng=np.random.default_rng(0), model=m, classes=classes,
                  estimator=model, y=y[labeled])
        return STRATEGIES[name].select(pool, ask).indices
    return run


def skal_badge(X, model, y, labeled):
    from sklearn.base import clone
    from skactiveml.classifier import SklearnClassifier
    from skactiveml.pool import Badge

    y_partial = np.full(X.shape[0], np.nan)
    y_partial[labeled] = y[labeled]
    clf = SklearnClassifier(clone(model), classes=np.arange(N_CLASSES)).fit(X, y_partial)   # the same 20 rows
    return lambda: Badge(random_state=0).query(X, y_partial, clf=clf, fit_clf=False, batch_size=BATCH)


def skal_qbc(X, model, y, labeled):
    from sklearn.base import clone
    from sklearn.ensemble import BaggingClassifier
    from skactiveml.classifier import SklearnClassifier
    from skactiveml.pool import QueryByCommittee

    y_partial = np.full(X.shape[0], np.nan)
    y_partial[labeled] = y[labeled]

    def run():
        ens = SklearnClassifier(BaggingClassifier(clone(model), n_estimators=5, random_state=0),
                                classes=np.arange(N_CLASSES), random_state=0)
        return QueryByCommittee(method="vote_entropy", random_state=0).query(X, y_partial, ensemble=ens,
                                                                            fit_ensemble=True, batch_size=BATCH)
    return run


def modal_qbc(X, model, y, labeled):
    from sklearn.base import clone
    from modAL.disagreement import vote_entropy_sampling

    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from label_efficiency import _ModalCommittee, _bagged

    free = np.setdiff1d(np.arange(X.shape[0]), labeled)

    def run():
        import label_efficiency

        label_efficiency.COMMITTEE = 5
        committee = _ModalCommittee(_bagged(clone(model), X[labeled], y[labeled], np.random.default_rng(0)),
                                    np.arange(N_CLASSES))
        return free[np.asarray(vote_entropy_sampling(committee, X[free], n_instances=BATCH)[0])]
    return run


def warm_time(fn, repeat):
    """Median of ``repeat`` timed runs after one untimed run (imports and first-call caches are not timed)."""
    fn()
    return median_time(fn, repeat)


def model_rows(n, X, labeled, args, mem_rows):
    model, y = model_setup(X, labeled)
    rows = []
    for name in ("auto", "badge"):
        peak = peak_bytes(ours_select(name, X, model, y, labeled))
        mem_rows.append({"task": f"{name} {BATCH} from {n:,}", "pool (X)": f"{X.nbytes / 2**20:.0f} MB",
                         "peak extra (tracemalloc)": f"{peak / 2**20:.0f} MB", "peak / pool": f"{peak / X.nbytes:.2f}"})
    t_auto = warm_time(ours_select("auto", X, model, y, labeled), args.repeat)
    t_margin = warm_time(ours_select("margin", X, model, y, labeled), args.repeat)
    t_ranked = warm_time(lambda: modal_ranked(model.predict_proba(X), X, BATCH, labeled), args.peer_repeat) \
        if n <= args.peer_max else None
    rows.append({"task": f"auto {BATCH} from {n:,}", "activelens": fmt_s(t_auto),
                 "baseline": f"activelens margin (same model) {fmt_s(t_margin)}",
                 "baseline / activelens": f"{t_margin / t_auto:.2f}x"})
    rows.append({"task": "", "activelens": "", "baseline": f"modAL ranked batch {fmt_s(t_ranked)}",
                 "baseline / activelens": "-" if t_ranked is None else f"{t_ranked / t_auto:.1f}x"})
    t_badge = warm_time(ours_select("badge", X, model, y, labeled), args.repeat)
    t_sk = warm_time(skal_badge(X, model, y, labeled), args.peer_repeat) if n <= args.peer_max else None
    rows.append({"task": f"BADGE {BATCH} from {n:,}", "activelens": fmt_s(t_badge),
                 "baseline": f"scikit-activeml Badge {fmt_s(t_sk)}",
                 "baseline / activelens": "-" if t_sk is None else f"{t_sk / t_badge:.1f}x"})
    t_qbc = warm_time(ours_select("qbc", X, model, y, labeled), args.repeat)
    t_mq = warm_time(modal_qbc(X, model, y, labeled), args.peer_repeat) if n <= args.peer_max else None
    t_sq = warm_time(skal_qbc(X, model, y, labeled), args.peer_repeat) if n <= args.peer_max else None
    rows.append({"task": f"QBC {BATCH} from {n:,}", "activelens": fmt_s(t_qbc),
                 "baseline": f"modAL vote_entropy_sampling {fmt_s(t_mq)}",
                 "baseline / activelens": "-" if t_mq is None else f"{t_mq / t_qbc:.1f}x"})
    rows.append({"task": "", "activelens": "", "baseline": f"scikit-activeml QueryByCommittee {fmt_s(t_sq)}",
                 "baseline / activelens": "-" if t_sq is None else f"{t_sq / t_qbc:.1f}x"})
    return rows


# ---- timing ----------------------------------------------------------------------------------------------------

def median_time(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return float(np.median(times))


def peak_bytes(fn) -> int:
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def fmt_s(t):
    return "-" if t is None else (f"{t * 1e3:.2f} ms" if t < 0.1 else f"{t:.3f} s")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="10000,100000,1000000", help="pool sizes (rows)")
    ap.add_argument("--quick", action="store_true", help="skip the 1M pool")
    ap.add_argument("--repeat", type=int, default=5, help="runs per timing; the median is reported (default 5)")
    ap.add_argument("--modal-repeat", type=int, default=2, help="runs of modAL's ranked batch per pool (default 2)")
    ap.add_argument("--modal-max", type=int, default=100_000, help="largest pool modAL is run on (default 100000)")
    ap.add_argument("--naive-max", type=int, default=100_000, help="largest pool the naive baselines run on")
    ap.add_argument("--rows", default="all", help="all, or model (only auto, BADGE and QBC)")
    ap.add_argument("--peer-repeat", type=int, default=2, help="runs of scikit-activeml's and modAL's BADGE/QBC")
    ap.add_argument("--peer-max", type=int, default=100_000, help="largest pool the peers' BADGE/QBC run on")
    args = ap.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",") if s]
    if args.quick:
        sizes = [s for s in sizes if s < 1_000_000]

    print_machine()
    print(f"# median of {args.repeat} runs (modAL: {args.modal_repeat}); batch {BATCH}; {N_FEATURES} float32 features; "
          f"{N_LABELED} labeled; load average at start {os.getloadavg()[0]:.1f}")
    rows, mem_rows = [], []
    for n in sizes:
        X, P, labeled = pool(n)
        pool_mb = X.nbytes / 2**20
        rows += model_rows(n, X, labeled, args, mem_rows)
        if args.rows == "model":
            print(f"# {n:,} done", flush=True)
            continue
        for name, ours, base in (("entropy", entropy, numpy_entropy), ("margin", margin, numpy_margin)):
            assert np.allclose(ours(P), base(P))
            t_ours = median_time(lambda: ours(P), max(args.repeat, 5))
            t_base = median_time(lambda: base(P), max(args.repeat, 5))
            rows.append({"task": f"{name} ({n:,} x {N_CLASSES} proba)", "activelens": fmt_s(t_ours),
                         "baseline": f"numpy one-liner {fmt_s(t_base)}", "baseline / activelens": f"{t_base / t_ours:.2f}x"})

        run = lambda: combined(P, X, BATCH, labeled=labeled, random_state=0)  # noqa: E731
        t_ours = median_time(run, args.repeat)
        t_naive = median_time(lambda: naive_blend(P, X, BATCH, labeled), args.repeat) if n <= args.naive_max else None
        t_modal = median_time(lambda: modal_ranked(P, X, BATCH, labeled), args.modal_repeat) if n <= args.modal_max else None
        rows.append({"task": f"combined {BATCH} from {n:,}", "activelens": fmt_s(t_ours),
                     "baseline": f"naive greedy numpy {fmt_s(t_naive)}",
                     "baseline / activelens": "-" if t_naive is None else f"{t_naive / t_ours:.1f}x"})
        rows.append({"task": "", "activelens": "",
                     "baseline": f"modAL ranked batch {fmt_s(t_modal)}",
                     "baseline / activelens": "-" if t_modal is None else f"{t_modal / t_ours:.1f}x"})
        peak = peak_bytes(run)
        mem_rows.append({"task": f"combined {BATCH} from {n:,}", "pool (X)": f"{pool_mb:.0f} MB",
                         "peak extra (tracemalloc)": f"{peak / 2**20:.0f} MB", "peak / pool": f"{peak / X.nbytes:.2f}"})

        run = lambda: k_center(X, BATCH, selected=labeled, random_state=0)  # noqa: E731
        t_ours = median_time(run, args.repeat)
        t_naive = median_time(lambda: naive_k_center(X, BATCH, labeled), args.repeat) if n <= args.naive_max else None
        rows.append({"task": f"k_center {BATCH} from {n:,}", "activelens": fmt_s(t_ours),
                     "baseline": f"naive numpy farthest-first {fmt_s(t_naive)}",
                     "baseline / activelens": "-" if t_naive is None else f"{t_naive / t_ours:.1f}x"})
        peak = peak_bytes(run)
        mem_rows.append({"task": f"k_center {BATCH} from {n:,}", "pool (X)": f"{pool_mb:.0f} MB",
                         "peak extra (tracemalloc)": f"{peak / 2**20:.0f} MB", "peak / pool": f"{peak / X.nbytes:.2f}"})
        print(f"# {n:,} done", flush=True)

    print("\n## time (median)\n")
    print(markdown_table(rows))
    print("\n## memory of one call (beyond the pool itself)\n")
    print(markdown_table(mem_rows))
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\n# process peak RSS {rss:.0f} MB; load average at end {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
