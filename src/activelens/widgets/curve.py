"""The learning-curve panel's state: the ``curve`` trait, built from the learner's rounds and the random baseline."""
from __future__ import annotations

import numpy as np

from activelens.widgets.wire import number


def curve_state(learner, baseline) -> dict:
    """The ``curve`` trait.

    Parameters
    ----------
    learner : ActiveLearner
        Its rounds (those with a finite score are drawn), scoring, stopping criteria.
    baseline : RandomBaseline
        The random-sampling points so far.

    Returns
    -------
    dict
        ``{"n_labels": [int], "scores": [float], "baseline_n": [int], "baseline_scores": [float], "source": str,
        "metric": str, "gain": float | None, "stopping": [str], "stop": str}``
    """
    rounds = [r for r in learner.rounds if np.isfinite(r.score)]
    last = learner.rounds[-1] if learner.rounds else None
    stop = learner.stop_reason()
    return {
        "n_labels": [int(r.n_labels) for r in rounds],
        "scores": [float(r.score) for r in rounds],
        "baseline_n": list(baseline.n_labels),
        "baseline_scores": list(baseline.scores),
        "source": last.score_source if last is not None else "",
        "metric": str(learner.scoring),
        "gain": number(last.gain) if last is not None else None,
        "stopping": list(learner.stopping_progress()),
        "stop": str(stop) if stop is not None else "",
    }
