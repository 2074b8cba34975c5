"""Annotation queue: the selection service puts items in, annotators claim them under a lease, submit or release them.

Guarantees (each a test in tests/storage/test_queue.py):

- a work item is leased to at most one annotator at a time; an expired lease makes it claimable again;
- an annotator is never served the same item twice (not after a release, not after an expiry);
- a share of items (``overlap``) needs ``overlap_annotators`` annotations from different annotators;
- gold items (known labels) are mixed into each annotator's claims at ``gold_share``. They are not leased exclusively
  (their answer is known, so several annotators may hold one at once); every annotator sees each gold item at most once.

Claims are atomic: on SQLite the whole claim is one ``BEGIN IMMEDIATE`` transaction; on PostgreSQL the candidates are
selected ``FOR UPDATE SKIP LOCKED`` and leased in the same transaction.
"""
from __future__ import annotations

import math
import numbers
import time
import warnings
import os
from typing import Any, Callable, Sequence
from collections import defaultdict

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as _postgresql, sqlite as _sqlite

from activelens.core.records import Batch
from activelens.core.validation import (check_classes, check_indices, check_label, check_label_type, check_name,
                                         check_random_state, check_scalar, label_kind, label_mismatch)
from activelens.storage.codec import dump_label, load_label
from activelens.storage.errors import QueueError
from activelens.storage.resolution import RESOLUTIONS, gold_weights, resolve_votes
from activelens.storage.schema import T_ANN, T_GOLD, T_HISTORY, T_LABELS, T_QUEUE, T_SERVED
from activelens.storage.store import LabelStore, open_store

__all__ = ["AnnotationQueue", "QueueError", "RESOLUTIONS", "check_annotator", "MAX_LEASE_SECONDS"]

#: the longest lease a claim may take (7 days): an annotator holds an item while labeling it, and a longer lease would
#: keep it from everyone else if they never come back (``release`` gives an item back at once)
MAX_LEASE_SECONDS = 7 * 24 * 3600.0


_UNREAD = object()

#: columns of ``AnnotationQueue.skipped``
SKIPPED_COLUMNS = ["index", "label", "annotators", "problem"]


def check_annotator(annotator) -> str:
    """``annotator`` if it is a name (``check_name``: a non-empty string without NUL characters), as the learner's
    ``teach(annotator=...)`` checks it too."""
    checked = check_name(annotator, "annotator", what="an annotator's name")
    assert checked is not None   # allow_none is off
    return checked


def _check_lease(value, name="lease_seconds") -> float:
    lease = check_scalar(value, name, float, low=0, include_low=False, what="seconds")
    if lease > MAX_LEASE_SECONDS:
        raise ValueError(f"{name}={value!r} is longer than the longest lease, {MAX_LEASE_SECONDS:g} s (7 days): an item "
                         "claimed for longer would be kept from every other annotator if this one never comes back. "
                         "Use a shorter lease; release() gives an item back early")
    return lease


def _check_index(index, n_rows=None, name="index") -> int:
    """One pool position (``check_indices`` on one value: an int, or an integral float) below ``n_rows`` if known."""
    if isinstance(index, (str, bytes)) or index is None or np.ndim(index) != 0:
        raise TypeError(f"{name} must be one int pool position, got {type(index).__name__} {index!r:.40}")
    return int(check_indices(index, None if n_rows is None else int(n_rows), name=name)[0])


def _check_learner(learner) -> None:
    """``learner`` offers what the queue uses of an ActiveLearner (duck-typed: the storage layer sits below it)."""
    if not all(hasattr(learner, a) for a in ("labeled_indices", "n_pool", "query", "teach")):
        raise TypeError(f"learner must be an activelens ActiveLearner, got {type(learner).__name__} {learner!r:.40}")


def _check_positions(indices, n_rows, name="indices") -> list[int]:
    """Pool positions as a list of ints (``check_indices``; ``n_rows`` None: the store does not know the pool's size)."""
    return check_indices(indices, None if n_rows is None else int(n_rows), name=name).tolist()


class AnnotationQueue:
    """A shared queue of pool items to annotate, in a label store (a file path, SQLAlchemy URL or LabelStore).

    Parameters
    ----------
    store : LabelStore, str or os.PathLike
        Where the queue lives; the same store the learner writes its labels to.
    lease_seconds : float, default=600.0
        How long a claim holds an item before another annotator may get it.
    overlap : float, default=0.0
        Share of put() items that go to several annotators (for agreement); 0 = every item once.
    overlap_annotators : int, default=2
        How many annotators an overlap item needs (>= 2).
    gold_share : float, default=0.0
        Share of each annotator's claims that are gold items (when gold items are available), in [0, 1).
    labels : sequence, optional
        The allowed labels; submit() refuses others. Default: anything but None/NaN.
    clock : callable () -> float, default=time.time
        The time in seconds (injectable for tests).
    random_state : int or numpy.random.Generator, optional
        Seeds which items overlap.
    timeout : float, default=5.0
        For a store opened here: seconds a write waits for another process's lock.

    Attributes
    ----------
    store : LabelStore
    """

    def __init__(self, store: LabelStore | str | os.PathLike[str], *, lease_seconds: float = 600.0, overlap: float = 0.0,
                 overlap_annotators: int = 2, gold_share: float = 0.0, labels: Sequence[Any] | None = None,
                 clock: Callable[[], float] = time.time, random_state: int | np.random.Generator | None = None,
                 timeout: float = 5.0) -> None:
        self.lease_seconds = _check_lease(lease_seconds)
        self.overlap = check_scalar(overlap, "overlap", float, low=0, high=1, what="a share of the items")
        self.overlap_annotators = check_scalar(overlap_annotators, "overlap_annotators", int, low=2)
        self.gold_share = check_scalar(gold_share, "gold_share", float, low=0, high=1, include_high=False,
                                       what="a share of each claim")
        self.allowed = None if labels is None else check_classes(labels, name="labels").tolist()
        if not callable(clock):
            raise TypeError("clock must be a function returning seconds, like time.time")
        self.clock = clock
        self._rng = check_random_state(random_state)
        self.store: LabelStore = open_store(store, timeout=timeout)  # last: a bad argument leaves no store open
        self._pg = self.store.backend == "postgresql"
        self._classes: Any = _UNREAD   # the store's classes once read (they never change after the pool is bound)
        self._kind: str | None = None      # the kind of the labels stored (strings, numbers) once there are any
        self.skipped = pd.DataFrame(columns=SKIPPED_COLUMNS)

    # ----- filling -----
    def put(self, indices: ArrayLike, *, scores: ArrayLike | None = None, strategy: str | None = None,
            round: int | None = None, model_version: int | None = None) -> int:
        """Queue pool positions (best first). Items already queued or already labeled are skipped.

        Parameters
        ----------
        indices : array-like of int, shape (n,)
            Pool positions, each once.
        scores : array-like of float, shape (n,), optional
            Their selection scores (provenance; NaN is stored as missing).
        strategy : str, optional
        round, model_version : int, optional
            Provenance: what chose the items, and when.

        Returns
        -------
        int
            How many were added.
        """
        idx = _check_positions(indices, self.store.meta().get("n_rows"))
        if scores is None:
            sc = [None] * len(idx)
        else:
            try:
                arr = np.asarray(scores, dtype=np.float64)
            except (TypeError, ValueError):
                raise TypeError(f"scores must be numbers, one per index, got {scores!r:.60}") from None
            if arr.ndim > 1:
                raise ValueError(f"scores must be 1-D, one number per index, got shape {arr.shape}")
            sc = [None if not math.isfinite(s) else s for s in arr.reshape(-1).tolist()]
        if len(sc) != len(idx):
            raise ValueError(f"scores must hold one number per index ({len(idx)}), got {len(sc)}")
        check_name(strategy, "strategy", allow_none=True, what="the name of the strategy that chose the items")
        for value, what in ((round, "round"), (model_version, "model_version")):
            check_scalar(value, what, int, low=0, allow_none=True)
        needed = np.where(self._rng.random(len(idx)) < self.overlap, self.overlap_annotators, 1)
        now = self.clock()
        with self.store.write() as conn:
            have = set()
            for chunk in _chunks(idx, 500):
                have.update(conn.execute(sa.select(T_QUEUE.c.idx).where(T_QUEUE.c.idx.in_(chunk))).scalars())
                have.update(conn.execute(sa.select(T_LABELS.c.idx).where(T_LABELS.c.idx.in_(chunk))).scalars())
                have.update(conn.execute(sa.select(T_GOLD.c.idx).where(T_GOLD.c.idx.in_(chunk))).scalars())
            seq0 = conn.execute(sa.select(sa.func.coalesce(sa.func.max(T_QUEUE.c.seq), 0))).scalar()
            rows, k = [], 0
            for i, s, need in zip(idx, sc, needed.tolist()):
                if i in have:
                    continue
                k += 1
                rows.append({"idx": i, "seq": seq0 + k, "needed": int(need), "n_done": 0, "score": s,
                             "strategy": strategy, "round": round, "model_version": model_version, "added": now,
                             "lease_annotator": None, "lease_expires": None})
            if rows:
                conn.execute(sa.insert(T_QUEUE), rows)
        return len(rows)

    def add_gold(self, indices: ArrayLike, labels: Sequence[Any]) -> int:
        """Items whose label is known, mixed into claims at ``gold_share`` to measure each annotator's accuracy.

        Parameters
        ----------
        indices : array-like of int, shape (n,)
            Pool positions (not queued as work items).
        labels : sequence of length n, or one label
            Their known labels.

        Returns
        -------
        int
            How many were added (a gold item already there with the same label is skipped).
        """
        idx = _check_positions(indices, self.store.meta().get("n_rows"))
        lab = list(labels) if isinstance(labels, (list, tuple, np.ndarray)) else [labels]
        if len(lab) != len(idx):
            raise ValueError(f"got {len(idx)} indices but {len(lab)} labels; give one label per gold item")
        lab = [self._check_label(v, f"labels[{k}]") for k, v in enumerate(lab)]
        with self.store.write() as conn:
            queued = set()
            for chunk in _chunks(idx, 500):
                queued.update(conn.execute(sa.select(T_QUEUE.c.idx).where(T_QUEUE.c.idx.in_(chunk))).scalars())
            if queued:
                raise ValueError(f"item {sorted(queued)[0]} is already queued as a work item; gold items must be separate")
            have = dict(conn.execute(sa.select(T_GOLD.c.idx, T_GOLD.c.label)).all())
            seq0 = conn.execute(sa.select(sa.func.coalesce(sa.func.max(T_GOLD.c.seq), 0))).scalar()
            rows: list[dict[str, Any]] = []
            for i, v in zip(idx, lab):
                if i in have:
                    if load_label(have[i]) != v:
                        raise ValueError(f"gold item {i} already has the label {load_label(have[i])!r}, not {v!r}")
                    continue
                rows.append({"idx": i, "label": dump_label(v), "seq": seq0 + len(rows) + 1})
            if rows:
                conn.execute(sa.insert(T_GOLD), rows)
        return len(rows)

    # ----- annotators -----
    def claim(self, annotator: str, n: int = 1, lease_seconds: float | None = None) -> list[int]:
        """Lease up to ``n`` items to ``annotator``.

        Parameters
        ----------
        annotator : str
        n : int, default=1
        lease_seconds : float, optional
            This claim's lease (default: the queue's).

        Returns
        -------
        list of int
            Pool positions, gold items mixed in; fewer or none when the queue runs dry.
        """
        annotator = check_annotator(annotator)
        n = check_scalar(n, "n", int, low=1, what="items to claim")
        lease = self.lease_seconds if lease_seconds is None else _check_lease(lease_seconds)
        now = self.clock()
        with self.store.write(durable=False) as conn:  # a lease lost to a power cut only means serving it again
            gold_slots, gold = self._claim_gold(conn, annotator, n)
            work = self._claim_work(conn, annotator, n - len(gold), now, lease)
            served = [] if self._pg else [{"idx": int(i), "annotator": annotator, "ts": now, "gold": 0} for i in work]
            served += [{"idx": int(i), "annotator": annotator, "ts": now, "gold": 1} for i in gold]
            if served:
                conn.execute(sa.insert(T_SERVED), served)
        out = [int(i) for i in work]
        for slot, i in zip(gold_slots, gold):
            out.insert(min(slot, len(out)), int(i))
        return out

    def _claim_gold(self, conn, annotator: str, n: int) -> tuple[list, list]:
        """(slots of the claim that are gold, gold positions for them) so gold keeps its share of what ``annotator``
        was served; gold items this annotator has seen are not served again."""
        if self.gold_share <= 0:
            return [], []
        s = T_SERVED
        counts = dict(conn.execute(
            sa.select(s.c.gold, sa.func.count()).where(s.c.annotator == annotator).group_by(s.c.gold)).all())
        g, t = int(counts.get(1, 0)), int(counts.get(0, 0)) + int(counts.get(1, 0))
        gold_slots = []
        for slot in range(n):
            t += 1
            if g < math.floor(self.gold_share * t + 1e-9):
                g += 1
                gold_slots.append(slot)
        if not gold_slots:
            return [], []
        gold = conn.execute(
            sa.select(T_GOLD.c.idx)
            .where(~sa.exists().where(s.c.idx == T_GOLD.c.idx, s.c.annotator == annotator))
            .order_by(T_GOLD.c.seq).limit(len(gold_slots))).scalars().all()
        return gold_slots, gold

    def _claim_work(self, conn, annotator: str, n_work: int, now: float, lease: float) -> list:
        """Lease up to ``n_work`` queued items to ``annotator`` (never one it was served before); on PostgreSQL the
        same statement records them as served."""
        if not n_work:
            return []
        if self._pg:
            # one round trip: pick (skipping rows another claim holds), lease, and record as served
            return conn.execute(_PG_CLAIM, {"ann": annotator, "now": now, "exp": now + lease, "n": n_work}
                                ).scalars().all()
        q, s = T_QUEUE, T_SERVED   # SQLite: the whole transaction holds the write lock (BEGIN IMMEDIATE)
        cand = (sa.select(q.c.idx)
                .where(q.c.n_done < q.c.needed,
                       sa.or_(q.c.lease_expires.is_(None), q.c.lease_expires <= now),
                       ~sa.exists().where(s.c.idx == q.c.idx, s.c.annotator == annotator))
                .order_by(q.c.seq).limit(n_work))
        work = conn.execute(cand).scalars().all()
        if work:
            conn.execute(sa.update(q).where(q.c.idx.in_(work)).values(lease_annotator=annotator,
                                                                      lease_expires=now + lease))
        return work

    def submit(self, annotator: str, index: int, label: Any, *, seconds: float | None = None) -> None:
        """Record ``annotator``'s label for an item they were served.

        A submit after the lease expired is still recorded (the work is not thrown away); the item then may end up
        with one annotation more than needed. The same answer again is a no-op.

        Parameters
        ----------
        annotator : str
        index : int
            The pool position claimed.
        label : object
            Not None or NaN; one of the queue's ``labels`` if it has them.
        seconds : float, optional
            How long the annotation took.

        Raises
        ------
        QueueError
            The item was not served to ``annotator``, or they submitted another label for it already.
        """
        annotator = check_annotator(annotator)
        index = _check_index(index, self._n_rows())
        label = self._check_label(label)
        secs = check_scalar(seconds, "seconds", float, low=0, allow_none=True, what="time spent on the item")
        now = self.clock()
        q = T_QUEUE
        insert = (_postgresql.insert if self._pg else _sqlite.insert)(T_ANN)
        # one statement: record it if it was served to this annotator and not yet answered by them
        stmt = insert.from_select(
            ["idx", "annotator", "label", "ts", "seconds", "gold"],
            sa.select(T_SERVED.c.idx, T_SERVED.c.annotator, sa.literal(dump_label(label), sa.Text),
                      sa.literal(now, sa.Float), sa.literal(secs, sa.Float), T_SERVED.c.gold)
            .where(T_SERVED.c.idx == index, T_SERVED.c.annotator == annotator),
        ).on_conflict_do_nothing().returning(T_ANN.c.gold)
        with self.store.write() as conn:
            served = conn.execute(stmt).first()
            if served is None:
                prev = conn.execute(sa.select(T_ANN.c.label).where(T_ANN.c.idx == index,
                                                                   T_ANN.c.annotator == annotator)).first()
                if prev is None:
                    raise QueueError(f"item {index} was not served to annotator {annotator!r}; claim() items before "
                                     "submitting")
                if load_label(prev.label) == label:
                    return
                raise QueueError(f"annotator {annotator!r} already submitted {load_label(prev.label)!r} for item {index}; "
                                 "an annotation is final")
            if not served.gold:
                conn.execute(sa.update(q).where(q.c.idx == index).values(
                    n_done=q.c.n_done + 1,
                    lease_annotator=sa.case((q.c.lease_annotator == annotator, None), else_=q.c.lease_annotator),
                    lease_expires=sa.case((q.c.lease_annotator == annotator, None), else_=q.c.lease_expires)))

    def release(self, annotator: str, index: int) -> None:
        """Give an item back unannotated; another annotator may claim it at once (this one will not get it again).

        Parameters
        ----------
        annotator : str
        index : int

        Raises
        ------
        QueueError
            ``annotator`` does not hold the item.
        """
        annotator = check_annotator(annotator)
        index = _check_index(index, self._n_rows())
        now = self.clock()
        q = T_QUEUE
        with self.store.write(durable=False) as conn:
            if conn.execute(sa.select(T_GOLD.c.idx).where(T_GOLD.c.idx == index)).first() is not None:
                return
            res = conn.execute(sa.update(q).where(q.c.idx == index, q.c.lease_annotator == annotator,
                                                  q.c.lease_expires > now).values(lease_annotator=None, lease_expires=None))
            if res.rowcount != 1:
                raise QueueError(f"annotator {annotator!r} does not hold item {index} (never claimed, submitted, released "
                                 "or the lease expired); nothing to release")

    def reject(self, index: int, annotator: str | None = None) -> int:
        """Throw away the annotations of an item (all of them, or ``annotator``'s) so it is annotated again: for an
        item ``sync`` skipped (``skipped``) or an answer known to be wrong. Those annotators may be served it again.

        Parameters
        ----------
        index : int
            The pool position.
        annotator : str, optional
            Only this annotator's annotation.

        Returns
        -------
        int
            How many annotations were removed.

        Raises
        ------
        QueueError
            The item has no such annotation, or it is labeled already: its annotations stay as the record of how it
            got its label. ``correct`` changes a stored label; ``LabelStore.unlabel`` (``activelens unlabel``) takes
            it back, after which ``reject`` sends it to be annotated again.
        """
        index = _check_index(index, self._n_rows())
        if annotator is not None:
            annotator = check_annotator(annotator)
        q = T_QUEUE
        with self.store.write() as conn:
            if conn.execute(sa.select(T_LABELS.c.idx).where(T_LABELS.c.idx == index)).first() is not None:
                raise QueueError(f"item {index} is labeled already (the learner was taught it), so its annotations are "
                                 "kept and nothing was removed. To change its label: queue.correct(index, label, "
                                 "reviewer) or `activelens relabel`; to have it annotated again: `activelens unlabel` "
                                 "first, then reject")
            where = [T_ANN.c.idx == index] + ([T_ANN.c.annotator == annotator] if annotator is not None else [])
            rows = conn.execute(sa.select(T_ANN.c.annotator, T_ANN.c.gold).where(*where)).all()
            if not rows:
                who = f" by annotator {annotator!r}" if annotator is not None else ""
                raise QueueError(f"item {index} has no annotation{who} to reject; nothing was removed")
            names = [r.annotator for r in rows]
            conn.execute(sa.delete(T_ANN).where(*where))
            conn.execute(sa.delete(T_SERVED).where(T_SERVED.c.idx == index, T_SERVED.c.annotator.in_(names)))
            work = sum(1 for r in rows if not r.gold)
            if work:   # back in the queue, claimable at once
                conn.execute(sa.update(q).where(q.c.idx == index).values(
                    n_done=sa.case((q.c.n_done > work, q.c.n_done - work), else_=0), lease_annotator=None,
                    lease_expires=None))
        return len(rows)

    def correct(self, index: int, label: Any, annotator: str) -> None:
        """A reviewer's correction of a stored (resolved and taught) label.

        The correction overrides the resolution: the item's stored label becomes ``label`` at once, recorded in the
        label history with ``annotator`` and source "queue:correct" (the label it replaces stays there). The votes
        are left as the annotators gave them and are not resolved again, so agreement and gold accuracy still show
        what the annotators said. A learner reopened on the store (``activelens select`` does) trains on the
        correction, and one holding it open takes it in at its next ``pull_from_store`` (an annotator's widget pulls
        at every sync).

        Parameters
        ----------
        index : int
            The pool position of a labeled item.
        label : object
            The right label: one of the queue's ``labels`` if it has them, else of the store's classes.
        annotator : str
            The reviewer.

        Raises
        ------
        QueueError
            The item has no stored label (not finished, or not taught yet: ``submit`` and ``sync`` label it).
        ValueError, TypeError
            A label the store refuses; nothing was written.
        """
        annotator = check_annotator(annotator)
        index = _check_index(index)
        label = check_label(label)
        if self.allowed is not None and label_mismatch(label, self.allowed):
            raise ValueError(f"unknown label {label!r}; the queue accepts {self.allowed}. Nothing was written")
        with self.store.read() as conn:
            labeled = conn.execute(sa.select(T_LABELS.c.idx).where(T_LABELS.c.idx == index)).first() is not None
        if not labeled:
            raise QueueError(f"item {index} has no stored label to correct (its annotations are not finished, or sync "
                             "has not taught it yet); nothing was written. submit() annotates an item")
        self.store.relabel([index], [label], annotator=annotator, source="queue:correct")

    def _n_rows(self):
        """The pool's size as the store recorded it (None before a pool is bound)."""
        return self.store.meta().get("n_rows")

    def _check_label(self, v, name="label"):
        """One label, of the queue's ``labels`` if it has them, else of the store's classes (the learner's declared
        ones), else of the kind of the labels stored already: a label the learner would refuse never gets in."""
        v = check_label(v, name)
        if self.allowed is not None:
            if label_mismatch(v, self.allowed):
                raise ValueError(f"unknown label {v!r}; the queue accepts {self.allowed}")
            return v
        classes = self.store_classes()
        if classes is not None:
            if label_mismatch(v, classes):
                raise ValueError(f"unknown label {v!r} ({label_kind(v)}); the store's classes are {classes!r:.100}. "
                                 "Nothing was written: submit one of them")
            return v
        kind = self._stored_kind()
        problem = label_mismatch(v, None, kind)
        if problem:
            raise TypeError(f"{name}: {problem}. Nothing was written")
        check_label_type([v], None, None, name=name)
        return v

    def store_classes(self) -> list | None:
        """The classes the store was made with (the learner's declared ``classes``), or None if it declared none."""
        if self._classes is _UNREAD:
            settings = self.store.settings()
            if not settings:        # no learner has bound the pool yet: ask again next time
                return None
            self._classes = settings.get("classes")   # recorded once, with the pool: never changes
        return self._classes

    def _stored_kind(self) -> str | None:
        if self._kind is None:
            with self.store.read() as conn:
                for table in (T_LABELS, T_ANN, T_GOLD):
                    first = conn.execute(sa.select(table.c.label).limit(1)).scalar()
                    if first is not None:
                        self._kind = label_kind(load_label(first))
                        break
        return self._kind

    # ----- state -----
    def status(self) -> dict:
        """Counts by state.

        Returns
        -------
        dict of str to int
            queued, pending (claimable now), leased, done, gold, annotations.
        """
        now = self.clock()
        q = T_QUEUE
        with self.store.read() as conn:
            total = conn.execute(sa.select(sa.func.count()).select_from(q)).scalar()
            done = conn.execute(sa.select(sa.func.count()).select_from(q).where(q.c.n_done >= q.c.needed)).scalar()
            leased = conn.execute(sa.select(sa.func.count()).select_from(q).where(
                q.c.n_done < q.c.needed, q.c.lease_expires > now)).scalar()
            gold = conn.execute(sa.select(sa.func.count()).select_from(T_GOLD)).scalar()
            ann = conn.execute(sa.select(sa.func.count()).select_from(T_ANN)).scalar()
        return {"queued": int(total), "pending": int(total - done - leased), "leased": int(leased), "done": int(done),
                "gold": int(gold), "annotations": int(ann)}

    def leases(self) -> pd.DataFrame:
        """Items currently leased (DataFrame: index, id when the store has ids, annotator, expires)."""
        now = self.clock()
        q = T_QUEUE
        with self.store.read() as conn:
            rows = conn.execute(sa.select(q.c.idx, q.c.lease_annotator, q.c.lease_expires)
                                .where(q.c.lease_expires > now).order_by(q.c.seq)).all()
        return self.store.with_ids(pd.DataFrame(rows, columns=["index", "annotator", "expires"]))

    def queued_indices(self) -> np.ndarray:
        """Every pool position ever queued, in queue order (ndarray of intp)."""
        with self.store.read() as conn:
            return np.asarray(conn.execute(sa.select(T_QUEUE.c.idx).order_by(T_QUEUE.c.seq)).scalars().all(), dtype=np.intp)

    def annotations(self) -> pd.DataFrame:
        """Every submitted annotation (``LabelStore.annotations``; with an ``id`` column when the store has ids)."""
        return self.store.annotations()

    # ----- resolution -----
    def resolved(self, method: str = "majority", *,
                 only_new: bool = True) -> tuple[np.ndarray, list[Any], pd.DataFrame]:
        """Labels for items with all their annotations in.

        Parameters
        ----------
        method : {"majority", "gold_weighted"}, default="majority"
            "majority": the most frequent label (ties go to the label whose annotators are more accurate on gold, then
            to the earliest). "gold_weighted": each annotator's vote weighs their smoothed gold accuracy
            (correct+1)/(n+2). See ``activelens.storage.resolution``.
        only_new : bool, default=True
            Skip items the learner already has a label for, and items whose label was taken back
            (``LabelStore.unlabel``) after their last annotation: ``reject`` sends those to be annotated again.

        Returns
        -------
        indices : ndarray of intp, shape (n,)
        labels : list of length n
        detail : DataFrame
            One row per item: index, id (when the store has ids), label, annotators, votes, seconds, score, strategy.
        """
        if method not in RESOLUTIONS:
            raise ValueError(f"method must be one of {RESOLUTIONS}, got {method!r}")
        q = T_QUEUE
        with self.store.read() as conn:
            stmt = sa.select(q.c.idx, q.c.score, q.c.strategy).where(q.c.n_done >= q.c.needed).order_by(q.c.seq)
            if only_new:
                stmt = stmt.where(~sa.exists().where(T_LABELS.c.idx == q.c.idx))
            done = conn.execute(stmt).all()
        ann = self.store.annotations()
        weights = gold_weights(ann)
        by_item = defaultdict(list)
        for r in ann[~ann["gold"]].itertuples(index=False):
            by_item[r.index].append(r)
        taken_back = self._taken_back() if only_new else {}
        out_idx, out_lab, detail = [], [], []
        for item in done:
            votes = by_item.get(item.idx, [])
            if not votes or max(v.timestamp for v in votes) <= taken_back.get(int(item.idx), -math.inf):
                continue
            label = resolve_votes([(v.annotator, v.label) for v in votes], weights, method)
            out_idx.append(int(item.idx))
            out_lab.append(label)
            secs = [v.seconds for v in votes if v.seconds is not None and np.isfinite(v.seconds)]
            detail.append({"index": int(item.idx), "label": label, "annotators": [v.annotator for v in votes],
                           "votes": [v.label for v in votes], "seconds": float(sum(secs)) if secs else None,
                           "score": item.score, "strategy": item.strategy})
        return np.asarray(out_idx, dtype=np.intp), out_lab, self.store.with_ids(pd.DataFrame(
            detail, columns=["index", "label", "annotators", "votes", "seconds", "score", "strategy"]))

    def _taken_back(self) -> dict:
        """{pool position: when its label was last taken back} for items unlabeled now that had a label."""
        h = T_HISTORY
        with self.store.read() as conn:
            rows = conn.execute(sa.select(h.c.idx, sa.func.max(h.c.ts)).where(h.c.label.is_(None))
                                .where(~sa.exists().where(T_LABELS.c.idx == h.c.idx)).group_by(h.c.idx)).all()
        return {int(i): float(t) for i, t in rows}

    def refill(self, learner: Any, n: int) -> tuple[int, Batch | None]:
        """Queue up to ``n`` new items the learner selects (``learner.query``), skipping those already queued; the one
        refill of the headless ``select`` command and of an annotator's widget running short.

        Items already queued (held by others, or answered but not resolved yet) are not selected again: the learner
        is asked for ``n`` plus those still unlabeled, and the first ``n`` not in the queue are put in.

        Parameters
        ----------
        learner : ActiveLearner
            Used through ``n_pool``, ``labeled_indices`` and ``query``.
        n : int
            Items to add at most.

        Returns
        -------
        added : int
            Items put in the queue (fewer when the pool runs out).
        batch : Batch or None
            The learner's selection they came from (its ``strategy``, ``round``); None when every pool item is
            labeled and nothing was asked.
        """
        _check_learner(learner)
        n = check_scalar(n, "n", int, low=1, what="items to queue")
        queued = set(self.queued_indices().tolist())
        labeled = set(learner.labeled_indices.tolist())
        want = min(learner.n_pool - len(labeled), n + len(queued - labeled))
        if want < 1:
            return 0, None
        batch = learner.query(want)
        keep = np.asarray([k for k, i in enumerate(batch.indices.tolist()) if i not in queued][:n], dtype=np.intp)
        if not keep.size:
            return 0, batch
        added = self.put(batch.indices[keep], scores=np.asarray(batch.scores, dtype=float)[keep],
                         strategy=str(batch.strategy), round=int(batch.round), model_version=int(batch.model_version))
        return added, batch

    def sync(self, learner: Any, method: str = "majority") -> int:
        """Teach ``learner`` the resolved labels of finished items (committed to the store with provenance).

        Parameters
        ----------
        learner : ActiveLearner
            Used through ``labeled_indices``, ``labels``, ``n_labeled``, ``declared_classes`` and ``teach``.
        method : {"majority", "gold_weighted"}, default="majority"

        Returns
        -------
        int
            How many labels were taught.

        Warns
        -----
        UserWarning
            Finished items whose resolved label the learner refuses (not one of its classes, another kind of label
            than it holds: an annotation stored before submit checked labels) are skipped, not taught: they are
            listed in ``skipped`` (index, label, annotators, problem) and ``reject(index)`` sends one back to be
            annotated again. The other items are taught as usual.
        """
        _check_learner(learner)
        self.skipped = pd.DataFrame(columns=SKIPPED_COLUMNS)
        idx, labels, detail = self.resolved(method)
        if not len(idx):
            return 0
        known = set(learner.labeled_indices.tolist())
        keep = [k for k, i in enumerate(idx.tolist()) if i not in known]
        if not keep:
            return 0
        bad = _refused(learner, [labels[k] for k in keep])
        if bad:
            skipped = [keep[j] for j in bad]
            self.skipped = pd.DataFrame(
                [{"index": int(idx[k]), "label": labels[k], "annotators": list(detail["annotators"].iloc[k]),
                  "problem": bad[j]} for j, k in zip(bad, skipped)], columns=SKIPPED_COLUMNS)
            first = self.skipped.iloc[0]
            warnings.warn(f"sync skipped {len(skipped)} finished item(s) whose label the learner refuses, e.g. item "
                          f"{first['index']} labeled {first['label']!r} by {', '.join(first['annotators'])} "
                          f"({first['problem']}). The other items were taught. queue.skipped lists them; "
                          f"queue.reject({first['index']}) sends an item back to be annotated again",
                          UserWarning, stacklevel=2)
            keep = [k for j, k in enumerate(keep) if j not in bad]
            if not keep:
                return 0
        idx, labels, detail = idx[keep], [labels[k] for k in keep], detail.iloc[keep]
        names = [",".join(a) for a in detail["annotators"]]
        # provenance: the score and strategy the selection service queued each item with (where it did)
        queued = [stg is not None for stg in detail["strategy"]]
        scores = [(np.nan if sc is None else float(sc)) if q else None for sc, q in zip(detail["score"], queued)]
        strategies = [(stg or "unknown") if q else None for stg, q in zip(detail["strategy"], queued)]
        learner.teach(idx, labels, annotator=names, seconds=detail["seconds"].astype(float).to_numpy(),
                      scores=scores, strategy=strategies, source=f"queue:{method}")
        return len(idx)


def _refused(learner, labels) -> dict:
    """{position in ``labels``: why the learner would refuse it} for labels that do not fit the learner: not one of
    its declared classes, or of another kind than the labels it holds (when it holds none, the kind most of these
    labels have)."""
    classes = getattr(learner, "declared_classes", None)
    held = learner.labels[:1].tolist() if learner.n_labeled else []
    out, checked = {}, {}
    for j, v in enumerate(labels):
        try:
            checked[j] = check_label(v)
        except (TypeError, ValueError) as exc:
            out[j] = str(exc)
    if held:
        kind = label_kind(held[0])
    elif classes is not None or not checked:
        kind = None
    else:  # a learner with no labels and no classes: the kind most of the labels have
        kinds = [label_kind(v) for v in checked.values()]
        kind = max(dict.fromkeys(kinds), key=kinds.count)
    for j, v in checked.items():
        problem = label_mismatch(v, classes, kind)
        if problem:
            out[j] = problem
    return out


_PG_CLAIM = sa.text("""
WITH cand AS (
    SELECT q.idx, q.seq FROM activelens_queue q
    WHERE q.n_done < q.needed AND (q.lease_expires IS NULL OR q.lease_expires <= :now)
      AND NOT EXISTS (SELECT 1 FROM activelens_served s WHERE s.idx = q.idx AND s.annotator = :ann)
    ORDER BY q.seq LIMIT :n
    FOR UPDATE OF q SKIP LOCKED),
upd AS (
    UPDATE activelens_queue q SET lease_annotator = :ann, lease_expires = :exp
    FROM cand WHERE q.idx = cand.idx
    RETURNING q.idx, cand.seq),
ins AS (
    INSERT INTO activelens_served (idx, annotator, ts, gold) SELECT idx, :ann, :now, 0 FROM upd)
SELECT idx FROM upd ORDER BY seq
""")


def _chunks(seq, size):
    for k in range(0, len(seq), size):
        yield seq[k:k + size]
