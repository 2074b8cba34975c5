"""Every unseen bad input is one clear error that changes nothing (issue 21): a generative test.

``tests/test_bad_input.py`` holds fixed cases; this file draws new ones. The table ``TARGETS`` lists every public
callable users call with a factory of valid arguments; for each (callable, argument) pair hypothesis draws wrong types,
shapes and values *for that argument only* (strings for numbers, bools for ints, NaN and infinity, negatives, ints
beyond int64, fractions for positions, 2-D where 1-D, empty and ragged arrays, None, ``pd.NA``, unhashable ids, NUL
characters, object arrays ...) while the others stay valid, and asserts

* the call raises — it never accepts the value silently;
* an activelens error, or a ValueError/TypeError/IndexError/KeyError (a subclass is fine);
* raised from activelens code (the innermost traceback frame is in the package, not numpy, pandas, scikit-learn or
  SQLAlchemy) with a message that names the argument as the user typed it;
* the learner's / store's state is what it was before (labels, rounds, model version, every row of the store).

Adding a public callable is one row; ``test_every_public_method_of_the_learner_has_a_row`` fails when a public method
or settable property of ``ActiveLearner`` has none.
"""
from __future__ import annotations

import inspect
import math
import re
import sqlite3
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sklearn.linear_model import LogisticRegression

import activelens
from activelens import (ActiveLearner, AnnotationQueue, Budget, DiminishingReturns, LabelStore, Plateau,
                        StabilizingPredictions, TargetScore, compare, make_pool, simulate)

N_POOL = 40
HUGE = 2 ** 70
EXAMPLES = 12   # per (callable, argument) pair

# ---------------------------------------------------------------------------------------------------- bad values
nonfinite = st.sampled_from([math.nan, math.inf, -math.inf, np.float64("nan")])
huge = st.sampled_from([HUGE, -HUGE, 2 ** 63, -(2 ** 63) - 1, 10 ** 30])
nul_text = st.text(max_size=4).map(lambda s: s + "\x00" + "x")
junk = st.sampled_from([pd.NA, object(), {"a": 1}, b"bytes", np.array([[1, 2], [3, 4]]), (1, "a"), {1, 2}])
strings = st.sampled_from(["", "3", "one", "1e3", "nan", " "]) | st.text(max_size=3)


def not_int(optional=False):
    """Anything but an int: bools, strings, floats (even whole ones), NaN, containers, pd.NA (and None unless
    optional)."""
    out = (st.booleans() | strings | st.floats(allow_nan=True, allow_infinity=True) | nonfinite | junk
           | st.sampled_from([[1], np.array([1, 2]), np.float64(2.0), np.bool_(True)]))
    return out if optional else out | st.none()


def count(low=1, high=None, optional=False):
    """A wrong value for an int argument in [low, high]."""
    below = st.integers(min_value=low - 5, max_value=low - 1) | st.integers(max_value=low - 1)
    out = not_int(optional) | below | st.sampled_from([-HUGE, -(2 ** 63) - 1])
    out = out | (huge.filter(lambda v: v > 0) if high is None else st.integers(min_value=high + 1) | huge)
    return out


def not_real(optional=False):
    out = st.booleans() | strings | junk | st.sampled_from([[0.5], np.array([0.1, 0.2]), np.bool_(False)]) | nonfinite
    return out if optional else out | st.none()


def real(low=None, high=None, optional=False):
    """A wrong value for a float argument in [low, high] (ends as the rows say)."""
    out = not_real(optional)
    if low is not None:
        out = out | st.floats(max_value=low - 1e-9, allow_nan=False, allow_infinity=False, min_value=-1e12)
    if high is not None:
        out = out | st.floats(min_value=high + 1e-6, allow_nan=False, allow_infinity=False, max_value=1e12)
    return out


def one_position(n=N_POOL):
    """A wrong single pool position."""
    return (st.booleans() | strings | nonfinite | junk | st.none()
            | st.floats(allow_nan=False, allow_infinity=False).filter(lambda v: v != int(v))
            | st.integers(max_value=-1) | st.integers(min_value=n, max_value=10 ** 6) | huge
            | st.sampled_from([[0, 1], np.array([0, 1]), "0"]))


def positions(n=N_POOL, size=2):
    """Wrong pool positions (valid ones are ``size`` distinct ints below ``n``)."""
    bad_element = (st.floats(allow_nan=False, allow_infinity=False).filter(lambda v: v != int(v)) | nonfinite
                   | st.integers(max_value=-1) | st.integers(min_value=n, max_value=10 ** 9) | huge | strings
                   | st.none() | st.just(pd.NA) | st.sampled_from([[1], (2, 3)]))
    one_bad = bad_element.map(lambda v: [v, 0][:size])
    arrays = st.sampled_from([np.array([[0], [1]]), np.zeros((2, 2), int), np.array([True, False] * (n // 2)),
                              np.array(["0", "1"]), np.array([0, 1], dtype=object).reshape(1, 2),
                              np.array([0.5, 1.5]), np.array([0, None], dtype=object)])
    return (one_bad | arrays | st.sampled_from([[[0, 1], [2]], {0: "a"}, "0,1", [0, 0], b"\x00\x01", pd.NA, 1.5])
            | st.booleans())


def _not_beyond_pool(value) -> bool:
    """False for positions whose one bad entry is an int past the pool but within int64 (``merge_labels`` skips
    those by design)."""
    first = value[0] if isinstance(value, list) and value else None
    return not (isinstance(first, int) and not isinstance(first, bool) and N_POOL <= first < 2 ** 63)


def _not_nan(value) -> bool:
    return not (isinstance(value, float) and math.isnan(value))


def bad_label():
    return (st.sampled_from([None, math.nan, math.inf, pd.NA, "", " ", [1], (1, 2), {"a": 1}, np.array([1, 2]),
                             np.float64("nan"), 1 + 2j, object(), b"x"]) | nul_text | huge)


def labels(size=2):
    """Wrong labels for ``size`` items of an int-labeled learner."""
    return (bad_label().map(lambda v: [v] + [0] * (size - 1))
            | st.sampled_from([np.array([[0], [1]][:size]), {0: 1}, {0, 1}, pd.DataFrame({"a": [0] * size}),
                               [0] * (size + 1), [], [0.5] * size, ["a"] * size, [[0, 1], [1]][:size]]))


def name(optional=False):
    """A wrong annotator/strategy name: empty, blank, NUL characters, not a string."""
    out = (st.sampled_from(["", "   ", 3, 2.5, True, b"ann", ["a"], pd.NA, math.nan, {"a": 1}]) | nul_text
           | st.integers())
    return out if optional else out | st.none()


def matrix(n_features=2):
    """A wrong feature matrix."""
    return (st.sampled_from([np.zeros(5), np.zeros((0, n_features)), np.zeros((3, 0)), np.zeros((2, 2, 2)),
                             np.array([[1.0, math.nan], [0, 1]] * 3), np.array([[math.inf, 1.0]] * 6),
                             np.array([["a", "b"]] * 6), [[1, 2], [3]], None, pd.NA, "X.npy", 3,
                             np.array([[1e300, 1]] * 6), pd.DataFrame({"a": ["x"] * 6, "b": [1] * 6}),
                             pd.DataFrame({"a": [pd.NA] * 6, "b": [1.0] * 6}, dtype=object),
                             np.array([[1 + 1j, 2]] * 6)])
            | st.just(np.full((6, n_features), object())))


#: pools whose index cannot be the items' ids: a MultiIndex, a missing value, an unhashable one
PANDAS_WITH_BAD_INDEX = [
    pd.DataFrame(np.zeros((6, 2)), index=pd.MultiIndex.from_arrays([list("abcabc"), range(6)])),
    pd.DataFrame(np.zeros((6, 2)), index=pd.Index([pd.NA, 1, 2, 3, 4, 5], dtype=object)),
    pd.DataFrame(np.zeros((6, 2)), index=pd.Index([None, "b", "c", "d", "e", "f"])),
    pd.DataFrame(np.zeros((6, 2)), index=[0, 0, 1, 2, 3, 4]),
]


def ids(n=N_POOL):
    """Wrong ids for a pool of ``n`` items: unhashable, repeated, missing, the wrong count."""
    def with_one(v):
        out = [f"d{i}" for i in range(n)]
        out[3] = v
        return out
    return (st.sampled_from([[1], {"a": 1}, np.array([1, 2]), None, math.nan, pd.NA, "d0", "d\x003"]).map(with_one)
            | st.sampled_from([list(range(n - 1)), list(range(n + 1)), [0] * n, "abc", 3, pd.NA,
                               pd.MultiIndex.from_arrays([[0] * n, [0] * n]), np.zeros((n, 2))]))


def path_like():
    """A wrong store location: a folder, a folder that does not exist, a NUL character, not a path, a text file."""
    return st.sampled_from(["@dir", "@missing/labels.db", "@nul", "", 3, None, ["a.db"], "@text", b"\x00.db"])


# ---------------------------------------------------------------------------------------------------- worlds
def _data(seed=0):
    rng = np.random.default_rng(seed)
    X = np.vstack([rng.normal(0, 1, (N_POOL // 2, 2)), rng.normal(4, 1, (N_POOL // 2, 2))])
    y = np.array([0] * (N_POOL // 2) + [1] * (N_POOL // 2))
    return X, y


class World:
    """Valid things to call with: a learner taught 6 labels and fitted, a store with a queue; made once per pair."""

    def __init__(self, tmp: Path, store: bool):
        self.tmp = tmp
        self.X, self.y = _data()
        self.path = str(tmp / "labels.db") if store else None
        (tmp / "notes.txt").write_text("not a database\n" * 20)
        self.learner = ActiveLearner(LogisticRegression(), self.X, random_state=0, store=self.path, batch_size=4)
        taught = [0, 1, 2, 20, 21, 22]
        self.learner.teach(taught, self.y[taught].tolist())
        self.learner.fit()
        if store:
            self.queue = AnnotationQueue(self.learner.store)
            self.queue.put([5, 6, 7, 25, 26])
            self.queue.claim("ann", n=2)        # serves 5 and 6 to "ann"

    def resolve(self, value):
        """Markers of path values become real paths (a folder, a missing folder ...)."""
        if isinstance(value, str) and value.startswith("@"):
            if value == "@dir":
                return str(self.tmp)
            if value == "@nul":
                return str(self.tmp / "a\x00b.db")
            if value == "@text":
                return str(self.tmp / "notes.txt")
            return str(self.tmp / value[1:])
        return value

    def state(self):
        """What must not change: the learner's labels, rounds and model version, every row of the store's file and
        the folder's files."""
        lr = self.learner
        rows = None
        if self.path:
            with sqlite3.connect(f"file:{self.path}?mode=ro", uri=True) as con:
                tables = [r[0] for r in con.execute("select name from sqlite_master where type='table'")]
                rows = {t: sorted(map(repr, con.execute(f'select * from "{t}"'))) for t in tables}
        files = sorted(p.name for p in self.tmp.iterdir() if not p.name.startswith("labels.db-"))
        return (lr.labeled_indices.tolist(), lr.labels.tolist(), lr.n_labeled, len(lr.rounds), lr.model_version,
                lr.history.drop(columns=["timestamp"]).to_json(), lr.batch_size, lr.strategy, lr.scoring,
                lr.fit_threads, rows, files)


# ---------------------------------------------------------------------------------------------------- the table
@dataclass(frozen=True)
class Target:
    """A public callable: ``call(world, **kwargs)``, the factory of valid arguments, and a bad-value strategy per
    argument (the arguments users pass)."""
    name: str
    call: Callable
    valid: Callable            # world -> dict of valid keyword arguments
    bad: dict = field(default_factory=dict)   # argument -> hypothesis strategy of wrong values
    store: bool = False        # needs a world with a store and a queue
    aliases: dict = field(default_factory=dict)   # argument -> other words a message may name it by


def _learner(w, **kw):
    args = dict(estimator=LogisticRegression(), X=w.X, random_state=0)
    args.update(kw)
    if "store" in args:
        args["store"] = w.resolve(args["store"])
    return ActiveLearner(args.pop("estimator"), args.pop("X"), **args)


def _setter(attr):
    def call(w, **kw):
        setattr(w.learner, attr, kw[attr])
    return call


def _method(attr):
    def call(w, **kw):
        return getattr(w.learner, attr)(**kw)
    return call


def _queue_method(attr):
    def call(w, **kw):
        return getattr(w.queue, attr)(**kw)
    return call


def _small_sim(w, **kw):
    args = dict(estimator=LogisticRegression(), X=w.X, y=w.y, strategy="random", initial=4, batch_size=4, budget=8,
                random_state=0, test_size=0.25)
    args.update(kw)
    return simulate(args.pop("estimator"), args.pop("X"), args.pop("y"), **args)


def _compare(w, **kw):
    args = dict(strategies=["random"], seeds=1, n_jobs=1)
    args.update(kw)
    return compare(LogisticRegression(), w.X, w.y, progress=False, initial=4, batch_size=4, budget=8, test_size=0.25,
                   **args)


TARGETS = [
    Target("ActiveLearner", _learner, lambda w: {}, {
        "estimator": st.sampled_from(["logreg", None, 3, LogisticRegression, object()]),
        "X": matrix() | st.sampled_from(PANDAS_WITH_BAD_INDEX),
        "strategy": name() | st.sampled_from(["nope", ["margin"]]),
        "batch_size": count() | st.integers(min_value=N_POOL + 1, max_value=10 ** 6),
        "classes": st.sampled_from(["ab", {0, 1}, [], [0, 0], [None, 1], [[0], [1]], [0, "a"], np.zeros((2, 2)),
                                    [pd.NA, 1], [math.nan, 1], ["", "a"], ["a\x00", "b"], [HUGE, 1], 3]),
        "cold_start": st.sampled_from(["nope", "", [-1], [1.5], [N_POOL], np.zeros((2, 2), int), [math.nan],
                                       ["a"], [0, 0], [HUGE], 3.5, None]),
        "holdout": st.sampled_from([3, (np.zeros((4, 2)),), (np.zeros((4, 3)), [0, 1, 0, 1]),
                                    (np.zeros((4, 2)), [0, 1]), (np.zeros((4, 2)), [0, math.nan, 1, 0]),
                                    (np.zeros((4, 2)), [0, None, 1, 0]), "holdout"]),
        "scoring": st.sampled_from(["nope", 3, "", ["accuracy"]]),
        "stopping": st.sampled_from([[3], "budget", 3, [Budget(10 ** 6)], [None], Budget(5)]),
        "random_state": st.sampled_from(["seed", 1.5, -1, [1, 2], math.nan, True, pd.NA]),
        "ids": ids(),
    }),
    Target("ActiveLearner(store=)", _learner, lambda w: {}, {"store": path_like().filter(lambda v: v is not None)}),
    Target("ActiveLearner.teach", _method("teach"), lambda w: {"indices": [3, 23], "labels": [0, 1]}, {
        "indices": positions(),
        "labels": labels(),
        "annotator": name(optional=True) | st.sampled_from([["a"], ["a", ""], ["a", 3]]),
        # NaN seconds and scores mean "not given" (a stored annotation without a time), as None
        "seconds": real(low=0, optional=True).filter(_not_nan) | st.sampled_from([[1.0], [1.0, -1.0], ["a", 1]]),
        "scores": not_real(optional=True).filter(lambda v: _not_nan(v) and not (isinstance(v, np.ndarray)
                                                                                 and v.size == 2))
                  | st.sampled_from([[1.0], [1.0, math.inf]]),
        "strategy": name(optional=True),
        "source": name(),
    }),
    Target("ActiveLearner.query", _method("query"), lambda w: {}, {"n": count(optional=True)}),
    Target("ActiveLearner.predict_proba", _method("predict_proba"), lambda w: {"X": w.X[:3]},
           {"X": matrix().filter(lambda v: v is not None and not (isinstance(v, np.ndarray) and v.dtype == float
                                                                     and np.nanmax(np.abs(v), initial=0) == 1e300))
                 | st.just(np.zeros((3, 5)))}),   # None is the pool; 1e300 is fine in float64
    Target("ActiveLearner.predict", _method("predict"), lambda w: {"indices": [0, 1]},
           {"indices": positions().filter(lambda v: not (isinstance(v, list) and v == [0, 0]))}),
    Target("ActiveLearner.positions", _method("positions"), lambda w: {"ids": [0, 1]},
           {"ids": st.sampled_from([[N_POOL], [-1], ["a"], [[0]], [{"a": 1}], [math.nan], [pd.NA], [None], "zz",
                                    [HUGE], np.zeros((2, 2), int)])}),
    Target("ActiveLearner.merge_labels", _method("merge_labels"), lambda w: {"indices": [3, 23], "labels": [0, 1]},
           {"indices": positions().filter(_not_beyond_pool), "labels": labels()}),   # beyond: skipped by design
    Target("ActiveLearner.relabel", _method("relabel"), lambda w: {"positions": [0, 20], "labels": [1, 0]}, {
        "positions": positions() | st.just([3, 23]),   # [3, 23]: in the pool, not labeled
        "labels": labels(),
        "annotator": name(optional=True) | st.sampled_from([["a"], ["a", ""], ["a", 3]]),
        "source": name(),
    }),
    Target("ActiveLearner.unlabel", _method("unlabel"), lambda w: {"positions": [0, 20]}, {
        "positions": positions() | st.just([3, 23]),
        "annotator": name(optional=True) | st.sampled_from([["a"], ["a", ""], ["a", 3]]),
        "source": name(),
    }),
    Target("ActiveLearner.suspects", _method("suspects"), lambda w: {"n": 3, "cv": 2},
           {"n": count(), "method": name(), "cv": count(low=2), "random_state": st.sampled_from([-1, 2**40, "a", 1.5])}),
    Target("ActiveLearner.restore", _method("restore"), lambda w: {"state": w.learner.snapshot()},
           {"state": st.sampled_from([None, {}, "state", 3, [(0, 1)]]),
            "refit": st.sampled_from(["no", 3, None, math.nan, [True]])}),
    Target("ActiveLearner.subscribe", _method("subscribe"), lambda w: {"listener": print},
           {"listener": st.sampled_from([None, 3, "print", [print]])}),
    Target("ActiveLearner.unsubscribe", _method("unsubscribe"), lambda w: {"listener": print},
           {"listener": st.sampled_from([None, 3, "print", [print]])}),
    Target("ActiveLearner.proba_classes", _method("proba_classes"), lambda w: {},
           {"model": st.sampled_from([3, "model", LogisticRegression(), object()])}),
    Target("ActiveLearner.report", _method("report"), lambda w: {},
           {"cost_per_label": real(low=0, optional=True), "rate_per_hour": real(low=0, optional=True),
            "grid": count()}),
    Target("ActiveLearner.scoring=", _setter("scoring"), lambda w: {"scoring": "accuracy"},
           {"scoring": st.sampled_from(["nope", 3, "", ["accuracy"], None])}),
    Target("ActiveLearner.strategy=", _setter("strategy"), lambda w: {"strategy": "margin"},
           {"strategy": name() | st.just("nope")}),
    Target("ActiveLearner.fit_threads=", _setter("fit_threads"), lambda w: {"fit_threads": 1},
           {"fit_threads": count(optional=True)}),
    Target("ActiveLearner.client=", _setter("client"), lambda w: {"client": None},
           {"client": st.sampled_from([3, "tcp://x:1", object()])}),
    Target("make_pool", lambda w, **kw: make_pool(**kw), lambda w: {"X": w.X},
           {"X": matrix(), "random_state": st.sampled_from(["seed", 1.5, -1, [1, 2], math.nan, pd.NA])}),
    Target("simulate", _small_sim, lambda w: {}, {
        "X": matrix(), "y": st.sampled_from([None, [0, 1], np.zeros((N_POOL, 2)), [math.nan] * N_POOL,
                                             [None] * N_POOL, "y"]),
        "strategy": name() | st.just("nope"), "initial": count(), "batch_size": count(),
        "budget": count() | st.integers(min_value=N_POOL + 1, max_value=10 ** 4),
        "test_size": real(low=0, high=1) | st.sampled_from([0, 1, 0.0, 1.0]),
        "random_state": st.sampled_from(["seed", 1.5, -1, [1, 2], math.nan, pd.NA])}),
    Target("compare", _compare, lambda w: {}, {
        "strategies": st.sampled_from([[], "", [3], ["nope"], [None], [""], ["a\x00"], None, 3]),
        # a list of int seeds is a valid value (not_int's [1] and array([1, 2]) are seeds lists): only bad lists
        "seeds": count().filter(lambda v: not isinstance(v, (list, np.ndarray)))
                 | st.sampled_from([[], [1.5], ["a"], [-1]]),
        "n_jobs": st.sampled_from([0, 1.5, "2", True, math.nan, HUGE])}),
    Target("Budget", lambda w, **kw: Budget(**kw), lambda w: {"max_labels": 10}, {"max_labels": count()}),
    Target("TargetScore", lambda w, **kw: TargetScore(**kw), lambda w: {"target": 0.9},
           {"target": real(low=1e-9, high=1)}),
    Target("Plateau", lambda w, **kw: Plateau(**kw), lambda w: {},
           {"patience": count(), "min_delta": real(low=0)}),
    Target("DiminishingReturns", lambda w, **kw: DiminishingReturns(**kw), lambda w: {},
           {"min_gain_per_label": real(low=1e-12), "window": count()}),
    Target("StabilizingPredictions", lambda w, **kw: StabilizingPredictions(**kw), lambda w: {},
           {"threshold": real(low=1e-9, high=1), "window": count(), "stop_set_size": count(),
            "random_state": st.sampled_from(["seed", 1.5, -1, [1, 2], math.nan])}),
    Target("LabelStore", lambda w, **kw: LabelStore(w.resolve(kw.pop("target")), **kw),
           lambda w: {"target": w.path}, {
               "target": path_like(), "timeout": real(low=0),
               "durability": name() | st.just("fast"), "verify_pool": name() | st.just("all")}, store=True,
           aliases={"target": ("store",)}),
    Target("LabelStore.export", lambda w, **kw: w.learner.store.export(w.resolve(kw.pop("path")), **kw),
           lambda w: {"path": None}, {
               "path": st.sampled_from(["@dir", "@missing/out.csv", "@nul", 3, ["a.csv"]]),
               "format": name(optional=True) | st.just("xlsx"), "what": name() | st.just("rows")}, store=True),
    Target("AnnotationQueue", lambda w, **kw: AnnotationQueue(w.resolve(kw.pop("store")), **kw),
           lambda w: {"store": w.path}, {
               "store": path_like(), "lease_seconds": real(low=1e-9, high=7 * 86400),
               "overlap": real(low=0, high=1), "overlap_annotators": count(low=2),
               "gold_share": real(low=0, high=0.999999) | st.just(1.0), "labels": st.sampled_from(
                   ["ab", {0, 1}, [], [0, 0], [None, 1], [0, "a"], ["", "a"], ["a\x00"], [HUGE]]),
               "random_state": st.sampled_from(["seed", 1.5, -1, [1, 2], math.nan]),
               "timeout": real(low=0)}, store=True),
    Target("AnnotationQueue.put", _queue_method("put"), lambda w: {"indices": [8, 28]}, {
        "indices": positions(), "scores": st.sampled_from([[1.0], ["a", "b"], 3j, [[1.0, 2.0]]]),
        "strategy": name(optional=True), "round": count(low=0, optional=True),
        "model_version": count(low=0, optional=True)}, store=True),
    Target("AnnotationQueue.claim", _queue_method("claim"), lambda w: {"annotator": "bob"}, {
        "annotator": name(), "n": count(), "lease_seconds": real(low=1e-9, high=7 * 86400, optional=True)},
        store=True),
    Target("AnnotationQueue.submit", _queue_method("submit"), lambda w: {"annotator": "ann", "index": 5, "label": 0}, {
        "annotator": name(), "index": one_position(), "label": bad_label() | st.just(0.5),
        "seconds": real(low=0, optional=True)}, store=True),
    Target("AnnotationQueue.release", _queue_method("release"), lambda w: {"annotator": "ann", "index": 6},
           {"annotator": name(), "index": one_position()}, store=True),
    Target("AnnotationQueue.reject", _queue_method("reject"), lambda w: {"index": 5},
           {"index": one_position(), "annotator": name(optional=True)}, store=True),
    Target("AnnotationQueue.add_gold", _queue_method("add_gold"), lambda w: {"indices": [9, 29], "labels": [0, 1]},
           {"indices": positions(), "labels": labels()}, store=True),
    Target("AnnotationQueue.resolved", _queue_method("resolved"), lambda w: {}, {"method": name() | st.just("vote")},
           store=True),
    Target("AnnotationQueue.refill", lambda w, **kw: w.queue.refill(kw.pop("learner", w.learner), **kw),
           lambda w: {"n": 2}, {"n": count(), "learner": st.sampled_from([None, 3, "learner"])}, store=True),
    Target("AnnotationQueue.sync", lambda w, **kw: w.queue.sync(kw.pop("learner", w.learner), **kw),
           lambda w: {}, {"method": name() | st.just("vote"), "learner": st.sampled_from([None, 3, "learner"])},
           store=True),
]

#: public ActiveLearner members that take no argument from the user (nothing to draw); each is called in
#: ``test_argument_free_members_run`` so a row is not needed
NO_ARGUMENTS = {"fit", "snapshot", "labeled_frame", "scores_so_far", "labels_per_scored_round", "stop_reason",
                "stopping_progress", "pull_from_store", "label_history"}

PAIRS = [(t, arg) for t in TARGETS for arg in t.bad]

# ---------------------------------------------------------------------------------------------------- the checks
_PACKAGE = str(Path(activelens.__file__).resolve().parent)
#: documented built-in errors (a subclass is fine); OSError for paths (a folder where a file is wanted, a missing one)
BUILTINS = (ValueError, TypeError, IndexError, KeyError, OSError)


def _names(message: str, arg: str, aliases=()) -> bool:
    spelt = {arg, "--" + arg.replace("_", "-"), *aliases}
    return any(re.search(rf"(?<![A-Za-z0-9_]){re.escape(s)}(?![A-Za-z0-9])", message) for s in spelt)


def _origin(exc: BaseException) -> str:
    """The file of the innermost frame of the raise."""
    frames = traceback.extract_tb(exc.__traceback__)
    return frames[-1].filename if frames else "?"


def _short(value) -> str:
    text = " ".join(repr(value).split())
    return text if len(text) < 80 else text[:77] + "..."


def check_refused(world: World, target: Target, arg: str, value) -> None:
    kwargs = target.valid(world)
    kwargs[arg] = value
    before = world.state()
    try:
        target.call(world, **kwargs)
    except BaseException as exc:   # noqa: BLE001 - classified below
        message = " ".join((str(exc.args[0]) if isinstance(exc, KeyError) and exc.args else str(exc)).split())
        where = _origin(exc)
        ours = type(exc).__module__.startswith("activelens")
        assert ours or isinstance(exc, BUILTINS), (
            f"{target.name}({arg}={_short(value)}) raised {type(exc).__name__} from {where}: {message}")
        assert where.startswith(_PACKAGE), (
            f"{target.name}({arg}={_short(value)}) raised a raw {type(exc).__name__} from {where}: {message}")
        assert _names(message, arg, target.aliases.get(arg, ())), (
            f"{target.name}({arg}={_short(value)}): the message does not name {arg!r}: {type(exc).__name__}: {message}")
    else:
        pytest.fail(f"{target.name}({arg}={_short(value)}) was accepted silently")
    assert world.state() == before, f"{target.name}({arg}={_short(value)}) changed the state"


@pytest.fixture
def worlds(tmp_path):
    """A fresh world per (callable, argument) pair, so one accepted value cannot spoil the next pair's."""
    return lambda store: World(tmp_path, store)


@pytest.mark.parametrize("target,arg", PAIRS, ids=[f"{t.name}:{a}" for t, a in PAIRS])
def test_a_bad_argument_is_one_clear_error_and_changes_nothing(worlds, target, arg):
    world = worlds(target.store)

    @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck))
    @given(value=target.bad[arg])
    def run(value):
        check_refused(world, target, arg, value)
    run()


def test_every_public_method_of_the_learner_has_a_row():
    """A public method or settable property of ActiveLearner without a row (or a place in NO_ARGUMENTS) fails."""
    rows = {t.name.split("(")[0] for t in TARGETS}
    missing = []
    for member, value in vars(ActiveLearner).items():
        if member.startswith("_"):
            continue
        if isinstance(value, property):
            if value.fset is not None and f"ActiveLearner.{member}=" not in rows:
                missing.append(member + "=")
            continue
        if callable(value) and member not in NO_ARGUMENTS:
            takes = [p for p in inspect.signature(value).parameters if p != "self"]
            if f"ActiveLearner.{member}" not in rows or not takes:
                missing.append(member)
    assert not missing, f"public ActiveLearner members without a row in TARGETS: {missing}"
    init = [p for p in inspect.signature(ActiveLearner).parameters]
    covered = set(TARGETS[0].bad) | {"store"}
    assert set(init) <= covered, f"constructor arguments without bad values: {set(init) - covered}"


def test_argument_free_members_run(worlds):
    """The members without arguments run on the fitted learner (so NO_ARGUMENTS cannot hide a broken method)."""
    learner = worlds(False).learner
    for member in sorted(NO_ARGUMENTS):
        getattr(learner, member)()


def test_query_at_the_end_of_the_pool_returns_what_is_left():
    X, y = _data()
    learner = ActiveLearner(LogisticRegression(), X, random_state=0, batch_size=4)
    rest = list(range(N_POOL - 3))
    learner.teach(rest, y[rest].tolist())
    learner.fit()
    batch = learner.query()
    assert sorted(batch.indices.tolist()) == [N_POOL - 3, N_POOL - 2, N_POOL - 1]
    with pytest.raises(ValueError, match=r"\bn=5\b.*3 items left"):
        learner.query(5)    # an explicit n larger than what is left is refused, naming n
    learner.teach(batch.indices, y[batch.indices].tolist())
    with pytest.raises(ValueError, match="every item of the pool is labeled"):
        learner.query()


def test_a_fractional_label_among_ints_is_refused():
    X, y = _data()
    learner = ActiveLearner(LogisticRegression(), X, random_state=0)
    learner.teach([0, 20], [0, 1])
    with pytest.raises(TypeError, match=r"labels.*0\.5.*whole"):
        learner.teach([1], [0.5])
    assert learner.n_labeled == 2
