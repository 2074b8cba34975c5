"""Labels and item ids as JSON text in the store: ints and strings (and any JSON value) round-trip exactly."""
from __future__ import annotations

import json

import numpy as np

__all__ = ["dump_label", "load_label", "dump_label_cached", "dump_id"]


def dump_label(value) -> str:
    """A label as JSON text (a numpy scalar as its Python value).

    Parameters
    ----------
    value : int, str, float, bool, numpy scalar or any JSON-able value

    Returns
    -------
    str
        The same text for equal labels, so it also serves as a label's comparison key.
    """
    if isinstance(value, np.generic):
        value = value.item()
    return json.dumps(value, ensure_ascii=False)


def load_label(text: str | None):
    """The label ``dump_label`` wrote (None for None).

    Parameters
    ----------
    text : str or None

    Returns
    -------
    object
    """
    return None if text is None else json.loads(text)


def dump_label_cached(cache: dict, value) -> str:
    """``dump_label(value)``, remembered in ``cache`` (a bulk teach has few distinct labels).

    Parameters
    ----------
    cache : dict
        Kept by the caller between calls; keyed by (type, value).
    value : object
        The label; an unhashable one is dumped each time.

    Returns
    -------
    str
    """
    try:
        key = (type(value), value)
        out = cache.get(key)
    except TypeError:  # unhashable
        return dump_label(value)
    if out is None:
        out = cache[key] = dump_label(value)
    return out


def dump_id(value) -> str:
    """An item id as JSON text: ints and strings round-trip exactly; other ids (timestamps, tuples' parts) are kept
    as their ``str``, so ``load_label`` gives that text back.

    Parameters
    ----------
    value : hashable
        One item's id (``learner.ids``).

    Returns
    -------
    str
        The same text for equal ids, so stored and given ids are compared as text.
    """
    if isinstance(value, np.generic):
        value = value.item()
    return json.dumps(value, ensure_ascii=False, default=str)
