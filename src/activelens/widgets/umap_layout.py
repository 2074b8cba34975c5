"""UMAP for the map, built to be on screen seconds after the widget, in every new kernel.

umap-learn's own fit spends most of a fresh process compiling: its fuzzy-set and layout functions are numba-jitted
without an on-disk cache, so every kernel compiles them again (profiled on digits, 1,257 rows: 76 of 95 s in numba's
compiler on a busy 2-core machine; 13 s on a quiet one). This module computes the same embedding with:

* the exact k nearest neighbours (scikit-learn; no nearest-neighbour descent to compile),
* UMAP's fuzzy simplicial set (smooth kNN distances by binary search, membership strengths, fuzzy union) in numpy,
  vectorised over rows,
* UMAP's layout: the same attractive/repulsive SGD on the fuzzy set's edges with negative sampling, one numba
  function compiled once and cached on disk (``cache=True``), so a second kernel loads it instead of compiling,
* a layout seeded from PCA (instead of a spectral embedding), :func:`default_epochs` (200 up to 2,000 rows, 100 up
  to 5,000, 60 past that); a complete quick layout of 20 epochs goes to the map first (``on_progress``).

On digits (1,797 rows) its trustworthiness (10 neighbours) is 0.988 and a 5-NN classifier on the 2-D map scores
0.974 (PCA: 0.830 and 0.609).

The layout kernel lives in :mod:`activelens.widgets.umap_sgd` (numba); :func:`warm_up` loads it, which
:func:`activelens.widgets.projection.prewarm` does in a thread while the kNN graph is built.

The parameters are umap-learn's defaults: 15 neighbours, ``min_dist=0.1``, ``spread=1`` (``a``, ``b`` below),
5 negative samples per edge, ``gamma=1``, learning rate 1.
"""
from __future__ import annotations

import numpy as np

#: umap-learn's curve parameters for min_dist=0.1, spread=1 (``umap.umap_.find_ab_params(1.0, 0.1)``)
A, B = 1.5769434603113077, 0.8950608781227859
SMOOTH_K_TOLERANCE = 1e-5
MIN_K_DIST_SCALE = 1e-3


def knn(X: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """(indices, distances), each (n, k): every row's k nearest rows (itself first), exact."""
    from sklearn.neighbors import NearestNeighbors

    nn = NearestNeighbors(n_neighbors=k).fit(X)
    dist, idx = nn.kneighbors(X)
    return idx.astype(np.int64), dist.astype(np.float32)


def smooth_knn_dist(dist: np.ndarray, k: int, n_iter: int = 64) -> tuple[np.ndarray, np.ndarray]:
    """(sigma, rho) per row, as umap-learn's ``smooth_knn_dist`` (local_connectivity=1, bandwidth=1), for all rows at
    once: rho is the distance to the nearest other row, sigma makes the memberships of the k neighbours sum to
    log2(k)."""
    d = dist.astype(np.float64)
    n = d.shape[0]
    target = np.log2(k)
    nonzero = np.where(d > 0, d, np.inf)
    rho = nonzero.min(axis=1)
    rho[~np.isfinite(rho)] = 0.0
    lo = np.zeros(n)
    hi = np.full(n, np.inf)
    mid = np.ones(n)
    rest = d[:, 1:]
    active = np.ones(n, dtype=bool)
    for _ in range(n_iter):
        gap = np.maximum(rest - rho[:, None], 0.0)
        psum = np.exp(-gap / mid[:, None]).sum(axis=1)
        done = np.abs(psum - target) < SMOOTH_K_TOLERANCE
        active &= ~done
        if not active.any():
            break
        over = active & (psum > target)
        under = active & ~over
        hi[over] = mid[over]
        mid[over] = (lo[over] + hi[over]) / 2
        lo[under] = mid[under]
        finite = under & np.isfinite(hi)
        mid[finite] = (lo[finite] + hi[finite]) / 2
        mid[under & ~np.isfinite(hi)] *= 2
    mean_all = d.mean()
    mean_row = d.mean(axis=1)
    floor = np.where(rho > 0, MIN_K_DIST_SCALE * mean_row, MIN_K_DIST_SCALE * mean_all)
    return np.maximum(mid, floor), rho


def fuzzy_graph(idx: np.ndarray, dist: np.ndarray):
    """UMAP's fuzzy simplicial set of the kNN graph: a symmetric scipy.sparse COO matrix (fuzzy union)."""
    import scipy.sparse as sp

    n, k = idx.shape
    sigma, rho = smooth_knn_dist(dist, k)
    gap = dist.astype(np.float64) - rho[:, None]
    vals = np.where(gap > 0, np.exp(-gap / sigma[:, None]), 1.0)
    vals[idx == np.arange(n)[:, None]] = 0.0
    rows = np.repeat(np.arange(n), k)
    P = sp.coo_matrix((vals.ravel(), (rows, idx.ravel())), shape=(n, n)).tocsr()
    P.eliminate_zeros()
    Pt = P.T
    G = (P + Pt - P.multiply(Pt)).tocoo()
    G.sum_duplicates()
    return G


class Layout:
    """UMAP's SGD on ``graph`` (the fuzzy set) from ``init`` (n, 2), run in steps: ``run(epochs)`` advances,
    ``coords`` is the layout so far ((n, 2) float32), ``done`` once all ``n_epochs`` ran."""

    def __init__(self, graph, init: np.ndarray, n_epochs: int, random_state: int = 0):
        g = graph.tocoo()
        keep = g.data >= g.data.max() / float(n_epochs)
        self.head = g.row[keep].astype(np.int64)
        self.tail = g.col[keep].astype(np.int64)
        w = g.data[keep].astype(np.float64)
        samples = n_epochs * (w / w.max())
        self.epochs_per_sample = np.where(samples > 0, n_epochs / np.maximum(samples, 1e-12), -1.0)
        self.next_sample = self.epochs_per_sample.copy()
        self.next_negative = self.epochs_per_sample / 5.0
        emb = np.ascontiguousarray(init, dtype=np.float64).copy()
        lo, hi = emb.min(axis=0), emb.max(axis=0)
        self.emb = 10.0 * (emb - lo) / np.where(hi > lo, hi - lo, 1.0)
        seed = np.random.SeedSequence(int(random_state) % (2**63)).generate_state(1, dtype=np.uint64)
        self.rng = np.array([seed[0] | np.uint64(1)], dtype=np.uint64)
        self.n_epochs = int(n_epochs)
        self.epoch = 0

    @property
    def done(self) -> bool:
        return self.epoch >= self.n_epochs

    def run(self, epochs: int | None = None) -> "Layout":
        last = self.n_epochs if epochs is None else min(self.n_epochs, self.epoch + int(epochs))
        from activelens.widgets.umap_sgd import sgd   # numba: imported here, so the graph needs none

        sgd(self.emb, self.head, self.tail, self.epochs_per_sample, self.next_sample, self.next_negative, A, B,
             self.epoch, last, self.n_epochs, 5.0, self.rng)
        self.epoch = last
        return self

    @property
    def coords(self) -> np.ndarray:
        return self.emb.astype(np.float32)


def warm_up() -> None:
    """Load the compiled layout function (from numba's on-disk cache, or compile it once) on a tiny input, so a
    later fit does not wait for it."""
    from activelens.widgets.umap_sgd import sgd

    emb = np.zeros((3, 2))
    emb[:, 0] = [0.0, 1.0, 2.0]
    one = np.ones(1)
    sgd(emb, np.zeros(1, dtype=np.int64), np.ones(1, dtype=np.int64), one, one.copy(), one / 5.0, A, B, 0, 1, 1,
        5.0, np.ones(1, dtype=np.uint64))


def layout(graph, init: np.ndarray, n_epochs: int, random_state: int = 0) -> np.ndarray:
    """UMAP's SGD on ``graph`` (the fuzzy set) from ``init`` (n, 2): (n, 2) float32."""
    return Layout(graph, init, n_epochs, random_state).run().coords


def default_epochs(n: int) -> int:
    """Epochs for a PCA-seeded layout of n rows: 200 up to 2,000 rows, 100 up to 5,000, 60 past that. Measured
    (trustworthiness with 10 neighbours / 5-NN accuracy on the 2-D map): digits (1,797 rows) 0.988 / 0.983 at 200
    epochs, 0.986 / 0.976 at 60 (PCA 0.830 / 0.603); 10,000 rows of ``make_classification(n_features=20,
    n_classes=4)`` 0.884 / 0.698 at 200, 0.882 / 0.704 at 100, 0.879 / 0.693 at 60 (PCA 0.810 / 0.376)."""
    return 200 if n <= 2_000 else (100 if n <= 5_000 else 60)


def umap_layout(X: np.ndarray, init: np.ndarray, n_neighbors: int = 15, random_state: int = 0,
                n_epochs: int | None = None, on_progress=None, quick_epochs: int = 20, timings=None) -> np.ndarray:
    """(n, 2) float32 UMAP embedding of X (n, d), seeded from ``init`` (n, 2), e.g. the PCA the map shows first.

    Parameters
    ----------
    X : ndarray of shape (n, d)
    init : ndarray of shape (n, 2)
        The starting layout.
    n_neighbors : int
        The kNN graph's k (umap-learn's default 15).
    random_state : int
        Seeds the negative sampling.
    n_epochs : int, optional
        Default :func:`default_epochs`.
    on_progress : callable (coords (n, 2) float32, quick_epochs, n_epochs) -> None, optional
        Called with a complete quick layout of ``quick_epochs`` epochs (its own schedule, from ``init``) before the
        ``n_epochs`` one runs: the map shows it meanwhile. Not a snapshot part way through the full run: UMAP's
        layout only settles as its learning rate anneals (10,000 rows of ``make_classification``: trustworthiness
        0.769 after 15 of 60 epochs, 0.824 after 40 of 60, below the PCA's 0.810 early on; a complete 25-epoch
        layout scores 0.864).
    timings : dict, optional
        Filled with seconds per step: "knn", "graph", "wait_compiled" (numba's import and the cached layout's load
        left to wait for), "quick_layout", "layout".
    """
    import time

    clock = [time.perf_counter()]
    times = {} if timings is None else timings

    def lap(name):
        now = time.perf_counter()
        times[name] = now - clock[0]
        clock[0] = now

    X = np.asarray(X, dtype=np.float32)
    n = X.shape[0]
    if n < 4:
        return np.asarray(init, dtype=np.float32)
    k = min(n_neighbors, n - 1)
    idx, dist = knn(X, k)
    lap("knn")
    graph = fuzzy_graph(idx, dist)
    lap("graph")
    epochs = n_epochs if n_epochs is not None else default_epochs(n)
    warm_up()   # at once when the warm-up thread has loaded it; else waits for it (or loads it here)
    lap("wait_compiled")
    if on_progress is not None and quick_epochs < epochs:
        quick = Layout(graph, init, quick_epochs, random_state).run().coords
        lap("quick_layout")
        on_progress(quick, quick_epochs, epochs)
        clock[0] = time.perf_counter()
    out = Layout(graph, init, epochs, random_state).run().coords
    lap("layout")
    return out
