"""Finding items on the Explorer's map and where past selection went: text search, nearest neighbours in the
embedding, and the round each labeled item was labeled in — plain Python over public learner and pool API.

The Explorer turns these into its ``selected`` trait (search, similar, a round's replay) and into the "round"
colouring; nothing here writes a trait.
"""
from __future__ import annotations

import re

import numpy as np

from activelens.core.validation import check_scalar

#: bulk labels of more than this many items ask for a second click on the page ("Confirm labeling N")
BULK_CONFIRM_OVER = 50


def check_search(text, regex) -> re.Pattern:
    """The compiled, case-insensitive pattern for ``search(text, regex=regex)``; one error naming ``text`` (or
    ``regex``) otherwise."""
    if not isinstance(regex, bool):
        raise TypeError(f"regex must be True or False, got {regex!r}")
    if not isinstance(text, str) or not text.strip():
        raise ValueError(f"text must be a non-empty string to search for, got {text!r}")
    if not regex:
        return re.compile(re.escape(text), re.IGNORECASE)
    try:
        return re.compile(text, re.IGNORECASE)
    except re.error as exc:
        raise ValueError(f"text {text!r} is not a valid regular expression ({exc}); fix it, or search with "
                         "regex=False for the plain text") from None


def match_positions(texts, pattern: re.Pattern, candidates) -> list[int]:
    """The pool positions among ``candidates`` whose text (``texts[i]``, None = no text) matches ``pattern``."""
    return [int(i) for i in candidates if texts[int(i)] is not None and pattern.search(texts[int(i)])]


def nearest_positions(pool, position: int, n: int, candidates: np.ndarray) -> list[int]:
    """The ``n`` items of ``candidates`` nearest to pool item ``position`` in the pool's embedding (the item itself
    first, at distance 0), nearest first; ties by position."""
    dist = np.asarray(pool.distance_to_labeled(None, [int(position)]), dtype=np.float64)[candidates]
    order = np.lexsort((candidates, dist))[:n]
    return [int(i) for i in np.asarray(candidates)[order]]


def check_similar(position, n, n_pool: int) -> tuple[int, int]:
    """(position, n) checked for ``similar(position, n)``."""
    position = check_scalar(position, "position", int, low=0, high=n_pool - 1, what="a pool position")
    n = check_scalar(n, "n", int, low=1, what="how many items to select")
    return int(position), int(n)


def label_rounds(learner) -> tuple[np.ndarray, np.ndarray]:
    """(labeled positions in teaching order, the round each was labeled in): the round the learner was in when the
    label was taught (0 = before the first fit). Labels restored without provenance take the round of their place in
    teaching order: the first round whose fit had more labels than came before them."""
    frame = learner.labeled_frame()
    positions = frame["position"].to_numpy(dtype=np.int64)
    recorded = frame["round"].to_numpy(dtype=object)
    fitted = np.asarray([r.n_labels for r in learner.rounds], dtype=np.int64)
    by_order = np.searchsorted(fitted, np.arange(positions.size), side="right")   # fits with <= j labels before
    rounds = np.array([int(r) if r is not None and r == r else int(o) for r, o in zip(recorded, by_order)],
                      dtype=np.int64)
    return positions, rounds


def round_items(learner, k) -> list[int]:
    """Sorted pool positions of the items labeled in round ``k`` (checked: a round some label was given in)."""
    positions, rounds = label_rounds(learner)
    if positions.size == 0:
        raise ValueError("show_round: nothing is labeled yet; label a batch first")
    last = int(rounds.max())
    k = check_scalar(k, "k", int, low=0, high=last, what=f"a round (0..{last}: 0 is before the first fit)")
    return sorted(positions[rounds == k].tolist())
