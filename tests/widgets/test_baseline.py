"""The random baseline, estimated on the holdout at the curve's label counts."""
from __future__ import annotations

import numpy as np
from sklearn.datasets import make_classification
from sklearn.linear_model import LogisticRegression

from activelens import ActiveLearner
from activelens.widgets.baseline import RandomBaseline


def test_points_at_the_rounds_label_counts_up_to_half_the_holdout():
    X, y = make_classification(n_samples=160, n_features=4, n_informative=3, n_redundant=0, random_state=0)
    learner = ActiveLearner(LogisticRegression(), X[:120], holdout=(X[120:], y[120:]), classes=[0, 1],
                            batch_size=10, random_state=0)
    b = RandomBaseline()
    assert not b.update(learner) and b.n_labels == []          # no rounds yet
    for n in (10, 30):
        idx = np.arange(n - (10 if n == 10 else 20), n)
        learner.teach(idx, y[idx])
        learner.fit()
    assert b.update(learner)
    assert b.n_labels == [10] and len(b.scores) == 1 and 0 <= b.scores[0] <= 1   # 30 > 40 // 2: not estimated
    assert not b.update(learner)                                 # nothing new
    again = RandomBaseline()
    assert again.update(learner) and again.scores == b.scores    # seeded by the learner's random_state


def test_no_holdout_no_baseline():
    X = np.random.default_rng(0).normal(size=(40, 3))
    assert not RandomBaseline().update(ActiveLearner(LogisticRegression(), X, classes=[0, 1]))
