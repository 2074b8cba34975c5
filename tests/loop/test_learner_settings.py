"""The learner's settings: at most 12 constructor parameters, each a setting of the loop itself; backend settings go
with the pool, the holdout as one pair, a budget as a stopping criterion, BLAS threads as an attribute; ``scoring``
set after construction changes both the holdout and the cross-validated score; the store is opened last."""
import inspect

import numpy as np
import pytest
from sklearn.datasets import make_blobs
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score

from activelens import ActiveLearner, Budget, make_pool
from activelens.strategies import Combined


@pytest.fixture(scope="module")
def lopsided():
    """Three classes, one rare: accuracy and macro-F1 differ clearly."""
    X, y = make_blobs(n_samples=[240, 40, 20], centers=[[0, 0], [2.5, 0], [0, 2.5]], cluster_std=1.3, random_state=2)
    order = np.random.default_rng(0).permutation(len(y))
    return X[order], y[order]


def _taught(X, y, **kw):
    learner = ActiveLearner(LogisticRegression(max_iter=500), X, classes=[0, 1, 2], random_state=0, **kw)
    first = np.concatenate([np.flatnonzero(y == c)[:6] for c in range(3)])
    learner.teach(first, y[first])
    return learner


def test_the_constructor_takes_at_most_twelve_settings():
    params = [p for p in inspect.signature(ActiveLearner.__init__).parameters if p != "self"]
    assert len(params) <= 12, params
    for gone in ("weight", "uncertainty", "client", "embeddings", "fit_threads", "budget", "X_test", "y_test"):
        assert gone not in params


def test_setting_scoring_changes_the_holdout_score(lopsided):
    X, y = lopsided
    learner = _taught(X[:200], y[:200], holdout=(X[200:], y[200:]))
    first = learner.fit()
    learner.scoring = "f1_macro"
    second = learner.fit()
    model = learner.model_
    assert first.score_source == second.score_source == "holdout"
    assert second.score == pytest.approx(f1_score(y[200:], model.predict(X[200:]), average="macro"))
    assert second.score != pytest.approx(first.score)     # accuracy before, macro-F1 now
    assert learner.scoring == "f1_macro"


def test_setting_scoring_changes_the_cross_validated_score(lopsided):
    X, y = lopsided
    learner = _taught(X, y)
    first = learner.fit()
    learner.scoring = "f1_macro"
    second = learner.fit()
    assert "labeled-cv" in first.score_source and "labeled-cv" in second.score_source
    assert second.score != pytest.approx(first.score)
    learner.scoring = "accuracy"
    assert learner.fit().score == pytest.approx(first.score)   # same labels, same folds, the first scorer again


def test_a_bad_scoring_is_refused_and_changes_nothing(lopsided):
    X, y = lopsided
    learner = _taught(X, y, scoring="balanced_accuracy")
    with pytest.raises(ValueError, match="scoring must be a scikit-learn scorer"):
        learner.scoring = "acuracy"
    assert learner.scoring == "balanced_accuracy"
    with pytest.raises(ValueError, match="'acuracy'"):
        ActiveLearner(LogisticRegression(), X, scoring="acuracy")


def test_holdout_is_one_pair_read_back_as_x_test_and_y_test(lopsided):
    X, y = lopsided
    learner = ActiveLearner(LogisticRegression(), X[:200], holdout=(X[200:], y[200:]))
    assert learner.X_test.shape == (100, 2) and np.array_equal(learner.y_test, y[200:])
    plain = ActiveLearner(LogisticRegression(), X)
    assert plain.X_test is None and plain.y_test is None
    with pytest.raises(AttributeError):
        plain.X_test = X      # read-only: the holdout is a constructor setting
    with pytest.raises(TypeError, match=r"holdout must be a pair \(X_test, y_test\)"):
        ActiveLearner(LogisticRegression(), X, holdout=X[:10])
    with pytest.raises(ValueError, match="holdout's X_test has 3 features"):
        ActiveLearner(LogisticRegression(), X, holdout=(np.ones((5, 3)), np.zeros(5)))


def test_a_budget_is_a_stopping_criterion(lopsided):
    X, y = lopsided
    learner = _taught(X, y, stopping=[Budget(18)])
    learner.fit()
    assert learner.stop_reason().criterion == "budget"
    with pytest.raises(ValueError, match=r"Budget\(301\) is larger than the pool \(300 items\)"):
        ActiveLearner(LogisticRegression(), X, stopping=[Budget(301)])


def test_fit_threads_is_an_attribute_with_a_default_of_one(lopsided):
    X, y = lopsided
    learner = _taught(X, y)
    assert learner.fit_threads == 1
    learner.fit_threads = None
    assert learner.fit_threads is None
    learner.fit_threads = 2
    assert learner.fit().n_labels == 18
    with pytest.raises(TypeError, match="fit_threads must be a positive int"):
        learner.fit_threads = 1.5
    assert learner.fit_threads == 2


def test_backend_settings_go_with_the_pool(lopsided):
    X, y = lopsided
    E = np.random.default_rng(0).normal(size=(len(X), 3))
    learner = ActiveLearner(LogisticRegression(), make_pool(X, embeddings=E, random_state=0), random_state=0)
    assert learner.pool.n_rows == len(X) and np.asarray(learner.embedding).shape[0] == len(X)
    with pytest.raises(TypeError, match="client"):
        ActiveLearner(LogisticRegression(), X, client=object())


def test_a_strategy_object_carries_its_own_weight(lopsided):
    X, y = lopsided
    learner = _taught(X, y, strategy=Combined(weight=0.7))
    learner.fit()
    b = learner.query()
    assert np.allclose(b.scores, 0.7 * b.components["uncertainty"] + 0.3 * b.components["diversity"])


def test_the_store_is_opened_last_so_a_bad_setting_leaves_no_file(lopsided, tmp_path):
    X, y = lopsided
    path = tmp_path / "labels.db"
    for bad in (dict(batch_size=0), dict(holdout=(X[:5],)), dict(scoring="acuracy"), dict(stopping=[Budget(999)])):
        with pytest.raises((ValueError, TypeError)):
            ActiveLearner(LogisticRegression(), X, store=path, **bad)
        assert not path.exists(), bad


def test_a_reopened_store_restores_onto_a_complete_learner(lopsided, tmp_path):
    """Restoring refits the model inside the constructor: every setting is in place by then (the holdout and the
    scorer included), so the restored learner scores its next round as a fresh one would."""
    X, y = lopsided
    path = tmp_path / "labels.db"
    first = _taught(X[:200], y[:200], holdout=(X[200:], y[200:]), scoring="f1_macro", store=path)
    r1 = first.fit()
    first.store.close()
    again = ActiveLearner(LogisticRegression(max_iter=500), X[:200], classes=[0, 1, 2], random_state=0,
                          holdout=(X[200:], y[200:]), scoring="f1_macro", store=path)
    assert again.model_ is not None and again.n_labeled == 18 and len(again.rounds) == 1
    assert again.fit().score == pytest.approx(r1.score)
    again.store.close()
