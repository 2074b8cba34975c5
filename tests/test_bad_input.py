"""Every bad input is one clear error, and nothing is written or lost (issue 14): one table, run as a test.

Each row: the area (learner, strategies, store, queue, explorer, cli), a name, what is done, and what must come out:
an error of a class (matched by name, so the table also runs against older code) whose message holds the given
words — for the Explorer its error line, for the CLI ``error: ...`` on stderr and exit status 2 — with everything
that was there before still there and nothing new written (learner state, every table of the store, the widget's
picks, the files in the folder). A few rows are odd-looking inputs that are *accepted by design*; their row checks
what they do instead.

Run as a script to count the outcomes per category (``--before`` runs every row and never stops, for the count
against an older checkout: ``PYTHONPATH=<old>/src python tests/test_bad_input.py``)::

    python tests/test_bad_input.py
"""
from __future__ import annotations

import contextlib
import io
import json
import pickle
import sqlite3
import sys
import tempfile
import warnings
from collections import Counter
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import make_blobs
from sklearn.linear_model import LogisticRegression

# ---------------------------------------------------------------------------------------------------- the table
CLEAR = "clear error"
DESIGNED = "worked as designed"
#: what a row that is not a clear error turned out to be
SILENT = "silent wrong result (accepted)"
MISLEADING = "misleading, late or raw error"
WROTE = "error, but something was written or lost"
REFUSED = "refused what it should take"

ERROR_LINE = "error line"   # the Explorer: the widget's ``error`` trait
EXIT_2 = "exit 2"           # the CLI: ``error: ...`` on stderr, status 2


@dataclass(frozen=True)
class Case:
    area: str
    name: str
    world: str
    run: Callable
    raises: str | None              # an exception class name, ERROR_LINE, EXIT_2, or None (accepted by design)
    words: tuple = ()
    prepare: Callable | None = None
    check: Callable | None = None   # for rows accepted by design: (world, result) -> None, asserting what happened

    @property
    def id(self):
        return f"{self.area}:{self.name}"


CASES: list[Case] = []


def bad(area, name, raises, *words, world="none", prepare=None):
    """Register ``run(world)`` as a bad input that must raise ``raises`` (a class name) with ``words`` in its text."""
    def deco(run):
        CASES.append(Case(area, name, world, run, raises, tuple(words), prepare))
        return run
    return deco


def designed(area, name, world="none", prepare=None):
    """Register ``run(world)`` as an odd input accepted by design; the decorated ``check(world, result)`` follows."""
    def deco(run):
        def with_check(check):
            CASES.append(Case(area, name, world, run, None, (), prepare, check))
            return check
        run.check = with_check
        return run
    return deco


# ---------------------------------------------------------------------------------------------------- the worlds
def _data():
    X, y = make_blobs(n_samples=60, centers=3, n_features=4, cluster_std=1.5, random_state=0)
    return X, y


class Clock:
    def __init__(self, t=1000.0):
        self.t = t

    def __call__(self):
        return self.t


class World:
    """What a row acts on, built on demand in its own folder: a learner with a store (six labels, one round), a queue
    on that store, an Explorer, files for the CLI."""

    def __init__(self, tmp: Path):
        self.tmp = tmp
        self.X, self.y = _data()
        self.clock = Clock()

    # --- learner and store
    def make_learner(self, store=None, classes=(0, 1, 2), **kw):
        from activelens import ActiveLearner
        return ActiveLearner(LogisticRegression(max_iter=200), self.X, batch_size=5, random_state=0,
                             classes=None if classes is None else list(classes), store=store, **kw)

    @property
    def seed(self):
        return np.array([int(np.flatnonzero(self.y == c)[k]) for k in range(2) for c in range(3)])

    @cached_property
    def path(self) -> Path:
        return self.tmp / "labels.db"

    @cached_property
    def learner(self):
        from activelens import LabelStore
        learner = self.make_learner(store=LabelStore(self.path, durability="normal"))  # no fsync: a faster table
        learner.teach(self.seed, self.y[self.seed])
        learner.fit()
        return learner

    @cached_property
    def plain(self):
        """A learner without a store or declared classes, six labels."""
        learner = self.make_learner(classes=None)
        learner.teach(self.seed, self.y[self.seed])
        return learner

    # --- queue
    def _fill(self, q):
        todo = [i for i in range(60) if i not in set(self.seed.tolist())][:10]
        q.put(todo)
        got = q.claim("ana", n=4)
        for i in got[:2]:
            q.submit("ana", i, int(self.y[i]))
        return got

    @cached_property
    def queue(self):
        from activelens import AnnotationQueue
        q = AnnotationQueue(self.learner.store, clock=self.clock)
        self.claimed = self._fill(q)
        return q

    @cached_property
    def open_queue(self):
        """A queue on a store whose learner declared no classes and holds int labels."""
        from activelens import AnnotationQueue
        from activelens import LabelStore
        learner = self.make_learner(store=LabelStore(self.tmp / "open.db", durability="normal"), classes=None)
        learner.teach(self.seed, self.y[self.seed])
        self.open_learner = learner
        q = AnnotationQueue(learner.store, clock=self.clock)
        self.open_claimed = self._fill(q)
        return q

    # --- explorer
    def _explorer(self, learner, **kw):
        from activelens import Explorer
        return Explorer(learner, labels=["a", "b", "c"], projection="pca", **kw)

    @cached_property
    def explorer(self):
        learner = self.make_learner(cold_start=self.seed)
        self.explorer_learner = learner
        return self._explorer(learner)

    @cached_property
    def store_explorer(self):
        from activelens import LabelStore
        learner = self.make_learner(cold_start=self.seed, store=LabelStore(self.path, timeout=0.2))
        self.explorer_learner = learner
        return self._explorer(learner)

    @cached_property
    def annotator_explorer(self):
        from activelens import LabelStore
        learner = self.make_learner(cold_start=self.seed, store=LabelStore(self.path, timeout=0.2))
        self.explorer_learner = learner
        return self._explorer(learner, annotator="ann")

    # --- files for the CLI
    @cached_property
    def csv(self) -> Path:
        rng = np.random.default_rng(0)
        X = np.vstack([rng.normal(0, 1, (40, 3)), rng.normal(4, 1, (40, 3))])
        frame = pd.DataFrame(X, columns=["a", "b", "c"])
        frame["kind"] = ["x"] * 40 + ["y"] * 40
        return self._write("ok.csv", frame)

    def _write(self, name, frame):
        path = self.tmp / name
        frame.to_csv(path, index=False)
        return path

    def frame(self):
        return pd.read_csv(self.csv)

    def build(self, kind):
        """Build what ``kind`` needs before the row runs (so the snapshot sees it)."""
        if kind == "learner":
            self.learner
        elif kind == "plain":
            self.plain
        elif kind == "queue":
            self.queue
        elif kind == "open_queue":
            self.open_queue
        elif kind == "explorer":
            self.explorer
        elif kind == "store_explorer":
            self.store_explorer
        elif kind == "annotator_explorer":
            self.annotator_explorer
        elif kind == "cli":
            self.csv
        elif kind == "cli_store":
            self.csv
            self.learner.store.close()

    # --- the state that must not change
    def state(self) -> dict:
        out = {"files": sorted(str(p.relative_to(self.tmp)) for p in self.tmp.rglob("*")
                               if not p.name.endswith(("-wal", "-shm", "-lock", "-journal")))}
        for attr in ("learner", "plain", "open_learner", "explorer_learner", "one"):
            learner = self.__dict__.get(attr)
            if learner is not None:
                out[attr] = (learner.labeled_indices.tolist(), [str(v) for v in learner.labels.tolist()],
                             len(learner.rounds), learner.model_version, id(learner.model_))
        for attr in ("explorer", "store_explorer", "annotator_explorer"):
            w = self.__dict__.get(attr)
            if w is not None:
                out[attr] = (dict(w.pending), list(w.saved), w.batch_id, list(w.batch_indices))
        for db in sorted(self.tmp.glob("*.db")):
            out[db.name] = _tables(db)
        return out

    def close(self):
        for attr in ("learner", "plain", "open_learner", "explorer_learner", "other"):
            learner = self.__dict__.get(attr)
            if learner is not None and learner.store is not None:
                learner.store.close()
        for attr in ("explorer", "store_explorer", "annotator_explorer"):
            w = self.__dict__.get(attr)
            if w is not None:
                w.wait(60)
                w.close()


def _tables(db: Path) -> dict:
    """Every row of every activelens table (read-only, outside the engine under test)."""
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        names = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table' ORDER BY name")]
        return {n: sorted(map(repr, con.execute(f"SELECT * FROM {n}").fetchall())) for n in names}
    except sqlite3.Error as exc:
        return {"unreadable": str(exc)}
    finally:
        con.close()


@contextlib.contextmanager
def _held_sqlite_lock(path):
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        yield
    finally:
        other.execute("ROLLBACK")
        other.close()


def cli(*argv):
    """Run the command line in process: (status, stderr)."""
    from activelens.__main__ import main
    err, out = io.StringIO(), io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(out):
        rc = main([str(a) for a in argv])
    return rc, err.getvalue()


def send(w, **content):
    """A command exactly as the page sends it."""
    w._handle_custom_msg(content, [])
    return w.error


# ====================================================================================================== learner
X0, Y0 = _data()


def _budget(n):
    from activelens import Budget
    return Budget(n)


def _make_pool(X, **kw):
    from activelens import make_pool
    return make_pool(X, **kw)


def _learner(w, **kw):
    kw.setdefault("estimator", LogisticRegression())
    from activelens import ActiveLearner
    est = kw.pop("estimator")
    return ActiveLearner(est, kw.pop("X", w.X), **kw)


class _NoScores:
    def fit(self, X, y):
        return self


def _with(value, at=(4, 0)):
    X = X0.copy()
    X[at] = value
    return X


bad("learner", "estimator is a class", "TypeError", "instance", "LogisticRegression()")(
    lambda w: _learner(w, estimator=LogisticRegression))
bad("learner", "estimator cannot score", "TypeError", "neither predict_proba nor decision_function")(
    lambda w: _learner(w, estimator=_NoScores()))
bad("learner", "X holds infinity", "ValueError", "X contains NaN or infinity", "row 4")(
    lambda w: _learner(w, X=_with(np.inf)))
bad("learner", "X is 1-D", "ValueError", "2-D")(lambda w: _learner(w, X=X0[:, 0]))
bad("learner", "X is empty", "ValueError", "empty")(lambda w: _learner(w, X=np.empty((0, 2))))
bad("learner", "X is complex", "TypeError", "complex", "X.real")(lambda w: _learner(w, X=X0 + 1j))
bad("learner", "X beyond float32", "ValueError", "float32", "Rescale", "row 4")(lambda w: _learner(w, X=_with(1e39)))
bad("learner", "unknown strategy", "ValueError", "strategy must be one of")(lambda w: _learner(w, strategy="magic"))
bad("learner", "batch_size 0", "ValueError", "batch_size")(lambda w: _learner(w, batch_size=0))
bad("learner", "classes repeat", "ValueError", "unique")(lambda w: _learner(w, classes=[1, 1, 2]))
bad("learner", "classes is a string", "TypeError", "string 'abc'", "list('abc')")(
    lambda w: _learner(w, classes="abc"))
bad("learner", "classes mix types", "TypeError", "mixes numbers and strings")(lambda w: _learner(w, classes=[0, "a"]))
bad("learner", "classes is a set", "TypeError", "ordered", "sorted(")(lambda w: _learner(w, classes={0, 1, 2}))
bad("learner", "y_test class not declared", "ValueError", "y_test holds the class 2", "classes=")(
    lambda w: _learner(w, classes=[0, 1], holdout=(X0, Y0)))
bad("learner", "y_test holds NaN", "ValueError", "y_test", "None or NaN")(
    lambda w: _learner(w, holdout=(X0[:3], np.array([0.0, np.nan, 1.0]))))
bad("learner", "embeddings rows", "ValueError", "embeddings has 5 rows")(
    lambda w: _learner(w, X=_make_pool(X0, embeddings=np.ones((5, 2)))))
bad("learner", "holdout of X_test alone", "TypeError", "holdout must be a pair (X_test, y_test)")(
    lambda w: _learner(w, holdout=(X0[:10],)))
bad("learner", "holdout as a dict", "TypeError", "holdout must be a pair")(
    lambda w: _learner(w, holdout={"X": X0[:10], "y": Y0[:10]}))
bad("learner", "y_test length", "ValueError", "one label per X_test row")(
    lambda w: _learner(w, holdout=(X0[:10], Y0[:9])))
bad("learner", "Budget beyond the pool", "ValueError", "Budget(61)", "larger than the pool")(
    lambda w: _learner(w, stopping=[_budget(61)]))
bad("learner", "scoring unknown", "ValueError", "scoring must be a scikit-learn scorer", "'acuracy'")(
    lambda w: _learner(w, scoring="acuracy"))
bad("learner", "scoring set to an unknown name", "ValueError", "scoring must be", world="learner")(
    lambda w: setattr(w.learner, "scoring", "acuracy"))
bad("learner", "cold_start name", "ValueError", "cold_start")(lambda w: _learner(w, cold_start="magic"))
bad("learner", "cold_start positions", "IndexError", "out of range")(lambda w: _learner(w, cold_start=[400]))
bad("learner", "stopping names", "TypeError", "stopping")(lambda w: _learner(w, stopping=["plateau"]))
bad("learner", "fit_threads 0", "ValueError", "fit_threads must be a positive int", world="learner")(
    lambda w: setattr(w.learner, "fit_threads", 0))
bad("learner", "random_state string", "TypeError", "random_state")(lambda w: _learner(w, random_state="seed"))

# --- teach, query, fit on a learner with a store: nothing recorded, in memory or in the store
bad("learner", "teach index out of range", "IndexError", "out of range", world="learner")(
    lambda w: w.learner.teach([10, 300], [0, 1]))
bad("learner", "teach negative index", "IndexError", "out of range", world="learner")(
    lambda w: w.learner.teach([10, -1], [0, 1]))
bad("learner", "teach count mismatch", "ValueError", "one label per index", world="learner")(
    lambda w: w.learner.teach([10, 11], [0]))
bad("learner", "teach repeated index", "ValueError", "repeats position 10", world="learner")(
    lambda w: w.learner.teach([10, 10], [0, 0]))
bad("learner", "teach unknown class", "ValueError", "unknown class 7", world="learner")(
    lambda w: w.learner.teach([10, 11], [0, 7]))
bad("learner", "teach '1' for an int class", "ValueError", "unknown class '1'", world="learner")(
    lambda w: w.learner.teach([10], ["1"]))
bad("learner", "teach relabels", "ValueError", "already labeled", world="learner")(
    lambda w: w.learner.teach([10, int(w.seed[0])], [0, (int(w.y[w.seed[0]]) + 1) % 3]))
bad("learner", "teach None", "ValueError", "None or NaN", world="learner")(lambda w: w.learner.teach([10], [None]))
bad("learner", "teach NaN", "ValueError", "None or NaN", world="learner")(lambda w: w.learner.teach([10], [np.nan]))
bad("learner", "teach 2-D indices", "ValueError", "1-D", world="learner")(lambda w: w.learner.teach([[10, 11]], [0, 1]))
bad("learner", "teach fractional index", "TypeError", "integer positions", world="learner")(
    lambda w: w.learner.teach([1.5], [0]))
bad("learner", "teach boolean mask", "TypeError", "boolean mask", world="learner")(
    lambda w: w.learner.teach(np.zeros(60, dtype=bool), [0]))
bad("learner", "teach (n, 1) labels", "ValueError", "1-D", ".ravel()", world="learner")(
    lambda w: w.learner.teach([10, 11], np.array([[0], [1]])))
bad("learner", "teach nested lists", "TypeError", "labels[0] is a list", "np.ravel", world="learner")(
    lambda w: w.learner.teach([10, 11], [[0], [1]]))
bad("learner", "teach a dict label", "TypeError", "labels[0] is a dict", world="learner")(
    lambda w: w.learner.teach([10], [{"class": 1}]))
bad("learner", "teach a tuple label", "TypeError", "tuple", world="plain")(lambda w: w.plain.teach([10], [(1, 2)]))
bad("learner", "teach labels as a dict", "TypeError", "sequence", world="learner")(
    lambda w: w.learner.teach([10], {10: 1}))
bad("learner", "teach mixes types", "TypeError", "mix numbers and strings", world="plain")(
    lambda w: w.plain.teach([10], ["cat"]))
bad("learner", "teach annotator number", "TypeError", "annotator must be a string", world="learner")(
    lambda w: w.learner.teach([10], [0], annotator=5))
bad("learner", "teach seconds count", "ValueError", "seconds must be one number or one per index", world="learner")(
    lambda w: w.learner.teach([10, 11], [0, 1], seconds=[1.0, 2.0, 3.0]))
# --- corrections (issue 22): relabel and unlabel validated as a whole, nothing recorded in memory or in the store
bad("learner", "relabel an unlabeled item", "ValueError", "positions holds 10, which is not labeled", "teach",
    world="learner")(lambda w: w.learner.relabel([int(w.seed[0]), 10], [1, 1]))
bad("learner", "relabel unknown position", "IndexError", "positions holds 300, out of range", world="learner")(
    lambda w: w.learner.relabel([300], [1]))
bad("learner", "relabel an empty list", "ValueError", "positions is empty", world="learner")(
    lambda w: w.learner.relabel([], []))
bad("learner", "relabel unknown class", "ValueError", "unknown class 7", world="learner")(
    lambda w: w.learner.relabel([int(w.seed[0])], [7]))
bad("learner", "relabel wrong label type", "TypeError", "mix numbers and strings", world="plain")(
    lambda w: w.plain.relabel([int(w.plain.labeled_indices[0])], ["cat"]))
bad("learner", "relabel count mismatch", "ValueError", "one label per position", world="learner")(
    lambda w: w.learner.relabel(w.seed[:2], [0]))
bad("learner", "relabel None", "ValueError", "None or NaN", world="learner")(
    lambda w: w.learner.relabel([int(w.seed[0])], [None]))
bad("learner", "unlabel an unlabeled item", "ValueError", "positions holds 10, which is not labeled", world="learner")(
    lambda w: w.learner.unlabel([10]))
bad("learner", "unlabel unknown position", "IndexError", "out of range", world="learner")(
    lambda w: w.learner.unlabel([-1]))
bad("learner", "unlabel an empty list", "ValueError", "positions is empty", world="learner")(
    lambda w: w.learner.unlabel([]))


def _unlabel_twice(w):
    w.learner.unlabel([int(w.seed[0])])


bad("learner", "unlabel twice", "ValueError", "which is not labeled", world="learner", prepare=_unlabel_twice)(
    lambda w: w.learner.unlabel([int(w.seed[0])]))
bad("learner", "query more than left", "ValueError", "larger than the 54 items left", world="learner")(
    lambda w: w.learner.query(55))
bad("learner", "query 0", "ValueError", "n must be a positive int", world="learner")(lambda w: w.learner.query(0))
bad("learner", "fit with nothing labeled", "ValueError", "nothing is labeled yet")(lambda w: _learner(w).fit())


def _lone(w):
    """A learner with one labeled item of each of three classes."""
    learner = w.make_learner()
    first = [int(np.flatnonzero(w.y == c)[0]) for c in range(3)]
    learner.teach(first, w.y[first])
    return learner


def _one_class(w):
    w.one = w.make_learner()
    same = np.flatnonzero(w.y == 1)[:5]
    w.one.teach(same, w.y[same])


bad("learner", "fit with one class", "ValueError", "at least two classes", "Label an item of another class",
    prepare=_one_class)(lambda w: w.one.fit())
bad("learner", "suspects 0", "ValueError", "n must be a positive int", "how many suspects", world="learner")(
    lambda w: w.learner.suspects(0))
bad("learner", "suspects a float n", "TypeError", "n must be a positive int", "2.5", world="learner")(
    lambda w: w.learner.suspects(2.5))
bad("learner", "suspects unknown method", "ValueError", "method must be one of", "self_confidence", world="learner")(
    lambda w: w.learner.suspects(3, method="margin"))
bad("learner", "suspects cv 1", "ValueError", "cv must be", world="learner")(lambda w: w.learner.suspects(3, cv=1))
bad("learner", "suspects with nothing labeled", "ValueError", "nothing is labeled yet", "teach")(
    lambda w: _learner(w).suspects(3))
bad("learner", "suspects with one class", "ValueError", "at least two classes", "Label items of another class",
    prepare=_one_class)(lambda w: w.one.suspects(3))
bad("learner", "suspects with one item per class", "ValueError", "two classes with two labeled items each")(
    lambda w: _lone(w).suspects(3))


@designed("learner", "teach the same label again", world="learner")
def _same_again(w):
    return w.learner.teach([int(w.seed[0])], [int(w.y[w.seed[0]])])


@_same_again.check
def _(w, result):
    assert w.learner.n_labeled == 6 and w.learner.store.n_labels() == 6


# ====================================================================================================== strategies
def _proba(rows=10):
    p = np.random.default_rng(0).dirichlet(np.ones(3), size=rows)
    return p


bad("strategies", "entropy rows off 1", "ValueError", "rows must sum to 1")(lambda w: _S().entropy(_proba() * 2))
bad("strategies", "margin NaN", "ValueError", "NaN or infinity")(
    lambda w: _S().margin(np.where(np.eye(10, 3) == 1, np.nan, _proba())))
bad("strategies", "k_center n beyond what is left", "ValueError", "larger than the 8 items left")(
    lambda w: _S().k_center(X0[:10], 9, selected=[0, 1]))
bad("strategies", "k_center selected out of range", "IndexError", "out of range")(
    lambda w: _S().k_center(X0[:10], 2, selected=[10]))
bad("strategies", "kmeans_pp NaN", "ValueError", "NaN")(lambda w: _S().kmeans_pp(_with(np.nan)[:10], 2))
bad("strategies", "kmeans_pp n 0", "ValueError", "n must be a positive int")(lambda w: _S().kmeans_pp(X0[:10], 0))
bad("strategies", "combined weight", "ValueError", "weight must be in [0, 1]")(
    lambda w: _S().combined(_proba(60), X0, 3, weight=1.5))
bad("strategies", "combined measure", "ValueError", "unknown uncertainty measure")(
    lambda w: _S().combined(_proba(60), X0, 3, uncertainty="variance"))
bad("strategies", "combined rows", "ValueError", "same pool")(lambda w: _S().combined(_proba(59), X0, 3))
bad("strategies", "cluster_margin clusters", "ValueError", "one label per pool item")(
    lambda w: _S().cluster_margin(_proba(60), X0, 5, clusters=np.zeros(10)))
bad("strategies", "registry misspelt", "ValueError", "strategy must be one of", "'marginn'")(
    lambda w: _R().resolve("marginn"))
bad("strategies", "random_bootstrap too many", "ValueError", "larger than the 60 items left")(
    lambda w: _S().random_bootstrap(100, 61, labeled=np.arange(40)))
bad("strategies", "pretrained without proba", "TypeError", "predict_proba")(
    lambda w: _S().pretrained(object(), X0, 3))
bad("strategies", "Combined weight 2", "ValueError", "weight must be a number with 0.0 <= value <= 1.0")(
    lambda w: _S().Combined(weight=2))
bad("strategies", "Combined measure unknown", "ValueError", "unknown uncertainty measure 'variance'")(
    lambda w: _S().Combined(uncertainty="variance"))


def _S():
    import activelens.strategies as s
    return s


def _R():
    from activelens.strategies import registry
    return registry


# ====================================================================================================== store
def _store(target, **kw):
    from activelens import LabelStore
    return LabelStore(target, **kw)


bad("store", "target is a number", "TypeError", "store must be a file path")(lambda w: _store(42))
bad("store", "folder missing", "StoreError", "does not exist")(lambda w: _store(w.tmp / "no" / "such" / "l.db"))
bad("store", "timeout 0", "ValueError", "timeout")(lambda w: _store(w.tmp / "x.db", timeout=0))
bad("store", "durability unknown", "ValueError", "durability")(lambda w: _store(w.tmp / "x.db", durability="fast"))
bad("store", "verify_pool unknown", "ValueError", "verify")(lambda w: _store(w.tmp / "x.db", verify_pool="some"))
bad("store", "a file that is not a database", "StoreFormatError", "not an SQLite database",
    prepare=lambda w: (w.tmp / "junk.db").write_bytes(b"not a database" * 100))(lambda w: _store(w.tmp / "junk.db"))


def _foreign(w):
    con = sqlite3.connect(w.tmp / "shop.db")
    con.execute("create table customers(name text)")
    con.commit()
    con.close()


bad("store", "another application's database", "StoreFormatError", "something else", "customers",
    prepare=_foreign)(lambda w: _store(w.tmp / "shop.db"))
bad("store", "export format", "ValueError", "format", world="learner")(
    lambda w: w.learner.store.export(w.tmp / "out.xlsx"))
bad("store", "export what", "ValueError", "what must be", world="learner")(
    lambda w: w.learner.store.export(what="votes"))
bad("store", "reopen with another pool", "PoolMismatchError", "rows", world="cli_store")(
    lambda w: _learner(w, X=X0[:50], store=str(w.path)))
bad("store", "reopen with other classes", "StoreError", "was made with classes", "[0, 1, 2]", world="cli_store")(
    lambda w: w.make_learner(store=str(w.path), classes=("a", "b", "c")))


def _legacy_pickle(w):
    """A row anyone with write access to the database could write: a pickle that runs code when loaded."""
    import os

    class Payload:
        def __reduce__(self):
            return os.system, (f"touch {w.tmp / 'PWNED'}",)

    w.learner
    with w.learner.store.write() as conn:
        conn.exec_driver_sql("DELETE FROM activelens_blobs WHERE name LIKE 'estimator%'")
        w.learner.store.put_blob(conn, "estimator", pickle.dumps(Payload()))


bad("store", "a pickled estimator", "UntrustedEstimatorError", "never unpickles", world="learner",
    prepare=_legacy_pickle)(lambda w: w.learner.store.load_estimator())


def _teach_locked(w):
    from activelens import LabelStore
    learner = w.make_learner(store=LabelStore(w.path, timeout=0.2))
    with _held_sqlite_lock(w.path):
        learner.teach([10, 11], [0, 1])


bad("store", "teach while another process writes", "StoreLockedError", "locked by another process", "timeout=",
    world="cli_store")(_teach_locked)


def _taken(w):
    w.other = w.make_learner(store=str(w.path))   # a teammate's notebook, opened before this one labels item 10
    w.learner.teach([10], [0])


bad("store", "an item another process labeled", "StoreError", "another process labeled one of these items",
    world="learner", prepare=_taken)(lambda w: w.other.teach([11, 10], [1, 0]))


@designed("store", "reopen with the classes in another order", world="cli_store")
def _reordered(w):
    return w.make_learner(store=str(w.path), classes=(2, 0, 1))


@_reordered.check
def _(w, learner):
    assert learner.n_labeled == 6
    learner.store.close()


# ====================================================================================================== queue
def _queue(w, **kw):
    """A queue on a new store in the folder (a bad argument must not leave a store file behind)."""
    from activelens import AnnotationQueue
    return AnnotationQueue(w.tmp / "team.db", **kw)


bad("queue", "submit '2' for an int class", "ValueError", "unknown label '2'", world="queue")(
    lambda w: w.queue.submit("ana", w.claimed[2], "2"))
bad("queue", "submit '2' to a store of int labels", "TypeError", "label '2'", "numbers", world="open_queue")(
    lambda w: w.open_queue.submit("ana", w.open_claimed[2], "2"))
bad("queue", "submit a tuple", "TypeError", "tuple", world="queue")(
    lambda w: w.queue.submit("ana", w.claimed[2], (1, 2)))
bad("queue", "submit None", "ValueError", "None or NaN", world="queue")(
    lambda w: w.queue.submit("ana", w.claimed[2], None))
bad("queue", "submit a fractional index", "TypeError", "whole numbers", world="queue")(
    lambda w: w.queue.submit("ana", w.claimed[2] + 0.5, 1))   # was taken as int(): another item's annotation
bad("queue", "submit negative seconds", "ValueError", "seconds must be a number >= 0", world="queue")(
    lambda w: w.queue.submit("ana", w.claimed[2], 1, seconds=-1))
bad("queue", "submit not served", "QueueError", "was not served", world="queue")(
    lambda w: w.queue.submit("bo", w.claimed[2], 1))
bad("queue", "submit another answer", "QueueError", "already submitted", world="queue")(
    lambda w: w.queue.submit("ana", w.claimed[0], (int(w.y[w.claimed[0]]) + 1) % 3))
bad("queue", "release what is not held", "QueueError", "does not hold item", world="queue")(
    lambda w: w.queue.release("bo", w.claimed[2]))
bad("queue", "lease of 1e308 s", "ValueError", "longest lease")(lambda w: _queue(w, lease_seconds=1e308))
bad("queue", "claim with a lease of a year", "ValueError", "longest lease", world="queue")(
    lambda w: w.queue.claim("bo", n=1, lease_seconds=365 * 86400.0))
bad("queue", "put fractional positions", "TypeError", "whole numbers", world="queue")(
    lambda w: w.queue.put([11.7, 12.2]))
bad("queue", "put beyond the pool", "IndexError", "out of range", "0..59", world="queue")(lambda w: w.queue.put([60]))
bad("queue", "put negative", "IndexError", "out of range", world="queue")(lambda w: w.queue.put([-3]))
bad("queue", "put duplicates", "ValueError", "repeats position 40", world="queue")(lambda w: w.queue.put([40, 40]))
bad("queue", "put a boolean mask", "TypeError", "boolean mask", world="queue")(
    lambda w: w.queue.put(np.ones(60, dtype=bool)))
bad("queue", "put scores count", "ValueError", "scores must hold one number per index", world="queue")(
    lambda w: w.queue.put([40, 41], scores=[0.5]))
bad("queue", "claim no name", "ValueError", "annotator", world="queue")(lambda w: w.queue.claim(""))
bad("queue", "claim 0", "ValueError", "n must be", world="queue")(lambda w: w.queue.claim("bo", n=0))
bad("queue", "overlap 2", "ValueError", "overlap")(lambda w: _queue(w, overlap=2))
bad("queue", "gold_share 1", "ValueError", "gold_share")(lambda w: _queue(w, gold_share=1))
bad("queue", "labels is a string", "TypeError", "string 'abc'")(lambda w: _queue(w, labels="abc"))
def _queue_ab(w):
    from activelens import AnnotationQueue
    w.queue_ab = AnnotationQueue(w.tmp / "ab.db", labels=["a", "b"])
    w.queue_ab.put([40])
    w.got_ab = w.queue_ab.claim("x", n=1)[0]


bad("queue", "label outside the queue's labels", "ValueError", "unknown label 'c'", prepare=_queue_ab)(
    lambda w: w.queue_ab.submit("x", w.got_ab, "c"))
bad("queue", "gold item already queued", "ValueError", "already queued", world="queue")(
    lambda w: w.queue.add_gold([w.claimed[3]], [1]))
bad("queue", "reject an item with no annotation", "QueueError", "no annotation", world="queue")(
    lambda w: w.queue.reject(w.claimed[3]))
bad("queue", "correct an unlabeled item", "QueueError", "no stored label to correct", world="queue")(
    lambda w: w.queue.correct(w.claimed[0], 1, "rev"))
bad("queue", "correct with an unknown class", "ValueError", "unknown class 7", world="queue")(
    lambda w: w.queue.correct(int(w.seed[0]), 7, "rev"))
bad("queue", "correct with no reviewer", "ValueError", "annotator must be an annotator's name, a non-empty string", world="queue")(
    lambda w: w.queue.correct(int(w.seed[0]), 1, ""))
bad("store", "store relabel unknown position", "StoreError", "holds no label for item 10", world="learner")(
    lambda w: w.learner.store.relabel([10], [1]))
bad("store", "store unlabel an empty list", "ValueError", "positions is empty", world="learner")(
    lambda w: w.learner.store.unlabel([]))
bad("store", "export what='everything'", "ValueError", "'labels', 'annotations' or 'history'", world="learner")(
    lambda w: w.learner.store.export(what="everything"))




@designed("queue", "the same answer again", world="queue")
def _same_answer(w):
    return w.queue.submit("ana", w.claimed[0], int(w.y[w.claimed[0]]))


@_same_answer.check
def _(w, result):
    assert len(w.queue.annotations()) == 2


@designed("queue", "a submit after the lease ran out", world="queue")
def _late(w):
    w.clock.t += 10_000
    return w.queue.submit("ana", w.claimed[2], int(w.y[w.claimed[2]]))


@_late.check
def _(w, result):
    assert w.claimed[2] in w.queue.annotations()["index"].tolist()


@designed("queue", "put items queued or labeled already", world="queue")
def _put_again(w):
    return w.queue.put([w.claimed[0], int(w.seed[0])])


@_put_again.check
def _(w, added):
    assert added == 0


def _bad_row(w):
    """An annotation a client stored before submit checked labels: '2' for an int class."""
    w.queue
    i = w.claimed[2]
    with w.learner.store.write() as conn:
        conn.exec_driver_sql("INSERT INTO activelens_annotations (idx, annotator, label, ts, seconds, gold) "
                             "VALUES (?, 'ana', '\"2\"', 0, NULL, 0)", (i,))
        conn.exec_driver_sql("UPDATE activelens_queue SET n_done = 1 WHERE idx = ?", (i,))


@designed("queue", "sync past a stored bad annotation", world="queue", prepare=_bad_row)
def _sync_past(w):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        n = w.queue.sync(w.learner)
    return n, [str(c.message) for c in caught]


@_sync_past.check
def _(w, result):
    n, messages = result
    assert n == 2 and set(w.claimed[:2]) <= set(w.learner.labeled_indices.tolist())
    assert w.queue.skipped["index"].tolist() == [w.claimed[2]]
    assert any(f"queue.reject({w.claimed[2]})" in m for m in messages)
    assert w.queue.reject(w.claimed[2]) == 1   # and the clean-up works


# ====================================================================================================== explorer
def _batch0(w):
    return w.explorer.batch_indices[0]


bad("explorer", "label an item not on show", ERROR_LINE, "not in the current batch", world="explorer")(
    lambda w: send(w.explorer, type="label", index=10_000, label=0))
bad("explorer", "label an index given as text", ERROR_LINE, "not in the current batch", world="explorer")(
    lambda w: send(w.explorer, type="label", index=str(_batch0(w)), label=0))
bad("explorer", "label with no index", ERROR_LINE, "not in the current batch", world="explorer")(
    lambda w: send(w.explorer, type="label", index=None, label=5))
bad("explorer", "label position out of range", ERROR_LINE, "label must be an int with -1 <= value <= 2 (a position in label_names", world="explorer")(
    lambda w: send(w.explorer, type="label", index=_batch0(w), label=3))
bad("explorer", "unknown command", ERROR_LINE, "unknown command 'dance'", world="explorer")(
    lambda w: send(w.explorer, type="dance"))
bad("explorer", "colour by something unknown", ERROR_LINE, "color_by must be one of", world="explorer")(
    lambda w: send(w.explorer, type="color_by", value="rainbow"))
bad("explorer", "add a position outside the pool", ERROR_LINE, "not a pool position", world="explorer")(
    lambda w: send(w.explorer, type="add", indices=[-1]))
bad("explorer", "add in annotator mode", ERROR_LINE, "cannot be added", world="annotator_explorer")(
    lambda w: send(w.annotator_explorer, type="add", indices=[0]))


def _text_explorer(w, **kw):
    texts = [f"item {i} {'goal' if i % 2 else 'vote'}" for i in range(60)]
    return w._explorer(w.make_learner(cold_start=w.seed), items=texts, **kw)


def _selecting(widget, positions):
    widget.selected = positions
    return widget


bad("explorer", "search with a bad regex", "ValueError", "text '(goal'", "not a valid regular expression",
    "regex=False")(lambda w: _text_explorer(w).search("(goal", regex=True))
bad("explorer", "search from the page with a bad regex", ERROR_LINE, "not a valid regular expression",
    world="explorer")(lambda w: send(w.explorer, type="search", text="[a-", regex=True))
bad("explorer", "search an empty text", "ValueError", "text must be a non-empty string")(
    lambda w: _text_explorer(w).search("  "))
bad("explorer", "search items that have no texts", "ValueError", "search needs texts", "items=[...]",
    world="explorer")(lambda w: w.explorer.search("goal"))
bad("explorer", "search a column of items that are texts", "ValueError", "column='kind'", "DataFrame")(
    lambda w: _text_explorer(w).search("goal", column="kind"))
bad("explorer", "similar to a position outside the pool", "ValueError", "position must be an int",
    world="explorer")(lambda w: w.explorer.similar(60, 5))
bad("explorer", "similar with n = 0", "ValueError", "n must be a positive int", world="explorer")(
    lambda w: w.explorer.similar(3, 0))
bad("explorer", "bulk label an empty selection", "ValueError", "nothing is selected", world="explorer")(
    lambda w: w.explorer.label_selected("a"))
bad("explorer", "bulk label with an unknown label", "ValueError", "label 'z' is not one of label_names",
    world="explorer", prepare=lambda w: _selecting(w.explorer, [20, 21]))(
    lambda w: w.explorer.label_selected("z"))
bad("explorer", "bulk label from the page with an unknown label", ERROR_LINE, "is not one of label_names",
    world="explorer", prepare=lambda w: _selecting(w.explorer, [20, 21]))(
    lambda w: send(w.explorer, type="label_selected", label="nope"))
bad("explorer", "bulk label in annotator mode", "ValueError", "bulk labels are for",
    world="annotator_explorer", prepare=lambda w: _selecting(w.annotator_explorer, [50, 51]))(
    lambda w: w.annotator_explorer.label_selected("a"))
bad("explorer", "replay a round before any label", "ValueError", "nothing is labeled yet", world="explorer")(
    lambda w: w.explorer.show_round(0))
bad("explorer", "replay a round that did not happen", "ValueError", "k must be an int with 0 <= value <= 0",
    world="learner")(lambda w: w._explorer(w.learner).show_round(3))


def _label_all(w):
    for i in w.batch_indices:
        send(w, type="label", index=i, label=int(Y0[i]))


def _submit_locked(w, widget):
    with _held_sqlite_lock(w.path):
        return send(widget, type="submit")   # the picks stay for a retry: the state check covers ``pending``


bad("explorer", "submit while the store is locked", ERROR_LINE, "submit failed", "locked by another process",
    "press Submit again", world="store_explorer", prepare=lambda w: _label_all(w.store_explorer))(
    lambda w: _submit_locked(w, w.store_explorer))
bad("explorer", "submit to the queue while the store is locked", ERROR_LINE, "StoreLockedError",
    "locked by another process", "press Submit again", world="annotator_explorer",
    prepare=lambda w: _label_all(w.annotator_explorer))(lambda w: _submit_locked(w, w.annotator_explorer))
bad("explorer", "items of another length", "ValueError", "items has 5 entries")(
    lambda w: w._explorer(w.make_learner(), items=["a"] * 5))
bad("explorer", "button labels as a string", "TypeError", "labels must be a list")(
    lambda w: _explorer_with(w, labels="abc"))
bad("explorer", "queue without an annotator", "ValueError", "queue= needs annotator=", world="queue")(
    lambda w: w._explorer(w.make_learner(), queue=w.queue))
bad("explorer", "annotator without a store", "ValueError", "has none")(
    lambda w: w._explorer(w.make_learner(), annotator="ann"))


def _explorer_with(w, **kw):
    from activelens import Explorer
    return Explorer(w.make_learner(), projection="pca", **kw)


# ====================================================================================================== cli
SMALL = ("--quiet", "--seeds", "1", "--budget", "20", "--initial", "6", "--batch-size", "6", "--strategies", "margin")


def _variant(name, change):
    """A prepare step writing ok.csv changed by ``change`` as ``name``."""
    def prepare(w):
        frame = w.frame()
        change(frame)
        w._write(name, frame)
    return prepare


def _nan_feature(f):
    f.loc[5, "a"] = np.nan


def _nan_target(f):
    f["kind"] = f["kind"].astype(object)
    f.loc[7, "kind"] = np.nan


def _one_class(f):
    f["kind"] = "x"


bad("cli", "simulate: a NaN feature", EXIT_2, "feature column 'a'", "missing", "impute", world="cli",
    prepare=_variant("nan_feature.csv", _nan_feature))(
    lambda w: cli("simulate", "--dataset", w.tmp / "nan_feature.csv", *SMALL))
bad("cli", "simulate: a NaN target", EXIT_2, "target column 'kind'", "missing label", world="cli",
    prepare=_variant("nan_target.csv", _nan_target))(
    lambda w: cli("simulate", "--dataset", w.tmp / "nan_target.csv", *SMALL))
bad("cli", "simulate: one class", EXIT_2, "single class", world="cli", prepare=_variant("one_class.csv", _one_class))(
    lambda w: cli("simulate", "--dataset", w.tmp / "one_class.csv", *SMALL))
bad("cli", "simulate: three rows", EXIT_2, "only 1 row", "stratified", world="cli",
    prepare=lambda w: w._write("three.csv", w.frame().iloc[[0, 1, 70]]))(
    lambda w: cli("simulate", "--dataset", w.tmp / "three.csv", *SMALL))
bad("cli", "simulate: --test-size 1.5", EXIT_2, "--test-size", "between 0 and 1", world="cli")(
    lambda w: cli("simulate", "--dataset", w.csv, "--test-size", "1.5", *SMALL))
bad("cli", "simulate: --plot into a missing folder", EXIT_2, "--plot", "does not exist", world="cli")(
    lambda w: cli("simulate", "--dataset", w.csv, "--plot", w.tmp / "no" / "curve.html", *SMALL))
bad("cli", "simulate: --seeds 0", EXIT_2, "seeds must be a positive", world="cli")(
    lambda w: cli("simulate", "--dataset", w.csv, *SMALL, "--seeds", "0"))
bad("cli", "simulate: unknown dataset", EXIT_2, "neither one of")(
    lambda w: cli("simulate", "--dataset", "mnist_from_the_internet", *SMALL))
bad("cli", "simulate: unknown strategy", EXIT_2, "unknown strategy 'psychic'")(
    lambda w: cli("simulate", "--strategies", "psychic", "--quiet"))
bad("cli", "select: no such store", EXIT_2, "does not exist")(lambda w: cli("select", "--store", w.tmp / "none.db"))
bad("cli", "select: --n 0 (the old name of --count)", EXIT_2, "--count must be a positive", world="cli_store")(
    lambda w: cli("select", "--store", w.path, "--n", "0"))
bad("cli", "select: a pickled estimator", EXIT_2, "never unpickles", world="learner", prepare=_legacy_pickle)(
    lambda w: (w.learner.store.close(), cli("select", "--store", w.path))[1])
bad("cli", "export: unknown extension", EXIT_2, "cannot tell the format", world="cli_store")(
    lambda w: cli("export", "--store", w.path, "--out", w.tmp / "labels.xlsx"))
bad("cli", "relabel: an unlabeled item", EXIT_2, "holds no label for item 10", world="cli_store")(
    lambda w: cli("relabel", "--store", w.path, "--index", "10", "--label", "1"))
bad("cli", "relabel: an unknown class", EXIT_2, "--label '7' is not one of the store's classes", world="cli_store")(
    lambda w: cli("relabel", "--store", w.path, "--index", str(int(w.seed[0])), "--label", "7"))
bad("cli", "relabel: fewer labels than indices", EXIT_2, "one --label per --index", world="cli_store")(
    lambda w: cli("relabel", "--store", w.path, "--index", "0", "--index", "1", "--label", "1"))
bad("cli", "relabel: a negative index", EXIT_2, "out of range", world="cli_store")(
    lambda w: cli("relabel", "--store", w.path, "--index", "-1", "--label", "1"))
bad("cli", "unlabel: an unlabeled item", EXIT_2, "holds no label for item 10", world="cli_store")(
    lambda w: cli("unlabel", "--store", w.path, "--index", "10"))
bad("cli", "unlabel: no such store", EXIT_2, "does not exist")(
    lambda w: cli("unlabel", "--store", w.tmp / "none.db", "--index", "1"))
bad("cli", "history: a negative index", EXIT_2, "--index -1 is negative", world="cli_store")(
    lambda w: cli("history", "--store", w.path, "--index", "-1"))


def _parquet(w):
    (w.tmp / "data.parquet").write_bytes(b"PAR1")


try:
    import pyarrow  # noqa: F401
    _HAVE_PARQUET = True
except ImportError:
    try:
        import fastparquet  # noqa: F401
        _HAVE_PARQUET = True
    except ImportError:
        _HAVE_PARQUET = False

if not _HAVE_PARQUET:
    bad("cli", "simulate: .parquet without an engine", EXIT_2, "pyarrow", ".csv", prepare=_parquet)(
        lambda w: cli("simulate", "--dataset", w.tmp / "data.parquet", *SMALL))


# ---------------------------------------------------------------------------------------------------- running a row
def _matches(exc, name) -> bool:
    return name in [c.__name__ for c in type(exc).__mro__]


def outcome(case: Case, tmp: Path) -> tuple[str, str]:
    """(category, detail) of running ``case`` in the folder ``tmp``."""
    w = World(tmp)
    try:
        w.build(case.world)
        if case.prepare is not None:
            case.prepare(w)
        before = w.state()
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                result = case.run(w)
        except Exception as exc:  # noqa: BLE001 - classified below
            if case.raises in (None, ERROR_LINE, EXIT_2):
                return (REFUSED if case.raises is None else MISLEADING), f"raised {type(exc).__name__}: {exc}" + \
                    _changed(w, before)
            text = str(exc)
            missing = [x for x in case.words if x not in text]
            if not _matches(exc, case.raises) or missing:
                return MISLEADING, f"{type(exc).__name__}: {text[:300]} (wanted {case.raises} with {missing})" + \
                    _changed(w, before)
            after = w.state()
            if after != before:
                return WROTE, _diff(before, after)
            return CLEAR, text
        if case.raises is None:
            try:
                case.check(w, result)
            except AssertionError as exc:
                return SILENT, f"accepted, but: {exc}"
            return DESIGNED, ""
        if case.raises == ERROR_LINE or case.raises == EXIT_2:
            if case.raises == EXIT_2:
                rc, text = result
                if rc != 2 or not text.startswith("error: "):
                    return MISLEADING, f"exit {rc}: {text[:300]}" + _changed(w, before)
            else:
                text = result or ""
                if not text:
                    return SILENT, "nothing on the error line" + _changed(w, before)
            missing = [x for x in case.words if x not in text]
            if missing:
                return MISLEADING, f"{text[:300]} (missing {missing})" + _changed(w, before)
            after = w.state()
            if after != before:
                return WROTE, _diff(before, after)
            return CLEAR, text
        return SILENT, f"accepted: {result!r:.200}" + _changed(w, before)
    finally:
        w.close()


def _changed(w, before) -> str:
    """For a row that went wrong anyway: whether it also wrote or lost something."""
    try:
        after = w.state()
    except Exception as exc:  # noqa: BLE001 - only a note on a row that failed already
        return f"; state unreadable: {exc}"
    return "" if after == before else f"; and {_diff(before, after)}"


def _diff(before, after) -> str:
    keys = sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))
    return "changed: " + ", ".join(keys)


# ---------------------------------------------------------------------------------------------------- the tests
@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input(case, tmp_path):
    category, detail = outcome(case, tmp_path)
    assert category == (DESIGNED if case.raises is None else CLEAR), f"{category}: {detail}"


def test_the_table_covers_every_area_with_sixty_bad_inputs_or_more():
    areas = Counter(c.area for c in CASES if c.raises is not None)
    assert set(areas) == {"learner", "strategies", "store", "queue", "explorer", "cli"}
    assert sum(areas.values()) >= 60
    assert len({c.id for c in CASES}) == len(CASES)


# ---------------------------------------------------------------------------------------------------- counting
def count(cases=CASES) -> pd.DataFrame:
    """Run every row; one line per row: area, name, expected, category, detail."""
    rows = []
    for case in cases:
        with tempfile.TemporaryDirectory() as tmp:
            try:
                category, detail = outcome(case, Path(tmp))
            except Exception as exc:  # noqa: BLE001 - a row that cannot even be set up on this code
                category, detail = MISLEADING, f"could not run: {type(exc).__name__}: {exc}"
        rows.append({"area": case.area, "name": case.name,
                     "expected": DESIGNED if case.raises is None else CLEAR, "category": category,
                     "detail": detail.replace("\n", " ")[:160]})
    return pd.DataFrame(rows)


if __name__ == "__main__":
    import activelens
    table = count()
    print(f"activelens from {Path(activelens.__file__).parent}")
    with pd.option_context("display.width", 250, "display.max_rows", 500, "display.max_colwidth", 90):
        print(table[["area", "name", "category", "detail"]].to_string(index=False))
    print()
    print(pd.crosstab(table["expected"], table["category"], margins=True).to_string())
    print()
    print(pd.crosstab(table["area"], table["category"], margins=True).to_string())
    print(json.dumps(Counter(table["category"]), indent=1))
    sys.exit(0)
