"""Where the Explorer's batches come from and where its labels go: the learner itself, or the shared annotation queue.

Both sources have one interface, so the Explorer does not ask which one it has:

=======================  ===========================================  ===============================================
                         ``LearnerSource`` (the default)               ``QueueSource`` (``annotator="name"``)
=======================  ===========================================  ===============================================
``next_batch(n)``        ``learner.query(n)``                          claim up to n items from the queue, topping it
                                                                       up with the learner's selection when it runs
                                                                       short
``submit(taught, rest)`` ``learner.teach``                             ``queue.submit`` each label, release the rest,
                                                                       teach the learner the resolved labels
``release(indices)``     nothing to give back                          ``queue.release`` (claimed, not submitted)
``sync()``               nothing to take in                            ``queue.sync`` + ``learner.pull_from_store``
``fit_wanted()``         always                                        only with labels resolved since the last fit
=======================  ===========================================  ===============================================

Teaching mode's ``OracleSource`` (``teaching.py``) is a ``LearnerSource`` with a simulated annotator: ``answer``
gives its answers for the cards. The labeling session (``session.py``) drives all three through this interface.
"""
from __future__ import annotations

import time
from typing import TYPE_CHECKING

import numpy as np

from activelens.core.records import Batch
from activelens.storage.queue import AnnotationQueue, QueueError, check_annotator
from activelens.widgets.runner import describe

if TYPE_CHECKING:
    from activelens.widgets.teaching import Oracle


class SubmitFailed(ValueError):
    """Submitting stopped part way; ``saved`` holds the pool positions committed before it stopped."""

    def __init__(self, message: str, saved: list[int]):
        super().__init__(message)
        self.saved = saved


class LearnerSource:
    """Batches from the learner's own ``query()``; labels taught to it directly.

    Parameters
    ----------
    learner : ActiveLearner
    """

    #: the source leases the items it hands out (they must be given back when not labeled)
    leases = False
    #: the annotator's name ("" for the learner's own batches)
    annotator = ""
    #: cards left unpicked at a submit stay in the next batch (else they are given back)
    keeps_unpicked = True
    #: where skipped (and given back) items go, for the status line
    returns_to = "pool"
    #: who a simulated annotator's labels are taught as (teaching mode's oracle; None here: there is none)
    oracle_name: str | None = None
    #: teaching mode's simulated annotator (None here: there is none)
    oracle: Oracle | None = None
    #: annotator mode's shared queue (None here: there is none)
    queue: AnnotationQueue | None = None

    def __init__(self, learner):
        self.learner = learner

    def next_batch(self, n: int) -> Batch | None:
        """The learner's next ``n`` items (``n >= 1``)."""
        return self.learner.query(n)

    def submit(self, taught: list[tuple[int, object]], rest: list[int], annotator=None) -> None:
        """Teach the learner ``taught``: (pool position, class) pairs; ``rest`` (skipped, unpicked) stays unlabeled."""
        if taught:
            self.learner.teach([i for i, _ in taught], [c for _, c in taught], annotator=annotator)

    def teach_bulk(self, positions: list[int], value) -> None:
        """Teach the learner class ``value`` for every one of ``positions`` at once (recorded with source "bulk")."""
        self.learner.teach(positions, [value] * len(positions), source="bulk")

    def take_back(self, positions: list[int]) -> None:
        """Take back the learner's labels of ``positions`` (Undo after a submit), kept in its history as "undo"."""
        self.learner.unlabel(positions, source="undo")

    def correct(self, how: str, pairs: list[tuple[int, object]], annotator=None) -> None:
        """Change labels the learner holds (labeled cards): ``how`` "relabel" or "confirm" relabels each (pool
        position, class) of ``pairs`` (recorded with that source), "unlabel" takes the labels back."""
        positions = [i for i, _ in pairs]
        if how == "unlabel":
            self.learner.unlabel(positions, annotator=annotator)
        else:
            self.learner.relabel(positions, [v for _, v in pairs], annotator=annotator, source=how)

    def check_correct(self) -> None:
        """Labeled items may be shown as labeled cards, to change or take back."""

    def shown(self) -> None:
        """A new batch is on the page (nothing to time here)."""

    def release(self, indices) -> None:
        """Nothing is held: nothing to give back."""

    def sync(self) -> int:
        """Nothing to take in: the learner is the source. Returns 0 labels added."""
        return 0

    def fit_wanted(self) -> bool:
        """Retrain after every submit."""
        return True

    @property
    def monitored(self) -> bool:
        """Whether there are annotations to show in the monitor panel (the learner has a store)."""
        return self.learner.store is not None

    def annotations(self):
        """The annotations the monitor panel summarizes, or None: the learner's own (from its store)."""
        return None

    def queue_status(self) -> dict | None:
        return None

    def empty_message(self) -> str:
        """The status line when there is no batch."""
        return "every item is labeled"

    def check_add(self) -> None:
        """Items picked on the map may be added to the batch."""

    def check_teaching(self) -> None:
        """Refused: teaching mode is off (``OracleSource`` allows it)."""
        raise ValueError("teaching mode is off; create the explorer with oracle=y (the true classes)")

    def answer(self, indices, round: int = 0) -> list:
        """A simulated annotator's answers for these pool positions: refused, there is none (see ``OracleSource``)."""
        self.check_teaching()
        return []

    def teaching_state(self) -> dict:
        """The ``teaching`` trait: {} (teaching mode is off)."""
        return {}


class QueueSource(LearnerSource):
    """Batches claimed from a shared :class:`~activelens.AnnotationQueue` under this annotator's name; labels
    submitted through the queue. Two Explorers with different annotators never hold the same item at once.

    Parameters
    ----------
    learner : ActiveLearner
        Fills the queue when it runs short (the selection service's role) and is taught the resolved labels.
    queue : AnnotationQueue
    annotator : str
        This annotator's name (validated).
    """

    queue: AnnotationQueue
    leases = True
    keeps_unpicked = False   # a claim is leased: unpicked cards go back to the queue for another annotator
    returns_to = "queue"

    def __init__(self, learner, queue: AnnotationQueue, annotator: str):
        super().__init__(learner)
        self.queue = queue
        self.annotator = annotator
        self._shown_at = time.monotonic()   # when the current batch was shown: seconds per label

    @classmethod
    def for_explorer(cls, learner, annotator, queue, oracle) -> LearnerSource:
        """The source for an Explorer's ``annotator=``, ``queue=`` and ``oracle=`` arguments (validated here):
        a ``QueueSource`` with an annotator, else a ``LearnerSource``."""
        if annotator is None:
            if queue is not None:
                raise ValueError("queue= needs annotator=: give this annotator's name (annotator=\"name\") to claim "
                                 "items from the queue")
            return LearnerSource(learner)
        check_annotator(annotator)
        if oracle is not None:
            raise ValueError("annotator= (claiming from the shared queue) and oracle= (teaching mode) cannot be "
                             "combined; use one of them")
        if queue is None:
            if learner.store is None:
                raise ValueError(f"annotator={annotator!r} claims from the shared annotation queue, which lives in the "
                                 "learner's label store, and this learner has none: create it with "
                                 "ActiveLearner(..., store=\"labels.db\") or pass queue=AnnotationQueue(...)")
            queue = AnnotationQueue(learner.store)
        elif not isinstance(queue, AnnotationQueue):
            raise TypeError(f"queue must be an activelens.AnnotationQueue, got {type(queue).__name__}")
        return cls(learner, queue, annotator)

    def next_batch(self, n: int) -> Batch | None:
        """Claim up to ``n`` items for this annotator; when the queue has too little to claim, fill it with the
        learner's next selection first, then claim the rest. None when it has nothing for this annotator."""
        queue, name = self.queue, self.annotator
        got = queue.claim(name, n=n)
        if len(got) < n:   # the queue ran short (gold items may fill some slots): top it up, claim the rest
            self._fill(n - len(got))
            got += queue.claim(name, n=n - len(got))
        if not got:
            return None
        return Batch(indices=np.asarray(got, dtype=np.intp), scores=np.full(len(got), np.nan),
                     strategy="shared queue", round=len(self.learner.rounds), model_version=self.learner.model_version)

    def _fill(self, n: int) -> int:
        return self.queue.refill(self.learner, n)[0]

    def shown(self) -> None:
        """A new batch is on the page: its labels' ``seconds`` count from now."""
        self._shown_at = time.monotonic()

    def submit(self, taught: list[tuple[int, object]], rest: list[int], annotator=None) -> None:
        """Commit each label through the queue (``seconds``: the time since the batch was shown, per label),
        release ``rest``, teach the learner the resolved labels. Any failure (a refused label, a locked or read-only
        store) raises :class:`SubmitFailed` naming what was saved before it; the rest can be submitted again."""
        secs = max(0.0, time.monotonic() - self._shown_at) / max(1, len(taught))
        done: list[int] = []
        for i, value in taught:
            try:
                self.queue.submit(self.annotator, i, value, seconds=secs)
            except Exception as exc:  # noqa: BLE001 - every failure goes to the page with what was saved
                saved = f"the {len(done)} label(s) before it are saved; " if done else "nothing was saved; "
                raise SubmitFailed(f"submit to the queue failed at item {i}: {describe(exc)}. {saved}your other picks "
                                   "are kept: press Submit again to retry", done) from None
            done.append(i)
        try:
            self.release(rest)
            self.sync()
        except Exception as exc:  # noqa: BLE001 - the labels are in the queue; only taking them in failed
            raise SubmitFailed(f"your {len(done)} label(s) are saved in the queue, but taking them in failed: "
                               f"{describe(exc)}. Press Submit again (or run w.refresh()) to retry", done) from None

    def release(self, indices) -> None:
        """Give claimed items back to the queue (skipped or left unpicked); a lease that already ended is fine."""
        for i in indices:
            try:
                self.queue.release(self.annotator, i)
            except QueueError:
                pass

    def sync(self) -> int:
        """Teach the learner the queue's resolved labels (``queue.sync``), then take in the labels other notebooks'
        learners already committed to the same store (their own sync): those are in the store, so they only enter
        this learner's memory (nothing is written twice). Returns how many labels the learner gained."""
        learner = self.learner
        return self.queue.sync(learner) + learner.pull_from_store()

    def fit_wanted(self) -> bool:
        """Not when nothing was resolved since the last fit (e.g. items waiting for a second annotator)."""
        return self.learner.model_ is None or bool(self.learner.n_new_labels)

    @property
    def monitored(self) -> bool:
        return True

    def annotations(self):
        """Every annotation in the queue's store (a DataFrame)."""
        return self.queue.store.annotations()

    def queue_status(self) -> dict | None:
        """The queue's counts (pending, leased, done, ...)."""
        return self.queue.status()

    def empty_message(self) -> str:
        if self.learner.n_pool > self.learner.n_labeled:
            return f"the queue has nothing for {self.annotator} right now; submit again later to claim more"
        return "every item is labeled"

    def teach_bulk(self, positions: list[int], value) -> None:
        """Refused: in annotator mode labels go through the shared queue, one claimed item at a time."""
        raise ValueError(f"annotator mode: {self.annotator!r} labels the items claimed from the shared queue; "
                         "bulk labels are for an Explorer without annotator= (the learner itself)")

    def take_back(self, positions: list[int]) -> None:
        """Refused: a submitted annotation belongs to the shared queue."""
        raise ValueError(f"annotator mode: {self.annotator!r}'s submitted answers are in the shared queue; a "
                         "reviewer corrects a label with queue.correct(index, label, annotator)")

    def check_correct(self) -> None:
        """Refused: labels resolved through the shared queue are corrected there."""
        raise ValueError(f"annotator mode: the labels resolved through the shared queue are the queue's; a "
                         "reviewer corrects one with queue.correct(index, label, annotator) (an Explorer without "
                         "annotator= changes the learner's labels on labeled cards)")

    def correct(self, how: str, pairs: list[tuple[int, object]], annotator=None) -> None:
        """Refused, as ``check_correct``."""
        self.check_correct()

    def check_add(self) -> None:
        """Refused: this annotator labels what the queue hands out."""
        raise ValueError(f"annotator mode: {self.annotator!r} labels the items claimed from the shared queue; "
                         "items picked on the map cannot be added")
