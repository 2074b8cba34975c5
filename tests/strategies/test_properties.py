"""Hypothesis properties of the strategies: finite scores, unique batches, labeled never re-picked,
determinism under a seed."""
import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from activelens.strategies import cluster_margin, combined, entropy, k_center, kmeans_pp, least_confidence, margin
from activelens.strategies.select import top_n


@st.composite
def proba_matrices(draw, max_rows=40, max_classes=6):
    n = draw(st.integers(1, max_rows))
    k = draw(st.integers(1, max_classes))
    raw = draw(arrays(np.float64, (n, k), elements=st.floats(0, 1, allow_nan=False)))
    # exact zeros and ties are common in real model output: keep them
    raw[raw.sum(axis=1) == 0, 0] = 1.0
    return raw / raw.sum(axis=1, keepdims=True)


@st.composite
def pools(draw, max_rows=40):
    n = draw(st.integers(2, max_rows))
    d = draw(st.integers(1, 5))
    X = draw(arrays(np.float64, (n, d), elements=st.floats(-100, 100, allow_nan=False, width=32)))
    n_labeled = draw(st.integers(0, n - 1))
    labeled = draw(st.permutations(range(n)))[:n_labeled]
    batch = draw(st.integers(1, n - n_labeled))
    seed = draw(st.integers(0, 2**16))
    return X, np.asarray(labeled, dtype=int), batch, seed


@given(proba_matrices())
def test_uncertainty_scores_are_finite_and_bounded(p):
    k = p.shape[1]
    e, m, lc = entropy(p), margin(p), least_confidence(p)
    for s in (e, m, lc):
        assert s.shape == (p.shape[0],) and np.all(np.isfinite(s)) and np.all(s >= -1e-12)
    assert np.all(e <= np.log(k) + 1e-9)
    assert np.all(m <= 1 + 1e-12) and np.all(lc <= 1 - 1 / k + 1e-9)


@given(st.data())
def test_top_n_returns_the_best_unique_unexcluded(data):
    n = data.draw(st.integers(1, 50))
    scores = np.asarray(data.draw(st.lists(st.sampled_from([0.0, 0.5, 1.0, 2.0]), min_size=n, max_size=n)))
    excluded = np.asarray(data.draw(st.lists(st.integers(0, n - 1), unique=True, max_size=n - 1)), dtype=int)
    k = data.draw(st.integers(1, n - excluded.size))
    seed = data.draw(st.integers(0, 1000))
    got = top_n(scores, k, np.random.default_rng(seed), exclude=excluded)
    assert len(set(got.tolist())) == k and not np.isin(got, excluded).any()
    free = np.setdiff1d(np.arange(n), excluded)
    assert np.sort(scores[got])[::-1].tolist() == np.sort(scores[free])[::-1][:k].tolist()
    assert np.array_equal(got, top_n(scores, k, np.random.default_rng(seed), exclude=excluded))


@settings(max_examples=60, deadline=None)
@given(pools())
def test_diversity_batches_are_unique_avoid_labeled_and_are_seeded(pool):
    X, labeled, n, seed = pool
    for func in (k_center, kmeans_pp):
        a = func(X, n, selected=labeled, random_state=seed)
        assert a.shape == (n,) and len(set(a.tolist())) == n
        assert not np.isin(a, labeled).any()
        assert np.array_equal(a, func(X, n, selected=labeled, random_state=seed))


@settings(max_examples=60, deadline=None)
@given(pools(), st.floats(0, 1), st.data())
def test_combined_and_cluster_margin_batches(pool, weight, data):
    X, labeled, n, seed = pool
    rng = np.random.default_rng(seed)
    p = rng.dirichlet(np.ones(3), size=X.shape[0])
    idx, comp = combined(p, X, n, labeled=labeled, weight=weight, random_state=seed, return_components=True)
    assert len(set(idx.tolist())) == n and not np.isin(idx, labeled).any()
    assert all(np.all(np.isfinite(v)) for v in comp.values())
    assert np.array_equal(idx, combined(p, X, n, labeled=labeled, weight=weight, random_state=seed))
    clusters = np.asarray(data.draw(st.lists(st.integers(0, 3), min_size=X.shape[0], max_size=X.shape[0])))
    cm = cluster_margin(p, X, n, labeled=labeled, clusters=clusters, random_state=seed)
    assert len(set(cm.tolist())) == n and not np.isin(cm, labeled).any()
