"""The batch as cards: one JSON dict per item, drawn by the page with textContent / setAttribute only.

A card::

    {"index": pool position, "id": the item's id (only when the learner has ids), "item": ItemSource payload
     (a text's with "terms": the words that drove the suggestion, when known),
     "options": [{"label": button position, "name", "key": str or None, "p": probability or None}],
     "suggested": button position or None, "why": {"strategy", "score", <component>: ...},
     "source": "query"|"hand"|"labeled", "current": the button position of a labeled card's label (labeled cards)}

A *labeled* card shows an item labeled already (added from the map or a search): its why says the label, who gave
it and when; a pick on it changes (or confirms) the label, Space takes the label back (``session.py``).

Options keep the order of ``labels=`` on every card (``order="labels"``, the default: the eye and the hand find a
label in the same place each time), or follow the model's probability (``order="probability"``, for many classes).
The suggestion is the most probable label; each label's key is the same on every card (``label_names.label_keys``).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from activelens.widgets.label_names import label_keys
from activelens.widgets.wire import item_id, number

#: why an item picked by hand on the map is on the batch
HAND_PICKED = {"strategy": "picked on the map"}
#: the why of a card whose label Undo took back after a submit
TAKEN_BACK = {"strategy": "label taken back (Undo)"}


def labeled_why(name: str, annotator, when, source) -> dict:
    """The why of a labeled card: ``{"strategy": "labeled 'b' by ana · 2026-12-08 03:12 (bulk)"}`` (the parts not
    known are left out: a label merged from a teammate has no annotator, time or source)."""
    text = f"labeled {name!r}"
    if isinstance(annotator, str) and annotator:
        text += f" by {annotator}"
    if when is not None and not pd.isna(when):
        text += f" · {when:%Y-%m-%d %H:%M}"
    if isinstance(source, str) and source:
        text += f" ({source})"
    return {"strategy": text}


def why_of(batch) -> dict[int, dict]:
    """{pool position: why} for every item of a ``Batch``: the strategy (with the rule it used, when it chose one:
    ``"auto: typiclust"``), why that rule (``reason``), its score and each score component."""
    comps = {k: np.asarray(v, dtype=float) for k, v in batch.components.items()}
    strategy = batch.strategy if batch.rule in ("", batch.strategy) else f"{batch.strategy}: {batch.rule}"
    why = {}
    for pos, i in enumerate(batch.indices.tolist()):
        w = {"strategy": strategy, "score": number(batch.scores[pos])}
        if batch.reason:
            w["reason"] = batch.reason
        for name, arr in comps.items():
            w[name] = number(arr[pos])
        why[i] = w
    return why


#: how the label buttons are ordered on a card
BUTTON_ORDERS = ("labels", "probability")


def check_button_order(order) -> str:
    """``order`` if it is one of :data:`BUTTON_ORDERS`, else a ValueError naming them."""
    if order not in BUTTON_ORDERS:
        raise ValueError(f"button_order must be 'labels' (the order of labels=, on every card) or 'probability' "
                         f"(most probable first, for many classes), got {order!r}")
    return order


def card(index: int, item: dict, names: list[str], probs, why: dict, source: str = "query", keys=None,
         order: str = "labels", item_id=None, current: int | None = None) -> dict:
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
        "query" (chosen by the strategy or claimed from the queue), "hand" (picked on the map) or "labeled" (an
        item labeled already, to change or take back).
    keys : list of str or None, length k, optional
        Each label's key (default: ``label_keys(names)``).
    order : {"labels", "probability"}
        The buttons' order.
    item_id : int or str, optional
        The item's id (``activelens.widgets.wire.item_id``), shown on the card; None when the learner has no ids.
    current : int, optional
        A labeled card's current label (a button position), marked on the card.
    """
    keys = label_keys(names) if keys is None else keys
    options = list(range(len(names)))
    if probs is not None and order == "probability":
        options.sort(key=lambda j: (-probs[j], j))
    suggested = suggested_position(probs)
    out = {
        "index": int(index),
        "item": item,
        "options": [{"label": j, "name": names[j], "key": keys[j],
                     "p": None if probs is None else round(float(probs[j]), 4)} for j in options],
        "suggested": suggested,
        "why": why,
        "source": source,
    }
    if item_id is not None:
        out["id"] = item_id
    if current is not None:
        out["current"] = int(current)
    return out


def suggested_position(probs) -> int | None:
    """The button position of the most probable label (the first on a tie), or None without probabilities."""
    return None if probs is None else min(range(len(probs)), key=lambda j: (-probs[j], j))


class CardMaker:
    """Cards (and the hover's item part) for one learner's pool items.

    Parameters
    ----------
    learner : ActiveLearner
        Its ids (shown when it has them), model and rows (for the highlighted terms).
    items : ItemSource
        What each pool item looks like.
    labels : LabelNames
        The buttons' names, keys and classes.
    terms : TermWeights or None
        The words that drove the suggestion on a text card (with feature names and a linear model).
    order : {"labels", "probability"}
        The buttons' order.
    """

    def __init__(self, learner, items, labels, terms=None, order: str = "labels"):
        self.learner = learner
        self.items = items
        self.labels = labels
        self.terms = terms
        self.order = check_button_order(order)

    def item_id(self, i: int):
        """Item ``i``'s id for the page, or None when the learner has no ids."""
        return item_id(self.learner.ids[i]) if self.learner.has_ids else None

    def card(self, index: int, why: dict, origin: str, probs, current: int | None = None) -> dict:
        """The card of pool item ``index`` (``probs``: its probabilities over the buttons' classes, or None;
        ``current``: a labeled card's label, a button position)."""
        item = self.items.payload(index)
        j = suggested_position(probs)
        model = self.learner.model_
        if self.terms is not None and item["kind"] == "text" and j is not None and model is not None:
            terms = self.terms.terms(model, self.learner.pool.rows([index]), self.labels.value(j))
            if terms:
                item = {**item, "terms": terms}
        return card(index, item, self.labels.names, probs, why, origin, keys=self.labels.keys, order=self.order,
                    item_id=self.item_id(index), current=current)

    def peek(self, i: int) -> dict:
        """The hover's item part: ``{"type": "peek", "index", "preview", "item", "id" (with ids)}``."""
        out = {"type": "peek", "index": i, "preview": self.items.preview(i), "item": self.items.thumbnail(i)}
        if self.learner.has_ids:
            out["id"] = self.item_id(i)
        return out
