"""Query-by-committee: disagreement measures on known committees, the stratified bootstrap, and the strategy."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.datasets import make_blobs
from sklearn.linear_model import LogisticRegression

from activelens.backends.memory import InMemoryPool
from activelens.strategies.committee import (fit_committee, kl_disagreement, qbc, stratified_bootstrap,
                                             vote_entropy)
from activelens.strategies.registry import STRATEGIES, Ask
from activelens.strategies.select import top_n


def test_vote_entropy_on_known_votes():
    agree = np.tile([[[0.9, 0.1]]], (4, 1, 1))                       # 4 members, 1 item, all vote class 0
    split = np.array([[[0.9, 0.1]], [[0.8, 0.2]], [[0.3, 0.7]], [[0.1, 0.9]]])   # 2 against 2
    three = np.array([[[1, 0, 0]], [[0, 1, 0]], [[0, 0, 1]]], dtype=float)
    np.testing.assert_allclose(vote_entropy(agree), [0.0])
    np.testing.assert_allclose(vote_entropy(split), [np.log(2)])
    np.testing.assert_allclose(vote_entropy(three), [np.log(3)])


def test_mean_kl_on_known_committees():
    same = np.tile([[[0.6, 0.4]]], (3, 1, 1))
    opposite = np.array([[[1.0, 0.0]], [[0.0, 1.0]]])                # KL(one-hot ‖ uniform) = log 2 each
    np.testing.assert_allclose(kl_disagreement(same), [0.0], atol=1e-12)
    np.testing.assert_allclose(kl_disagreement(opposite), [np.log(2)])
    # the confident-but-agreeing item is not queried; the disagreeing one is
    both = np.concatenate([np.tile([[[0.99, 0.01]]], (2, 1, 1)), np.array([[[0.9, 0.1]], [[0.1, 0.9]]])], axis=1)
    assert kl_disagreement(both)[1] > kl_disagreement(both)[0]


def test_committee_probabilities_are_checked():
    with pytest.raises(ValueError, match="members, items, classes"):
        vote_entropy(np.ones((3, 2)))
    with pytest.raises(ValueError, match="sum to 1"):
        kl_disagreement(np.full((2, 3, 2), 0.7))


def test_stratified_bootstrap_keeps_every_class_and_its_count():
    y = np.array([0] * 7 + [1] * 2 + [2])
    for s in stratified_bootstrap(y, 20, np.random.default_rng(0)):
        assert np.all(np.diff(s) >= 0)                               # pool order
        assert np.bincount(y[s], minlength=3).tolist() == [7, 2, 1]


def test_fit_committee_members_differ_and_repeat_under_a_seed():
    X, y = make_blobs(60, centers=3, cluster_std=3.0, random_state=0)
    a = fit_committee(LogisticRegression(), X, y, 4, random_state=1)
    b = fit_committee(LogisticRegression(), X, y, 4, random_state=1)
    assert len(a) == 4
    assert not np.allclose(a[0].coef_, a[1].coef_)
    for m, n in zip(a, b):
        np.testing.assert_array_equal(m.coef_, n.coef_)
    with pytest.raises(ValueError, match="two classes"):
        fit_committee(LogisticRegression(), X[:5], np.zeros(5), 3)


def test_qbc_strategy_is_the_top_disagreement_of_a_bagged_committee():
    X, y = make_blobs(300, centers=4, cluster_std=3.0, random_state=2)
    labeled = np.arange(0, 300, 10)[::-1]                              # taught in reverse pool order
    pool = InMemoryPool(X)
    ask = Ask(n=8, labeled=labeled, rng=np.random.default_rng(3), model=None, classes=np.arange(4),
              estimator=LogisticRegression(), y=y[labeled])
    sel = STRATEGIES["qbc_kl"].select(pool, ask)
    rng = np.random.default_rng(3)
    order = np.sort(labeled)
    members = fit_committee(LogisticRegression(), X[order], y[order], 5, rng)
    u = kl_disagreement(np.stack([m.predict_proba(X) for m in members]))
    np.testing.assert_array_equal(sel.indices, top_n(u, 8, rng, exclude=labeled))
    np.testing.assert_allclose(sel.components["uncertainty"], u[sel.indices])
    with pytest.raises(ValueError, match="needs the estimator"):
        STRATEGIES["qbc"].select(pool, Ask(n=2, labeled=labeled, rng=np.random.default_rng(0), classes=np.arange(4)))


@settings(max_examples=60, deadline=None)
@given(m=st.integers(1, 6), n=st.integers(1, 30), k=st.integers(1, 5), data=st.data())
def test_disagreement_is_bounded_and_qbc_batches_are_unique_and_seeded(m, n, k, data):
    seed = data.draw(st.integers(0, 2**16))
    rng = np.random.default_rng(seed)
    P = rng.dirichlet(np.ones(k), size=(m, n))
    if data.draw(st.booleans()):       # one-hot members: exact zeros and ties, as real committees give
        P = np.eye(k)[P.argmax(axis=2)]
    ve, kl = vote_entropy(P), kl_disagreement(P)
    assert ve.shape == kl.shape == (n,)
    assert np.all(ve >= -1e-12) and np.all(ve <= np.log(min(m, k)) + 1e-9)
    assert np.all(np.isfinite(kl)) and np.all(kl >= 0)
    if m == 1:
        assert np.allclose(ve, 0) and np.allclose(kl, 0)
    labeled = np.asarray(data.draw(st.lists(st.integers(0, n - 1), unique=True, max_size=n - 1)), dtype=int)
    b = data.draw(st.integers(1, n - labeled.size))
    for how in ("vote_entropy", "kl"):
        idx = qbc(P, b, labeled, how, random_state=seed)
        assert np.unique(idx).size == b and not np.isin(idx, labeled).any()
        assert np.array_equal(idx, qbc(P, b, labeled, how, random_state=seed))
