"""Map projections: PCA at once, UMAP in a background thread, cached."""
from __future__ import annotations

import threading

import numpy as np
import pytest
from sklearn.decomposition import PCA
from sklearn.linear_model import LogisticRegression

from activelens import ActiveLearner, Explorer
from activelens.widgets import projection as P


@pytest.fixture(autouse=True)
def empty_cache():
    P._CACHE.clear()
    yield
    P._CACHE.clear()


def blobs(n=300, d=6, seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, d)) * np.linspace(5, 1, d) + rng.normal(size=d)


def test_pca_matches_sklearn_up_to_sign():
    X = blobs()
    ours = P.pca_2d(X)
    ref = PCA(2).fit_transform(X)
    assert ours.dtype == np.float32 and ours.shape == (300, 2)
    for k in range(2):
        assert abs(np.corrcoef(ours[:, k], ref[:, k])[0, 1]) > 0.999
    assert ours[:, 0].var() >= ours[:, 1].var()
    assert np.array_equal(P.pca_2d(X), ours)              # deterministic


def test_pca_sampled_fit_close_to_full():
    X = blobs(5000)
    full, sampled = P.pca_2d(X), P.pca_2d(X, max_fit_rows=1000)
    for k in range(2):
        assert abs(np.corrcoef(full[:, k], sampled[:, k])[0, 1]) > 0.99


def test_pca_single_feature():
    out = P.pca_2d(np.arange(10.0)[:, None])
    assert out.shape == (10, 2) and (out[:, 1] == 0).all()


def test_normalize_keeps_aspect_and_bounds():
    c = np.column_stack([np.linspace(0, 10, 50), np.linspace(0, 2, 50)])
    out = P.normalize(c)
    assert out.dtype == np.float32
    assert out[:, 0].min() == pytest.approx(-0.95) and out[:, 0].max() == pytest.approx(0.95)
    assert np.ptp(out[:, 1]) == pytest.approx(np.ptp(out[:, 0]) / 5, rel=1e-5)


def test_umap_in_background_then_cached():
    X = blobs()
    calls, ready = [], threading.Event()
    gate = threading.Event()

    def fake_umap(X, random_state=0):
        calls.append(random_state)
        assert gate.wait(10)
        return np.asarray(X)[:, :2][:, ::-1] * 3

    got = []
    proj = P.Projection(X, method="umap", umap_fn=fake_umap, on_ready=lambda c, name: (got.append(name), ready.set()))
    assert proj.name == "pca" and "fitting" in proj.status     # PCA right away
    proj.start()
    assert not proj.wait(0.01)                                   # fitting in a thread: we are not blocked
    gate.set()
    assert ready.wait(10) and proj.wait(10)
    assert got == ["umap"] and proj.name == "umap" and proj.status == "umap"
    again = P.Projection(X, method="umap", umap_fn=fake_umap)
    assert again.name == "umap" and np.array_equal(again.coords, proj.coords)
    again.start()
    assert len(calls) == 1                                        # the cache spared a second fit


def test_umap_failure_keeps_pca():
    X = blobs()
    errors = []

    def broken(X, random_state=0):
        raise RuntimeError("no luck")

    proj = P.Projection(X, method="umap", umap_fn=broken, on_error=errors.append)
    proj.start()
    assert proj.wait(10)
    assert proj.name == "pca" and "no luck" in errors[0] and "failed" in proj.status


def test_pca_method_never_starts_a_thread():
    proj = P.Projection(blobs(), method="pca", umap_fn=lambda *a, **k: pytest.fail("UMAP must not run"))
    proj.start()
    assert proj.thread is None and proj.wait(0) and proj.name == "pca"


def test_bad_method():
    with pytest.raises(ValueError, match="projection must be one of"):
        P.Projection(blobs(), method="tsne")


def test_explorer_swaps_in_umap(monkeypatch):
    X = blobs(200)
    monkeypatch.setattr(P, "umap_2d", lambda X, random_state=0: np.asarray(X)[:, [1, 0]].astype(np.float32))
    learner = ActiveLearner(LogisticRegression(), X, random_state=0)
    w = Explorer(learner, labels=["a", "b"], projection="umap")
    assert w.wait_projection(10)
    assert w.projection == "umap" and w.projection_status == "umap"
    assert np.allclose(w.coordinates(), P.normalize(X[:, [1, 0]]), atol=1e-6)


@pytest.mark.slow
def test_real_umap_small():
    X = blobs(150)
    out = P.umap_2d(X, random_state=0)
    assert out.shape == (150, 2) and out.dtype == np.float32 and np.isfinite(out).all()


@pytest.mark.slow
def test_real_umap_fits_a_sample_and_transforms_the_rest():
    X = blobs(400)
    out = P.umap_2d(X, random_state=0, sample_above=200, chunk=90)
    assert out.shape == (400, 2) and np.isfinite(out).all()
    assert len(np.unique(out, axis=0)) > 350          # every row got its own position, not a fill value


def test_umap_layout_keeps_neighbours_and_memberships_sum_to_log2_k():
    from sklearn.datasets import load_digits
    from sklearn.manifold import trustworthiness

    from activelens.widgets import umap_layout as ul
    from activelens.widgets.projection import pca_2d

    X = (load_digits().data[:600] / 16).astype(np.float32)
    idx, dist = ul.knn(X, 15)
    sigma, rho = ul.smooth_knn_dist(dist, 15)
    gap = np.maximum(dist[:, 1:] - rho[:, None], 0)
    assert np.allclose(np.exp(-gap / sigma[:, None]).sum(axis=1), np.log2(15), atol=1e-3)
    G = ul.fuzzy_graph(idx, dist)
    assert abs(G - G.T).max() < 1e-9 and G.data.max() <= 1 + 1e-9       # symmetric fuzzy union
    emb = ul.umap_layout(X, pca_2d(X), random_state=0)
    assert emb.shape == (600, 2) and np.isfinite(emb).all()
    assert trustworthiness(X, emb, n_neighbors=10) > trustworthiness(X, pca_2d(X), n_neighbors=10) + 0.08
    assert np.array_equal(emb, ul.umap_layout(X, pca_2d(X), random_state=0))   # seeded


def test_umap_shows_a_quick_layout_then_the_full_one_which_alone_is_cached():
    X = blobs(300)
    seen = []

    def fit(X, random_state=0, on_progress=None):
        on_progress(np.asarray(X)[:, [0, 1]].astype(np.float32), 20, 60)
        return np.asarray(X)[:, [1, 0]].astype(np.float32)

    proj = P.Projection(X, method="umap", umap_fn=fit, on_ready=lambda c, name: seen.append((proj.status, c.copy())))
    proj.start()
    assert proj.wait(10)
    assert [s for s, _ in seen] == ["umap (quick 20-epoch layout · 60-epoch one on its way)", "umap"]
    assert np.array_equal(seen[0][1], X[:, [0, 1]].astype(np.float32))
    assert np.array_equal(P.cached_umap(X), X[:, [1, 0]].astype(np.float32))   # the final layout, not the part-way one


def test_umap_layout_hands_out_a_quick_layout_and_ends_as_without_it():
    from activelens.widgets import umap_layout as ul
    from activelens.widgets.projection import pca_2d

    X = blobs(300)
    parts = []
    stepped = ul.umap_layout(X, pca_2d(X), on_progress=lambda c, e, n: parts.append((e, n)))
    assert parts == [(20, 200)]
    timings = {}
    ul.umap_layout(X, pca_2d(X), timings=timings, on_progress=lambda *a: None)
    assert set(timings) == {"knn", "graph", "wait_compiled", "quick_layout", "layout"}
    assert np.array_equal(stepped, ul.umap_layout(X, pca_2d(X)))
    assert ul.default_epochs(1_797) == 200 and ul.default_epochs(10_000) == 60
