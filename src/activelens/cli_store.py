"""``activelens select`` (the headless selection service), ``reject``, ``relabel``, ``unlabel``, ``history`` and
``export``; and the command line's one way to fail, ``error_exit``."""
from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path

import numpy as np

from activelens.core.pool import PoolError
from activelens.core.validation import check_path, check_scalar
from activelens.storage import AnnotationQueue, LabelStore, StoreError

#: what a command reports as ``error: ...`` with exit status 2: bad input, every activelens error (a store or a pool
#: refusing), and the operating system's (a folder where a file is wanted, a file without read permission)
EXPECTED_ERRORS = (StoreError, PoolError, OSError, ValueError, TypeError, IndexError, KeyError)

#: what to do about an error of the operating system, by its class
_OS_FIXES = (
    (IsADirectoryError, "that is a folder; give a file in it"),
    (NotADirectoryError, "a part of that path is a file, not a folder; check the path"),
    (PermissionError, "permission denied; check the file's and its folder's permissions (ls -l), or use another path"),
    (FileNotFoundError, "no such file or folder; check the path"),
    (OSError, "check the path and that the disk has room"),
)


def error_exit(problem) -> int:
    """Say what is wrong on standard error as ``error: <problem>`` and return exit status 2 (argparse's for bad
    usage); every command fails through here. A raw error of the operating system gets the file and what to do."""
    if isinstance(problem, OSError) and problem.strerror and problem.filename is not None:
        fix = next(f for kind, f in _OS_FIXES if isinstance(problem, kind))
        problem = f"{problem.filename}: {fix} ({problem.strerror})"
    print(f"error: {problem}", file=sys.stderr)
    return 2


def add_store_commands(sub) -> None:
    sel = sub.add_parser("select", help="score the pool with the latest model and fill the annotation queue",
                         description="Teach the learner what annotators finished (resolved), retrain, and queue the next "
                                     "items. The store must have been made by ActiveLearner(estimator, X, store=...).")
    sel.add_argument("--store", required=True, help="label store: a SQLite file or an SQLAlchemy URL")
    sel.add_argument("--count", type=int, default=100, help="items to add to the queue (default 100)")
    sel.add_argument("--n", dest="count", type=int, help=argparse.SUPPRESS)   # the old name, still accepted
    sel.add_argument("--pool", default=None, help="the pool as .npy or .csv (default: the copy kept in the store)")
    sel.add_argument("--text", default=None, metavar="COLUMN",
                     help="with a .csv/.parquet --pool: the pool is the TF-IDF matrix of this text column")
    sel.add_argument("--strategy", default=None, help="selection strategy (default: the learner's, else auto)")
    sel.add_argument("--resolution", default="majority", choices=["majority", "gold_weighted"],
                     help="how several annotations of one item become its label")
    sel.add_argument("--overlap", type=float, default=0.0, help="share of new items that go to several annotators")
    sel.add_argument("--overlap-annotators", type=int, default=2)
    sel.add_argument("--timeout", type=float, default=30.0, help="seconds to wait for another writer's lock")
    sel.add_argument("--trust", action="append", default=[], metavar="TYPE",
                     help="also trust this type in the saved estimator (e.g. mypackage.MyClassifier); repeatable. "
                          "Only for a store whose writers you trust")
    sel.set_defaults(func=_select)

    rej = sub.add_parser("reject", help="throw away an item's annotations so it is annotated again",
                         description="For an item select skipped (its label is not one of the classes) or an answer "
                                     "known to be wrong: its annotations are removed and it goes back in the queue.")
    rej.add_argument("--store", required=True, help="label store: a SQLite file or an SQLAlchemy URL")
    rej.add_argument("--index", type=int, required=True, action="append", help="pool position; repeatable")
    rej.add_argument("--annotator", default=None, help="only this annotator's annotation")
    rej.set_defaults(func=_reject)
    _add_correction_commands(sub)

    exp = sub.add_parser("export", help="write labels (or annotations) with provenance (and item ids, when the store "
                                        "has them) as CSV, JSON Lines or Parquet")
    exp.add_argument("--store", required=True, help="label store: a SQLite file or an SQLAlchemy URL")
    exp.add_argument("--out", default=None, help="output file (default: standard output)")
    exp.add_argument("--format", default=None, choices=["csv", "jsonl", "parquet"],
                     help="default: from --out's extension, else csv; parquet needs --out")
    exp.add_argument("--what", default="labels", choices=["labels", "annotations", "history"],
                     help="labels: the current one of each item; history: every label record ever made")
    exp.set_defaults(func=_export)


def _add_correction_commands(sub) -> None:
    """``relabel``, ``unlabel`` and ``history``: corrections of stored labels, and the record of them."""
    rel = sub.add_parser("relabel", help="correct stored labels (the old ones stay in the history)",
                         description="Give labeled items another label. Each --index goes with the --label in the same "
                                     "place; labels are read as the store's classes (or numbers, when its labels are "
                                     "numbers). The old labels stay in `activelens history`.")
    rel.add_argument("--store", required=True, help="label store: a SQLite file or an SQLAlchemy URL")
    rel.add_argument("--index", type=int, required=True, action="append", help="pool position; repeatable")
    rel.add_argument("--label", required=True, action="append", help="the new label, one per --index")
    rel.add_argument("--annotator", default=None, help="who made the correction")
    rel.set_defaults(func=_relabel)

    unl = sub.add_parser("unlabel", help="take stored labels back (the items go back to the pool)",
                         description="Take labels back: the items are unlabeled again and may be selected again; the "
                                     "labels stay in `activelens history`. For an item from the queue, `reject` it "
                                     "afterwards to have it annotated again.")
    unl.add_argument("--store", required=True, help="label store: a SQLite file or an SQLAlchemy URL")
    unl.add_argument("--index", type=int, required=True, action="append", help="pool position; repeatable")
    unl.add_argument("--annotator", default=None, help="who took them back")
    unl.set_defaults(func=_unlabel)

    his = sub.add_parser("history", help="every label record ever made, corrected and taken-back ones included",
                         description="Print the label history as CSV: one row per record (taught, relabeled, taken "
                                     "back), with what superseded it. `export --what history` writes it to a file.")
    his.add_argument("--store", required=True, help="label store: a SQLite file or an SQLAlchemy URL")
    his.add_argument("--index", type=int, action="append", default=None, help="only this pool position; repeatable")
    his.set_defaults(func=_history)


def _open(target, timeout=30.0):
    if "://" not in target:
        try:
            check_path(target, "--store", must_exist=True)
        except FileNotFoundError:
            raise FileNotFoundError(f"--store {target!r} does not exist; create it with ActiveLearner(estimator, X, "
                                    "store=...)") from None
    return LabelStore(target, timeout=timeout)


def _load_pool(path, text=None):
    p = check_path(path, "--pool", must_exist=True)
    if text is not None:
        from activelens.datasets import read_frame, text_column
        return text_column(read_frame(p), text, path)
    if p.suffix == ".npy":
        return np.load(p, allow_pickle=False)
    if p.suffix == ".csv":
        import pandas as pd
        return pd.read_csv(p).to_numpy(dtype=np.float64)
    raise ValueError(f"--pool must be a .npy or .csv file, got {path!r}")


def _select(args) -> int:
    try:
        count = check_scalar(args.count, "--count", int, low=1, what="items to add to the queue")
        st, learner = _open_learner(args)
        queue = AnnotationQueue(st, overlap=args.overlap, overlap_annotators=args.overlap_annotators)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # the skipped items are printed below
            taught = queue.sync(learner, method=args.resolution)
        last = learner.rounds[-1].n_labels if learner.rounds else 0
        fitted = None
        if learner.n_labeled and (learner.model_ is None or learner.n_labeled > last) \
                and np.unique(learner.labels).size >= 2:
            fitted = learner.fit()
        added, batch = queue.refill(learner, count)
        status = queue.status()
    except EXPECTED_ERRORS as exc:
        return error_exit(exc)
    if batch is None:
        print("the pool is fully labeled; nothing to queue")
        return 0
    print(f"store: {st.where}")
    print(f"labels taught from finished annotations: {taught} ({args.resolution}); labeled now: {learner.n_labeled}")
    for r in queue.skipped.itertuples(index=False):
        print(f"skipped item {r.index}: label {r.label!r} by {', '.join(r.annotators)}: {r.problem}. Send it back to be "
              f"annotated again: activelens reject --store {args.store} --index {r.index}", file=sys.stderr)
    if fitted is not None:
        print(f"retrained: round {fitted.round}, {fitted.n_labels} labels, score {fitted.score:.4f} ({fitted.score_source})")
    elif learner.model_ is None:
        print("no model yet (needs labels of two classes): the cold start picks the items")
    print(f"queued {added} items by {batch.strategy}; queue: " + ", ".join(f"{k}={v}" for k, v in status.items()))
    return 0


def _open_learner(args):
    """(store, learner) for ``select``: the store's pool (or ``--pool``), saved estimator and settings."""
    from activelens.loop.learner import ActiveLearner
    from activelens.strategies.registry import STRATEGIES

    if args.strategy is not None and args.strategy not in STRATEGIES:
        raise ValueError(f"unknown --strategy {args.strategy!r}; choose from {', '.join(STRATEGIES)}")
    st = _open(args.store, args.timeout)
    X = _load_pool(args.pool, getattr(args, "text", None)) if args.pool else st.load_pool()
    if X is None:
        raise StoreError(f"store {st.where!r} keeps no copy of the pool (it was too large); pass --pool X.npy")
    estimator = st.load_estimator(trusted=args.trust)
    if estimator is None:
        raise StoreError(f"store {st.where!r} has no saved estimator; it is made by ActiveLearner(estimator, X, "
                         "store=...), or saved with LabelStore(...).save_estimator(estimator)")
    settings = st.settings()
    learner = ActiveLearner(estimator, X, store=st, strategy=args.strategy or settings.get("strategy") or "auto",
                            batch_size=settings.get("batch_size") or 10, classes=settings.get("classes"),
                            random_state=settings.get("random_state"))
    return st, learner


def _reject(args) -> int:
    try:
        queue = AnnotationQueue(_open(args.store))
        removed = sum(queue.reject(i, annotator=args.annotator) for i in args.index)
    except EXPECTED_ERRORS as exc:
        return error_exit(exc)
    print(f"removed {removed} annotation(s) of item(s) {', '.join(map(str, args.index))}; they are queued again")
    return 0


def _export(args) -> int:
    try:
        if args.out:
            check_path(args.out, "--out")   # a folder, a missing folder: refused before the store is read
        st = _open(args.store)
        fmt = args.format
        if fmt == "parquet" and not args.out:
            raise ValueError("--format parquet writes a binary file: pass --out FILE.parquet")
        if fmt is None:
            fmt = None if args.out else "csv"
        if args.out:
            st.export(args.out, format=fmt, what=args.what)
            n = len(st.export(what=args.what))
            print(f"wrote {n} {args.what} to {args.out}", file=sys.stderr)
        else:
            sys.stdout.write(st.export(format=fmt, what=args.what))
    except EXPECTED_ERRORS as exc:
        return error_exit(exc)
    return 0


def _relabel(args) -> int:
    try:
        if len(args.label) != len(args.index):
            raise ValueError(f"got {len(args.index)} --index but {len(args.label)} --label; give one --label per --index")
        st = _open(args.store)
        labels = [_parse_label(text, st) for text in args.label]
        n = st.relabel(args.index, labels, annotator=args.annotator, source="cli:relabel")
    except EXPECTED_ERRORS as exc:
        return error_exit(exc)
    print(f"relabeled {n} item(s): " + ", ".join(f"{i} -> {v!r}" for i, v in zip(args.index, labels)))
    return 0


def _unlabel(args) -> int:
    try:
        n = _open(args.store).unlabel(args.index, annotator=args.annotator, source="cli:unlabel")
    except EXPECTED_ERRORS as exc:
        return error_exit(exc)
    print(f"took back the labels of {n} item(s) ({', '.join(map(str, args.index))}); they are in the pool again")
    return 0


def _history(args) -> int:
    try:
        st = _open(args.store)
        frame = st.label_history()
        if args.index:
            if min(args.index) < 0:
                raise ValueError(f"--index {min(args.index)} is negative; positions count from 0")
            frame = frame[frame["index"].isin(args.index)]
    except EXPECTED_ERRORS as exc:
        return error_exit(exc)
    sys.stdout.write(frame.to_csv(index=False, lineterminator="\n"))
    return 0


def _parse_label(text: str, st: LabelStore):
    """A label typed on the command line as the store holds it: the store's class whose text it is, else a number
    when the stored labels are numbers, else the text."""
    classes = st.settings().get("classes")
    if classes is not None:
        match = [c for c in classes if str(c) == text]
        if not match:
            raise ValueError(f"--label {text!r} is not one of the store's classes {classes!r:.100}")
        return match[0]
    stored = st.labels()["label"]
    if len(stored) and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in stored.iloc[:1]):
        try:
            return int(text)
        except ValueError:
            try:
                return float(text)
            except ValueError:
                raise ValueError(f"--label {text!r} is not a number, and the store's labels are numbers") from None
    return text
