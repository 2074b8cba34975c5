"""The Explorer on a Dask pool stored on disk: what the kernel spends to put a sampled map on screen and to run a round.

    .venv/bin/python benchmarks/widget_scale.py                # 10M x 64 float32 (2.5 GB) in a temp dir, deleted after
    .venv/bin/python benchmarks/widget_scale.py --quick        # 400k rows, max_points 50k: a minute

On `distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True)`, with ActiveLearner(LogisticRegression,
dask pool from a memmap, strategy="margin", batch_size=10) after 200 labels:
  open         Explorer(learner, projection="pca", max_points=M): 64 k-means groups (fitted on a 100k-row sample in 16
               principal components, assigned per chunk on the workers), the balanced sample, a PCA fitted on 20k
               rows and applied per chunk to the drawn rows only in the same pass as their probabilities, the first
               batch (margin top-10 over the whole pool)
  round        10 oracle labels submitted -> retrain (background thread) -> the drawn rows rescored on the workers ->
               margin top-10 over the pool -> the batch added to the map; until the next batch is shown (w.wait())
  payload      bytes the page receives for the map (coords float32 + point_index uint32 + colours uint8)
  rare kept    share of the rarest k-means group's items that are drawn, against the share of the pool drawn
  peak RSS     client (this process) and the largest worker, sampled every 0.2 s
Drawing a 1M-point map in the browser is measured by benchmarks/widget_speed.py (the page does not know where the
points came from).
"""
from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import PeakRSS, limit_threads, markdown_table, print_machine  # noqa: E402

limit_threads(1)

import numpy as np  # noqa: E402

from scale_speed import oracle, write_pool  # noqa: E402


def client_rss_mb():
    import psutil

    return psutil.Process().memory_info().rss / 2**20


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=10_000_000)
    ap.add_argument("--dims", type=int, default=64)
    ap.add_argument("--chunk-rows", type=int, default=250_000)
    ap.add_argument("--max-points", type=int, default=1_000_000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--dir", default=None)
    args = ap.parse_args(argv)
    if args.quick:
        args.rows, args.chunk_rows, args.max_points = 400_000, 50_000, 50_000

    import distributed
    from sklearn.linear_model import LogisticRegression

    from activelens import ActiveLearner, Explorer, make_pool
    from activelens.backends.dask import from_memmap
    from activelens.backends.dask.rows import gather_rows

    print_machine()
    tmp = tempfile.mkdtemp(prefix="activelens-widget-scale-", dir=args.dir)
    try:
        path = os.path.join(tmp, "pool.f32")
        t = time.perf_counter()
        centres = write_pool(path, args.rows, args.dims)
        print(f"# pool {args.rows:,} x {args.dims} float32 written in {time.perf_counter() - t:.1f} s")
        with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                                      memory_limit="8GiB") as cluster, distributed.Client(cluster) as client:
            X = from_memmap(path, (args.rows, args.dims), chunk_rows=args.chunk_rows)
            rng = np.random.default_rng(1)
            first = np.sort(rng.choice(args.rows, 200, replace=False))
            learner = ActiveLearner(LogisticRegression(max_iter=300), make_pool(X, client=client, random_state=0),
                                    strategy="margin", batch_size=10,
                                    random_state=0, classes=list(range(len(centres))))
            learner.teach(first, oracle(gather_rows(X, first, client), centres))
            learner.fit()
            rows = []
            with PeakRSS(client) as peak:
                t = time.perf_counter()
                w = Explorer(learner, projection="pca", max_points=args.max_points)
                t_open = time.perf_counter() - t
            payload = len(w.coords) + len(w.point_index) + len(w.color_values)
            rows.append({"step": "open", "seconds": round(t_open, 2), "points drawn": f"{w.n_points:,}",
                         "payload MB": round(payload / 2**20, 1), "client RSS MB": round(client_rss_mb()),
                         "worker peak MB": round(peak.max_mb)})
            groups_share = _rare_share(w, client)
            times = []
            with PeakRSS(client) as peak:
                for _ in range(args.rounds):
                    idx = np.asarray(w.batch_indices)
                    truth = oracle(gather_rows(X, idx, client), centres)
                    t = time.perf_counter()
                    for i, lab in zip(idx.tolist(), truth.tolist()):
                        w._cmd_label(i, int(lab))
                    w._cmd_submit()
                    assert w.wait(1800) and not w.error, w.error
                    times.append(time.perf_counter() - t)
            rows.append({"step": f"round (median of {args.rounds})", "seconds": round(float(np.median(times)), 2),
                         "points drawn": f"{w.n_points:,}",
                         "payload MB": round((len(w.coords) + len(w.point_index) + len(w.color_values)) / 2**20, 1),
                         "client RSS MB": round(client_rss_mb()), "worker peak MB": round(peak.max_mb)})
            print(f"\n## Explorer on a {args.rows:,} x {args.dims} pool on disk, max_points={args.max_points:,}, "
                  f"chunks of {args.chunk_rows:,} rows\n")
            print(markdown_table(rows))
            print(f"\nrarest k-means group: {groups_share[0]:.0%} of its {groups_share[2]:,} items drawn; "
                  f"the pool: {groups_share[1]:.1%} drawn")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _rare_share(w, client):
    """(share of the smallest k-means group drawn, share of the pool drawn, size of that group)."""
    from activelens.backends.dask.map_sample import fit_groups, group_counts

    view = w._view
    groups = fit_groups(view.pool.X, np.random.default_rng(view.random_state), client=client)   # the view's own draw
    counts = group_counts(groups, client)
    g = int(np.argmin(np.where(counts > 0, counts, np.iinfo(np.int64).max)))
    drawn = np.asarray(groups[view.positions].compute())
    return float((drawn == g).sum() / counts[g]), view.n_points / view.n_pool, int(counts[g])


if __name__ == "__main__":
    main()
