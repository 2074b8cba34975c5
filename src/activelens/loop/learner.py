"""ActiveLearner: the loop's state — labels, model, rounds — and its four verbs: teach, fit, query, stop_reason."""
from __future__ import annotations

import json
import threading
import time
from collections import Counter

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.metrics import get_scorer
from sklearn.model_selection import StratifiedKFold, cross_val_score

from activelens.analysis import stopping as _stopping
from activelens.backends import make_pool
from activelens.backends.sparse import check_matrix_or_sparse
from activelens.core.model import check_scoring_estimator, padded_proba
from activelens.core.pool import rng_restored
from activelens.core.records import Batch, Fitted, LabelRecord, LearnerState, Round, Taught
from activelens.core.threads import blas_threads, check_threads
from activelens.core.validation import (check_classes, check_indices, check_labels, check_n, check_random_state,
                                         check_scalar, label_kind, label_mismatch)
from activelens.strategies import coldstart, registry
from activelens.strategies.registry import Ask

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

    def __init__(self, estimator, X, *, strategy="auto", batch_size: int = 10, classes=None, cold_start="auto",
                 holdout=None, scoring="accuracy", stopping=None, random_state=None, store=None, ids=None):
        check_scoring_estimator(estimator)
        self._pool = make_pool(X, random_state=random_state)
        self.X = self._pool.X
        self._ids = _check_ids(X, ids, self._pool.n_rows)
        self._strategy = registry.resolve(strategy)
        self._strategy_spec = strategy
        self.estimator = estimator
        self.batch_size = check_scalar(batch_size, "batch_size", int, low=1, what="items per query")
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
        self._records: dict = {}             # pool position -> LabelRecord of labels taught here (provenance)
        self._store = None
        if store is not None:   # the one step with I/O, on a complete learner: check the pool, restore, subscribe
            self._open_store(store)

    def _open_store(self, store) -> None:
        """Open ``store`` for this (complete) learner: check or record the pool, restore labels, rounds and the model,
        then commit every label and round from now on (``activelens.storage.open_store_for``)."""
        from activelens.storage import open_store_for   # SQLAlchemy loads only when a store is used
        self._store = open_store_for(self, store)

    # ----- state -----
    @property
    def pool(self):
        """The ``Pool`` the learner selects from (``activelens.core.pool``): rows, probabilities, diversity loops."""
        return self._pool

    @property
    def X_test(self):
        """The holdout's rows (None without a holdout)."""
        return self._holdout[0]

    @property
    def y_test(self):
        """The holdout's labels (None without a holdout)."""
        return self._holdout[1]

    @property
    def scoring(self):
        """The scikit-learn scorer (name or callable) of every round's score, holdout and cross-validated alike."""
        return self._scoring

    @scoring.setter
    def scoring(self, scoring):
        scorer = _check_scoring(scoring)
        self._scoring, self._scorer = scoring, scorer

    @property
    def fit_threads(self):
        """BLAS threads while ``fit`` trains (None: as configured); see the class docstring."""
        return self._fit_threads

    @fit_threads.setter
    def fit_threads(self, value):
        self._fit_threads = check_threads(value)

    @property
    def strategy(self):
        """The strategy as given (a name or a callable); setting it resolves it through the registry."""
        return self._strategy_spec

    @strategy.setter
    def strategy(self, strategy):
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

    def positions(self, ids) -> np.ndarray:
        """Pool positions of ``ids`` (a KeyError names the first id that is not in the pool)."""
        many = not np.isscalar(ids) and not isinstance(ids, tuple)
        wanted = list(ids) if many else [ids]
        pos = self.ids.get_indexer(wanted)
        if (pos < 0).any():
            raise KeyError(f"id {wanted[int(np.flatnonzero(pos < 0)[0])]!r} is not in the pool")
        return pos.astype(np.intp)

    def labeled_frame(self) -> pd.DataFrame:
        """The labeled items as a DataFrame indexed by id, in teaching order: position, label and the provenance of
        labels taught in this session (annotator, timestamp, seconds, score, strategy, round, model_version,
        source; empty for labels restored from a store or merged from a teammate)."""
        with self._lock:
            order, label_of, records = list(self._order), dict(self._label_of), dict(self._records)
        fields = ["annotator", "timestamp", "seconds", "score", "strategy", "round", "model_version", "source"]
        rows = []
        for i in order:
            r = records.get(i)
            rows.append([i, label_of[i]] + [getattr(r, f) if r is not None else None for f in fields])
        frame = pd.DataFrame(rows, columns=["position", "label"] + fields)
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
    def last_score(self):
        return self._rounds[-1].score if self._rounds and np.isfinite(self._rounds[-1].score) else None

    def scores_so_far(self) -> list[float]:
        return [r.score for r in self._rounds if np.isfinite(r.score)]

    def labels_per_scored_round(self) -> list[int]:
        return [r.n_labels for r in self._rounds if np.isfinite(r.score)]

    @property
    def embedding(self):
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
    def subscribe(self, listener) -> None:
        """Call ``listener(event)`` with every ``Taught`` and ``Fitted`` event, before memory changes: if it raises,
        the teach or fit fails and nothing changes (a store commits this way before the learner says it is saved)."""
        if not callable(listener):
            raise TypeError(f"listener must be callable, got {type(listener).__name__}")
        with self._lock:
            self._listeners.append(listener)

    def unsubscribe(self, listener) -> None:
        with self._lock:
            self._listeners = [f for f in self._listeners if f is not listener]

    def _emit(self, event) -> None:
        for listener in list(self._listeners):
            listener(event)

    def snapshot(self) -> LearnerState:
        """The learner's state as a value: labels in teaching order, rounds, model version and settings."""
        with self._lock:
            return LearnerState(labels=tuple((i, self._label_of[i]) for i in self._order), rounds=tuple(self._rounds),
                                model_version=self.model_version, settings=self.settings)

    def restore(self, state: LearnerState, refit: bool = True) -> None:
        """Take labels and rounds from ``state`` (e.g. read back from a store). With ``refit``, the model of the last
        round is trained again on the labels it had (the first ``rounds[-1].n_labels`` in teaching order)."""
        if not isinstance(state, LearnerState):
            raise TypeError(f"state must be an activelens LearnerState (from snapshot()), got {type(state).__name__}")
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
        with self._lock:
            self._order, self._label_of, self._rounds = order, label_of, rounds
            self._since_fit = since_fit
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
    def teach(self, indices, labels, *, annotator=None, seconds=None, scores=None, strategy=None,
              source="teach") -> None:
        """Record labels for pool positions. Validated as a whole: on any error nothing is recorded.

        Re-teaching an item its existing label is a no-op; a different label for it is an error.
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
            if self.declared_classes is not None:
                for v in set(lab) if len(lab) > 64 else lab:
                    problem = label_mismatch(v, self.declared_classes)
                    if problem:
                        raise ValueError(problem)
            new = []
            for i, v in zip(idx.tolist(), lab):
                if i in self._label_of:
                    if self._label_of[i] != v:
                        raise ValueError(
                            f"item {i} is already labeled {self._label_of[i]!r}; refusing to relabel it {v!r}"
                        )
                    continue
                new.append((i, v))
            kinds = {label_kind(v) for v in lab} | {label_kind(v) for v in list(self._label_of.values())[:1]}
            if len(kinds) > 1:
                raise TypeError(f"labels mix {' and '.join(sorted(kinds))}; use one type for every label")
            records = self._label_records(new, idx.tolist(), annotator, seconds, scores, strategy, source)
            if records:
                self._emit(Taught(records))
                self._records.update((r.index, r) for r in records)
            for i, v in new:
                self._order.append(i)
                self._label_of[i] = v
                self._since_fit.append(v)

    def _label_records(self, new, call_indices, annotator, seconds, scores, strategy, source) -> tuple:
        """Provenance of the ``new`` [(index, label)] of a teach call whose indices were ``call_indices``."""
        n_call = len(call_indices)
        secs = _per_item(seconds, n_call, "seconds", number=True)
        scs = _per_item(scores, n_call, "scores", number=True)
        if annotator is None or isinstance(annotator, str):
            names = [annotator] * n_call
        elif isinstance(annotator, (list, tuple, np.ndarray)) and len(annotator) == n_call \
                and all(a is None or isinstance(a, str) for a in annotator):
            names = list(annotator)
        else:
            raise TypeError(f"annotator must be a string (or one string per index), got {annotator!r:.80}")
        if strategy is None or isinstance(strategy, str):
            stgs = [strategy] * n_call
        elif isinstance(strategy, (list, tuple, np.ndarray)) and len(strategy) == n_call \
                and all(s is None or isinstance(s, str) for s in strategy):
            stgs = list(strategy)
        else:
            raise TypeError(f"strategy must be a string (or one string per index), got {strategy!r:.80}")
        if not new:
            return ()
        first = {}
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

    def merge_labels(self, indices, labels) -> int:
        """Take in labels saved elsewhere already (a teammate's notebook writing to the same store): memory only,
        no event. Items this learner holds already, or outside the pool, are left as they are. Returns how many
        were added."""
        added = 0
        with self._lock:
            for i, v in zip(indices, labels):
                i = int(i)
                if i not in self._label_of and 0 <= i < self.n_pool:
                    self._order.append(i)
                    self._label_of[i] = v
                    self._since_fit.append(v)
                    added += 1
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
            version = self.model_version + 1
        # the expensive part runs without the lock so a widget can keep reading state
        t0 = time.perf_counter()
        rows = self._pool.rows(idx)   # outside the thread limit: a distributed pool gathers them
        with blas_threads(self.fit_threads):
            model = clone(self.estimator).fit(rows, y)
            fit_seconds = time.perf_counter() - t0
            score, source = self._evaluate(model, idx, y)
        with self._lock:
            if self.n_labeled != idx.size:
                raise RuntimeError("labels changed while fitting; call fit() again")
            previous = self.last_score
            gain = score - previous if (previous is not None and np.isfinite(score)) else np.nan
            r = Round(
                round=len(self._rounds) + 1, n_labels=int(idx.size), score=float(score), score_source=source,
                gain=float(gain), fit_seconds=fit_seconds, select_seconds=self._last_select_seconds,
                batch_class_mix={str(k): int(v) for k, v in Counter(map(str, since_fit)).items()},
                strategy=self._strategy.name, model_version=version, timestamp=time.time(),
                rule=self._last_rule, reason=self._last_reason, rng_state=self._rng_state(),
            )
            self._emit(Fitted(r))
            self.model_, self.model_version = model, version
            self._rounds.append(r)
            self._since_fit = []
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
    def predict_proba(self, X=None):
        """Probabilities over ``classes_`` for X (default: the pool, from the pool: cached per model; lazy for a
        distributed pool)."""
        if self.model_ is None:
            raise RuntimeError("no model yet; call fit() after teaching some labels")
        model = self.model_
        if X is None:
            return self._pool.proba(model, self.proba_classes(model))
        return padded_proba(model, check_matrix_or_sparse(X, name="X"), self.proba_classes(model))

    def proba_classes(self, model=None) -> np.ndarray:
        """The classes probabilities are padded to for ``model`` (default: the current one): the declared classes,
        else the model's."""
        model = self.model_ if model is None else model
        if self.declared_classes is not None:
            missing = set(np.asarray(model.classes_).tolist()) - set(self.declared_classes.tolist())
            if missing:
                raise ValueError(f"the model knows classes {sorted(missing, key=str)} that were not declared")
            return self.declared_classes
        return np.asarray(model.classes_)

    def predict(self, indices=None) -> np.ndarray:
        """Predicted class of pool items (all of them by default)."""
        proba = np.asarray(self.predict_proba())
        classes = self.proba_classes(self.model_)
        pred = classes[proba.argmax(axis=1)]
        return pred if indices is None else pred[np.asarray(indices)]

    # ----- query -----
    def query(self, n: int | None = None) -> Batch:
        """The next batch: ``n`` (default ``batch_size``) unlabeled pool positions, best first."""
        with self._lock:
            labeled = self.labeled_indices
            n = check_n(self.batch_size if n is None else n, self.n_pool - labeled.size, name="n")
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
    def stop_reason(self):
        """None, or the first stopping criterion that fired (a ``StopDecision`` with its reason)."""
        with self._lock:
            for criterion in self.stopping:
                decision = criterion.check()
                if decision is not None:
                    return decision
            return None

    # ----- store and monitoring -----
    @property
    def client(self):
        """The compute client a distributed pool runs on (None: the default scheduler, or an in-memory pool).
        Set it to carry on with a new client after the cluster was lost: the labels and the model stay; what lived
        on the old cluster (Cluster-Margin's cluster ids) is rebuilt on the next query that needs it."""
        return self._pool.client

    @client.setter
    def client(self, client):
        with self._lock:   # a pool in this process refuses it, naming what to do
            self._pool.client = client

    @property
    def store(self):
        """The LabelStore this learner writes through to, or None."""
        return self._store

    @property
    def n_new_labels(self) -> int:
        """Labels taught since the last ``fit()``."""
        return len(self._since_fit)

    def pull_from_store(self) -> int:
        """Take in the labels other learners (teammates' notebooks) committed to the same store that this learner
        does not hold yet. They are in the store already, so only memory changes. Returns how many were added."""
        if self._store is None:
            return 0
        indices, labels = self._store.stored_labels()
        return self.merge_labels(indices, labels)

    def report(self, **kwargs):
        """The monitors (selection distribution, annotation quality, improvement per batch, cost per accuracy point)
        as plotly figures and a DataFrame; see ``activelens.analysis.monitor.report``."""
        from activelens.analysis import monitor   # plotly and the store's codec load only for a report
        return monitor.report(self, **kwargs)

    def stopping_progress(self) -> list[str]:
        return [c.progress() for c in self.stopping]

    def __repr__(self) -> str:
        return (f"ActiveLearner({type(self.estimator).__name__}, pool={self.n_pool}, strategy={self._strategy.name!r}, "
                f"labeled={self.n_labeled}, rounds={len(self._rounds)})")

    def suspects(self, n: int, **kwargs) -> pd.DataFrame:
        """The labeled items most likely to carry a wrong label, most suspect first: position, id, given and
        suggested label, out-of-fold probabilities, score and reason (``activelens.analysis.review.suspects``,
        which takes ``method=``, ``cv=`` and ``random_state=``). Nothing in the learner changes."""
        from activelens.analysis import review
        return review.suspects(self, n, **kwargs)


def _check_holdout(holdout, n_features: int, classes) -> tuple:
    """(X_test, y_test) checked against the pool's features and the declared classes; (None, None) without one."""
    if holdout is None:
        return None, None
    if not isinstance(holdout, (tuple, list)) or len(holdout) != 2:
        raise TypeError(f"holdout must be a pair (X_test, y_test), got {type(holdout).__name__} {holdout!r:.60}")
    X_test = check_matrix_or_sparse(holdout[0], name="X_test")
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
    try:
        return get_scorer(scoring)
    except (ValueError, TypeError) as exc:
        raise ValueError(f"scoring must be a scikit-learn scorer name (e.g. 'accuracy', 'f1_macro') or a callable "
                         f"scorer(model, X, y), got {scoring!r:.60}: {exc}") from None


def _check_stopping(stopping, n_pool: int) -> list:
    """The stopping criteria as a list; a ``Budget`` larger than the pool is refused (it could never fire)."""
    criteria = list(stopping or [])
    for c in criteria:
        if not isinstance(c, _stopping.StoppingCriterion):
            raise TypeError(f"stopping must hold activelens.stopping criteria, got {type(c).__name__}")
        if isinstance(c, _stopping.Budget) and c.max_labels > n_pool:
            raise ValueError(f"stopping's Budget({c.max_labels}) is larger than the pool ({n_pool} items)")
    return criteria


def _check_y_test(y_test, classes) -> None:
    """y_test holds one class label per row (never None or NaN), each of the declared classes if there are any."""
    values = set(check_labels(y_test, name="y_test"))
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
        ids = X.index
    index = ids if isinstance(ids, pd.Index) else pd.Index(list(ids))
    if index.size != n_pool:
        raise ValueError(f"ids has {index.size} entries but the pool has {n_pool} items; give one id per item")
    if not index.is_unique:
        raise ValueError(f"ids must be unique; {index[index.duplicated()][0]!r} appears more than once")
    return index.rename(index.name or "id")


def _per_item(value, n_call: int, name: str, number: bool = False) -> list:
    """One value for every index of a call, or one per index; None entries mean "not given"."""
    if value is None or np.isscalar(value):
        return [value] * n_call
    arr = [None if v is None else float(v) for v in (value.tolist() if hasattr(value, "tolist") else list(value))]
    if len(arr) != n_call:
        raise ValueError(f"{name} must be one number or one per index ({n_call}), got {len(arr)}")
    return arr
