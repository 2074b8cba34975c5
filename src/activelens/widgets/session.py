"""A labeling session: the batch on show, the picks made on it, submit, undo and retrain — plain Python, no widget.

The Explorer renders a session into its traits and forwards the page's commands to it; teaching mode and the Race
drive the same commands, so there is one submit path. Where batches come from and where labels go is the session's
*source* (``batch_source.py``): the learner itself (``LearnerSource``), the shared annotation queue in annotator
mode (``QueueSource``) or the learner with a simulated annotator in teaching mode (``teaching.OracleSource``). The
session never asks which one it has.

One batch's life::

    show(next_batch())  ->  pick / skip / undo (or answer(): the oracle picks)  ->  submit()  ->  retrain()  -> ...

Nothing leaves the batch silently: cards left unpicked stay in the next batch (annotator mode: they go back to the
queue), skipped cards go back to the pool, a submit with nothing picked is refused with "nothing picked".
``start(work)`` runs long work (retrain, rescore, a teaching run) in the session's background runner; the session is
*training* from then until that work ends, and refuses picks and submits meanwhile.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Callable

import numpy as np

from activelens.core.pool import PoolError
from activelens.core.validation import check_scalar
from activelens.widgets.batch_source import SubmitFailed
from activelens.widgets.cards import HAND_PICKED, TAKEN_BACK, labeled_why, why_of
from activelens.widgets.runner import Runner, describe

#: at most this many cards: items picked on the map are added up to it
MAX_HAND_PICKED = 50
#: who picked a label by hand (taught with ``annotator=None``, as ``learner.teach`` does)
BY_HAND = None


@dataclass(frozen=True)
class Submitted:
    """What one submit did with the cards: labels taught, cards skipped and left unpicked, whether the unpicked stay."""

    taught: int
    skipped: int
    unpicked: int
    kept: bool
    returns_to: str
    relabeled: int = 0     # labeled cards given another label
    confirmed: int = 0     # labeled cards given the label they had
    taken_back: int = 0    # labeled cards skipped: their labels taken back

    def text(self) -> str:
        """For the status line: ``"saved 3 labels, 2 unpicked stay in the batch"``."""
        parts = [f"saved {self.taught} label{'' if self.taught == 1 else 's'}"]
        for n, what in ((self.relabeled, "relabeled"), (self.confirmed, "confirmed"),
                        (self.taken_back, "taken back")):
            if n:
                parts.append(f"{n} {what}")
        if self.unpicked:
            where = "stay in the batch" if self.kept else f"went back to the {self.returns_to}"
            parts.append(f"{self.unpicked} unpicked {where}")
        if self.skipped:
            parts.append(f"{self.skipped} skipped went back to the {self.returns_to}")
        return ", ".join(parts)


@dataclass(frozen=True)
class Card:
    """One card of the batch: its pool position, why it is on the batch, where it came from ("query"|"hand"|
    "labeled": an item labeled already) and, on a labeled card, its current label (a button position)."""

    index: int
    why: dict
    origin: str = "query"
    current: int | None = None


class Session:
    """The batch, the picks, submit, undo and retrain for one learner and one source.

    Parameters
    ----------
    learner : ActiveLearner
    source : LearnerSource
        Where batches come from and labels go (``LearnerSource``, ``QueueSource`` or ``OracleSource``).
    labels : LabelNames
        The label positions a pick names, and their classes.
    """

    def __init__(self, learner, source, labels):
        self.learner = learner
        self.source = source
        self.labels = labels
        self.lock = threading.RLock()
        self.runner = Runner("activelens-retrain")
        self.training = False        # from start() until its work ends
        self._worker = None          # the thread running that work
        self.cards: list[Card] = []
        self.picks: dict[int, int] = {}          # pool position -> label position, -1 = skip
        self._by: dict[int, str | None] = {}     # pool position -> who picked (BY_HAND or the oracle's name)
        self._order: list[int] = []              # positions in the order they were picked (for undo)
        self._last_taught: list[int] = []        # what the last submit or bulk label taught (undo takes it back)
        self.saved: set[int] = set()             # cards whose label the source has taken
        self._keep: list[Card] = []              # unpicked cards of the last submit: they open the next batch
        self.note = ""                           # what the last submit did, until the next batch is shown

    # ------------------------------------------------------------------ the batch
    @property
    def indices(self) -> list[int]:
        """Pool positions of the cards, in order."""
        return [c.index for c in self.cards]

    def next_batch(self):
        """The next batch from the source, smaller at the end of the pool; None when every item is labeled (or the
        queue has nothing for this annotator). The unpicked cards kept from the last submit take their places first."""
        keep, learner = len(self._keep), self.learner
        left = learner.n_pool - learner.n_labeled - keep
        want = min(learner.batch_size - keep, left)
        if want <= 0:
            return None
        return self.source.next_batch(min(want + keep, left + keep))

    def show(self, batch) -> list[Card]:
        """Make ``batch`` (a ``Batch`` or None) the cards on show, after the kept unpicked cards; picks cleared."""
        why = why_of(batch) if batch is not None else {}
        labeled = set(self.learner.labeled_indices.tolist()) if self._keep else set()
        kept, self._keep = [c for c in self._keep if (c.index in labeled) == (c.origin == "labeled")], []
        have = {c.index for c in kept}
        fresh = [Card(i, w) for i, w in why.items() if i not in have]
        fresh = fresh[:max(0, len(why) - len(kept))] if kept else fresh
        self.cards = kept + fresh
        self.picks, self._by, self._order, self.saved = {}, {}, [], set()
        self.note = ""
        self.source.shown()
        return self.cards

    def add(self, positions: list[int]) -> tuple[list[int], str]:
        """Add pool positions (checked by the caller) as cards, up to ``MAX_HAND_PICKED`` cards: unlabeled items as
        hand-picked cards, labeled ones as labeled cards (to change or take back). Returns the positions added and
        a status note saying how many were added and why any were not."""
        self.check_idle("add items when the next batch is shown")
        labeled = set(self.learner.labeled_indices.tolist())
        if labeled.intersection(positions):
            self.source.check_correct()
        self.source.check_add()
        have = set(self.indices)
        new = list(dict.fromkeys(i for i in positions if i not in have))
        room = max(0, MAX_HAND_PICKED - len(self.cards))
        added = new[:room]
        fixes = [i for i in added if i in labeled]
        notes = [f"added {len(added)} of {len(positions)} selected to the batch"]
        if fixes:
            notes.append(f"{len(fixes)} labeled already: pick a label to change it, Space to take it back")
        if len(positions) - len(new):
            notes.append(f"{len(positions) - len(new)} already on the batch")
        if len(new) > room:
            notes.append(f"{len(new) - room} not added: a batch holds at most {MAX_HAND_PICKED} cards — "
                         "label and submit, then add the rest")
        cards = dict(zip(fixes, self._labeled_cards(fixes)))
        self.cards = self.cards + [cards.get(i) or Card(i, dict(HAND_PICKED), "hand") for i in added]
        return added, " · ".join(notes)

    def _labeled_cards(self, positions: list[int]) -> list[Card]:
        """Labeled cards of labeled items: the label, who gave it and when (``learner.labeled_frame()``)."""
        if not positions:
            return []
        frame = self.learner.labeled_frame().set_index("position")
        out = []
        for i in positions:
            row = frame.loc[i]
            at = self.labels.position(row["label"])
            name = str(row["label"]) if at is None else self.labels.names[at]
            out.append(Card(i, labeled_why(name, row["annotator"], row["timestamp"], row["source"]), "labeled", at))
        return out

    def label_bulk(self, positions: list[int], label: int) -> tuple[int, int]:
        """Teach label position ``label`` for every unlabeled item of ``positions`` (checked by the caller) at once,
        recorded with source "bulk"; cards on show stay for the next batch unless labeled now. Refused while there
        are picks not submitted, or when none of ``positions`` is unlabeled (nothing is recorded then). Returns
        (labeled now, left out as labeled already)."""
        self.check_idle("label when the next batch is shown")
        if self.picks:
            raise ValueError(f"label_selected: {len(self.picks)} pick(s) on the cards are not submitted; submit "
                             "them (Enter) or undo them first, then label the selection")
        labeled = set(self.learner.labeled_indices.tolist())
        todo = [i for i in positions if i not in labeled]
        if not todo:
            raise ValueError(f"label_selected: all {len(positions)} selected items are labeled already; select "
                             "unlabeled items (lasso, box, search)")
        self.source.teach_bulk(todo, self.labels.value(label))
        self._last_taught = todo
        self._keep = [c for c in self.cards if c.index not in set(todo)]
        self.note = f"labeled {len(todo)} selected as {self.labels.names[label]!r} (bulk)" + \
            (f", {len(positions) - len(todo)} labeled already left as they were" if len(todo) < len(positions) else "")
        return len(todo), len(positions) - len(todo)

    # ------------------------------------------------------------------ picks
    def check_idle(self, then: str = "wait for the next batch") -> None:
        """Refuse (ValueError) while training, unless called from the session's own background work (a teaching
        run drives the same commands)."""
        if self.training and threading.current_thread() is not self._worker:
            raise ValueError(f"still training; {then}")

    def pick(self, index, label, by=BY_HAND) -> None:
        """Pick ``label`` (a position in the label names, -1 = skip) for the card of pool position ``index``."""
        self.check_idle()
        if isinstance(index, bool) or not isinstance(index, (int, np.integer)) or int(index) not in self.indices:
            raise ValueError(f"item {index!r} is not in the current batch")
        i = int(index)
        if i in self.saved:
            raise ValueError(f"item {i} is already saved")
        label = check_scalar(label, "label", int, low=-1, high=len(self.labels) - 1,
                             what="a position in label_names, or -1 to skip")
        self.picks[i], self._by[i] = label, by
        if i in self._order:
            self._order.remove(i)
        self._order.append(i)

    def skip(self, index) -> None:
        """Skip the card of pool position ``index`` (it goes back to the pool at submit)."""
        self.pick(index, -1)

    def undo(self) -> bool:
        """Take back the latest pick; False when there is none (``take_back_last`` is the next undo)."""
        if not self._order:
            return False
        i = self._order.pop()
        self.picks.pop(i, None)
        self._by.pop(i, None)
        return True

    def take_back_last(self) -> int:
        """Take back the labels the last submit or bulk label taught (``learner.unlabel``, kept in the label
        history with source "undo"); their items come back as open cards, before the next batch. Returns how many
        (0: nothing to take back, said in ``note``). Refused while training and by sources whose labels are not
        this learner's to take back (annotator mode)."""
        self.check_idle("undo when the next batch is shown")
        todo = self._last_taught
        if not todo:
            self.note = ("nothing to undo: no pick on the cards, and no new labels of the last submit or bulk label "
                         "left to take back (a label changed on a labeled card is changed again there)")
            return 0
        self.source.take_back(todo)
        self._last_taught = []
        self.saved -= set(todo)
        self._keep = [Card(i, dict(TAKEN_BACK)) for i in todo]
        self.note = f"took back {len(todo)} label(s); they are on the cards again"
        return len(todo)

    def answer(self) -> list:
        """The source's simulated annotator answers every unsaved card (as picks) but labeled cards (a change of
        a label is the user's); refused without one."""
        self.check_idle()
        todo = [c.index for c in self.cards if c.index not in self.saved and c.origin != "labeled"]
        answers = self.source.answer(todo, round=len(self.learner.rounds))
        for a in answers:
            self.pick(a.index, self.labels.position(a.given), by=self.source.oracle_name)
        return answers

    # ------------------------------------------------------------------ submit and retrain
    def submit(self) -> Submitted:
        """Hand the picks to the source (the learner is taught at once), give skipped cards back; unpicked cards
        stay for the next batch (annotator mode: they go back to the queue). Refused when nothing is picked.

        Raises
        ------
        SubmitFailed
            The source stopped part way; the labels committed before are saved, the picks are kept.
        """
        self.check_idle("already training")
        fixed = {c.index: c.current for c in self.cards if c.origin == "labeled"}
        todo = [(i, self.picks.get(i)) for i in self.indices if i not in self.saved]
        taught = [(i, lab) for i, lab in todo if lab is not None and lab >= 0]
        skipped = [i for i, lab in todo if lab is not None and lab < 0]
        unpicked = [i for i, lab in todo if lab is None]
        if unpicked and not taught and not skipped:   # open cards, none picked (an empty batch claims more)
            raise ValueError("nothing picked: pick a label on a card (a click, or its key) or skip it (Space), "
                             "then submit")
        changes = self._correct([(i, lab) for i, lab in taught if i in fixed], [i for i in skipped if i in fixed],
                                fixed)
        taught = [(i, lab) for i, lab in taught if i not in fixed]
        skipped = [i for i in skipped if i not in fixed]
        keeps = self.source.keeps_unpicked
        self._hand_over(taught, skipped if keeps else skipped + unpicked)
        self._keep = [c for c in self.cards if c.index in set(unpicked)] if keeps else []
        done = Submitted(len(taught), len(skipped), len(unpicked), keeps, self.source.returns_to, *changes)
        self.note = done.text()
        return done

    def _correct(self, picked: list[tuple[int, int]], gone: list[int], current: dict) -> tuple[int, int, int]:
        """The picks on labeled cards: a new label is a relabel (source "relabel"), the same label a confirmation
        (source "confirm"), a skip takes the label back (``learner.unlabel``); each with who picked it. Returns
        (relabeled, confirmed, taken back). Raises SubmitFailed (what was saved
        before is marked saved)."""
        calls = []
        for i, lab in picked:
            how = "confirm" if lab == current[i] else "relabel"
            calls.append((how, self._by.get(i), i, self.labels.value(lab)))
        calls += [("unlabel", self._by.get(i), i, None) for i in gone]
        groups: dict = {}
        for how, by, i, value in calls:
            groups.setdefault((how, by), []).append((i, value))
        try:
            for (how, by), pairs in groups.items():
                self.source.correct(how, pairs, annotator=by)
                self.saved |= {i for i, _ in pairs}
        except Exception as exc:  # noqa: BLE001 - the store refused (locked, read-only): the picks stay
            raise SubmitFailed(f"submit failed: changing the labeled cards stopped: {describe(exc)}. The picks not "
                               "saved are kept: press Submit again to retry", sorted(self.saved)) from exc
        counts = [sum(len(p) for (h, _), p in groups.items() if h == how) for how in ("relabel", "confirm", "unlabel")]
        return counts[0], counts[1], counts[2]

    def _hand_over(self, taught, rest) -> None:
        """Give the source the labels (grouped by who picked them) and the cards given back; mark what it took."""
        groups: dict = {}
        for i, lab in taught:
            groups.setdefault(self._by.get(i), []).append((i, self.labels.value(lab)))
        try:
            if not groups:
                self.source.submit([], rest)
            self._last_taught = []
            for n, (by, pairs) in enumerate(groups.items()):
                self.source.submit(pairs, rest if n == len(groups) - 1 else [], annotator=by)
                self.saved |= {i for i, _ in pairs}
                self._last_taught += [i for i, _ in pairs]
        except SubmitFailed as exc:   # the labels committed before the failure are saved; the picks stay
            self.saved |= set(exc.saved)
            raise
        except Exception as exc:  # noqa: BLE001 - the store refused (locked, read-only): nothing was taught
            raise SubmitFailed(f"submit failed, nothing was saved: {describe(exc)}. Your picks are kept: press "
                               "Submit again to retry", []) from exc

    def can_fit(self) -> bool:
        """The learner holds labels of at least two classes (a model can be fit)."""
        return len(set(map(str, self.learner.labels.tolist()))) >= 2

    def retrain(self):
        """Fit the learner when its labels allow it and the source wants a fit; the new ``Round``, or None."""
        learner = self.learner
        if learner.n_labeled and self.can_fit() and self.source.fit_wanted():
            return learner.fit()
        return None

    def start(self, work: Callable, *args) -> None:
        """Run ``work(*args)`` in the background runner; the session is training until it ends."""
        self.check_idle("already training")
        self.training = True

        def guarded():
            self._worker = threading.current_thread()
            try:
                work(*args)
            finally:
                with self.lock:
                    self.training, self._worker = False, None
        self.runner.start(guarded)

    def end_training(self) -> None:
        """The background work has shown the next batch: picks are taken again (its tail may still run)."""
        with self.lock:
            self.training = False

    def wait(self, timeout=None) -> bool:
        """Block until the background work is done (at most ``timeout`` seconds). True if idle."""
        return self.runner.wait(timeout)

    def close(self, timeout=None) -> None:
        """The widget is closing: give the cards not submitted back to a source that leases them (annotator mode:
        to the queue now, not when the leases run out) and clear the batch. Never raises; the leases then expire."""
        if not (self.source.leases and self.cards):
            return
        self.wait(timeout)
        with self.lock:
            try:
                self.release()
            except Exception:  # noqa: BLE001 - closing must not fail; the leases then expire as before
                pass
            self.show(None)

    def release(self) -> None:
        """Give the cards not submitted back to the source (annotator mode: to the queue, now)."""
        self.source.release([i for i in self.indices if i not in self.saved])

    # ------------------------------------------------------------------ what the status line says
    def ready_message(self) -> str:
        """The status line while picking (or when there is no batch: the source's word for it)."""
        learner = self.learner
        if not self.cards:
            return self.source.empty_message()
        if learner.model_ is None:
            if learner.n_labeled and not self.can_fit():
                return "label an item of another class to train the first model"
            return "cold start: label this batch, then submit"
        return f"round {len(learner.rounds)} · pick labels, then submit"



def saved_to(learner) -> str:
    """Where the learner keeps its labels, for the status line."""
    store = learner.store
    if store is None:
        return "labels in memory only: ActiveLearner(..., store=\"labels.db\") keeps them across restarts"
    return f"labels saved to {store.where}"


def failure_text(exc: BaseException, learner) -> str:
    """What a failed retrain (or teaching run) says on the page; the labels are already saved."""
    if isinstance(exc, PoolError):   # its own text says "call again", which means fit() + refresh() here
        return (f"retrain failed: the {learner.pool.kind.capitalize()} cluster failed ({describe(exc.__cause__)}); "
                f"your {learner.n_labeled} labels are saved — when the cluster is back (or with a new client: "
                "learner.client = Client(...)), run learner.fit() and w.refresh()")
    return f"retrain failed: {describe(exc)}"
