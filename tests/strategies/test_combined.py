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


# ----- margin spread by k-means (diverse mini-batch) -----
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from activelens.strategies.combined import margin_kmeans, weighted_kmeans  # noqa: E402
from activelens.strategies.uncertainty import margin  # noqa: E402


def _two_uncertain_spots():
    """Four copies of a most-uncertain item at A, four slightly less uncertain at B far away, 40 confident items."""
    rng = np.random.default_rng(0)
    X = np.vstack([np.tile([[0.0, 0.0]], (4, 1)), np.tile([[10.0, 10.0]], (4, 1)), rng.uniform(-20, 20, (40, 2))])
    p = np.vstack([np.tile([[0.5, 0.5]], (4, 1)), np.tile([[0.52, 0.48]], (4, 1)), np.tile([[1.0, 0.0]], (40, 1))])
    return X, p


def test_margin_kmeans_takes_one_item_per_uncertain_spot_where_top_margin_takes_copies():
    X, p = _two_uncertain_spots()
    top = np.argsort(-margin(p), kind="stable")[:2]
    assert set(top.tolist()) <= {0, 1, 2, 3}                       # plain margin: two copies of A
    for seed in range(5):
        idx = margin_kmeans(p, X, 2, random_state=seed)
        assert len({i // 4 for i in idx}) == 2 and set(idx.tolist()) <= set(range(8))   # one of A, one of B


def test_margin_kmeans_with_one_pick_is_margin_and_components_are_margins():
    X, p = _two_uncertain_spots()
    assert margin_kmeans(p, X, 1, random_state=0)[0] in {0, 1, 2, 3}
    idx, comp = margin_kmeans(p, X, 3, labeled=[0, 1], random_state=0, return_components=True)
    np.testing.assert_allclose(comp["uncertainty"], margin(p)[idx])
    with pytest.raises(ValueError, match="factor must be a number >= 1"):
        margin_kmeans(p, X, 2, factor=0.5)
    with pytest.raises(ValueError, match="same pool"):
        margin_kmeans(p[:-1], X, 2)


def test_weighted_kmeans_separates_two_blobs_and_follows_the_weights():
    rng = np.random.default_rng(1)
    E = np.vstack([rng.normal(0, 0.1, (30, 2)), rng.normal(5, 0.1, (30, 2))])
    centres, labels = weighted_kmeans(E, np.ones(60), 2, np.random.default_rng(0))
    assert len(set(labels[:30])) == 1 and len(set(labels[30:])) == 1 and labels[0] != labels[30]
    # one cluster: the centre is the weighted mean
    w = rng.uniform(0.1, 1.0, 60)
    centres, _ = weighted_kmeans(E, w, 1, np.random.default_rng(0))
    np.testing.assert_allclose(centres[0], (E * w[:, None]).sum(0) / w.sum())


@settings(max_examples=60, deadline=None)
@given(n_rows=st.integers(2, 40), k=st.integers(2, 4), factor=st.floats(1, 8), data=st.data())
def test_margin_kmeans_batches_are_unique_unlabeled_uncertain_and_seeded(n_rows, k, factor, data):
    seed = data.draw(st.integers(0, 2**16))
    rng = np.random.default_rng(seed)
    p = rng.dirichlet(np.ones(k), size=n_rows)
    X = np.round(rng.normal(size=(n_rows, 2)), data.draw(st.integers(0, 2)))   # rounding makes duplicates
    labeled = np.asarray(data.draw(st.lists(st.integers(0, n_rows - 1), unique=True, max_size=n_rows - 1)), dtype=int)
    n = data.draw(st.integers(1, n_rows - labeled.size))
    idx = margin_kmeans(p, X, n, labeled=labeled, factor=factor, random_state=seed)
    assert idx.shape == (n,) and np.unique(idx).size == n and not np.isin(idx, labeled).any()
    u = margin(p)
    m = min(n_rows - labeled.size, max(n, round(factor * n)))
    free = np.setdiff1d(np.arange(n_rows), labeled)
    assert u[idx].min() >= np.sort(u[free])[::-1][m - 1] - 1e-12   # always among the m most uncertain
    assert np.array_equal(idx, margin_kmeans(p, X, n, labeled=labeled, factor=factor, random_state=seed))
