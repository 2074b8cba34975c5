import numpy as np
import pytest
from sklearn.datasets import make_blobs
from sklearn.linear_model import LogisticRegression, RidgeClassifier
from sklearn.naive_bayes import GaussianNB
from sklearn.neighbors import NearestCentroid

from activelens import ActiveLearner, Budget
from activelens.loop.learner import STRATEGIES


def _learner(X, **kw):
    kw.setdefault("random_state", 0)
    return ActiveLearner(LogisticRegression(max_iter=500), X, **kw)


def _seed(learner, y, n=15):
    b = learner.query(n)
    learner.teach(b.indices, y[b.indices])
    return b


@pytest.mark.parametrize("strategy", [s for s in STRATEGIES])
def test_every_strategy_runs_the_loop_and_never_repicks(blobs, strategy):
    X, y = blobs
    learner = _learner(X, strategy=strategy, batch_size=7)
    _seed(learner, y)
    learner.fit()
    seen = set(learner.labeled_indices.tolist())
    for _ in range(4):
        batch = learner.query()
        assert len(batch) == 7 and len(set(batch)) == 7
        assert not (set(batch) & seen)
        assert batch.scores.shape == (7,) and np.all(np.isfinite(batch.scores))
        learner.teach(batch.indices, y[batch.indices])
        seen |= set(batch)
        learner.fit()
    assert learner.n_labeled == 15 + 28
    assert list(learner.history.n_labels) == [15, 22, 29, 36, 43]
    assert learner.history["round"].tolist() == [1, 2, 3, 4, 5]


def test_history_records_holdout_score_gain_timings_and_class_mix(blobs):
    X, y = blobs
    learner = _learner(X[:200], holdout=(X[200:], y[200:]))
    _seed(learner, y)
    r1 = learner.fit()
    b = learner.query()
    learner.teach(b.indices, y[b.indices])
    r2 = learner.fit()
    h = learner.history
    assert h.score_source.tolist() == ["holdout", "holdout"]
    assert r1.score == pytest.approx(LogisticRegression(max_iter=500).fit(X[learner.labeled_indices[:15]],
                                                                          y[learner.labeled_indices[:15]]).score(X[200:], y[200:]))
    assert np.isnan(r1.gain) and r2.gain == pytest.approx(r2.score - r1.score)
    assert r2.select_seconds > 0 and r2.fit_seconds > 0
    mix = r2.batch_class_mix
    assert sum(mix.values()) == 10
    assert mix == {str(k): int(v) for k, v in zip(*np.unique(y[b.indices], return_counts=True))}


def test_without_holdout_the_score_is_marked_biased(blobs):
    X, y = blobs
    learner = _learner(X)
    _seed(learner, y, 30)
    r = learner.fit()
    assert "biased" in r.score_source and 0 <= r.score <= 1


def test_batch_reports_why_each_item_was_chosen(blobs):
    X, y = blobs
    learner = _learner(X, strategy="combined")
    _seed(learner, y)
    learner.fit()
    b = learner.query()
    assert set(b.components) == {"uncertainty", "diversity"}
    assert np.allclose(b.scores, 0.5 * b.components["uncertainty"] + 0.5 * b.components["diversity"])
    frame = b.to_frame()
    assert list(frame.columns) == ["index", "score", "uncertainty", "diversity"] and len(frame) == 10
    learner.strategy = "margin"
    b = learner.query()
    assert np.all(b.components["diversity"] > 0)  # distance to the nearest labeled item


def test_probabilities_are_padded_to_declared_classes(blobs):
    X, y = blobs
    learner = _learner(X, classes=[0, 1, 2, 3])
    idx = np.flatnonzero(y != 2)[:20]
    learner.teach(idx, y[idx])
    learner.fit()
    p = learner.predict_proba()
    assert p.shape == (300, 4)
    assert np.allclose(p[:, 2], 0) and np.allclose(p[:, 3], 0) and np.allclose(p.sum(axis=1), 1)


def test_decision_function_only_models_get_softmax_probabilities(blobs):
    X, y = blobs
    for est in (RidgeClassifier(), NearestCentroid()):
        if not hasattr(est, "decision_function") and not hasattr(est, "predict_proba"):
            continue
        learner = ActiveLearner(est, X, random_state=0)
        _seed(learner, y, 30)
        learner.fit()
        p = learner.predict_proba()
        assert np.allclose(p.sum(axis=1), 1) and np.all(p >= 0)
        assert len(learner.query()) == 10


def test_binary_decision_function(blobs):
    X, y = blobs
    yb = (y == 0).astype(int)
    learner = ActiveLearner(RidgeClassifier(), X, random_state=0)
    _seed(learner, yb, 30)
    learner.fit()
    assert learner.predict_proba().shape == (300, 2)


def test_estimator_without_scores_is_rejected(blobs):
    from sklearn.svm import SVC
    X, _ = blobs

    class NoScores:
        def fit(self, X, y):
            return self

    with pytest.raises(TypeError, match="neither predict_proba nor decision_function"):
        ActiveLearner(NoScores(), X)
    ActiveLearner(SVC(), X)  # decision_function is enough


def test_cold_start_options(blobs):
    X, y = blobs
    expert = [5, 17, 42]
    learner = _learner(X, cold_start=expert)
    b = learner.query(5)
    assert b.indices[:3].tolist() == expert and b.strategy == "expert"
    learner.teach(b.indices, y[b.indices])
    assert learner.query(3).strategy == "random"  # the expert set is used up

    pre = LogisticRegression().fit(X, y)
    b = _learner(X, cold_start=pre).query(5)
    assert b.strategy == "pretrained"
    from activelens.strategies import combined
    expected = combined(pre.predict_proba(X), _learner(X).embedding, 5, weight=0.5, random_state=0)
    assert b.indices.tolist() == expected.tolist()  # the pretrained model's uncertainty blended with diversity
    assert set(b.components) == {"uncertainty", "diversity"}

    from sklearn.datasets import make_blobs
    Xs, ys = make_blobs(n_samples=300, centers=[[0, 0], [15, 0], [0, 15]], cluster_std=1.0, random_state=0)
    b = _learner(Xs, cold_start="typiclust").query(3)
    assert b.strategy == "typiclust" and len(set(ys[b.indices].tolist())) == 3  # one per well-separated blob


def test_same_seed_same_batches(blobs):
    X, y = blobs
    runs = []
    for _ in range(2):
        learner = _learner(X, strategy="combined", random_state=11)
        _seed(learner, y)
        learner.fit()
        runs.append(learner.query().indices.tolist())
    assert runs[0] == runs[1]


def test_custom_callable_strategy(blobs):
    X, y = blobs

    def second_class(proba):
        return proba[:, 1]

    learner = _learner(X, strategy=second_class)
    _seed(learner, y)
    learner.fit()
    b = learner.query()
    p = learner.predict_proba()[:, 1]
    free = learner.unlabeled_indices
    assert set(b.indices.tolist()) == set(free[np.argsort(-p[free])[:10]].tolist())


def test_budget_stops_the_loop(blobs):
    X, y = blobs
    learner = _learner(X, stopping=[Budget(35)])
    _seed(learner, y, 20)
    learner.fit()
    assert learner.stop_reason() is None
    b = learner.query(15)
    learner.teach(b.indices, y[b.indices])
    learner.fit()
    reason = learner.stop_reason()
    assert reason.criterion == "budget" and "35" in reason.message
    assert learner.stopping_progress() == ["budget: 35 of 35 labels"]


# ----- bad input: one clear error, nothing recorded (the table is tests/test_bad_input.py) -----

def test_query_larger_than_what_is_left(blobs):
    X, y = blobs
    learner = _learner(X[:30])
    learner.teach(np.arange(25), y[:25])
    with pytest.raises(ValueError, match="larger than the 5 items left"):
        learner.query(6)
    assert len(learner.query(5)) == 5


def test_gaussian_nb_and_declared_string_classes(blobs):
    X, y = blobs
    names = np.array(["a", "b", "c"])
    learner = ActiveLearner(GaussianNB(), X, classes=["a", "b", "c", "d"], random_state=0)
    b = learner.query(20)
    learner.teach(b.indices, names[y[b.indices]])
    learner.fit()
    assert learner.predict_proba().shape == (300, 4)
    assert set(learner.predict().tolist()) <= {"a", "b", "c"}


class _RecordsBlasThreads(LogisticRegression):
    """Records how many threads BLAS may use while it is being fitted."""

    seen: list = []

    def fit(self, X, y):
        from threadpoolctl import threadpool_info

        type(self).seen.append(max(i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"))
        return super().fit(X, y)


def test_fit_threads_limits_blas_only_while_fitting():
    from threadpoolctl import threadpool_info, threadpool_limits

    def blas_now():
        return max(i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas")

    X, y = make_blobs(n_samples=60, centers=2, random_state=0)
    with threadpool_limits(2, user_api="blas"):
        outside = blas_now()
        if outside < 2:
            pytest.skip("this BLAS runs on one thread: nothing to limit")
        for threads, expected in [(1, 1), (None, outside)]:
            _RecordsBlasThreads.seen = []
            learner = ActiveLearner(_RecordsBlasThreads(), X, random_state=0)
            learner.fit_threads = threads
            learner.teach(np.arange(10), y[:10])
            learner.fit()
            assert _RecordsBlasThreads.seen and set(_RecordsBlasThreads.seen) == {expected}   # every fit (cv too)
            assert blas_now() == outside          # restored after the fit


@pytest.mark.parametrize("bad", [0, -1, 1.5, True, "1"])
def test_bad_fit_threads(bad):
    X, _ = make_blobs(n_samples=20, centers=2, random_state=0)
    learner = ActiveLearner(LogisticRegression(), X)
    with pytest.raises((ValueError, TypeError), match="fit_threads must be a positive int"):
        learner.fit_threads = bad
    assert learner.fit_threads == 1      # unchanged: the default, one BLAS thread


@pytest.mark.parametrize("model_name", ["logreg", "svm"])
def test_the_model_does_not_depend_on_the_order_labels_arrived_in(model_name):
    from activelens.models import make_model

    X, y = make_blobs(n_samples=400, centers=4, cluster_std=3.0, random_state=3)
    chosen = np.random.default_rng(0).choice(400, 60, replace=False)
    probas = []
    for order in (chosen, chosen[::-1], np.sort(chosen)):
        learner = ActiveLearner(make_model(model_name), X, random_state=0)
        for part in np.array_split(order, 4):     # four teach calls, in a different order each time
            learner.teach(part, y[part])
        learner.fit()
        probas.append(learner.predict_proba())
    for p in probas[1:]:
        np.testing.assert_array_equal(p, probas[0])
    # the same model as fitting the labeled rows sorted by pool position
    idx = np.sort(chosen)
    np.testing.assert_allclose(probas[0], make_model(model_name).fit(X[idx], y[idx]).predict_proba(X), rtol=1e-12)


def test_restore_refits_in_pool_order_too():
    from activelens.models import make_model

    X, y = make_blobs(n_samples=300, centers=3, cluster_std=3.0, random_state=4)
    chosen = np.random.default_rng(1).choice(300, 40, replace=False)
    a = ActiveLearner(make_model("svm"), X, random_state=0)
    a.teach(chosen, y[chosen])
    a.fit()
    b = ActiveLearner(make_model("svm"), X, random_state=0)
    state = a.snapshot()
    reordered = type(state)(labels=tuple(reversed(state.labels)), rounds=state.rounds,
                            model_version=state.model_version, settings=state.settings)
    b.restore(reordered)
    np.testing.assert_array_equal(b.predict_proba(), a.predict_proba())
