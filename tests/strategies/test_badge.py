"""BADGE: gradient embeddings (exact for linear heads) and k-means++ seeding on them, without building them."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.datasets import make_blobs
from sklearn.linear_model import LogisticRegression
from sklearn.naive_bayes import GaussianNB
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from activelens.strategies.badge import badge, badge_sampling, gradient_factors, pseudo_label_residual


def test_residual_is_p_minus_the_one_hot_guess():
    p = np.array([[0.7, 0.3], [0.2, 0.8]])
    np.testing.assert_allclose(pseudo_label_residual(p), [[-0.3, 0.3], [0.2, -0.2]])
    assert np.all(pseudo_label_residual(np.eye(3)) == 0)   # a confident model has no gradient


def _loss(model, z1, y_hat):
    """−log p_ŷ of one standardized row under the LR head's current weights."""
    logits = model.coef_ @ z1 + model.intercept_
    logits = logits - logits.max()
    return -(logits[y_hat] - np.log(np.exp(logits).sum()))


def test_linear_head_gets_the_exact_last_layer_gradient():
    X, y = make_blobs(200, n_features=4, centers=3, cluster_std=3.0, random_state=0)
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=500)).fit(X, y)
    p = model.predict_proba(X)
    A, F, exact = gradient_factors(model, X, p)
    assert exact and F.shape == (200, 5) and np.all(F[:, -1] == 1)
    head, z = model[-1], model[:-1].transform(X)
    for i in (0, 17, 101):
        y_hat = int(p[i].argmax())
        g = np.outer(A[i], F[i])                       # (classes, features + intercept)
        num = np.zeros_like(g, dtype=np.float64)
        for c in range(3):                              # central differences on (coef_, intercept_)
            for j in range(5):
                target = head.coef_ if j < 4 else head.intercept_
                where = (c, j) if j < 4 else (c,)
                old = target[where]
                target[where] = old + 1e-5
                up = _loss(head, z[i], y_hat)
                target[where] = old - 1e-5
                down = _loss(head, z[i], y_hat)
                target[where] = old
                num[c, j] = (up - down) / 2e-5
        np.testing.assert_allclose(g, num, atol=1e-4)


def test_binary_linear_head_gradient_is_the_single_vector_times_sqrt2():
    X, y = make_blobs(120, n_features=3, centers=2, cluster_std=4.0, random_state=1)
    model = LogisticRegression().fit(X, y)
    p = model.predict_proba(X)
    A, F, exact = gradient_factors(model, X, p)
    assert exact
    single = (p[:, 1] - (p.argmax(1) == 1))[:, None] * np.column_stack([X, np.ones(120)])
    norms = np.linalg.norm(A, axis=1) * np.linalg.norm(F, axis=1)
    np.testing.assert_allclose(norms, np.sqrt(2) * np.linalg.norm(single, axis=1), rtol=1e-5)


def test_a_model_without_a_linear_head_uses_the_embedding():
    X, y = make_blobs(80, n_features=3, centers=2, random_state=2)
    model = GaussianNB().fit(X, y)
    E = np.arange(160, dtype=float).reshape(80, 2)
    A, F, exact = gradient_factors(model, X, model.predict_proba(X), embedding=E)
    assert not exact and np.array_equal(F, E.astype(np.float32))
    with pytest.raises(ValueError, match="needs an embedding"):
        gradient_factors(model, X, model.predict_proba(X))


def _naive_badge(A, F, n, labeled, rng):
    """BADGE with the gradient embeddings built explicitly (what the factorized loop must match)."""
    G = (A[:, :, None] * F[:, None, :]).reshape(A.shape[0], -1).astype(np.float64)
    free = np.ones(A.shape[0], dtype=bool)
    free[labeled] = False
    norms = np.where(free, (G ** 2).sum(1), -np.inf)
    best = np.flatnonzero(norms == norms.max())
    picks = [int(best[0]) if best.size == 1 else int(rng.choice(best))]
    d2 = np.full(A.shape[0], np.inf)
    for _ in range(n - 1):
        d2 = np.minimum(d2, ((G - G[picks[-1]]) ** 2).sum(1))
        w = np.where(free, d2, 0.0)
        w[picks] = 0
        picks.append(int(rng.choice(w.size, p=w / w.sum())))
    return np.asarray(picks)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_factorized_seeding_picks_what_explicit_embeddings_pick(seed):
    rng = np.random.default_rng(seed)
    A = pseudo_label_residual(rng.dirichlet(np.ones(4), size=60))
    F = rng.normal(size=(60, 5))
    labeled = np.array([3, 9, 40])
    got, norms, dist = badge_sampling(A, F, 8, labeled, np.random.default_rng(seed))
    want = _naive_badge(A, F, 8, labeled, np.random.default_rng(seed))
    np.testing.assert_array_equal(got, want)
    assert norms[0] == pytest.approx(np.max(np.delete(np.linalg.norm(A, axis=1) * np.linalg.norm(F, axis=1), labeled)),
                                     rel=1e-5)
    assert np.isinf(dist[0]) and np.all(dist[1:] > 0)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_a_sparse_head_input_stays_sparse_and_picks_what_the_dense_one_picks(seed):
    """A linear model on a sparse pool (TF-IDF): F is CSR with the column of ones, never densified, and the seeding
    over it picks what the same F held dense picks."""
    import scipy.sparse as sp

    rng = np.random.default_rng(seed)
    dense = np.where(rng.random((90, 30)) < 0.15, rng.random((90, 30)), 0.0)
    dense[:, 0] += 0.01                                   # no empty row: every document has a word
    y = rng.integers(0, 3, 90)
    X = sp.csr_matrix(dense)
    model = LogisticRegression(max_iter=500).fit(X, y)
    p = model.predict_proba(X)
    A, F, exact = gradient_factors(model, X, p)
    assert exact and sp.issparse(F) and F.shape == (90, 31) and F.dtype == np.float32
    np.testing.assert_array_equal(F[:, -1].toarray().ravel(), np.ones(90))
    A_dense, F_dense, _ = gradient_factors(model, dense, p)
    np.testing.assert_allclose(F.toarray(), F_dense)
    labeled = np.array([1, 50])
    got = badge_sampling(A, F, 10, labeled, np.random.default_rng(seed))
    want = badge_sampling(A_dense, F_dense, 10, labeled, np.random.default_rng(seed))
    np.testing.assert_array_equal(got[0], want[0])
    np.testing.assert_allclose(got[1], want[1], rtol=1e-5)


def test_exact_copies_of_a_pick_are_never_drawn_again():
    rng = np.random.default_rng(0)
    X = np.vstack([np.tile([[8.0, 8.0]], (10, 1)), rng.uniform(-5, 5, (40, 2))])
    p = np.vstack([np.tile([[0.5, 0.5]], (10, 1)), rng.dirichlet([5, 1], size=40)])
    for seed in range(5):
        idx = badge(p, X, 6, random_state=seed)
        assert sum(i < 10 for i in idx) == 1       # one of the ten copies (the largest gradient), then elsewhere


def test_badge_validates_its_inputs():
    p = np.full((5, 2), 0.5)
    with pytest.raises(ValueError, match="same pool"):
        badge(p, np.zeros((4, 2)), 2)
    with pytest.raises(ValueError):
        badge(p, np.zeros((5, 2)), 6)


@settings(max_examples=60, deadline=None)
@given(n_rows=st.integers(2, 40), k=st.integers(1, 5), d=st.integers(1, 4), data=st.data())
def test_badge_batches_are_unique_unlabeled_and_seeded(n_rows, k, d, data):
    seed = data.draw(st.integers(0, 2**16))
    rng = np.random.default_rng(seed)
    p = rng.dirichlet(np.ones(k), size=n_rows) if k > 1 else np.ones((n_rows, 1))
    X = np.round(rng.normal(size=(n_rows, d)), data.draw(st.integers(0, 2)))   # rounding makes duplicates
    labeled = np.asarray(data.draw(st.lists(st.integers(0, n_rows - 1), unique=True, max_size=n_rows - 1)), dtype=int)
    n = data.draw(st.integers(1, n_rows - labeled.size))
    idx, comp = badge(p, X, n, labeled=labeled, random_state=seed, return_components=True)
    assert idx.shape == (n,) and np.unique(idx).size == n and not np.isin(idx, labeled).any()
    assert np.all(np.isfinite(comp["gradient"])) and np.all(comp["gradient"] >= 0)
    assert np.array_equal(idx, badge(p, X, n, labeled=labeled, random_state=seed))


@settings(max_examples=40, deadline=None)
@given(n_rows=st.integers(2, 40), k=st.integers(2, 4), d=st.integers(1, 6), data=st.data())
def test_sparse_factors_give_unique_unlabeled_reproducible_batches(n_rows, k, d, data):
    import scipy.sparse as sp

    seed = data.draw(st.integers(0, 2**16))
    rng = np.random.default_rng(seed)
    A = pseudo_label_residual(rng.dirichlet(np.ones(k), size=n_rows))
    F = sp.random(n_rows, d, density=data.draw(st.sampled_from([0.0, 0.3, 1.0])), format="csr", random_state=seed)
    labeled = np.asarray(data.draw(st.lists(st.integers(0, n_rows - 1), unique=True, max_size=n_rows - 1)), dtype=int)
    n = data.draw(st.integers(1, n_rows - labeled.size))
    idx, norms, dist = badge_sampling(A, F, n, labeled, np.random.default_rng(seed))
    assert idx.shape == (n,) and np.unique(idx).size == n and not np.isin(idx, labeled).any()
    assert np.all(np.isfinite(norms)) and np.all(norms >= 0) and np.isinf(dist[0])
    assert np.array_equal(idx, badge_sampling(A, F, n, labeled, np.random.default_rng(seed))[0])
