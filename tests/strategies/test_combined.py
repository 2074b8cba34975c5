import numpy as np
import pytest

from activelens.strategies import cluster_margin, combined, entropy


def _near_duplicates():
    # ten copies of the most uncertain item plus a spread of slightly less uncertain ones
    rng = np.random.default_rng(0)
    X = np.vstack([np.zeros((10, 2)) + rng.normal(0, 1e-3, (10, 2)), rng.uniform(-10, 10, (40, 2))])
    p_top = np.tile([0.5, 0.5], (10, 1))
    first = rng.uniform(0.51, 0.6, 40)  # slightly less uncertain than the copies
    p_rest = np.column_stack([first, 1 - first])
    return X, np.vstack([p_top, p_rest])


def test_top_k_uncertainty_picks_near_duplicates_but_combined_spreads_the_batch():
    X, p = _near_duplicates()
    top = np.argsort(-entropy(p), kind="stable")[:5]
    assert set(top.tolist()) <= set(range(10))  # the naive batch is five near-copies
    idx = combined(p, X, 5, random_state=0)
    assert sum(i < 10 for i in idx) == 1  # the blend takes one of them, then moves away


def test_weight_one_is_pure_uncertainty_and_zero_is_pure_diversity():
    X, p = _near_duplicates()
    assert set(combined(p, X, 5, weight=1.0, random_state=0).tolist()) <= set(range(10))
    labeled = [0]
    idx = combined(p, X, 3, labeled=labeled, weight=0.0, random_state=0)
    d = np.linalg.norm(X - X[0], axis=1)
    assert idx[0] == int(np.argmax(d))


def test_components_are_reported_and_consistent():
    X, p = _near_duplicates()
    idx, comp = combined(p, X, 4, labeled=[12, 13], weight=0.3, random_state=1, return_components=True)
    assert set(comp) == {"score", "uncertainty", "diversity"}
    for v in comp.values():
        assert v.shape == (4,) and np.all(np.isfinite(v)) and np.all((v >= 0) & (v <= 1))
    assert np.allclose(comp["score"], 0.3 * comp["uncertainty"] + 0.7 * comp["diversity"])


def test_combined_never_picks_labeled_and_is_deterministic():
    rng = np.random.default_rng(5)
    X = rng.normal(size=(300, 6))
    p = rng.dirichlet(np.ones(4), size=300)
    labeled = rng.choice(300, 50, replace=False)
    a = combined(p, X, 40, labeled=labeled, random_state=9)
    assert len(set(a.tolist())) == 40 and not np.isin(a, labeled).any()
    assert np.array_equal(a, combined(p, X, 40, labeled=labeled, random_state=9))


def test_cluster_margin_round_robins_over_clusters_smallest_first():
    rng = np.random.default_rng(0)
    clusters = np.repeat([0, 1, 2], [60, 30, 10])
    p = np.tile([0.55, 0.45], (100, 1))  # all equally uncertain: every item is a candidate
    idx = cluster_margin(p, None, 6, clusters=clusters, candidate_factor=100, random_state=rng)
    got = clusters[idx].tolist()
    assert got == [2, 1, 0, 2, 1, 0]


def test_cluster_margin_takes_low_margin_candidates_only():
    clusters = np.arange(100) % 5
    p = np.tile([0.99, 0.01], (100, 1))
    uncertain = np.arange(0, 100, 7)
    p[uncertain] = [0.5, 0.5]
    idx = cluster_margin(p, None, 5, clusters=clusters, candidate_factor=1, random_state=0)
    assert set(idx.tolist()) <= set(uncertain.tolist())


def test_cluster_margin_fits_clusters_itself_and_excludes_labeled():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(500, 5))
    p = rng.dirichlet(np.ones(3), size=500)
    labeled = np.arange(100)
    idx = cluster_margin(p, X, 20, labeled=labeled, random_state=0)
    assert len(set(idx.tolist())) == 20 and not np.isin(idx, labeled).any()
    with pytest.raises(ValueError, match="one label per pool item"):
        cluster_margin(p, X, 5, clusters=np.zeros(10))
