"""A learner's write-through: the store subscribes to the learner's events (``Taught``, ``Relabeled``, ``Unlabeled``,
``Fitted``) and commits them in the same call, and a reopened store restores the learner through ``learner.restore``.

The learner is used through its public API only: ``pool``, ``estimator``, ``settings``, ``ids``, ``has_ids``,
``restore(state)`` and ``subscribe(listener)``. With ids, each label is stored with its item's id, and a store reopened
against the same items in another order is matched by id (``LabelStore.bind_pool``).
"""
from __future__ import annotations

import math
from typing import Sequence

from activelens.core.records import Fitted, LabelRecord, LearnerState, Relabeled, Round, Taught, Unlabeled
from activelens.core.validation import label_mismatch
from activelens.storage.codec import dump_id, dump_label, dump_label_cached, load_label
from activelens.storage.errors import StoreError
from activelens.storage.pool_check import RowHashes
from activelens.storage.store import LabelStore, open_store

__all__ = ["LearnerLink", "stored_state", "open_store_for", "check_store_classes"]


class LearnerLink:
    """Keeps a store in step with one learner: writes what the learner emits (labels with provenance, rounds) in
    the same call, so a label is committed before ``teach`` returns; hashes each new row once.

    Parameters
    ----------
    store : LabelStore
        Where to commit.
    hashes : RowHashes
        The pool's content hashes (``LabelStore.bind_pool``), for each label's ``item_hash``.
    ids : sequence of hashable, optional
        Every pool item's id, in pool order, for each label's ``item_id`` (None: labels are stored without ids).
    """

    def __init__(self, store: LabelStore, hashes: RowHashes, ids=None):
        self.store, self.hashes, self.ids = store, hashes, ids
        self._dumped: dict[object, str] = {}

    def __call__(self, event) -> None:
        """Commit a ``Taught`` event's labels, a ``Relabeled`` or ``Unlabeled`` event's corrections (the old labels
        kept in the label history) or a ``Fitted`` event's round; other events are ignored.

        Raises
        ------
        StoreError
            The commit failed; the learner then changes nothing.
        """
        if isinstance(event, Taught):
            self.store.add_labels(self.rows(event.records))
        elif isinstance(event, (Relabeled, Unlabeled)):
            self.store.correct_labels(self.rows(event.records, hashed=False))
        elif isinstance(event, Fitted):
            self.store.add_round(event.round.__dict__)

    def rows(self, records: Sequence[LabelRecord], hashed: bool = True) -> list[dict]:
        """Label rows for ``LabelStore.add_labels`` from the learner's records (the new rows hashed in one read); with
        ``hashed`` False, for ``LabelStore.correct_labels`` (which keeps the stored label's hash; label None kept)."""
        if hashed:
            self.hashes.fetch([r.index for r in records])
        return [{"idx": r.index, "item_hash": self.hashes[r.index] if hashed else None,
                 "label": None if r.label is None else dump_label_cached(self._dumped, r.label),
                 "annotator": r.annotator, "ts": r.timestamp, "seconds": _finite_or_none(r.seconds),
                 "round": r.round, "model_version": r.model_version, "strategy": r.strategy,
                 "score": _finite_or_none(r.score), "source": r.source,
                 "item_id": None if self.ids is None else dump_id(self.ids[r.index])} for r in records]


def stored_state(st: LabelStore) -> LearnerState:
    """The learner state a store holds: labels in the order they were committed, rounds and the label history.

    Parameters
    ----------
    st : LabelStore

    Returns
    -------
    LearnerState
        For ``learner.restore``; ``model_version`` is the last round's (0 with no round).
    """
    rows = st.labels_raw()
    rounds = tuple(Round.from_dict(d) for d in st.rounds())   # fields newer than the store take their defaults
    labels = tuple((int(r.idx), load_label(r.label)) for r in rows)
    return LearnerState(labels=labels, rounds=rounds, model_version=int(rounds[-1].model_version) if rounds else 0,
                        history=st.history_records())


def open_store_for(learner, store) -> LabelStore:
    """Open ``store`` for ``learner``: check (or record) the pool, restore labels, rounds and the model through
    ``learner.restore``, then subscribe to the learner so every label and round it emits is committed.

    With ids (``learner.has_ids``) the store records them, and a store made with ids is matched by id: the same items
    in another order restore onto the right rows (``LabelStore.bind_pool``). Without ids a reordered pool is refused.

    Parameters
    ----------
    learner : ActiveLearner
        Used through ``pool``, ``estimator``, ``settings``, ``ids``, ``has_ids``, ``restore`` and ``subscribe``.
    store : LabelStore, str or os.PathLike
        A store, a file path (SQLite) or an SQLAlchemy URL.

    Returns
    -------
    LabelStore

    Raises
    ------
    PoolMismatchError
        The store was made for another pool (or, with ids on both sides, for items with other ids).
    StoreError
        The learner declares other classes than the store was made with, or the store holds labels outside them.
    """
    st = open_store(store)
    declared = learner.settings.get("classes")
    check_store_classes(st, declared)
    ids = learner.ids if learner.has_ids else None
    hashes = st.bind_pool(learner.pool, estimator=learner.estimator, settings=learner.settings, ids=ids)
    state = stored_state(st)
    if declared is not None:
        for i, v in state.labels:
            if label_mismatch(v, declared):
                raise StoreError(f"store {st.where!r} holds the label {v!r} for item {i}, which is not one of the declared "
                                 f"classes={declared!r:.80}; nothing was changed. Declare every class the store's labels "
                                 "use, or use a new store")
    if state.labels or state.rounds:
        learner.restore(state)
    learner.subscribe(LearnerLink(st, hashes, ids=ids))
    return st


def check_store_classes(st: LabelStore, declared) -> None:
    """Refuse declared classes other than those the store was made with (compared as a set, types included).

    Parameters
    ----------
    st : LabelStore
    declared : list or None
        The learner's declared classes (``learner.settings["classes"]``); None declares none and is not checked.

    Raises
    ------
    StoreError
        Naming both lists and what to pass.
    """
    recorded = st.settings().get("classes")
    if declared is None or recorded is None:
        return
    if {dump_label(v) for v in recorded} != {dump_label(v) for v in declared}:
        raise StoreError(f"store {st.where!r} was made with classes={recorded!r:.100}, but this learner declares "
                         f"classes={declared!r:.100}; nothing was changed. Pass the store's classes, or use a new store "
                         "for a different set of classes")


def _finite_or_none(v):
    if v is None:
        return None
    v = float(v)
    return v if math.isfinite(v) else None
