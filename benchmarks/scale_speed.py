"""Scale: a pool stored on disk, scored and selected on a 2-process Dask LocalCluster.

    .venv/bin/python benchmarks/scale_speed.py            # 10M x 64 float32 (2.5 GB) in a temp dir, deleted after
    .venv/bin/python benchmarks/scale_speed.py --quick    # 400k rows, overhead at 100k: a minute

What it measures, on `distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True)`:
  margin top-100   ActiveLearner(LogisticRegression, dask pool).query() after 200 labels: every chunk scored on the
                   workers, top-100 by a per-chunk partial sort + a reduce (target <= 60 s at 10M)
  k-center 100     the same learner with strategy="k_center": the default embedding (standardize, PCA to 50 on a
                   100k sample, centre) persisted on the workers, then 100 picks of one chunk-wise update and one small
                   reduction each (target <= 120 s at 10M); the embedding set-up is reported apart
  kmeans_pp 100    strategy="kmeans_pp": the same persisted embedding and nearest-distance vector, each pick one
                   reduction of per-chunk D² sums, one task in the chosen chunk, one chunk-wise update
  typiclust cold start 100   cold_start="typiclust" before the first fit (the 200 labels taught, no model): k-means
                   with 300 clusters and typicality on one seeded 100k-row sample of the embedding, picks gathered
  peak RSS/worker  the largest resident set of either worker process while that step ran (sampled every 0.2 s),
                   with the chunk size beside it: memory is bounded by the chunk (margin) or by the worker's share of
                   the persisted embedding (k-center)
  overhead         at --overhead-rows (1M), the same two rounds on the in-memory numpy path and on the dask path
                   (memmap on disk, the same cluster): seconds of the first query (which also builds the diversity
                   embedding) and of the next one, and the ratios dask / in-memory, for margin and for k-center
The pool: Gaussian blobs (8 classes) written chunk by chunk with a seeded generator into an np.memmap.
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


def write_pool(path, rows, dims, n_classes=8, seed=0, block=500_000):
    """Blobs: class centres N(0, 3²), points N(centre, 1); returns the centres (the oracle labels by nearest)."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(scale=3.0, size=(n_classes, dims)).astype(np.float32)
    mm = np.memmap(path, dtype=np.float32, mode="w+", shape=(rows, dims))
    for r0 in range(0, rows, block):
        r1 = min(rows, r0 + block)
        cls = rng.integers(0, n_classes, size=r1 - r0)
        x = rng.standard_normal(size=(r1 - r0, dims), dtype=np.float32)
        x += centres[cls]
        mm[r0:r1] = x
    mm.flush()
    del mm
    return centres


def oracle(rows, centres):
    d = ((rows[:, None, :] - centres[None]) ** 2).sum(axis=2)
    return d.argmin(axis=1)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=10_000_000)
    ap.add_argument("--dims", type=int, default=64)
    ap.add_argument("--chunk-rows", type=int, default=250_000)
    ap.add_argument("--overhead-rows", type=int, default=1_000_000)
    ap.add_argument("--batch", type=int, default=100)
    ap.add_argument("--labels", type=int, default=200)
    ap.add_argument("--quick", action="store_true", help="400k rows, overhead at 100k")
    ap.add_argument("--skip-k-center", action="store_true")
    ap.add_argument("--skip-cold-start", action="store_true", help="skip the kmeans_pp and typiclust rows")
    ap.add_argument("--dir", default=None, help="where the temporary pool file goes (default: the system temp dir)")
    args = ap.parse_args(argv)
    if args.quick:
        args.rows, args.overhead_rows, args.chunk_rows = 400_000, 100_000, 50_000

    import distributed
    from sklearn.linear_model import LogisticRegression

    from activelens import ActiveLearner
    from activelens.backends.dask import from_memmap

    print_machine()
    tmp = tempfile.mkdtemp(prefix="activelens-scale-", dir=args.dir)
    cluster = client = None
    results, overhead = [], []
    try:
        path = os.path.join(tmp, "pool.f32")
        t = time.perf_counter()
        centres = write_pool(path, args.rows, args.dims)
        gb = args.rows * args.dims * 4 / 1e9
        print(f"# pool: {args.rows:,} x {args.dims} float32 = {gb:.2f} GB memmap, written in {time.perf_counter() - t:.1f} s; "
              f"chunks of {args.chunk_rows:,} rows ({args.chunk_rows * args.dims * 4 / 2**20:.0f} MB)")

        cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None)
        client = distributed.Client(cluster)
        client.run(lambda: __import__("activelens.backends.dask.pool"))

        rng = np.random.default_rng(1)
        mm = np.memmap(path, dtype=np.float32, mode="r", shape=(args.rows, args.dims))
        seed_idx = np.sort(rng.choice(args.rows, size=args.labels, replace=False))
        seed_y = oracle(np.asarray(mm[seed_idx]), centres)

        def learner(pool, strategy, **kw):
            L = ActiveLearner(LogisticRegression(max_iter=500), pool, strategy=strategy, batch_size=args.batch,
                              random_state=0, **kw)
            L.teach(seed_idx[seed_idx < pool.shape[0]], seed_y[seed_idx < pool.shape[0]])
            return L

        pool = from_memmap(path, (args.rows, args.dims), chunk_rows=args.chunk_rows)
        L = learner(pool, "margin", client=client)
        t = time.perf_counter()
        L.fit()
        fit_s = time.perf_counter() - t
        with PeakRSS(client) as mem:
            t = time.perf_counter()
            b = L.query()
            margin_s = time.perf_counter() - t
        results.append({"step": f"margin top-{args.batch}", "seconds": f"{margin_s:.1f}", "target": "<= 60 s",
                        "peak RSS / worker": f"{mem.max_mb:.0f} MB",
                        "note": f"fit on {args.labels} labels (gathered from the workers) {fit_s:.1f} s; "
                                f"best score {b.scores[0]:.3f}"})
        print(markdown_table(results[-1:]), flush=True)

        if not args.skip_k_center:
            L = learner(pool, "k_center", client=client)
            L.fit()
            with PeakRSS(client) as mem:
                t = time.perf_counter()
                emb = L.embedding  # standardize + PCA on a sample + centring mean: two passes over the file
                emb_s = time.perf_counter() - t
                b = L.query()
                kc_s = time.perf_counter() - t
            results.append({"step": f"k-center {args.batch}", "seconds": f"{kc_s:.1f}", "target": "<= 120 s",
                            "peak RSS / worker": f"{mem.max_mb:.0f} MB",
                            "note": f"of which embedding set-up {emb_s:.1f} s ({emb.shape[1]} dims); persisted "
                                    f"embedding {emb.nbytes / 2 / 2**20:.0f} MB per worker; "
                                    f"last pick's distance {b.scores[-1]:.2f}"})
            print(markdown_table(results[-1:]), flush=True)
        if not args.skip_cold_start:
            for step, kw in ((f"kmeans_pp {args.batch}", {"strategy": "kmeans_pp"}),
                             (f"typiclust cold start {args.batch}", {"strategy": "margin", "cold_start": "typiclust"})):
                L = learner(pool, client=client, **kw)
                if kw["strategy"] == "kmeans_pp":
                    L.fit()
                with PeakRSS(client) as mem:
                    t = time.perf_counter()
                    emb = L.embedding
                    emb_s = time.perf_counter() - t
                    b = L.query()
                    q_s = time.perf_counter() - t
                results.append({"step": step, "seconds": f"{q_s:.1f}", "target": "",
                                "peak RSS / worker": f"{mem.max_mb:.0f} MB",
                                "note": f"of which embedding set-up {emb_s:.1f} s; {len(b)} picks, "
                                        f"{len(set(oracle(np.asarray(mm[np.sort(b.indices)]), centres).tolist()))} "
                                        f"of {len(centres)} classes"})
                print(markdown_table(results[-1:]), flush=True)
        del L

        # overhead at --overhead-rows: in-memory numpy vs the dask path over the same rows on disk
        n1 = args.overhead_rows
        X1 = np.array(mm[:n1])
        pool1 = from_memmap(path, (n1, args.dims), chunk_rows=args.chunk_rows)
        for strategy in ["margin"] + ([] if args.skip_k_center else ["k_center"]):
            row = {"strategy": f"{strategy} {args.batch}", "rows": f"{n1:,}"}
            picks = {}
            for name, pool_, kw in (("in-memory", X1, {}), ("dask", pool1, {"client": client})):
                L = learner(pool_, strategy, **kw)
                L.fit()
                t = time.perf_counter()
                b = L.query()  # the first query also builds the diversity embedding (both paths)
                row[f"{name} 1st s"] = time.perf_counter() - t
                L.teach(b.indices, oracle(X1[b.indices], centres))
                L.fit()
                t = time.perf_counter()
                picks[name] = L.query().indices  # the next round: embedding cached, new model
                row[f"{name} 2nd s"] = time.perf_counter() - t
            for q in ("1st", "2nd"):
                row[f"ratio {q}"] = f"{row[f'dask {q} s'] / row[f'in-memory {q} s']:.2f}"
            for k in [k for k in row if k.endswith(" s")]:
                row[k] = f"{row[k]:.2f}"
            row["same picks"] = str(bool(np.array_equal(picks["in-memory"], picks["dask"])))
            overhead.append(row)
            print(markdown_table(overhead[-1:]), flush=True)
        del mm, X1
    finally:
        if client is not None:
            client.close()
        if cluster is not None:
            cluster.close()
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"\n## {args.rows:,} x {args.dims} float32 on disk, 2 worker processes x 1 thread\n")
    print(markdown_table(results))
    print(f"\n## overhead at {args.overhead_rows:,} rows\n")
    print(markdown_table(overhead))


if __name__ == "__main__":
    main()
