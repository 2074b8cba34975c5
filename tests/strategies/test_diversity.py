import numpy as np
import pytest

from activelens.strategies import k_center, kmeans_pp
from activelens.strategies.diversity import NearestDistance, prepare_embedding


def test_k_center_picks_the_far_corners_first():
    # a tight blob at the origin plus three far points: after one pick in the blob, the far points come next
    rng = np.random.default_rng(0)
    blob = rng.normal(0, 0.01, size=(50, 2))
    far = np.array([[10.0, 0.0], [0.0, 10.0], [-10.0, -10.0]])
    X = np.vstack([blob, far])
    idx = k_center(X, 3, selected=[0], random_state=0)
    assert set(idx.tolist()) == {50, 51, 52}


def test_k_center_never_picks_selected_or_twice():
    X = np.random.default_rng(1).normal(size=(200, 5))
    selected = np.arange(0, 200, 3)
    idx = k_center(X, 100, selected=selected, random_state=0)
    assert len(set(idx.tolist())) == 100
    assert not np.isin(idx, selected).any()


def test_k_center_with_duplicates_of_labeled_rows_never_reselects_them():
    X = np.zeros((10, 3))  # every row identical: all distances 0
    idx = k_center(X, 5, selected=[0, 1], random_state=0)
    assert not np.isin(idx, [0, 1]).any() and len(set(idx.tolist())) == 5


def test_k_center_is_deterministic_under_a_seed_and_ties_are_random():
    X = np.zeros((100, 2))
    a = k_center(X, 10, random_state=3)
    b = k_center(X, 10, random_state=3)
    assert np.array_equal(a, b)
    firsts = {int(k_center(X, 1, random_state=s)[0]) for s in range(20)}
    assert len(firsts) > 5  # equal scores do not always pick the lowest index


def test_k_center_matches_brute_force_greedy():
    rng = np.random.default_rng(2)
    X = rng.normal(size=(300, 4))
    selected = [5]
    idx = k_center(X, 15, selected=selected, random_state=0)
    chosen = list(selected)
    expected = []
    for _ in range(15):
        d = np.min(np.linalg.norm(X[:, None, :] - X[chosen][None], axis=2), axis=1)
        d[chosen] = -1
        nxt = int(np.argmax(d))
        expected.append(nxt)
        chosen.append(nxt)
    assert idx.tolist() == expected


def test_nearest_distance_blocks_match_a_dense_computation():
    rng = np.random.default_rng(3)
    X = rng.normal(size=(1000, 8)).astype(np.float32) + 100.0  # offset: centring keeps float32 accurate
    E = prepare_embedding(X)
    t = NearestDistance(E)
    centres = rng.choice(1000, size=700, replace=False)  # more than one centre block
    t.add(centres)
    dense = ((X[:, None, :].astype(np.float64) - X[centres][None]) ** 2).sum(-1).min(axis=1)
    free = np.setdiff1d(np.arange(1000), centres)
    assert np.allclose(t.d2[free], dense[free], rtol=1e-3, atol=1e-3)
    assert np.all(t.d2[centres] == -np.inf)


def test_kmeans_pp_prefers_far_points():
    X = np.vstack([np.zeros((1000, 2)), [[100.0, 100.0]]])
    hits = sum(int(kmeans_pp(X, 1, selected=[0], random_state=s)[0] == 1000) for s in range(20))
    assert hits == 20  # D² weight of the far point dwarfs the (zero-distance) duplicates


def test_kmeans_pp_unique_excludes_selected_and_is_seeded():
    X = np.random.default_rng(4).normal(size=(100, 3))
    a = kmeans_pp(X, 30, selected=[1, 2, 3], random_state=7)
    assert len(set(a.tolist())) == 30 and not np.isin(a, [1, 2, 3]).any()
    assert np.array_equal(a, kmeans_pp(X, 30, selected=[1, 2, 3], random_state=7))


@pytest.mark.parametrize("func", [k_center, kmeans_pp])
def test_diversity_bad_input(func):
    X = np.random.default_rng(0).normal(size=(10, 2))
    with pytest.raises(ValueError, match="larger than the 8 items left"):
        func(X, 9, selected=[0, 1])
    with pytest.raises(IndexError, match="out of range"):
        func(X, 2, selected=[10])
    bad = X.copy()
    bad[3, 1] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        func(bad, 2)
    with pytest.raises(ValueError, match="n must be a positive int"):
        func(X, 0)
    with pytest.raises(ValueError, match="empty"):
        func(np.empty((0, 2)), 1)
