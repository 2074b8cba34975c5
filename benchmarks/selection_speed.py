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
