"""The random-sampling baseline the learning curve is drawn against.

Random pool items have no labels, so the baseline is estimated on the learner's holdout itself: a clone of the
estimator trained on ``n`` random holdout rows and scored on the rest of the holdout, averaged over a few draws, at
each label count of the curve (only for ``n`` up to half the holdout). Seeded by the learner's ``random_state``.
"""
from __future__ import annotations

import numpy as np


class RandomBaseline:
    """The baseline's points so far: ``n_labels`` and ``scores``, two lists of the same length, sorted by n."""

    def __init__(self):
        self.n_labels: list[int] = []
        self.scores: list[float] = []

    def update(self, learner, repeats: int = 3) -> bool:
        """Add the points for the learner's rounds not covered yet. True when it recomputed (there was a holdout
        and a new label count to cover).

        Parameters
        ----------
        learner : ActiveLearner
            Its ``X_test``, ``y_test`` (the holdout), ``estimator``, ``scoring``, ``rounds`` and ``random_state``
            are read.
        repeats : int
            Random draws averaged per label count; a draw with a single class, or one the estimator cannot fit,
            is skipped.
        """
        if learner.X_test is None:
            return False
        from sklearn.base import clone
        from sklearn.metrics import get_scorer

        scorer = get_scorer(learner.scoring)
        done = dict(zip(self.n_labels, self.scores))
        m = learner.X_test.shape[0]
        todo = [n for n in (r.n_labels for r in learner.rounds) if n not in done and n <= m // 2]
        if not todo:
            return False
        rng = np.random.default_rng(0 if learner.random_state is None else learner.random_state)
        for n in todo:
            scores = []
            for _ in range(repeats):
                pick = rng.permutation(m)
                train, test = pick[:n], pick[n:]
                if np.unique(learner.y_test[train]).size < 2:
                    continue
                try:
                    model = clone(learner.estimator).fit(learner.X_test[train], learner.y_test[train])
                    scores.append(float(scorer(model, learner.X_test[test], learner.y_test[test])))
                except Exception:  # noqa: BLE001 - a draw the estimator cannot fit is skipped
                    continue
            if scores:
                done[n] = float(np.mean(scores))
        xs = sorted(done)
        self.n_labels, self.scores = xs, [done[x] for x in xs]
        return True
