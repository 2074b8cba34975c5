"""Text at scale: a sparse TF-IDF-like pool of 200k documents × 20k terms (≤ 0.2% density), never densified.

Times each step of the loop on it (construct the learner, teach, fit, query "margin", query "k_center" — whose first
call computes the TruncatedSVD embedding —, "combined", the default "auto", "badge" and "qbc", and opening the
Explorer with its map), and the process's peak memory (ru_maxrss). Targets (issue 13): ≤ 10 s a step on 2 cores,
peak ≤ 1.5 GB.

    .venv/bin/python benchmarks/text_scale.py [--docs 200000] [--terms 20000] [--per-doc 35]

The documents are synthetic: three topics, each a Zipf distribution over its own share of the vocabulary, mixed
half and half with a shared Zipf background; weights are sublinear term counts × idf, rows L2-normalised (what
TfidfVectorizer returns). Printed as a Markdown table (BENCHMARKS.md, "Text").
"""
from __future__ import annotations

import argparse
import os
import resource
import sys
import time

import numpy as np
import scipy.sparse as sp


def synthetic_tfidf(n_docs: int, n_terms: int, per_doc: int, n_topics: int = 3, seed: int = 0):
    rng = np.random.default_rng(seed)
    y = rng.integers(n_topics, size=n_docs)
    ranks = np.arange(1, n_terms + 1, dtype=np.float64)
    zipf = 1.0 / ranks ** 1.1
    zipf /= zipf.sum()
    nnz = n_docs * per_doc
    rows = np.repeat(np.arange(n_docs, dtype=np.int32), per_doc)
    background = rng.choice(n_terms, size=nnz, p=zipf).astype(np.int32)
    # topic words: the same Zipf, shifted into the topic's own slice of the vocabulary
    own = (rng.choice(n_terms // n_topics, size=nnz, p=_renorm(zipf[: n_terms // n_topics]))
           + y[rows] * (n_terms // n_topics)).astype(np.int32)
    cols = np.where(rng.random(nnz) < 0.5, own, background)
    del own, background
    X = sp.csr_matrix((np.ones(nnz, dtype=np.float32), (rows, cols)), shape=(n_docs, n_terms))
    del rows, cols
    X.sum_duplicates()
    X.data = 1.0 + np.log(X.data)                                      # sublinear tf
    df = np.bincount(X.indices, minlength=n_terms).astype(np.float32)
    X.data *= (np.log((1.0 + n_docs) / (1.0 + df)) + 1.0)[X.indices]    # idf
    norms = np.sqrt(np.add.reduceat(X.data ** 2, X.indptr[:-1]))
    X.data /= np.repeat(norms, np.diff(X.indptr))
    return X.astype(np.float64), y


def _renorm(p):
    return p / p.sum()


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--docs", type=int, default=200_000)
    ap.add_argument("--terms", type=int, default=20_000)
    ap.add_argument("--per-doc", type=int, default=35, help="term draws per document (before duplicates merge)")
    ap.add_argument("--labels", type=int, default=200, help="labels taught before the first fit")
    ap.add_argument("--batch", type=int, default=20)
    ap.add_argument("--no-explorer", action="store_true")
    args = ap.parse_args(argv)

    from sklearn.linear_model import LogisticRegression

    from activelens import ActiveLearner

    t0 = time.perf_counter()
    X, y = synthetic_tfidf(args.docs, args.terms, args.per_doc)
    made = time.perf_counter() - t0
    density = X.nnz / (X.shape[0] * X.shape[1])
    print(f"pool: {X.shape[0]:,} docs × {X.shape[1]:,} terms, {X.nnz:,} non-zeros (density {100 * density:.3f}%), "
          f"{(X.data.nbytes + X.indices.nbytes + X.indptr.nbytes) / 2**20:.0f} MB as CSR; made in {made:.1f} s; "
          f"cores {os.cpu_count()}, load {os.getloadavg()[0]:.1f}")
    steps = []

    def step(name, fn):
        t, c = time.perf_counter(), time.process_time()
        out = fn()
        steps.append((name, time.perf_counter() - t, time.process_time() - c, peak_mb()))
        return out

    learner = step("construct ActiveLearner (sparse pool)",
                   lambda: ActiveLearner(LogisticRegression(max_iter=1000), X, strategy="margin",
                                         batch_size=args.batch, classes=[0, 1, 2], random_state=0))
    assert learner.pool.kind == "sparse" and sp.issparse(learner.X)
    first = np.random.default_rng(1).choice(X.shape[0], size=args.labels, replace=False)
    step(f"teach {args.labels} labels", lambda: learner.teach(first, y[first]))
    step(f"fit ({args.labels} labels)", learner.fit)
    b = step(f"query margin ({args.batch})", learner.query)
    learner.teach(b.indices, y[b.indices])
    learner.strategy = "k_center"
    step(f"query k_center ({args.batch}; first call computes the SVD embedding)", learner.query)
    step(f"query k_center again ({args.batch}; embedding cached)", learner.query)
    learner.strategy = "combined"
    step(f"query combined ({args.batch})", learner.query)
    for name in ("auto", "badge", "qbc"):   # the default (margin spread by k-means), BADGE, query-by-committee
        learner.strategy = name
        step(f"query {name} ({args.batch})", learner.query)
    if not args.no_explorer:
        from activelens import Explorer
        w = step("open the Explorer (map: PCA of the embedding)",
                 lambda: Explorer(learner, labels=["a", "b", "c"], projection="pca"))
        assert w.n_points == X.shape[0]
    print()
    print("| step | wall s | CPU s (this process, all threads) | peak RSS so far (MB) |")
    print("|---|---:|---:|---:|")
    for name, secs, cpu, mb in steps:
        print(f"| {name} | {secs:.2f} | {cpu:.2f} | {mb:.0f} |")
    worst = max(s for _, s, _, _ in steps)
    print(f"\nslowest step {worst:.2f} s wall (target ≤ 10 s); peak RSS {peak_mb():.0f} MB (target ≤ 1536 MB); "
          f"load average at the end {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    return 0 if worst <= 10 and peak_mb() <= 1536 else 1


if __name__ == "__main__":
    sys.exit(main())
