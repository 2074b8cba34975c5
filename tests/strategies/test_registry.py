"""One registry maps names to strategies; each entry answers like its pure function on known cases."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.datasets import make_blobs
from sklearn.linear_model import LogisticRegression

from activelens.backends.memory import InMemoryPool
from activelens.strategies import Combined, MarginKMeans, QueryByCommittee, Uncertainty, entropy, k_center, margin
from activelens.strategies import registry
from activelens.strategies.registry import Ask, STRATEGIES, resolve, strategy_name
from activelens.strategies.select import top_n


@pytest.fixture(scope="module")
def fitted():
    X, y = make_blobs(n_samples=300, centers=4, cluster_std=3.0, random_state=2)
    labeled = np.arange(0, 300, 15)
    model = LogisticRegression(max_iter=500).fit(X[labeled], y[labeled])
    return X, y, labeled, model


def ask_for(model, labeled, n=10, seed=0, y=None, **kw):
    return Ask(n=n, labeled=labeled, rng=np.random.default_rng(seed), model=model,
               classes=None if model is None else np.asarray(model.classes_),
               estimator=LogisticRegression(max_iter=500), y=y, **kw)


def test_names_resolve_and_unknown_names_are_refused_with_the_choices():
    assert resolve("margin") is STRATEGIES["margin"]
    with pytest.raises(ValueError, match="strategy must be one of auto, random, entropy, margin.*got 'marginn'"):
        resolve("marginn")
    with pytest.raises(ValueError, match="strategy must be one of"):
        resolve(42)


def test_a_callable_is_an_uncertainty_rule_named_after_it():
    def my_rule(proba):
        return 1 - proba.max(axis=1)

    s = resolve(my_rule)
    assert s.name == "my_rule" and strategy_name(my_rule) == "my_rule" and strategy_name("margin") == "margin"
    assert strategy_name(lambda p: p[:, 0]) == "<lambda>"

    class Rule:   # a callable object without __name__
        def __call__(self, proba):
            return proba[:, 0]

    assert strategy_name(Rule()) == "custom" and resolve(Rule()).name == "custom"


def test_strategies_carry_their_parameters_and_names_give_the_defaults():
    assert resolve("combined") is STRATEGIES["combined"]
    assert (STRATEGIES["combined"].weight, STRATEGIES["combined"].uncertainty) == (0.5, "margin")
    c = Combined(weight=0.3, uncertainty="entropy")
    assert resolve(c) is c and repr(c) == "Combined(weight=0.3, uncertainty='entropy')"
    assert MarginKMeans(factor=7).factor == 7 and Uncertainty("entropy").name == "entropy"
    assert QueryByCommittee("kl", n_members=3).name == "qbc_kl"
    with pytest.raises(ValueError, match="weight"):
        Combined(weight=1.5)
    with pytest.raises(TypeError, match="weight"):
        Combined(weight="high")
    with pytest.raises(ValueError, match="factor"):
        MarginKMeans(factor=0.5)
    with pytest.raises(ValueError, match="n_members"):
        QueryByCommittee(n_members=1)
    with pytest.raises(ValueError, match="unknown uncertainty measure"):
        Uncertainty("entropie")
    with pytest.raises(ValueError, match="unknown disagreement"):
        QueryByCommittee("votes")


def test_a_strategys_parameters_change_its_picks(fitted):
    X, _, labeled, model = fitted
    pool = InMemoryPool(X)
    picks = {w: Combined(weight=w).select(pool, ask_for(model, labeled, seed=1)).indices.tolist() for w in (0.0, 1.0)}
    assert picks[0.0] != picks[1.0]
    sel = Combined(weight=1.0).select(pool, ask_for(model, labeled, seed=1))
    np.testing.assert_allclose(sel.components["uncertainty"][0], 1.0)


@pytest.mark.parametrize("name,rule", [("margin", margin), ("entropy", entropy)])
def test_uncertainty_entries_pick_the_top_of_their_rule(fitted, name, rule):
    X, _, labeled, model = fitted
    pool = InMemoryPool(X)
    sel = STRATEGIES[name].select(pool, ask_for(model, labeled, seed=5))
    u = rule(model.predict_proba(X))
    np.testing.assert_array_equal(sel.indices, top_n(u, 10, np.random.default_rng(5), exclude=labeled))
    np.testing.assert_allclose(sel.scores, u[sel.indices])
    assert set(sel.components) == {"uncertainty", "diversity"} and (sel.components["diversity"] > 0).all()


def test_k_center_entry_is_the_pure_function_on_the_pool_embedding(fitted):
    X, _, labeled, _ = fitted
    pool = InMemoryPool(X)
    sel = STRATEGIES["k_center"].select(pool, ask_for(None, labeled, seed=3))
    want = k_center(pool.embedding, 10, selected=labeled, random_state=np.random.default_rng(3))
    np.testing.assert_array_equal(sel.indices, want)
    assert (np.diff(sel.scores) <= 1e-9).all()   # farthest-first: each pick no farther than the one before


def test_combined_falls_back_to_cluster_margin_where_the_blend_is_too_dear(fitted):
    X, _, labeled, model = fitted

    class Dear(InMemoryPool):
        kernels = {"blend_affordable": lambda pool, n: False}

    sel = STRATEGIES["combined"].select(Dear(X), ask_for(model, labeled))
    assert "cluster" in sel.components
    sel2 = STRATEGIES["combined"].select(InMemoryPool(X), ask_for(model, labeled))
    assert set(sel2.components) == {"uncertainty", "diversity"}


def test_cold_start_selection_names_what_it_did(fitted):
    X, y, _, model = fitted
    pool = InMemoryPool(X)
    empty = np.array([], dtype=np.intp)
    sel, name = registry.cold_start_selection("typiclust", pool, ask_for(None, empty))
    assert name == "typiclust" and len(set(y[sel.indices])) >= 3
    sel, name = registry.cold_start_selection("random", pool, ask_for(None, empty))
    assert name == "random" and (sel.scores == 0).all()
    sel, name = registry.cold_start_selection(model, pool, ask_for(None, empty))
    assert name == "pretrained" and set(sel.components) == {"uncertainty", "diversity"}


@settings(max_examples=25, deadline=None)
@given(name=st.sampled_from(sorted(STRATEGIES)), n=st.integers(1, 30), seed=st.integers(0, 10_000),
       n_labeled=st.integers(2, 40))
def test_every_entry_returns_n_distinct_unlabeled_items(fitted, name, n, seed, n_labeled):
    X, y, _, model = fitted
    labeled = np.random.default_rng(seed).choice(300, n_labeled, replace=False).astype(np.intp)
    labeled[:2] = [int(np.flatnonzero(y == 0)[0]), int(np.flatnonzero(y == 1)[0])]   # two classes for a committee
    labeled = np.unique(labeled)
    pool = InMemoryPool(X)
    strategy = STRATEGIES[name]
    sel = strategy.select(pool, ask_for(model, labeled, n=n, seed=seed,
                                        y=y[labeled]))
    idx = np.asarray(sel.indices)
    assert idx.size == n and np.unique(idx).size == n and not np.isin(idx, labeled).any()
    assert np.asarray(sel.scores).shape == (n,)
    for v in sel.components.values():
        assert np.asarray(v).shape == (n,)
