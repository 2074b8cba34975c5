"""The random-sampling baseline the learning curve is drawn against, and the hint when the learner trails it.

Random pool items have no labels, so the baseline is estimated on the learner's holdout itself: a clone of the
estimator trained on ``n`` random holdout rows and scored on the rest of the holdout, over a few draws, at each
label count of the curve (only for ``n`` up to half the holdout). The curve shows the mean and the draws' spread
(lowest to highest) as a band. Seeded by the learner's ``random_state``.

When the learner trails the baseline at the same label count, :meth:`RandomBaseline.disagreement` says how many of
the user's labels a model trained on the whole holdout disagrees with: shifted keys or a wrong label mapping show up
there first.
"""
from __future__ import annotations

from typing import Any

import numpy as np

#: the learner trails the baseline when its score is this much below the baseline's at the same label count
TRAIL_MARGIN = 0.02
#: what the curve's caption says the baseline is
DESCRIPTION = ("random baseline: the same model trained on n random holdout rows (pool items have no labels), scored "
               "on the rest of the holdout (the mean of {repeats} draws)")


class RandomBaseline:
    """The baseline's points so far: ``n_labels``, ``scores`` (mean over draws), ``lo`` and ``hi`` (the draws'
    lowest and highest), lists of the same length sorted by n."""

    def __init__(self, repeats: int = 5):
        self.repeats = repeats
        self.n_labels: list[int] = []
        self.scores: list[float] = []
        self.lo: list[float] = []
        self.hi: list[float] = []
        self._holdout_model: Any = None   # a fitted scikit-learn estimator

    @property
    def description(self) -> str:
        return DESCRIPTION.format(repeats=self.repeats)

    def update(self, learner, repeats: int | None = None) -> bool:
        """Add the points for the learner's rounds not covered yet. True when it recomputed (there was a holdout
        and a new label count to cover).

        Parameters
        ----------
        learner : ActiveLearner
            Its ``X_test``, ``y_test`` (the holdout), ``estimator``, ``scoring``, ``rounds`` and ``random_state``
            are read.
        repeats : int, optional
            Random draws per label count (default: the baseline's ``repeats``); a draw with a single class, or one
            the estimator cannot fit, is skipped.
        """
        if learner.X_test is None:
            return False
        from sklearn.base import clone
        from sklearn.metrics import get_scorer

        repeats = self.repeats if repeats is None else repeats
        scorer = get_scorer(learner.scoring)
        done = {n: (s, lo, hi) for n, s, lo, hi in zip(self.n_labels, self.scores, self.lo, self.hi)}
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
                done[n] = (float(np.mean(scores)), float(np.min(scores)), float(np.max(scores)))
        xs = sorted(done)
        self.n_labels = xs
        self.scores = [done[x][0] for x in xs]
        self.lo = [done[x][1] for x in xs]
        self.hi = [done[x][2] for x in xs]
        return True

    def trails(self, learner) -> bool:
        """True when the learner's last score is below the baseline's lowest draw less ``TRAIL_MARGIN`` at its
        label count."""
        rounds = [r for r in learner.rounds if np.isfinite(r.score)]
        if not rounds or rounds[-1].n_labels not in self.n_labels:
            return False
        k = self.n_labels.index(rounds[-1].n_labels)
        return rounds[-1].score < self.lo[k] - TRAIL_MARGIN

    def disagreement(self, learner) -> tuple[int, int, float] | None:
        """(how many of the learner's labels a model trained on the whole holdout disagrees with, how many labels
        it checked, how many it would disagree with by its own error rate alone), or None without a holdout or when
        it cannot be fitted. The error rate is the holdout model's on half of the holdout when trained on the other
        half."""
        if learner.X_test is None or not learner.n_labeled:
            return None
        from sklearn.base import clone

        try:
            if self._holdout_model is None:
                X, y = learner.X_test, learner.y_test
                half = np.random.default_rng(0).permutation(len(y))
                a, b = half[: len(y) // 2], half[len(y) // 2:]
                check = clone(learner.estimator).fit(X[a], y[a])
                self._holdout_error = float(np.mean(check.predict(X[b]) != y[b]))
                self._holdout_model = clone(learner.estimator).fit(X, y)
            idx = learner.labeled_indices
            pred = self._holdout_model.predict(learner.pool.rows(idx))
        except Exception:  # noqa: BLE001 - a hint only
            return None
        labels = np.asarray(learner.labels)
        wrong = int(np.sum(np.asarray(pred).astype(str) != labels.astype(str)))
        return wrong, int(idx.size), self._holdout_error * idx.size

    @staticmethod
    def suspicious(found) -> bool:
        """True when the disagreements are well past what the holdout model's own error explains (more than the
        expected count plus two standard deviations plus one, and at least 3)."""
        wrong, n, expected = found
        p = expected / n if n else 0.0
        return wrong >= 3 and wrong > expected + 2 * np.sqrt(n * p * (1 - p)) + 1
