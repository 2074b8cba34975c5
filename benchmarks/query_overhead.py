"""The learner's round through its layers: ``ActiveLearner.query()`` per strategy on an in-memory pool.

    .venv/bin/python benchmarks/query_overhead.py                  # 100k x 50 float32, batch 100, median of 5
    PYTHONPATH=<old checkout>/src .venv/bin/python benchmarks/query_overhead.py   # another version, same script

What the redesign (Pool protocol, registry, events) may cost on top of the strategies' own work: the same pool,
the same 200 labels and model, the same seed; each strategy's query timed ``--repeat`` times (a fresh learner each
time, so caches such as the embedding are built the same way every time: the first query of a learner).
Run it for two versions in one sitting and compare their ratios.
"""
from __future__ import annotations

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import markdown_table, print_machine  # noqa: E402

import numpy as np  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402

import activelens  # noqa: E402
from activelens import ActiveLearner  # noqa: E402

STRATEGIES = ("random", "margin", "entropy", "k_center", "kmeans_pp", "combined", "cluster_margin", "typiclust")


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--batch", type=int, default=100)
    args = ap.parse_args(argv)
    print_machine()
    print(f"activelens from {os.path.dirname(activelens.__file__)}")
    rng = np.random.default_rng(0)
    centres = rng.normal(scale=3, size=(10, 50))
    y = rng.integers(0, 10, args.rows)
    X = (centres[y] + rng.normal(size=(args.rows, 50))).astype(np.float32)
    first = rng.choice(args.rows, 200, replace=False)
    rows = []
    for name in STRATEGIES:
        times = []
        for _ in range(args.repeat):
            learner = ActiveLearner(LogisticRegression(max_iter=300), X, strategy=name, batch_size=args.batch,
                                    random_state=0)
            learner.teach(first, y[first])
            learner.fit()
            t0 = time.perf_counter()
            learner.query()
            times.append(time.perf_counter() - t0)
        rows.append({"strategy": name, "query median": f"{np.median(times):.3f} s", "query min": f"{min(times):.3f} s"})
    print(markdown_table(rows))


if __name__ == "__main__":
    main()
