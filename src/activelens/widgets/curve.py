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
        The random-sampling points so far (mean and the draws' spread).

    Returns
    -------
    dict
        ``{"n_labels": [int], "scores": [float], "baseline_n": [int], "baseline_scores": [float],
        "baseline_lo": [float], "baseline_hi": [float], "baseline_note": str, "baseline_draws": int, "source": str, "metric": str,
        "gain": float | None, "stopping": [str], "stop": str, "hint": str}``
    """
    rounds = [r for r in learner.rounds if np.isfinite(r.score)]
    last = learner.rounds[-1] if learner.rounds else None
    stop = learner.stop_reason()
    hint = ""
    if baseline.n_labels and baseline.trails(learner):
        found = baseline.disagreement(learner)
        n = rounds[-1].n_labels
        hint = f"below random at {n} labels"
        if found is not None and baseline.suspicious(found):
            hint += (f": a model trained on the holdout disagrees with {found[0]} of your {found[1]} labels (its own "
                     f"error explains about {found[2]:.0f}) — check the keys and the label names")
        elif found is not None:
            hint += (f" — common with few labels, or while the strategy picks the hardest items; a model trained on "
                     f"the holdout agrees with {found[1] - found[0]} of your {found[1]} labels")
    return {
        "n_labels": [int(r.n_labels) for r in rounds],
        "scores": [float(r.score) for r in rounds],
        "baseline_n": list(baseline.n_labels),
        "baseline_scores": list(baseline.scores),
        "baseline_lo": list(baseline.lo),
        "baseline_hi": list(baseline.hi),
        "baseline_note": baseline.description if baseline.n_labels else "",
        "baseline_draws": int(baseline.repeats),
        "source": last.score_source if last is not None else "",
        "metric": str(learner.scoring),
        "gain": number(last.gain) if last is not None else None,
        "stopping": list(learner.stopping_progress()),
        "stop": str(stop) if stop is not None else "",
        "hint": hint,
    }
