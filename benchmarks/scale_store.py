"""The label store on a Dask pool on disk: creating it, teaching into it and reopening it, on a 2-process LocalCluster.

    .venv/bin/python benchmarks/scale_store.py            # 10M x 64 float32 (2.56 GB) in a temp dir, deleted after
    .venv/bin/python benchmarks/scale_store.py --quick    # 400k rows: a minute

What it measures (``ActiveLearner(LogisticRegression(), from_memmap(...), store="labels.db", client=client)``):
  create        the first open of a new SQLite store: the pool's content fingerprint (one pass over the pool on the
                workers) and the meta rows written
  teach         one ``teach`` of --labels (1,000) seeded labels with provenance, then one ``fit`` (so the reopen
                restores a model too)
  reopen        a new learner on the same store and pool: the pool check, labels, rounds and the model restored
  reopen, full  the same with ``LabelStore(path, verify_pool="full")``: the whole pool hashed again (if available)
  peak RSS      the largest resident set of the client process (which also hosts the LocalCluster's scheduler) and of
                either worker process while the step ran (sampled every 0.2 s)
  rows/s        pool rows per second of the steps that hash the whole pool
The pool: Gaussian blobs written chunk by chunk into an np.memmap (benchmarks/scale_speed.py's write_pool).
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


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=10_000_000)
    ap.add_argument("--dims", type=int, default=64)
    ap.add_argument("--chunk-rows", type=int, default=250_000)
    ap.add_argument("--labels", type=int, default=1000)
    ap.add_argument("--quick", action="store_true", help="400k rows, chunks of 50k")
    ap.add_argument("--skip-full", action="store_true", help="skip the reopen with verify_pool='full'")
    ap.add_argument("--dir", default=None, help="where the temporary pool and store go (default: the system temp dir)")
    args = ap.parse_args(argv)
    if args.quick:
        args.rows, args.chunk_rows = 400_000, 50_000

    import distributed
    from sklearn.linear_model import LogisticRegression

    from activelens import ActiveLearner, make_pool
    from activelens.backends.dask import from_memmap
    from activelens.storage import LabelStore, pool_check

    print_machine()
    tmp = tempfile.mkdtemp(prefix="activelens-scale-store-", dir=args.dir)
    cluster = client = None
    results = []
    try:
        path = os.path.join(tmp, "pool.f32")
        db = os.path.join(tmp, "labels.db")
        t = time.perf_counter()
        centres = write_pool(path, args.rows, args.dims)
        print(f"# pool: {args.rows:,} x {args.dims} float32 = {args.rows * args.dims * 4 / 1e9:.2f} GB memmap, written "
              f"in {time.perf_counter() - t:.1f} s; chunks of {args.chunk_rows:,} rows", flush=True)
        cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None)
        client = distributed.Client(cluster)
        client.run(lambda: __import__("activelens.storage") and __import__("activelens.backends.dask.pool"))

        rng = np.random.default_rng(1)
        mm = np.memmap(path, dtype=np.float32, mode="r", shape=(args.rows, args.dims))
        idx = np.sort(rng.choice(args.rows, size=args.labels, replace=False))
        y = oracle(np.asarray(mm[idx]), centres)
        del mm
        pool = from_memmap(path, (args.rows, args.dims), chunk_rows=args.chunk_rows)

        def learner(store):
            return ActiveLearner(LogisticRegression(max_iter=500), make_pool(pool, client=client, random_state=0),
                                 batch_size=100, random_state=0, store=store)

        def record(step, seconds, mem, note, whole_pool):
            row = {"step": step, "seconds": f"{seconds:.2f}"}
            row["rows/s hashed"] = f"{args.rows / seconds:,.0f}" if whole_pool else "-"
            row.update(mem.row())
            row["note"] = note
            results.append(row)
            print(markdown_table(results[-1:]), flush=True)

        with PeakRSS(client) as mem:
            t = time.perf_counter()
            L = learner(db)
            s = time.perf_counter() - t
        record("create (first open)", s, mem, "fingerprint of the whole pool + meta written", True)

        with PeakRSS(client) as mem:
            t = time.perf_counter()
            L.teach(idx, y, annotator="bench")
            s = time.perf_counter() - t
            t = time.perf_counter()
            L.fit()
            f = time.perf_counter() - t
        record(f"teach {args.labels:,} labels", s, mem, f"one teach() call, committed with provenance; then fit {f:.2f} s",
               False)
        L.store.close()
        del L

        with PeakRSS(client) as mem:
            t = time.perf_counter()
            L2 = learner(db)
            s = time.perf_counter() - t
        assert L2.n_labeled == args.labels and L2.model_ is not None
        sampled = "verify_pool" in LabelStore.__init__.__code__.co_varnames  # this version's default check
        check = (f"{args.labels:,} labeled + {pool_check.SAMPLE_ROWS:,} sampled rows hashed" if sampled
                 else "the whole pool hashed again")
        record("reopen (restore)", s, mem, f"pool check: {check}; {args.labels:,} labels, 1 round, model refit",
               not sampled)
        L2.store.close()
        del L2

        if not args.skip_full and "verify_pool" in LabelStore.__init__.__code__.co_varnames:
            with PeakRSS(client) as mem:
                t = time.perf_counter()
                L3 = learner(LabelStore(db, verify_pool="full"))
                s = time.perf_counter() - t
            record("reopen, verify_pool='full'", s, mem, "the whole pool hashed again and compared", True)
            L3.store.close()
            del L3
    finally:
        if client is not None:
            client.close()
        if cluster is not None:
            cluster.close()
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"\n## label store on a {args.rows:,} x {args.dims} float32 dask pool on disk, 2 worker processes x 1 thread\n")
    print(markdown_table(results))


if __name__ == "__main__":
    main()
