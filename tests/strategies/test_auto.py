"""strategy="auto" and cold_start="auto": the decisions, the rule each round used and why, on any pool."""
import numpy as np
import pytest
from sklearn.datasets import make_blobs
from sklearn.linear_model import LogisticRegression

from activelens import ActiveLearner
from activelens.backends.memory import InMemoryPool
from activelens.core.records import Round
from activelens.strategies import auto
from activelens.strategies.registry import STRATEGIES, Ask, cold_start_selection


def test_cold_start_is_typiclust_unless_the_pool_is_too_small():
    rule, reason = auto.cold_start_rule(n_rows=1000, n=20, n_labeled=0)
    assert rule == "typiclust" and "cold start" in reason and "TypiClust" in reason
    rule, reason = auto.cold_start_rule(n_rows=105, n=20, n_labeled=0)          # iris after a test split
    assert rule == "random" and "too few" in reason
    assert auto.cold_start_rule(n_rows=200, n=10, n_labeled=10)[0] == "typiclust"   # 200 rows, 20 clusters


def test_the_rule_once_a_model_exists():
    assert auto.query_rule(10)[0] == "margin_kmeans"
    assert auto.query_rule(1)[0] == "margin"


def _fitted(seed=0):
    X, y = make_blobs(400, centers=4, cluster_std=3.0, random_state=seed)
    labeled = np.arange(0, 400, 20)
    return X, y, labeled, LogisticRegression(max_iter=500).fit(X[labeled], y[labeled])


def test_auto_picks_what_its_rule_picks_and_says_so():
    X, y, labeled, model = _fitted()
    pool = InMemoryPool(X)

    def ask():
        return Ask(n=10, labeled=labeled, rng=np.random.default_rng(4), model=model, classes=np.arange(4))

    got = STRATEGIES["auto"].select(pool, ask())
    want = STRATEGIES["margin_kmeans"].select(pool, ask())
    np.testing.assert_array_equal(got.indices, want.indices)
    assert got.rule == "margin_kmeans" and "uncertain" in got.reason


def test_auto_cold_start_selection_records_its_choice():
    X, y, _, _ = _fitted()
    empty = np.array([], dtype=np.intp)
    sel, name = cold_start_selection("auto", InMemoryPool(X), Ask(n=20, labeled=empty, rng=np.random.default_rng(0)))
    assert name == sel.rule == "typiclust" and len(set(y[sel.indices])) == 4
    sel, name = cold_start_selection("auto", InMemoryPool(X[:150]), Ask(n=20, labeled=empty,
                                                                       rng=np.random.default_rng(0)))
    assert name == sel.rule == "random" and "too few" in sel.reason


def test_the_learner_defaults_to_auto_and_history_says_which_rule_and_why():
    X, y, _, _ = _fitted(1)
    learner = ActiveLearner(LogisticRegression(max_iter=500), X, random_state=0)
    assert learner.strategy == "auto" and learner.cold_start == "auto"
    first = learner.query(20)
    assert first.strategy == first.rule == "typiclust" and first.reason.startswith("cold start")
    learner.teach(first.indices, y[first.indices])
    learner.fit()
    batch = learner.query()
    assert batch.strategy == "auto" and batch.rule == "margin_kmeans" and batch.reason
    learner.teach(batch.indices, y[batch.indices])
    learner.fit()
    h = learner.history
    assert {"strategy", "rule", "reason"} <= set(h.columns)
    assert h.strategy.tolist() == ["auto", "auto"]
    assert h.rule.tolist() == ["typiclust", "margin_kmeans"]
    assert h.reason.iloc[0].startswith("cold start") and "k-means" in h.reason.iloc[1]


def test_a_named_strategy_keeps_its_name_as_its_rule():
    X, y, _, _ = _fitted(2)
    learner = ActiveLearner(LogisticRegression(max_iter=500), X, strategy="margin", cold_start="random",
                            random_state=0)
    b = learner.query(20)
    learner.teach(b.indices, y[b.indices])
    learner.fit()
    b = learner.query()
    assert b.strategy == b.rule == "margin" and b.reason == ""
    learner.teach(b.indices, y[b.indices])
    assert learner.fit().rule == "margin"


def test_rounds_saved_before_rule_and_reason_existed_still_load():
    old = dict(round=1, n_labels=20, score=0.5, score_source="holdout", gain=float("nan"), fit_seconds=0.1,
               select_seconds=0.0, batch_class_mix={}, strategy="margin", model_version=1, timestamp=0.0)
    r = Round.from_dict(old)
    assert r.rule == "" and r.reason == "" and r.strategy == "margin"
    assert Round.from_dict(r.__dict__) == r
    with pytest.raises(TypeError):
        Round.from_dict({"round": 1})
