import re

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

from activelens import ActiveLearner, Budget, DiminishingReturns, Plateau, StabilizingPredictions, TargetScore


class FakeLearner:
    """Just what the criteria read: a score curve, label counts, predictions."""

    def __init__(self):
        self.scores, self.labels, self.preds, self.n_pool = [], [], [], 50

    def push(self, n_labels, score, preds=None):
        self.labels.append(n_labels)
        self.scores.append(score)
        self.preds.append(preds)

    def scores_so_far(self):
        return list(self.scores)

    def labels_per_scored_round(self):
        return list(self.labels)

    @property
    def last_score(self):
        return self.scores[-1] if self.scores else None

    @property
    def n_labeled(self):
        return self.labels[-1] if self.labels else 0

    def predict(self, indices):
        return self.preds[-1][np.asarray(indices)]


def test_plateau_counts_rounds_without_gain_and_resets_on_a_gain():
    fl, c = FakeLearner(), Plateau(patience=3, min_delta=0.01)
    for i, s in enumerate([0.5, 0.6, 0.605, 0.609, 0.70, 0.701, 0.702]):
        fl.push(10 * (i + 1), s)
        c.update(fl)
        assert c.check() is None
    assert c.progress() == "plateau: 2 of 3 rounds without gain"
    fl.push(80, 0.705)
    c.update(fl)
    assert c.check().criterion == "plateau"


def test_target_and_budget():
    fl = FakeLearner()
    t, b = TargetScore(0.9), Budget(30)
    for n, s in [(10, 0.5), (20, 0.89)]:
        fl.push(n, s)
        t.update(fl), b.update(fl)
        assert t.check() is None and b.check() is None
    fl.push(30, 0.91)
    t.update(fl), b.update(fl)
    assert "0.91" in t.check().message and "30 labels" in b.check().message


def test_diminishing_returns_uses_gain_per_label_over_a_window():
    fl, c = FakeLearner(), DiminishingReturns(min_gain_per_label=1e-3, window=2)
    for n, s in [(10, 0.5), (20, 0.6), (30, 0.65)]:
        fl.push(n, s)
        c.update(fl)
    assert c.check() is None  # (0.65-0.5)/20 = 7.5e-3 per label
    fl.push(40, 0.655)
    fl.push(50, 0.66)
    c.update(fl)
    assert c.check() is not None  # (0.66-0.65)/20 = 5e-4 per label


def test_stabilizing_predictions_fires_when_successive_models_agree():
    fl = FakeLearner()
    c = StabilizingPredictions(threshold=0.99, window=2, stop_set_size=50, random_state=0)
    rng = np.random.default_rng(0)
    for _ in range(3):  # models that disagree a lot
        fl.push(0, 0.5, rng.integers(0, 3, 50))
        c.update(fl)
    assert c.check() is None and c.agreement < 0.5
    stable = rng.integers(0, 3, 50)
    for _ in range(3):
        fl.push(0, 0.5, stable)
        c.update(fl)
    assert c.check() is not None and c.agreement == 1.0


@pytest.mark.parametrize("factory, error, words", [
    (lambda: Budget(0), ValueError, "max_labels must be a positive int, got 0"),
    (lambda: Budget(2.5), TypeError, "max_labels must be a positive int"),
    (lambda: Plateau(patience=-1), ValueError, "patience must be a positive int"),
    (lambda: TargetScore("x"), TypeError, "target must be a number with 0 < value <= 1"),
    (lambda: DiminishingReturns(window=0), ValueError, "window must be a positive int"),
    (lambda: Plateau(min_delta=-0.1), ValueError, "min_delta must be a number >= 0"),
    (lambda: StabilizingPredictions(threshold=float("nan")), ValueError, "threshold must be a number with 0 < value <= 1"),
])
def test_criteria_reject_bad_parameters(factory, error, words):
    with pytest.raises(error, match=re.escape(words)):
        factory()


def test_criteria_inside_a_real_loop(blobs):
    X, y = blobs
    crit = [Plateau(patience=2, min_delta=0.5), StabilizingPredictions(window=1, threshold=0.3, random_state=0)]
    learner = ActiveLearner(LogisticRegression(max_iter=500), X[:200], holdout=(X[200:], y[200:]),
                            stopping=crit, random_state=0)
    b = learner.query(20)
    learner.teach(b.indices, y[b.indices])
    learner.fit()
    assert learner.stop_reason() is None
    b = learner.query()
    learner.teach(b.indices, y[b.indices])
    learner.fit()
    assert learner.stop_reason().criterion == "stabilizing_predictions"
    assert len(learner.stopping_progress()) == 2


def test_progress_past_the_stop_never_reads_more_than_the_whole():
    """A loop that keeps going after a criterion fired must not print "11 of 4" or "1100 of 1000"."""
    fl, plateau, budget = FakeLearner(), Plateau(patience=2, min_delta=0.01), Budget(30)
    for i in range(6):
        fl.push(10 * (i + 1), 0.5)
        plateau.update(fl)
        budget.update(fl)
    assert plateau.progress() == "plateau: 5 rounds without gain (the stop came at 2)"
    assert budget.progress() == "budget: 60 labels, past the budget of 30"
    assert plateau.check() is not None and budget.check() is not None
