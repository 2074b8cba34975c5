"""The annotation-quality panel's state: the ``monitor`` trait, from the annotations of the store (or the queue's)."""
from __future__ import annotations

import numpy as np

from activelens.analysis import monitor as _monitor
from activelens.widgets.runner import describe
from activelens.widgets.wire import number


def monitor_state(learner, source) -> dict:
    """Per annotator: labels, gold accuracy, mean kappa with the others, labels per hour; overall agreement; cost
    per accuracy point (in labels); the queue's counts.

    Parameters
    ----------
    learner : ActiveLearner
        Its history (cost per point) and, without queue annotations, its own labels' annotations.
    source : LearnerSource or QueueSource
        Where the batches come from: its annotations, annotator name and queue counts.

    Returns
    -------
    dict
        ``{"annotator", "annotators": [{"name", "n_labels", "gold_n", "gold_accuracy", "kappa",
        "labels_per_hour"}], "agreement": {"method", "kappa", "n_items"}, "cost_per_point", "cost_unit",
        "queue": dict | None, "error": ""}``; plain JSON (no NaN).
    """
    ann = source.annotations()
    if ann is None or not len(ann):
        ann = _monitor.annotations_of(learner)
    table = _monitor.annotator_table(ann)
    agr = _monitor.agreement(ann)
    rows = [{"name": str(name), "n_labels": int(r["n_labels"]), "gold_n": int(r["gold_n"]),
             "gold_accuracy": number(r["gold_accuracy"]), "kappa": number(r["kappa_with_others"]),
             "labels_per_hour": number(r["labels_per_hour"])} for name, r in table.iterrows()]
    cost = _monitor.cost_per_point(learner.history)
    cpp = [float(v) for v in cost["cost_per_point"].tolist() if v is not None and np.isfinite(v)] if len(cost) else []
    return {"annotator": source.annotator, "annotators": rows,
            "agreement": {"method": agr["method"] or "", "kappa": number(agr["kappa"]), "n_items": int(agr["n_items"])},
            "cost_per_point": round(cpp[-1], 2) if cpp else None,
            "cost_unit": str(cost["unit"].iloc[0]) if len(cost) else "labels",
            "queue": source.queue_status(), "error": ""}


def monitor_or_error(learner, source, previous: dict) -> dict:
    """``monitor_state``, or when it fails the ``previous`` state with ``error`` saying why (labeling goes on)."""
    try:
        return monitor_state(learner, source)
    except Exception as exc:  # noqa: BLE001 - the panel shows it
        return dict(previous, error=f"monitor failed: {describe(exc)}")
