"""Label store speed: single label commit latency, bulk import rate, claim latency with 8 concurrent annotators.

    .venv/bin/python benchmarks/store_speed.py            # SQLite, plus PostgreSQL if its binaries are installed
    .venv/bin/python benchmarks/store_speed.py --no-pg

Targets (issue 5): single commit <= 5 ms on SQLite; bulk import >= 20,000 labels/s; claim p99 <= 20 ms with 8 annotators.
Baselines measured in the same run: the learner without a store (memory only) and raw sqlite3 (the floor).
"""
from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import platform
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from activelens import ActiveLearner, AnnotationQueue, LabelStore

HERE = Path(__file__).resolve().parent


class _Stub:
    """A classifier stand-in: the benchmark measures the store, not a model."""

    def fit(self, X, y):
        self.classes_ = np.unique(y)
        return self

    def predict_proba(self, X):
        return np.full((len(X), len(self.classes_)), 1.0 / len(self.classes_))

    def get_params(self, deep=True):
        return {}

    def set_params(self, **p):
        return self


def pct(a, q):
    return float(np.percentile(np.asarray(a) * 1e3, q))


def row(name, lat, target=None):
    p50, p95, p99 = pct(lat, 50), pct(lat, 95), pct(lat, 99)
    ok = "" if target is None else ("yes" if p50 <= target else "NO")
    return f"| {name:<44} | {p50:8.3f} | {p95:8.3f} | {p99:8.3f} | {ok:^6} |"


def single_commit(tmp, n=500):
    X = np.random.default_rng(0).normal(size=(5000, 16))
    out = []
    lat = []
    mem = ActiveLearner(_Stub(), X)
    for i in range(n):
        t0 = time.perf_counter()
        mem.teach([i], [i % 3])
        lat.append(time.perf_counter() - t0)
    out.append(row("learner.teach, no store (baseline)", lat))
    for dur in ("full", "normal"):
        path = tmp / f"single_{dur}.db"
        raw = sqlite3.connect(tmp / f"raw_{dur}.db", isolation_level=None)
        raw.execute("PRAGMA journal_mode=WAL")
        raw.execute(f"PRAGMA synchronous={dur.upper()}")
        raw.execute("CREATE TABLE t(id INTEGER PRIMARY KEY, idx INTEGER UNIQUE, label TEXT, ann TEXT, ts REAL)")
        lat = []
        for i in range(n):
            t0 = time.perf_counter()
            raw.execute("BEGIN IMMEDIATE")
            raw.execute("INSERT INTO t(idx, label, ann, ts) VALUES (?, ?, ?, ?)", (i, str(i % 3), "a", time.time()))
            raw.execute("COMMIT")
            lat.append(time.perf_counter() - t0)
        out.append(row(f"raw sqlite3 insert+commit, synchronous={dur.upper()}", lat))
        learner = ActiveLearner(_Stub(), X, store=LabelStore(path, durability=dur))
        lat = []
        for i in range(n):
            t0 = time.perf_counter()
            learner.teach([i], [i % 3], annotator="bench", seconds=1.0)
            lat.append(time.perf_counter() - t0)
        out.append(row(f"learner.teach → store, durability={dur!r}", lat, target=5.0))
    return out


def bulk_import(tmp, n=50_000):
    X = np.random.default_rng(1).normal(size=(n, 16)).astype(np.float32)
    labels = [f"class_{i % 7}" for i in range(n)]
    out = []
    t0 = time.perf_counter()
    ActiveLearner(_Stub(), X).teach(np.arange(n), labels)
    out.append((f"learner.teach {n:,} labels, no store (baseline)", n / (time.perf_counter() - t0)))
    raw = sqlite3.connect(tmp / "raw_bulk.db", isolation_level=None)
    raw.execute("PRAGMA journal_mode=WAL")
    raw.execute("CREATE TABLE t(id INTEGER PRIMARY KEY, idx INTEGER UNIQUE, label TEXT, ann TEXT, ts REAL)")
    t0 = time.perf_counter()
    raw.execute("BEGIN IMMEDIATE")
    raw.executemany("INSERT INTO t(idx, label, ann, ts) VALUES (?, ?, ?, ?)",
                    [(i, labels[i], "a", 0.0) for i in range(n)])
    raw.execute("COMMIT")
    out.append((f"raw sqlite3 executemany {n:,} rows (floor)", n / (time.perf_counter() - t0)))
    learner = ActiveLearner(_Stub(), X, store=tmp / "bulk.db")  # pool hashing happens here, not in the import
    t0 = time.perf_counter()
    learner.teach(np.arange(n), labels, annotator="import")
    out.append((f"learner.teach {n:,} labels → SQLite store", n / (time.perf_counter() - t0)))
    return out


def _annotator(name, target, barrier, out, claims, durability, think):
    store = LabelStore(target, timeout=60, durability=durability) if durability else LabelStore(target, timeout=60)
    q = AnnotationQueue(store)
    rng = np.random.default_rng(abs(hash(name)) % 2**32)
    barrier.wait()
    lat = []
    for _ in range(claims):
        if think:
            time.sleep(rng.exponential(think))  # the annotator looks at the item
        t0 = time.perf_counter()
        got = q.claim(name)
        lat.append(time.perf_counter() - t0)
        if not got:
            break
        q.submit(name, got[0], 1)
    out.put((name, lat))


def concurrent_claims(target, label, workers=8, claims=500, durability=None, think=0.0):
    q = AnnotationQueue(target)
    q.store.bind_pool(np.arange(workers * claims, dtype=np.float64).reshape(-1, 1))
    q.put(range(workers * claims))
    q.store.close()
    ctx = mp.get_context("fork")
    barrier, out = ctx.Barrier(workers + 1), ctx.Queue()
    procs = [ctx.Process(target=_annotator, args=(f"a{k}", target, barrier, out, claims, durability, think))
             for k in range(workers)]
    for p in procs:
        p.start()
    barrier.wait()
    t0 = time.perf_counter()
    res = [out.get() for _ in procs]
    wall = time.perf_counter() - t0
    for p in procs:
        p.join()
    lat = np.concatenate([r[1] for r in res])
    served = AnnotationQueue(target).status()["annotations"]
    return (f"| {label:<44} | {pct(lat, 50):8.2f} | {pct(lat, 95):8.2f} | {pct(lat, 99):8.2f} | "
            f"{'yes' if pct(lat, 99) <= 20 else 'NO':^6} | {served / wall:9.0f} |")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--no-pg", action="store_true", help="skip PostgreSQL")
    ap.add_argument("--claims", type=int, default=500, help="claims per annotator process, tight loop")
    ap.add_argument("--paced", type=int, default=200, help="claims per annotator process, paced")
    ap.add_argument("--think", type=float, default=0.1, help="mean think time in seconds for the paced run")
    args = ap.parse_args(argv)
    load = os.getloadavg()
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, load average {load[0]:.1f} at start; "
          f"python {platform.python_version()}, SQLite {sqlite3.sqlite_version}")
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        print("\n### Single label commit (ms; 500 one-label teach() calls; target p50 ≤ 5 ms)\n")
        print("| what                                         |      p50 |      p95 |      p99 | ≤ 5 ms |")
        print("|----------------------------------------------|---------:|---------:|---------:|:------:|")
        for line in single_commit(tmp):
            print(line)
        print("\n### Bulk import (labels/s; target ≥ 20,000)\n")
        print("| what                                         |   labels/s |")
        print("|----------------------------------------------|-----------:|")
        for name, rate in bulk_import(tmp):
            print(f"| {name:<44} | {rate:10,.0f} |")
        pg = None
        if not args.no_pg:
            sys.path.insert(0, str(HERE.parent / "tests"))
            from pg import PgCluster, find_bin_dir

            bin_dir = find_bin_dir()
            pg = PgCluster(bin_dir).start() if bin_dir else None
            if pg is None:
                print("\nPostgreSQL binaries not found: PostgreSQL rows skipped")
        try:
            for title, claims, think in [
                (f"8 annotator processes × {args.claims} claims in a tight loop (saturation: each claim waits for "
                 "the others' claims and submits)", args.claims, 0.0),
                (f"8 annotator processes × {args.paced} claims, paced: an exponential think time (mean "
                 f"{args.think * 1000:.0f} ms) before each claim — still far faster than people label", args.paced,
                 args.think)]:
                print(f"\n### Claim latency, {title}; claim + submit each; ms; target p99 ≤ 20\n")
                print("| backend                                      |      p50 |      p95 |      p99 | ≤ 20ms | claims/s  |")
                print("|----------------------------------------------|---------:|---------:|---------:|:------:|----------:|")
                tag = "tight" if not think else "paced"
                if not think:  # the baseline: one annotator, nobody to wait for — the cost of a claim itself
                    print(concurrent_claims(str(tmp / "q_single.db"), "SQLite 'full', 1 annotator (baseline)",
                                            workers=1, claims=claims))
                print(concurrent_claims(str(tmp / f"q_full_{tag}.db"), "SQLite, durability='full'", claims=claims,
                                        think=think))
                print(concurrent_claims(str(tmp / f"q_normal_{tag}.db"), "SQLite, durability='normal'", claims=claims,
                                        durability="normal", think=think))
                if pg is not None:
                    print(concurrent_claims(pg.new_database(), "PostgreSQL 15 (loopback, fsync=off)", claims=claims,
                                            think=think))
        finally:
            if pg is not None:
                pg.stop()
    print(f"\nload average at end: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
