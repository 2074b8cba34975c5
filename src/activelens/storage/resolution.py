"""How several annotations of one item become its label: a majority vote, or votes weighted by each annotator's
accuracy on gold items."""
from __future__ import annotations

import math
from collections import Counter, defaultdict
from typing import Sequence

import pandas as pd

from activelens.storage.codec import dump_label, load_label

__all__ = ["RESOLUTIONS", "gold_weights", "resolve_votes"]

RESOLUTIONS = ("majority", "gold_weighted")


def gold_weights(ann: pd.DataFrame) -> dict:
    """Per annotator: smoothed accuracy on gold items, (correct + 1) / (n + 2) (0.5 with no gold answered).

    Parameters
    ----------
    ann : DataFrame
        Annotations as ``LabelStore.annotations()`` returns them (annotator, label, gold, gold_label).

    Returns
    -------
    dict of str to float
        Every annotator in ``ann``.
    """
    out = {}
    gold = ann[ann["gold"]] if len(ann) else ann
    for name, grp in gold.groupby("annotator") if len(gold) else []:
        correct = sum(a == b for a, b in zip(grp["label"], grp["gold_label"]))
        out[name] = (correct + 1) / (len(grp) + 2)
    for name in ann["annotator"].unique() if len(ann) else []:
        out.setdefault(name, 0.5)
    return out


def resolve_votes(votes: Sequence[tuple[str, object]], weights: dict, method: str = "majority"):
    """One label from an item's votes.

    Parameters
    ----------
    votes : sequence of (annotator, label)
        In submission order.
    weights : dict of str to float
        Each annotator's weight (``gold_weights``; 0.5 for one not in it).
    method : {"majority", "gold_weighted"}, default="majority"
        "majority": the most frequent label, ties to the side whose annotators weigh more, then to the earliest;
        "gold_weighted": the label with the most weight.

    Returns
    -------
    object
        The label, as one of the votes gave it.
    """
    if method == "majority":
        counts = Counter(dump_label(v) for _, v in votes)
        best = max(counts.values())
        tied = [k for k, c in counts.items() if c == best]
        if len(tied) == 1:
            return load_label(tied[0])
    else:
        tied = None
    score: defaultdict[str, float] = defaultdict(float)
    for name, v in votes:
        key = dump_label(v)
        if tied is None or key in tied:
            score[key] += weights.get(name, 0.5)
    top = max(score.values())
    for _, v in votes:  # earliest among the best
        if math.isclose(score[dump_label(v)], top):
            return v
