"""ActiveLearner: the loop's state — labels, model, rounds — and its four verbs: teach, fit, query, stop_reason."""
from __future__ import annotations

import json
import math
import threading
import time
from collections import Counter
import os
from typing import TYPE_CHECKING, Any, Callable, Hashable, Iterable, Sequence

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from sklearn.base import clone
from sklearn.metrics import get_scorer
from sklearn.model_selection import StratifiedKFold, cross_val_score

from activelens.analysis import stopping as _stopping
from activelens.backends import make_pool
from activelens.backends.sparse import check_matrix_or_sparse
from activelens.core.model import check_scoring_estimator, padded_proba
from activelens.core.pool import rng_restored
from activelens.core.records import (Batch, Fitted, LabelRecord, LearnerState, Relabeled, Round, Taught, Unlabeled,
                                      supersession)
from activelens.core.threads import blas_threads, check_threads
from activelens.core.validation import (check_classes, check_indices, check_label_type, check_labels, check_n,
                                         check_ids, check_name, check_random_state, check_scalar, label_kind,
                                         label_mismatch)
from activelens.strategies import coldstart, registry
from activelens.strategies.registry import Ask

if TYPE_CHECKING:
    from activelens.analysis.monitor import Report
    from activelens.core.pool import Pool
    from activelens.core.records import Fitted, Taught
    from activelens.storage.store import LabelStore
    from activelens.strategies.base import Strategy

#: every strategy accepted by name (the registry's)
STRATEGIES = tuple(registry.STRATEGIES)


class ActiveLearner:
    """Pool-based active learning around any scikit-learn classifier: train → score → select → label → add.

    Parameters
    ----------
    estimator : classifier
        Any estimator with ``fit`` and ``predict_proba`` (or ``decision_function``); cloned for every retrain.
    X : array-like of shape (n_pool, n_features), dask array, or ``activelens.core.pool.Pool``
        The unlabeled pool. Indices everywhere are positions in X. The backend is chosen here, once
        (``activelens.backends.make_pool``), and is ``learner.pool`` from then on. Backend settings go with the pool:
        pass ``make_pool(X, client=..., embeddings=...)`` (a Dask cluster's client, the diversity embedding) as X.
    strategy : str, callable or ``activelens.strategies.registry.Strategy``, default="auto"
        A name of ``STRATEGIES``, a callable ``proba (n, k) -> scores (n,)`` (higher = more informative) or a
        Strategy object, which carries its own settings (``Combined(weight=0.3)``). "auto" picks a rule per round
        (``activelens.strategies.auto``; in memory: margin spread by k-means over the most uncertain items) and
        records it with its reason in ``history`` and on every Batch.
    batch_size : int, default=10
        Items per query.
    classes : sequence, optional
        Every class the user expects; probabilities are padded to them so an unseen class is not lost.
        Default: the classes seen in the labels so far.
    cold_start : {"auto", "random", "typiclust"}, fitted model, callable or array of int, default="auto"
        How the first batch is picked before a model exists: a named rule ("auto": TypiClust, or random for a pool
        with fewer than 10 rows per cluster), a pretrained scorer (a fitted model or a callable ``X -> proba``), or
        pool positions (an expert's starting set).
    holdout : tuple (X_test, y_test), optional
        Held-out rows and their labels, every round scored on them. Without it each round's score is a
        cross-validated estimate on the labeled items, which is biased (the strategy chose them) and marked so in
        ``history.score_source``.
    scoring : str or callable, default="accuracy"
        A scikit-learn scorer (a name, or a callable ``scorer(model, X, y)``); setting ``learner.scoring`` later
        changes the score of every following round, holdout or cross-validated.
    stopping : list of ``activelens.StoppingCriterion``, optional
        Asked in turn by ``stop_reason()``; a label budget is ``stopping=[Budget(500)]``.
    random_state : int, numpy Generator or None
        Seeds every random choice, including tie-breaking.
    store : str, path or ``activelens.LabelStore``, optional
        A file path (SQLite) or SQLAlchemy URL (PostgreSQL). Every label is committed there with its provenance
        before ``teach`` returns; reopening restores labels, rounds and the model, and a different or reordered X is
        refused (``PoolMismatchError``; ``LabelStore(path, verify_pool="full")`` checks every row). Opened last, once
        every other argument is checked and set.
    ids : sequence of hashable, optional
        One unique id per pool item (document ids, file names); default: the index of a pandas DataFrame/Series X,
        else the positions. ``learner.ids``, ``learner.positions(ids)`` and ``learner.labeled_frame()`` speak them;
        a store records them, and matches a reopened pool in another order by id;
        ``teach`` and ``query`` keep speaking positions.

    Attributes
    ----------
    pool : ``activelens.core.pool.Pool``
    X_test, y_test : array-like or None
        The holdout (read-only; None without one).
    fit_threads : int or None, default=1
        BLAS threads while ``fit`` trains on the labeled items (one thread avoids two threads fighting over a busy
        machine; BENCHMARKS.md has the measurement). None leaves BLAS as configured. Process-wide while the fit
        runs. Set it on the learner: ``learner.fit_threads = None``.
    model_ : fitted estimator or None
        The model of the last ``fit`` (None before the first).
    model_version : int
        Increases with every fit.
    labeled_indices : ndarray of shape (n_labeled,)
        Pool positions with a label, in the order they were taught.
    history : pandas.DataFrame
        One row per round (``activelens.Round``): labels, score, timings, the strategy, and the ``rule`` that picked
        the newest labels with the ``reason`` for it.
    """

    def __init__(self, estimator: Any, X: Any, *, strategy: str | Callable[..., Any] | Strategy = "auto",
                 batch_size: int = 10, classes: ArrayLike | None = None, cold_start: Any = "auto",
                 holdout: tuple[Any, ArrayLike] | None = None, scoring: str | Callable[..., Any] = "accuracy",
                 stopping: Sequence[_stopping.StoppingCriterion] | None = None,
                 random_state: int | np.random.Generator | None = None,
                 store: str | os.PathLike[str] | LabelStore | None = None,
                 ids: Sequence[Hashable] | None = None) -> None:
        check_scoring_estimator(estimator)
        self._pool = make_pool(X, random_state=random_state)
        self.X = self._pool.X
        self._ids = _check_ids(X, ids, self._pool.n_rows)
        self._strategy = registry.resolve(strategy)
        self._strategy_spec = strategy
        self.estimator = estimator
        self.batch_size = check_scalar(batch_size, "batch_size", int, low=1, high=self._pool.n_rows,
                                       what=f"items per query, at most the pool's {self._pool.n_rows}")
        self.cold_start = self._check_cold_start(cold_start, self._pool.n_rows)
        self.declared_classes = None if classes is None else check_classes(classes)
        self._holdout = _check_holdout(holdout, self._pool.n_features, self.declared_classes)
        self.scoring = scoring
        self.stopping = _check_stopping(stopping, self._pool.n_rows)
        self.random_state = random_state
        self._rng = check_random_state(random_state)
        self._fit_threads = 1
        self._lock = threading.RLock()
        self._order: list[int] = []          # pool positions in the order they were taught
        self._label_of: dict[int, object] = {}
        self._since_fit: list = []           # labels taught since the last fit (the batch's class mix)
        self._rounds: list[Round] = []
        self.model_ = None
        self.model_version = 0
        self._last_select_seconds = 0.0
        self._last_rule, self._last_reason = "", ""   # what the last query used and why (for the next round)
        self._selected_scores: dict = {}     # pool position -> (score, strategy) of the latest query, for provenance
        self._listeners: list = []           # called with Taught / Fitted before memory changes (the store)
        self._records: dict = {}             # pool position -> LabelRecord of its current label (provenance)
        self._log: list[LabelRecord] = []    # every label record made: taught, relabeled, taken back (history)
        self._changed: set = set()           # positions relabeled or taken back since the last fit
        self._label_version = 0              # increases with every change of the labels (a fit checks it)
        self._store: LabelStore | None = None
        if store is not None:   # the one step with I/O, on a complete learner: check the pool, restore, subscribe
            self._open_store(store)

    def _open_store(self, store) -> None:
        """Open ``store`` for this (complete) learner: check or record the pool, restore labels, rounds and the model,
        then commit every label and round from now on (``activelens.storage.open_store_for``)."""
        from activelens.storage import open_store_for   # SQLAlchemy loads only when a store is used
        self._store = open_store_for(self, store)

    # ----- state -----
    @property
    def pool(self) -> Pool:
        """The ``Pool`` the learner selects from (``activelens.core.pool``): rows, probabilities, diversity loops."""
        return self._pool

    @property
    def X_test(self) -> Any:
        """The holdout's rows (None without a holdout)."""
        return self._holdout[0]

    @property
    def y_test(self) -> np.ndarray | None:
        """The holdout's labels (None without a holdout)."""
        return self._holdout[1]

    @property
    def scoring(self) -> str | Callable[..., Any]:
        """The scikit-learn scorer (name or callable) of every round's score, holdout and cross-validated alike."""
        return self._scoring

    @scoring.setter
    def scoring(self, scoring: str | Callable[..., Any]) -> None:
        scorer = _check_scoring(scoring)
        self._scoring, self._scorer = scoring, scorer

    @property
    def fit_threads(self) -> int | None:
        """BLAS threads while ``fit`` trains (None: as configured); see the class docstring."""
        return self._fit_threads

    @fit_threads.setter
    def fit_threads(self, value: int | None) -> None:
        self._fit_threads = check_threads(value)

    @property
    def strategy(self) -> str | Callable[..., Any] | Strategy:
        """The strategy as given (a name or a callable); setting it resolves it through the registry."""
        return self._strategy_spec

    @strategy.setter
    def strategy(self, strategy: str | Callable[..., Any] | Strategy) -> None:
        resolved = registry.resolve(strategy)
        with self._lock:
            self._strategy, self._strategy_spec = resolved, strategy

    @property
    def n_pool(self) -> int:
        return self._pool.n_rows

    @property
    def n_labeled(self) -> int:
        return len(self._order)

    @property
    def labeled_indices(self) -> np.ndarray:
        return np.asarray(self._order, dtype=np.intp)

    @property
    def labels(self) -> np.ndarray:
        return np.asarray([self._label_of[i] for i in self._order])

    @property
    def ids(self) -> pd.Index:
        """The id of every pool item, in pool order (the positions when no ids were given)."""
        return pd.RangeIndex(self.n_pool, name="id") if self._ids is None else self._ids

    @property
    def has_ids(self) -> bool:
        """Whether items have ids of their own (``ids=`` or a pandas pool's index) rather than their positions."""
        return self._ids is not None

    def positions(self, ids: Any) -> np.ndarray:
        """Pool positions of ``ids`` (a KeyError names the first id that is not in the pool)."""
        many = not np.isscalar(ids) and not isinstance(ids, tuple)
        wanted = check_ids(list(ids) if many else [ids], name="ids")
        pos = self.ids.get_indexer(wanted)   # type: ignore[arg-type]  # pandas-stubs take only an Index; a list works
        if (pos < 0).any():
            raise KeyError(f"ids holds {wanted[int(np.flatnonzero(pos < 0)[0])]!r}, which is not in the pool")
        return pos.astype(np.intp)

    def labeled_frame(self) -> pd.DataFrame:
        """The labeled items as a DataFrame indexed by id, in teaching order: position, the current label and its
        provenance (annotator, timestamp as a UTC ``pandas.Timestamp``, seconds, score, strategy, round,
        model_version, source; restored from a store with it; empty for labels merged from a teammate)."""
        with self._lock:
            order, label_of, records = list(self._order), dict(self._label_of), dict(self._records)
        fields = ["annotator", "timestamp", "seconds", "score", "strategy", "round", "model_version", "source"]
        rows = []
        for i in order:
            r = records.get(i)
            rows.append([i, label_of[i]] + [getattr(r, f) if r is not None else None for f in fields])
        frame = pd.DataFrame(rows, columns=["position", "label"] + fields)
        frame["timestamp"] = pd.to_datetime(frame["timestamp"].astype(float), unit="s", utc=True)
        frame.index = pd.Index(self.ids[np.asarray(order, dtype=np.intp)], name=self.ids.name or "id")
        return frame

    @property
    def classes_(self) -> np.ndarray:
        if self.declared_classes is not None:
            return self.declared_classes
        return np.unique(np.asarray(list(self._label_of.values()))) if self._label_of else np.empty(0)

    @property
    def unlabeled_indices(self) -> np.ndarray:
        mask = np.ones(self.n_pool, dtype=bool)
        mask[self._order] = False
        return np.flatnonzero(mask)

    @property
    def history(self) -> pd.DataFrame:
        columns = [f for f in Round.__dataclass_fields__ if f != "rng_state"]
        return pd.DataFrame([{c: getattr(r, c) for c in columns} for r in self._rounds], columns=columns)

    @property
    def rounds(self) -> list[Round]:
        return list(self._rounds)

    @property
    def last_score(self) -> float | None:
        return self._rounds[-1].score if self._rounds and np.isfinite(self._rounds[-1].score) else None

    def scores_so_far(self) -> list[float]:
        return [r.score for r in self._rounds if np.isfinite(r.score)]

    def labels_per_scored_round(self) -> list[int]:
        return [r.n_labels for r in self._rounds if np.isfinite(r.score)]

    @property
    def embedding(self) -> Any:
        """The space diversity is measured in (computed once, by the pool)."""
        return self._pool.embedding

    @property
    def settings(self) -> dict:
        """The settings a store records with the pool (JSON-able): strategy name, batch size, classes, seed."""
        classes = None if self.declared_classes is None else self.declared_classes.tolist()
        try:
            json.dumps(classes)
        except TypeError:
            classes = None
        return {"strategy": self._strategy_spec if isinstance(self._strategy_spec, str) else None,
                "batch_size": self.batch_size, "classes": classes,
                "random_state": self.random_state if isinstance(self.random_state, int) else None}

    # ----- events, snapshot and restore -----
    def subscribe(self, listener: Callable[[Taught | Fitted], object]) -> None:
        """Call ``listener(event)`` with every ``Taught`` and ``Fitted`` event, before memory changes: if it raises,
        the teach or fit fails and nothing changes (a store commits this way before the learner says it is saved)."""
        if not callable(listener):
            raise TypeError(f"listener must be callable, got {type(listener).__name__}")
        with self._lock:
            self._listeners.append(listener)

    def unsubscribe(self, listener: Callable[[Taught | Fitted], object]) -> None:
        """Stop calling ``listener`` (one given to ``subscribe``)."""
        if not callable(listener):
            raise TypeError(f"listener must be callable (one given to subscribe), got {type(listener).__name__}")
        with self._lock:
            self._listeners = [f for f in self._listeners if f is not listener]

    def _emit(self, event) -> None:
        for listener in list(self._listeners):
            listener(event)

    def snapshot(self) -> LearnerState:
        """The learner's state as a value: labels in teaching order, rounds, model version and settings."""
        with self._lock:
            return LearnerState(labels=tuple((i, self._label_of[i]) for i in self._order), rounds=tuple(self._rounds),
                                model_version=self.model_version, settings=self.settings, history=tuple(self._log))

    def restore(self, state: LearnerState, refit: bool = True) -> None:
        """Take labels, rounds and the label history from ``state`` (e.g. read back from a store). With ``refit``, the
        model of the last round is trained again on the first ``rounds[-1].n_labels`` labels in teaching order (their
        current labels: a label corrected since that round is trained with its correction)."""
        if not isinstance(state, LearnerState):
            raise TypeError(f"state must be an activelens LearnerState (from snapshot()), got {type(state).__name__}")
        if not isinstance(refit, (bool, np.bool_)):
            raise TypeError(f"refit must be True or False, got {refit!r:.40}")
        order = [int(i) for i, _ in state.labels]
        label_of = {int(i): v for i, v in state.labels}
        if order and (min(order) < 0 or max(order) >= self.n_pool):
            raise ValueError(f"state holds pool positions outside 0..{self.n_pool - 1}")
        rounds = list(state.rounds)
        model = None
        if rounds:
            n = min(int(rounds[-1].n_labels), len(order))
            since_fit = [label_of[i] for i in order[n:]]
            idx = np.sort(np.asarray(order[:n], dtype=np.intp))   # pool order, as fit trains
            y = np.asarray([label_of[i] for i in idx.tolist()])
            if refit and n and np.unique(y).size >= 2:
                model = clone(self.estimator).fit(self._pool.rows(idx), y)
        else:
            since_fit = [label_of[i] for i in order]
        history = list(state.history)
        current = {r.index: r for r in history}
        with self._lock:
            self._order, self._label_of, self._rounds = order, label_of, rounds
            self._since_fit = since_fit
            self._log = history
            self._records = {i: r for i, r in current.items() if i in label_of and r.label is not None}
            self._changed = set()
            self._label_version += 1
            if rounds:
                self.model_version = int(state.model_version or rounds[-1].model_version)
            if model is not None:
                self.model_ = model
            if rounds and rounds[-1].rng_state and self._owns_rng():
                # the generator as the last round ended: the next query draws what the first session's did
                self._rng.bit_generator.state = json.loads(rounds[-1].rng_state)

    def _owns_rng(self) -> bool:
        """The learner made its generator (from None or a seed) rather than being handed the caller's own."""
        return not isinstance(self.random_state, np.random.Generator)

    def _rng_state(self) -> str:
        """JSON of the learner's own generator state ("" for a caller's Generator), as a Round keeps it."""
        return json.dumps(self._rng.bit_generator.state) if self._owns_rng() else ""

    # ----- teach -----
    def teach(self, indices: ArrayLike, labels: ArrayLike, *, annotator: str | None = None,
              seconds: float | ArrayLike | None = None, scores: ArrayLike | None = None,
              strategy: str | Sequence[str] | None = None, source: str = "teach") -> None:
        """Record labels for pool positions. Validated as a whole: on any error nothing is recorded.

        Re-teaching an item its existing label is a no-op; a different label for it is an error (``relabel``
        changes a label, ``unlabel`` takes one back).
        Provenance per item (one value, or one per index): ``annotator``, ``seconds`` spent, ``scores`` (default:
        the item's score in the query that chose it) and ``strategy`` (default: the strategy of that query, else the
        learner's). With a store, the labels are committed with it before this returns, and memory changes only
        after the commit.
        """
        with self._lock:
            idx = check_indices(indices, self.n_pool, name="indices")
            lab = check_labels(labels, name="labels")
            if len(lab) != idx.size:
                raise ValueError(f"got {idx.size} indices but {len(lab)} labels; give one label per index")
            self._check_declared(lab)
            new = []
            for i, v in zip(idx.tolist(), lab):
                if i in self._label_of:
                    if self._label_of[i] != v:
                        raise ValueError(
                            f"item {i} is already labeled {self._label_of[i]!r}; teach does not change a label. To "
                            f"correct it, call relabel([{i}], [{v!r}]) (the old label stays in label_history())"
                        )
                    continue
                new.append((i, v))
            check_label_type(lab, next(iter(self._label_of.values()), None), self.declared_classes, name="labels")
            records = self._label_records(new, idx.tolist(), annotator, seconds, scores, strategy, source)
            if records:
                self._emit(Taught(records))
                self._records.update((r.index, r) for r in records)
                self._log.extend(records)
                self._label_version += 1
            for i, v in new:
                self._order.append(i)
                self._label_of[i] = v
                self._since_fit.append(v)

    def _label_records(self, new, call_indices, annotator, seconds, scores, strategy, source) -> tuple:
        """Provenance of the ``new`` [(index, label)] of a teach call whose indices were ``call_indices``."""
        n_call = len(call_indices)
        secs = _per_item(seconds, n_call, "seconds", number=True)
        scs = _per_item(scores, n_call, "scores", number=True)
        names = _per_item_name(annotator, n_call, "annotator")
        stgs = _per_item_name(strategy, n_call, "strategy")
        _check_source(source)
        if not new:
            return ()
        first: dict[int, int] = {}
        for k, i in enumerate(call_indices):
            first.setdefault(int(i), k)
        now, default = time.time(), self._strategy.name
        out = []
        for i, v in new:
            pos = first[int(i)]
            score, stg = scs[pos], stgs[pos]
            sel_score, sel_strategy = self._selected_scores.get(i, (None, default))
            out.append(LabelRecord(index=int(i), label=v, annotator=names[pos], timestamp=now, seconds=secs[pos],
                                   score=sel_score if score is None else score, strategy=stg or sel_strategy,
                                   round=len(self._rounds), model_version=int(self.model_version), source=source))
        return tuple(out)

    def _check_declared(self, lab: list) -> None:
        """A ValueError naming the first label that is not one of the declared classes (when there are any)."""
        if self.declared_classes is not None:
            for v in set(lab) if len(lab) > 64 else lab:
                problem = label_mismatch(v, self.declared_classes)
                if problem:
                    raise ValueError(problem)

    # ----- corrections -----
    def relabel(self, positions: ArrayLike, labels: ArrayLike, *, annotator: str | Sequence[str | None] | None = None,
                source: str = "relabel") -> None:
        """Change the labels of labeled items; the old labels stay in ``label_history()``.

        Validated as a whole, with the checks of ``teach`` (one label per position, the declared classes, one type
        of label across every label held after the change, so a relabel can fix the one odd label): on any error
        nothing is recorded. With a store, the change is committed before memory changes. The next ``fit`` trains
        on the new labels, and its round counts them in ``history.n_changed``. A relabel to the label an item has
        already is recorded too (a confirmation), but does not count as changed.

        Parameters
        ----------
        positions : array-like of int
            Pool positions of labeled items (an unlabeled one is refused: ``teach`` labels it).
        labels : sequence
            The new label of each position.
        annotator : str or sequence of str, optional
            Who made the correction (one name, or one per position).
        source : str, default="relabel"
            Recorded as each record's source (e.g. "review", "confirm").

        Raises
        ------
        ValueError
            No positions, an unlabeled position, a count mismatch, a label outside the declared classes.
        TypeError
            Labels of more than one type, a bad annotator.
        IndexError
            A position outside the pool.
        """
        with self._lock:
            idx = self._check_labeled(positions, "relabel")
            lab = check_labels(labels, name="labels")
            if len(lab) != idx.size:
                raise ValueError(f"got {idx.size} positions but {len(lab)} labels; give one label per position")
            self._check_declared(lab)
            changing = set(idx.tolist())
            kept = next((v for i, v in self._label_of.items() if i not in changing), None)
            check_label_type(lab, kept, self.declared_classes, name="labels")   # the odd label itself may change
            records = self._correction_records(idx.tolist(), lab, annotator, _check_source(source))
            self._emit(Relabeled(records))
            for r in records:
                if _differs(self._label_of[r.index], r.label):
                    self._changed.add(r.index)
                self._label_of[r.index] = r.label
                self._records[r.index] = r
            self._log.extend(records)
            self._label_version += 1

    def unlabel(self, positions: ArrayLike, *, annotator: str | Sequence[str | None] | None = None,
                source: str = "unlabel") -> None:
        """Take labels back: the items go back to the pool (``query`` may propose them again); their labels stay in
        ``label_history()``, each followed by a record with label None.

        Validated as a whole: on any error nothing changes. With a store, committed before memory changes.

        Parameters
        ----------
        positions : array-like of int
            Pool positions of labeled items.
        annotator : str or sequence of str, optional
            Who took them back.
        source : str, default="unlabel"

        Raises
        ------
        ValueError
            No positions, or an unlabeled position (nothing to take back).
        IndexError
            A position outside the pool.
        """
        with self._lock:
            idx = self._check_labeled(positions, "unlabel")
            records = self._correction_records(idx.tolist(), [None] * idx.size, annotator, _check_source(source))
            self._emit(Unlabeled(records))
            gone = set(idx.tolist())
            self._order = [i for i in self._order if i not in gone]
            for i in gone:
                del self._label_of[i]
                self._records.pop(i, None)
            self._changed |= gone
            self._log.extend(records)
            self._label_version += 1

    def _check_labeled(self, positions, verb: str) -> np.ndarray:
        """``positions`` checked (``check_indices``), not empty, and every one labeled."""
        idx = check_indices(positions, self.n_pool, name="positions")
        if idx.size == 0:
            raise ValueError(f"positions is empty; give the pool positions of the labeled items to {verb}")
        missing = [i for i in idx.tolist() if i not in self._label_of]
        if missing:
            raise ValueError(f"positions holds {missing[0]}, which is not labeled ({len(missing)} of {idx.size} are "
                             f"not); {verb} changes labeled items only (teach labels new ones). Nothing was changed")
        return idx

    def _correction_records(self, positions: list, labels: list, annotator, source: str) -> tuple:
        """The LabelRecords of a relabel or unlabel (label None) of ``positions``."""
        names = _per_item_name(annotator, len(positions), "annotator")
        now, rnd, version = time.time(), len(self._rounds), int(self.model_version)
        return tuple(LabelRecord(index=int(i), label=v, annotator=a, timestamp=now, seconds=None, score=None,
                                 strategy="", round=rnd, model_version=version, source=source)
                     for i, v, a in zip(positions, labels, names))

    def label_history(self) -> pd.DataFrame:
        """Every label record ever made, in order, superseded and taken-back ones included.

        Returns
        -------
        DataFrame
            One row per record: position, id (when the learner has ids), label (None for a record of ``unlabel``),
            annotator, time (UTC ``pandas.Timestamp``), source ("teach", "relabel", "unlabel", a queue's or the
            widget's source, ...), round, model_version, superseded_at (the time of the item's next record, NaT
            for its last), superseded_by (that record's source, None for the last) and current (the record holds
            the item's label now).
        """
        with self._lock:
            log = list(self._log)
        pos = [r.index for r in log]
        at, by = supersession(pos, [r.timestamp for r in log], [r.source for r in log])
        frame = pd.DataFrame({
            "position": pd.Series(pos, dtype=np.intp), "label": pd.Series([r.label for r in log], dtype=object),
            "annotator": pd.Series([r.annotator for r in log], dtype=object),
            "time": pd.to_datetime(pd.Series([r.timestamp for r in log], dtype=float), unit="s", utc=True),
            "source": pd.Series([r.source for r in log], dtype=object),
            "round": pd.Series([r.round for r in log], dtype=np.int64),
            "model_version": pd.Series([r.model_version for r in log], dtype=np.int64),
            "superseded_at": pd.to_datetime(pd.Series([np.nan if t is None else t for t in at], dtype=float),
                                            unit="s", utc=True),
            "superseded_by": pd.Series(by, dtype=object),
            "current": pd.Series([b is None and r.label is not None for b, r in zip(by, log)], dtype=bool)})
        if self.has_ids:
            frame.insert(1, "id", pd.Series(list(self.ids[np.asarray(pos, dtype=np.intp)]), dtype=object))
        return frame

    @property
    def n_changed(self) -> int:
        """Labels relabeled or taken back since the last ``fit()`` (the next round's ``n_changed``)."""
        return len(self._changed)

    def merge_labels(self, indices: Iterable[int], labels: Iterable[Any]) -> int:
        """Take in labels saved elsewhere already (a teammate's notebook writing to the same store): memory only,
        no event. Items this learner holds already, or beyond the pool, are left as they are. Returns how many
        were added."""
        indices = check_indices(indices, None, name="indices", allow_duplicates=True)
        labels = check_labels(labels, name="labels")
        if len(labels) != indices.size:
            raise ValueError(f"got {indices.size} indices but {len(labels)} labels; give one label per index")
        check_label_type(labels, next(iter(self._label_of.values()), None), self.declared_classes, name="labels")
        added = 0
        with self._lock:
            for i, v in zip(indices, labels):
                i = int(i)
                if i not in self._label_of and 0 <= i < self.n_pool:
                    self._order.append(i)
                    self._label_of[i] = v
                    self._since_fit.append(v)
                    added += 1
            self._label_version += added > 0
        return added

    # ----- fit -----
    def fit(self) -> Round:
        """Retrain a fresh clone of the estimator on every labeled item, in pool order (the same labels give the same
        model whatever order they arrived in), and append a round to ``history``."""
        with self._lock:
            if not self._order:
                raise ValueError("nothing is labeled yet; call teach(indices, labels) before fit()")
            idx, y = self._training_set()
            if np.unique(y).size < 2:
                raise ValueError(
                    f"all {y.size} labeled items have the class {y[0]!r}; the model needs at least two classes. "
                    "Label an item of another class (query() keeps proposing items) before fit()"
                )
            since_fit = list(self._since_fit)
            version, labels_at = self.model_version + 1, self._label_version
        # the expensive part runs without the lock so a widget can keep reading state
        t0 = time.perf_counter()
        rows = self._pool.rows(idx)   # outside the thread limit: a distributed pool gathers them
        with blas_threads(self.fit_threads):
            model = clone(self.estimator).fit(rows, y)
            fit_seconds = time.perf_counter() - t0
            score, source = self._evaluate(model, idx, y)
        with self._lock:
            if self._label_version != labels_at:
                raise RuntimeError("labels changed while fitting; call fit() again")
            previous = self.last_score
            gain = score - previous if (previous is not None and np.isfinite(score)) else np.nan
            r = Round(
                round=len(self._rounds) + 1, n_labels=int(idx.size), score=float(score), score_source=source,
                gain=float(gain), fit_seconds=fit_seconds, select_seconds=self._last_select_seconds,
                batch_class_mix={str(k): int(v) for k, v in Counter(map(str, since_fit)).items()},
                strategy=self._strategy.name, model_version=version, timestamp=time.time(),
                rule=self._last_rule, reason=self._last_reason, n_changed=len(self._changed),
                rng_state=self._rng_state(),
            )
            self._emit(Fitted(r))
            self.model_, self.model_version = model, version
            self._rounds.append(r)
            self._since_fit = []
            self._changed = set()
            for criterion in self.stopping:
                criterion.update(self)
            return r

    def _training_set(self):
        """(positions, labels) of every labeled item in pool order: the model trains on the rows sorted by position,
        so the same labels give the same model whatever order they arrived in (an SVM's calibration folds, a solver's
        pass over the rows, the bootstrap of a committee all follow the row order)."""
        idx = np.sort(self.labeled_indices)
        return idx, np.asarray([self._label_of[i] for i in idx.tolist()])

    def _evaluate(self, model, idx, y):
        scorer = self._scorer   # one scorer for both sources, so setting scoring changes either
        if self.X_test is not None:
            return float(scorer(model, self.X_test, self.y_test)), "holdout"
        counts = np.unique(y, return_counts=True)[1]
        folds = int(min(3, counts.min()))
        if folds < 2:
            return np.nan, "none: a cross-validated estimate needs 2 labels of each class; give holdout=(X_test, y_test)"
        cv = StratifiedKFold(folds, shuffle=True, random_state=0)
        s = cross_val_score(clone(self.estimator), self._pool.rows(idx), y, cv=cv, scoring=scorer)
        return float(np.mean(s)), "labeled-cv (biased: the strategy chose these items)"

    # ----- scoring the pool -----
    def predict_proba(self, X: Any = None) -> Any:
        """Probabilities over ``classes_`` for X (default: the pool, from the pool: cached per model; lazy for a
        distributed pool)."""
        if self.model_ is None:
            raise RuntimeError("no model yet; call fit() after teaching some labels")
        model = self.model_
        if X is None:
            return self._pool.proba(model, self.proba_classes(model))
        X = check_matrix_or_sparse(X, name="X")
        if X.shape[1] != self._pool.n_features:
            raise ValueError(f"X has {X.shape[1]} features but the pool has {self._pool.n_features}; give rows with the "
                             "pool's features")
        return padded_proba(model, X, self.proba_classes(model))

    def proba_classes(self, model: Any = None) -> np.ndarray:
        """The classes probabilities are padded to for ``model`` (default: the current one): the declared classes,
        else the model's."""
        model = self.model_ if model is None else model
        if not hasattr(model, "classes_"):
            raise TypeError(f"model must be a fitted classifier (with classes_), got {type(model).__name__}; "
                            "call fit() first, or pass learner.model_")
        if self.declared_classes is not None:
            missing = set(np.asarray(model.classes_).tolist()) - set(self.declared_classes.tolist())
            if missing:
                raise ValueError(f"the model knows classes {sorted(missing, key=str)} that were not declared")
            return self.declared_classes
        return np.asarray(model.classes_)

    def predict(self, indices: ArrayLike | None = None) -> np.ndarray:
        """Predicted class of pool items (all of them by default)."""
        proba = np.asarray(self.predict_proba())
        classes = self.proba_classes(self.model_)
        pred = classes[proba.argmax(axis=1)]
        if indices is None:
            return pred
        return pred[check_indices(indices, self.n_pool, name="indices", allow_duplicates=True)]

    # ----- query -----
    def query(self, n: int | None = None) -> Batch:
        """The next batch: ``n`` (default ``batch_size``, or what is left of the pool when less) unlabeled pool
        positions, best first. An ``n`` larger than what is left, or a query of a fully labeled pool, is refused."""
        with self._lock:
            labeled = self.labeled_indices
            left = self.n_pool - labeled.size
            if left == 0:
                raise ValueError(f"every item of the pool is labeled ({self.n_pool}); there is nothing left to query")
            n = min(self.batch_size, left) if n is None else check_n(n, left, name="n")
            model, model_version, rng = self.model_, self.model_version, self._rng
            ask = Ask(n=n, labeled=labeled, rng=rng, model=model,
                      classes=None if model is None else self.proba_classes(model),
                      estimator=self.estimator, y=self.labels)
            t0 = time.perf_counter()
            with rng_restored(rng):   # a failed round (a lost cluster, a bad custom strategy) draws nothing
                if model is None:
                    sel, name = self._cold_start_selection(ask)
                else:
                    sel, name = self._strategy.select(self._pool, ask), self._strategy.name
            self._last_select_seconds = time.perf_counter() - t0
            idx, scores = np.asarray(sel.indices), np.asarray(sel.scores, dtype=np.float64)
            assert np.unique(idx).size == idx.size and not np.isin(idx, labeled).any()
            self._selected_scores.update(zip(idx.tolist(), zip(scores.tolist(), [name] * len(idx))))
            self._last_rule, self._last_reason = sel.rule or name, sel.reason
            return Batch(indices=idx, scores=scores, components=dict(sel.components), strategy=name,
                         round=len(self._rounds), model_version=model_version, rule=sel.rule or name,
                         reason=sel.reason)

    def _check_cold_start(self, cold_start, n_pool):
        if isinstance(cold_start, str):
            return registry.check_cold_start_name(cold_start)
        if hasattr(cold_start, "predict_proba") or callable(cold_start):
            return cold_start
        if cold_start is None:
            raise TypeError("cold_start must be 'auto', 'random', 'typiclust', a fitted model, a callable X -> proba or "
                            "pool positions, got None; leave it out for 'auto'")
        return check_indices(cold_start, n_pool, name="cold_start")

    def _cold_start_selection(self, ask: Ask):
        cs = self.cold_start
        if isinstance(cs, np.ndarray):  # expert seed set: offer the expert's items first
            pending = cs[~np.isin(cs, ask.labeled)][: ask.n]
            if pending.size:
                rest = ask.n - pending.size
                if rest:
                    extra = coldstart.random_bootstrap(self.n_pool, rest, np.concatenate([ask.labeled, pending]), ask.rng)
                    pending = np.concatenate([pending, extra])
                return registry.Selection(pending, np.ones(pending.size), rule="expert",
                                          reason="cold start: the expert's seed set"), "expert"
            cs = "random"
        return registry.cold_start_selection(cs, self._pool, ask)

    # ----- stopping -----
    def stop_reason(self) -> _stopping.StopDecision | None:
        """None, or the first stopping criterion that fired (a ``StopDecision`` with its reason)."""
        with self._lock:
            for criterion in self.stopping:
                decision = criterion.check()
                if decision is not None:
                    return decision
            return None

    # ----- store and monitoring -----
    @property
    def client(self) -> Any:
        """The compute client a distributed pool runs on (None: the default scheduler, or an in-memory pool).
        Set it to carry on with a new client after the cluster was lost: the labels and the model stay; what lived
        on the old cluster (Cluster-Margin's cluster ids) is rebuilt on the next query that needs it."""
        return self._pool.client

    @client.setter
    def client(self, client: Any) -> None:
        with self._lock:   # a pool in this process refuses it, naming what to do
            self._pool.client = client

    @property
    def store(self) -> LabelStore | None:
        """The LabelStore this learner writes through to, or None."""
        return self._store

    @property
    def n_new_labels(self) -> int:
        """Labels taught since the last ``fit()``."""
        return len(self._since_fit)

    def pull_from_store(self) -> int:
        """Take in what others committed to the same store: the labels this learner does not hold yet (teammates'
        notebooks), and corrections made elsewhere (a reviewer's ``queue.correct``, ``activelens relabel`` or
        ``unlabel``, a teammate's ``relabel``), whose records then join ``label_history()``. They are in the store
        already, so only memory changes.

        Returns
        -------
        int
            How many labels were added, changed or taken back.
        """
        if self._store is None:
            return 0
        with self._lock:   # read under the lock: a label taught meanwhile must not look taken back
            indices, labels = self._store.stored_labels()
            stored = dict(zip(indices, labels))
            differ = [i for i in self._order if i not in stored or _differs(self._label_of[i], stored[i])]
            added = self.merge_labels(indices, labels)
            if differ or added:
                self._take_corrections(stored, self._store.history_records())
            return added + len(differ)

    def _take_corrections(self, stored: dict, history) -> None:
        """Memory only, under the lock: every label held becomes the store's (``stored``: position -> label; a
        position missing there was taken back), and the label history the store's."""
        with self._lock:
            for i in [i for i in self._order if i not in stored or _differs(self._label_of[i], stored[i])]:
                self._changed.add(i)
                if i in stored:
                    self._label_of[i] = stored[i]
                else:
                    del self._label_of[i]
            self._order = [i for i in self._order if i in self._label_of]
            self._log = list(history)
            current = {r.index: r for r in self._log}
            self._records = {i: r for i, r in current.items() if i in self._label_of and r.label is not None}
            self._label_version += 1

    def report(self, **kwargs: Any) -> Report:
        """The monitors (selection distribution, annotation quality, improvement per batch, cost per accuracy point)
        as plotly figures and a DataFrame; see ``activelens.analysis.monitor.report``."""
        from activelens.analysis import monitor   # plotly and the store's codec load only for a report
        return monitor.report(self, **kwargs)

    def stopping_progress(self) -> list[str]:
        return [c.progress() for c in self.stopping]

    def __repr__(self) -> str:
        return (f"ActiveLearner({type(self.estimator).__name__}, pool={self.n_pool}, strategy={self._strategy.name!r}, "
                f"labeled={self.n_labeled}, rounds={len(self._rounds)})")

    def suspects(self, n: int, *, method: str = "normalized_margin", cv: int = 5,
                 random_state: int | np.random.Generator | None = None) -> pd.DataFrame:
        """The labeled items most likely to carry a wrong label, most suspect first: position, id, given and
        suggested label, out-of-fold probabilities, score and reason (``activelens.analysis.review.suspects``
        documents the parameters). Nothing in the learner changes."""
        from activelens.analysis import review
        return review.suspects(self, n, method=method, cv=cv, random_state=random_state)


def _check_holdout(holdout, n_features: int, classes) -> tuple:
    """(X_test, y_test) checked against the pool's features and the declared classes; (None, None) without one."""
    if holdout is None:
        return None, None
    if not isinstance(holdout, (tuple, list)) or len(holdout) != 2:
        raise TypeError(f"holdout must be a pair (X_test, y_test), got {type(holdout).__name__} {holdout!r:.60}")
    X_test = check_matrix_or_sparse(holdout[0], name="holdout's X_test")
    y_test = np.asarray(holdout[1])
    if X_test.shape[1] != n_features:
        raise ValueError(f"holdout's X_test has {X_test.shape[1]} features but X has {n_features}")
    if y_test.shape != (X_test.shape[0],):
        raise ValueError(f"holdout's y_test must hold one label per X_test row ({X_test.shape[0]}), got shape "
                         f"{y_test.shape}")
    _check_y_test(y_test, classes)
    return X_test, y_test


def _check_scoring(scoring):
    """The scorer of a scikit-learn scorer name or callable; a ValueError names the argument otherwise."""
    if scoring is None:
        raise ValueError("scoring must be a scikit-learn scorer name (e.g. 'accuracy') or a callable, got None")
    try:
        return get_scorer(scoring)
    except (ValueError, TypeError) as exc:
        raise ValueError(f"scoring must be a scikit-learn scorer name (e.g. 'accuracy', 'f1_macro') or a callable "
                         f"scorer(model, X, y), got {scoring!r:.60}: {exc}") from None


def _check_stopping(stopping, n_pool: int) -> list:
    """The stopping criteria as a list; a ``Budget`` larger than the pool is refused (it could never fire)."""
    if stopping is not None and not isinstance(stopping, (list, tuple)):
        raise TypeError(f"stopping must be a list of stopping criteria, e.g. stopping=[Budget(500)], got "
                        f"{type(stopping).__name__} {stopping!r:.40}")
    criteria = list(stopping or [])
    for c in criteria:
        if not isinstance(c, _stopping.StoppingCriterion):
            raise TypeError(f"stopping must hold activelens.stopping criteria, got {type(c).__name__}")
        if isinstance(c, _stopping.Budget) and c.max_labels > n_pool:
            raise ValueError(f"stopping's Budget({c.max_labels}) is larger than the pool ({n_pool} items)")
    return criteria


def _check_y_test(y_test, classes) -> None:
    """y_test holds one class label per row (never None or NaN), each of the declared classes if there are any."""
    values = set(check_labels(y_test, name="holdout's y_test"))
    if classes is not None:
        for v in sorted(values, key=str):
            if label_mismatch(v, classes):
                raise ValueError(f"y_test holds the class {v!r}, which is not in classes={classes.tolist()!r:.80}; "
                                 "scores would count it as always wrong. Add it to classes=, or drop those test rows")


def _check_ids(X, ids, n_pool: int):
    """A unique pandas Index of one id per pool item, from ``ids`` or a pandas X's index; None when neither."""
    if ids is None:
        if not (hasattr(X, "index") and hasattr(X, "to_numpy")):
            return None
        ids, name = X.index, "X.index"
    else:
        name = "ids"
    index = ids if isinstance(ids, pd.Index) else pd.Index(check_ids(ids, name=name), tupleize_cols=False)
    check_ids(index, name=name)
    if index.size != n_pool:
        raise ValueError(f"{name} has {index.size} entries but the pool has {n_pool} items; give one id per item")
    if not index.is_unique:
        raise ValueError(f"{name} must be unique (they are the items' ids); {index[index.duplicated()][0]!r} appears "
                         "more than once. Pass ids= of your own, or X.reset_index(drop=True)")
    return index.rename(index.name or "id")


def _differs(a, b) -> bool:
    """Two labels differ: by value or by type (1, 1.0 and True are three labels)."""
    return a != b or label_kind(a) != label_kind(b)


def _check_source(source) -> str:
    """A record's source: a name (``check_name``), e.g. 'relabel' or 'review'."""
    checked = check_name(source, "source", what="where the labels came from (e.g. 'relabel', 'review')")
    assert checked is not None   # allow_none is off
    return checked


def _per_item(value, n_call: int, name: str, number: bool = False) -> list:
    """One number for every index of a call, or one per index; None entries mean "not given"."""
    low = 0 if name == "seconds" else None
    if value is None or np.isscalar(value) or value is pd.NA:
        return [check_scalar(None if _is_nan(value) else value, name, float, low=low, allow_none=True)] * n_call
    if isinstance(value, (dict, set, frozenset)) or not hasattr(value, "__len__"):
        raise TypeError(f"{name} must be one number or one per index ({n_call}), got {type(value).__name__}")
    values = value.tolist() if hasattr(value, "tolist") else list(value)
    if len(values) != n_call:
        raise ValueError(f"{name} must be one number or one per index ({n_call}), got {len(values)}")
    # NaN is "not given" (a missing time in a stored annotation), as None
    return [check_scalar(None if _is_nan(v) else v, f"{name}[{k}]", float, low=low, allow_none=True)
            for k, v in enumerate(values)]


def _is_nan(value) -> bool:
    return isinstance(value, (float, np.floating)) and math.isnan(value)


def _per_item_name(value, n_call: int, name: str) -> list:
    """One name (``check_name``) for every index of a call, or one per index; None means "not given"."""
    if value is None or isinstance(value, str):
        return [check_name(value, name, allow_none=True)] * n_call
    if isinstance(value, (list, tuple, np.ndarray)) and len(value) == n_call:
        return [check_name(v, f"{name}[{k}]", allow_none=True) for k, v in enumerate(value)]
    raise TypeError(f"{name} must be a string (or one string per index, {n_call}), got {value!r:.80}")
