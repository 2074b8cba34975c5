"""The batch as cards: one JSON dict per item, drawn by the page with textContent / setAttribute only.

A card::

    {"index": pool position, "item": ItemSource payload,
     "options": [{"label": button position, "name", "key": 1..9, 0 or None, "p": probability or None}],
     "suggested": button position or None, "why": {"strategy", "score", <component>: ...}, "source": "query"|"hand"}

Options are ordered by the model's probability (button order before the first model); the first is suggested.
"""
from __future__ import annotations

import numpy as np

from activelens.widgets.wire import number

#: why an item picked by hand on the map is on the batch
HAND_PICKED = {"strategy": "picked on the map"}


def why_of(batch) -> dict[int, dict]:
    """{pool position: why} for every item of a ``Batch``: the strategy, its score and each score component."""
    comps = {k: np.asarray(v, dtype=float) for k, v in batch.components.items()}
    why = {}
    for pos, i in enumerate(batch.indices.tolist()):
        w = {"strategy": batch.strategy, "score": number(batch.scores[pos])}
        for name, arr in comps.items():
            w[name] = number(arr[pos])
        why[i] = w
    return why


def card(index: int, item: dict, names: list[str], probs, why: dict, source: str = "query") -> dict:
    """One card.

    Parameters
    ----------
    index : int
        The item's pool position.
    item : dict
        What the item looks like (``ItemSource.payload``).
    names : list of str, length k
        The label buttons' names.
    probs : ndarray of shape (k,) or None
        The model's probability of each button's class (None before the first model).
    why : dict
        Why the item is on the batch.
    source : str
        "query" (chosen by the strategy or claimed from the queue) or "hand" (picked on the map).
    """
    options = list(range(len(names)))
    if probs is not None:
        options.sort(key=lambda j: (-probs[j], j))
    return {
        "index": int(index),
        "item": item,
        "options": [{"label": j, "name": names[j], "key": (j + 1) % 10 if j < 10 else None,
                     "p": None if probs is None else round(float(probs[j]), 4)} for j in options],
        "suggested": None if probs is None else int(options[0]),
        "why": why,
        "source": source,
    }
