"""The label store: every label with its provenance, the learner's rounds, and the pool and estimator kept for the
headless ``select`` command, in SQLite (default, one file, WAL) or PostgreSQL (an SQLAlchemy URL).

``LabelStore`` reads and writes the tables of ``activelens.storage.schema`` through a ``StoreEngine``
(``activelens.storage.engine``), binds the store to its pool (``activelens.storage.pool_check``) and exports labels and
annotations. Keeping it in step with a learner is ``activelens.storage.link``; the annotation queue on the same database
is ``activelens.storage.queue``.
"""
from __future__ import annotations

import io
import json
import math
import os
import re
import time
import zipfile
from contextlib import AbstractContextManager
from typing import Any, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
import sqlalchemy as sa

from activelens.core.validation import check_path
from activelens.backends import make_pool
from activelens.core.records import LabelRecord, supersession
from activelens.core.validation import check_indices, check_labels, label_kind, label_mismatch
from activelens.storage.codec import dump_label, load_label
from activelens.storage.engine import StoreEngine
from activelens.storage.errors import StoreError, UntrustedEstimatorError
from activelens.storage.item_ids import decode_ids, encode_ids, move_positions, new_positions, read_ids, write_ids
from activelens.storage.pool_check import PoolHashes, RowHashes, check_pool, check_verify, sample_positions
from activelens.storage.schema import (T_ANN, T_BLOBS, T_GOLD, T_HISTORY, T_LABELS, T_META, T_ROUNDS, ensure_schema,
                                       read_meta)

__all__ = ["LabelStore", "open_store", "LABEL_COLUMNS", "LABEL_FIELDS", "MAX_POOL_BLOB_BYTES", "ESTIMATOR_BLOB",
           "TRUSTED_TYPES"]

#: the blob holding the estimator, in skops format (``skops.io``: no code runs while it is read)
ESTIMATOR_BLOB = "estimator.skops"
#: where activelens before skops kept a pickled estimator; it is never unpickled
LEGACY_ESTIMATOR_BLOB = "estimator"
#: types a stored estimator may hold beyond what skops trusts by default (scikit-learn's estimators, numpy, scipy
#: and Python's plain types); ``load_estimator(trusted=...)`` adds more, explicitly
TRUSTED_TYPES: tuple[str, ...] = ()

#: the pool is kept in the store (for the headless ``select`` command) up to this size
MAX_POOL_BLOB_BYTES = 256 * 1024 * 1024

#: columns of ``LabelStore.labels()``
LABEL_COLUMNS = ["index", "label", "annotator", "timestamp", "seconds", "round", "model_version", "strategy", "score",
                 "item_hash", "source"]
#: keys of a label row for ``LabelStore.add_labels`` (the columns of the labels table but its id)
LABEL_FIELDS = ("idx", "item_hash", "label", "annotator", "ts", "seconds", "round", "model_version", "strategy",
                "score", "source", "item_id")
#: columns of ``LabelStore.label_history()`` (``id`` after ``index`` when the store has ids)
HISTORY_COLUMNS = ["index", "label", "annotator", "timestamp", "seconds", "round", "model_version", "strategy",
                   "score", "item_hash", "source", "superseded_at", "superseded_by", "current"]
#: the file formats ``LabelStore.export`` writes
EXPORT_FORMATS = ("csv", "jsonl", "parquet")
ANNOTATION_COLUMNS = ["index", "annotator", "label", "timestamp", "seconds", "gold", "gold_label"]


class LabelStore:
    """A label store at a file path (SQLite) or an SQLAlchemy URL (``postgresql+psycopg://...``, ``sqlite:///...``).

    Parameters
    ----------
    target : str or os.PathLike
        A path to an SQLite file (created if missing) or an SQLAlchemy URL.
    timeout : float, default=5.0
        Seconds a write waits for another process's lock before ``StoreLockedError``.
    durability : {"full", "normal"}, default="full"
        "full" (SQLite ``synchronous=FULL``: a committed label survives power loss) or "normal"
        (``synchronous=NORMAL``: survives a killed process, not a power cut; faster). PostgreSQL: server settings.
    verify_pool : {"sample", "full"}, default="sample"
        How reopening checks the pool against the one the store was made for: "sample" (the row and feature counts,
        every labeled row and a seeded sample of ``activelens.storage.pool_check.SAMPLE_ROWS`` rows; no pass over the
        pool) or "full" (the whole pool hashed again: also catches a changed row that is neither labeled nor sampled).

    Attributes
    ----------
    engine : StoreEngine
        The database: ``write()`` and ``read()`` transactions.
    url, backend, where, timeout, durability
        The engine's (``backend`` is "sqlite" or "postgresql"; ``where`` names the store in messages).
    verify_pool : str

    Raises
    ------
    StoreFormatError
        The target is not an activelens store (corrupted, another application's database, a newer version).
    StoreError
        The folder does not exist, or the database refused.
    """

    def __init__(self, target: str | os.PathLike[str] | LabelStore, *, timeout: float = 5.0, durability: str = "full", verify_pool: str = "sample"):
        if isinstance(target, LabelStore):
            raise TypeError("target is already a LabelStore; use it directly")
        self.verify_pool = check_verify(verify_pool)
        self.engine = StoreEngine(target, timeout=timeout, durability=durability)
        ensure_schema(self.engine)

    @property
    def url(self) -> sa.engine.URL:
        return self.engine.url

    @property
    def backend(self) -> str:
        return self.engine.backend

    @property
    def where(self) -> str:
        return self.engine.where

    @property
    def timeout(self) -> float:
        return self.engine.timeout

    @property
    def durability(self) -> str:
        return self.engine.durability

    def write(self, durable: bool = True) -> AbstractContextManager[Any]:   # an sa.Connection
        """A write transaction (``StoreEngine.write``): ``with store.write() as conn: ...``."""
        return self.engine.write(durable)

    def read(self) -> AbstractContextManager[Any]:   # an sa.Connection
        """A read-only connection (``StoreEngine.read``): ``with store.read() as conn: ...``."""
        return self.engine.read()

    # ----- meta and blobs -----
    def meta(self) -> dict[str, str]:
        """Every key -> value of the meta table (schema version, pool fingerprint, settings)."""
        with self.read() as conn:
            return read_meta(conn)

    def set_meta(self, conn: sa.Connection, values: dict) -> None:
        """Set meta ``values`` (key -> value, stored as text) inside the write transaction ``conn``."""
        keys = list(values)
        conn.execute(sa.delete(T_META).where(T_META.c.key.in_(keys)))
        conn.execute(sa.insert(T_META), [{"key": k, "value": str(values[k])} for k in keys])

    def put_blob(self, conn: sa.Connection, name: str, data: bytes) -> None:
        """Keep ``data`` under ``name`` (replacing it) inside the write transaction ``conn``."""
        conn.execute(sa.delete(T_BLOBS).where(T_BLOBS.c.name == name))
        conn.execute(sa.insert(T_BLOBS), [{"name": name, "data": data}])

    def get_blob(self, name: str) -> bytes | None:
        """The blob kept under ``name``, or None."""
        with self.read() as conn:
            return conn.execute(sa.select(T_BLOBS.c.data).where(T_BLOBS.c.name == name)).scalar()

    # ----- cached map coordinates -----
    def put_map_coords(self, fingerprint: str, coords: ArrayLike) -> None:
        """Keep a map's 2-D coordinates (e.g. a UMAP of the pool) under ``fingerprint``, so a restarted kernel shows
        them at once instead of fitting again.

        Parameters
        ----------
        fingerprint : str
            Names the pool and how the map was made (the caller's key; letters, digits, ``-_.:``).
        coords : array-like of shape (n, 2)
            Stored as float32.
        """
        name = _map_blob_name(fingerprint)
        c = np.ascontiguousarray(coords, dtype=np.float32)
        if c.ndim != 2 or c.shape[1] != 2:
            raise ValueError(f"coords must have shape (n, 2), got {c.shape}")
        buf = io.BytesIO()
        np.save(buf, c, allow_pickle=False)
        with self.write() as conn:
            self.put_blob(conn, name, buf.getvalue())

    def get_map_coords(self, fingerprint: str) -> np.ndarray | None:
        """The coordinates kept by :meth:`put_map_coords` under ``fingerprint`` ((n, 2) float32), or None."""
        data = self.get_blob(_map_blob_name(fingerprint))
        return None if data is None else np.load(io.BytesIO(data), allow_pickle=False)

    # ----- the pool -----
    def bind_pool(self, X: Any, hashes: Sequence[str] | None = None, *, estimator: Any = None,
                  settings: dict | None = None, verify: str | None = None, ids: Sequence[Any] | None = None) -> RowHashes:
        """Check X against the pool this store was made for (or record it on first use).

        First use: one pass over the pool records its fingerprint (row and feature counts, an order-sensitive and an
        order-free digest of every row's content hash) and the hashes of a seeded sample of ``SAMPLE_ROWS`` rows.
        Reopening (``verify="sample"``, the default) checks the counts, every labeled row against the content hash
        stored with its label, and the sampled rows: no pass over the pool. ``verify="full"`` hashes the whole pool
        again and compares its fingerprint. Nothing is written on a mismatch.

        With ``ids``, the store keeps them, and a store that has ids matches a reopened pool by id: the same items in
        another order are accepted when every row still has its content (one pass over the pool), and the store's
        positions (labels, queue, gold, annotations) are rewritten to the new order in one transaction (every notebook
        using the store should then reopen it with the new order). Without ids a reordered pool is refused.

        Parameters
        ----------
        X : array-like of shape (n_rows, n_features) or Pool
            The pool (the learner passes its own ``Pool``, whose row cache the restore's fit reuses). A pool whose
            rows live elsewhere (``make_pool(X, client=...)``) is hashed where they live and never pulled here, so
            the store keeps no copy of it: the headless ``select`` then needs ``--pool`` (see ``load_pool``).
        hashes : list of str, optional
            Every row's ``row_hashes``, if the caller has them already.
        estimator : sklearn estimator, optional
            Kept (unfitted, in skops format) on first use for the headless ``select`` command; one skops cannot
            serialize is skipped.
        settings : dict, optional
            The learner's settings (JSON-able), kept on first use.
        verify : {"sample", "full"}, optional
            Overrides the store's ``verify_pool`` for this call.
        ids : sequence of hashable, optional
            One unique id per pool item, in pool order (``learner.ids`` when the learner has ids).

        Returns
        -------
        RowHashes
            The pool's content hashes (the ones read so far kept), for the labels' ``item_hash``.

        Raises
        ------
        PoolMismatchError
            Naming what differs (row count, feature count, order, which rows changed, which ids).
        """
        verify = self.verify_pool if verify is None else check_verify(verify)
        pool = PoolHashes(make_pool(X), hashes=hashes)
        given = None if ids is None else encode_ids(ids)
        if given is not None and len(given) != pool.n_rows:
            raise ValueError(f"ids has {len(given)} entries but X has {pool.n_rows} rows; give one id per row")
        meta = self.meta()
        if "pool_hash" in meta:
            stored_ids = self.item_ids(encoded=True) if given is not None else None
            moved = None if stored_ids is None or given is None else new_positions(stored_ids, given, self.where)
            if moved is not None and given is not None:
                return self._rebind_moved(meta, pool, moved, given, verify)
            row_hashes = check_pool(meta, pool, self._label_hashes(), verify, self.where)
            if given is not None and stored_ids is None:   # a store made without ids learns them now
                with self.write() as conn:
                    write_ids(conn, given)
            return row_hashes
        return self._record_pool(pool, estimator, settings, given)

    def _record_pool(self, pool: PoolHashes, estimator, settings, given) -> RowHashes:
        """First use: record the pool's fingerprint, a seeded sample of row hashes, the settings, the estimator, the
        ids and (when small enough and in this process) the pool itself, in one transaction."""
        fp = pool.fingerprint()
        positions = sample_positions(pool.n_rows)
        sample = {"rows": positions.tolist(), "hashes": pool.hashes(positions)}
        with self.write() as conn:
            have = read_meta(conn)
            if "pool_hash" in have:  # another process bound it first
                return check_pool(have, pool, self._label_hashes(), "full", self.where, fp=fp)
            self.set_meta(conn, _pool_meta(fp, sample, settings, pool.pool))
            local = pool.pool.local_array
            if local is not None and local.nbytes <= MAX_POOL_BLOB_BYTES:
                buf = io.BytesIO()
                np.save(buf, local, allow_pickle=False)
                self.put_blob(conn, "pool", buf.getvalue())
            if estimator is not None:
                self.save_estimator(estimator, conn=conn, required=False)
            if given is not None:
                write_ids(conn, given)
        return RowHashes(pool, dict(zip(sample["rows"], sample["hashes"])))

    def _rebind_moved(self, meta: dict, pool: PoolHashes, moved: np.ndarray, given: list, verify: str) -> RowHashes:
        """The same items (by id) in another order: check the whole pool's content (its order-free hash), then rewrite the
        store to the new order (positions, fingerprint, sample, ids, the kept pool) in one transaction."""
        sample = json.loads(meta.get("pool_sample") or '{"rows": [], "hashes": []}')
        pairs = sorted(zip((int(moved[r]) for r in sample["rows"]), sample["hashes"]))
        new_sample = {"rows": [r for r, _ in pairs], "hashes": [h for _, h in pairs]}
        stored = [(int(moved[int(i)]), h) for i, h in self._label_hashes()]
        fp = pool.fingerprint()   # the new order's, to record; its order-free hash must be the stored one
        moved_meta = dict(meta, pool_sample=json.dumps(new_sample))
        if fp["pool_set_hash"] == meta.get("pool_set_hash"):
            moved_meta["pool_hash"] = fp["pool_hash"]
        row_hashes = check_pool(moved_meta, pool, stored, verify, self.where, fp=fp)   # every row's content checked
        local = pool.pool.local_array
        with self.write() as conn:
            move_positions(conn, moved)
            self.set_meta(conn, {**{k: str(v) for k, v in fp.items()}, "pool_sample": json.dumps(new_sample)})
            write_ids(conn, given)
            if local is not None and local.nbytes <= MAX_POOL_BLOB_BYTES:
                buf = io.BytesIO()
                np.save(buf, local, allow_pickle=False)
                self.put_blob(conn, "pool", buf.getvalue())
        return row_hashes

    def item_ids(self, encoded: bool = False) -> list | None:
        """The id of every pool item in the store's pool order, or None if the store was made without ids.

        Parameters
        ----------
        encoded : bool, default=False
            True: as ``activelens.storage.codec.dump_id`` texts (what the store compares).

        Returns
        -------
        list or None
        """
        with self.read() as conn:
            stored = read_ids(conn)
        return stored if encoded else decode_ids(stored)

    def _label_hashes(self) -> list:
        with self.read() as conn:
            return conn.execute(sa.select(T_LABELS.c.idx, T_LABELS.c.item_hash).order_by(T_LABELS.c.id)).all()

    def load_pool(self) -> np.ndarray | None:
        """The pool kept in the store.

        Returns
        -------
        ndarray of shape (n_rows, n_features) or None
            None if it was too large to keep (``MAX_POOL_BLOB_BYTES``).

        Raises
        ------
        StoreError
            The store was made with a pool whose rows live elsewhere (a distributed backend): pass the pool.
        """
        data = self.get_blob("pool")
        kind = self.meta().get("pool_kind")
        if data is None and kind:
            raise StoreError(
                f"store {self.where!r} was made with a {kind} pool and keeps no copy of it (the headless select command "
                "needs the pool in memory); pass --pool X.npy holding the same rows in the same order")
        return None if data is None else np.load(io.BytesIO(data), allow_pickle=False)

    def save_estimator(self, estimator: Any, *, conn: sa.Connection | None = None, required: bool = True) -> bool:
        """Keep ``estimator`` (its parameters; the learner refits it from the stored labels) for the headless ``select``
        command, in skops format, replacing any saved before.

        Parameters
        ----------
        estimator : sklearn estimator
        conn : sqlalchemy.Connection, optional
            A write transaction to save in.
        required : bool, default=True
            False: an estimator skops cannot serialize is skipped (returns False) instead of raising.

        Returns
        -------
        bool
            Whether it was saved.
        """
        import skops.io as sio

        try:
            data = sio.dumps(estimator)
        except Exception as exc:  # noqa: BLE001 - skops raises several kinds for an object it cannot take apart
            if not required:
                return False
            raise TypeError(f"estimator {type(estimator).__name__} cannot be saved in skops format ({exc}); the "
                            "headless select command needs a scikit-learn style estimator made of plain parameters"
                            ) from None
        if conn is not None:
            self.put_blob(conn, ESTIMATOR_BLOB, data)
            conn.execute(sa.delete(T_BLOBS).where(T_BLOBS.c.name == LEGACY_ESTIMATOR_BLOB))
        else:
            with self.write() as c:
                self.put_blob(c, ESTIMATOR_BLOB, data)
                c.execute(sa.delete(T_BLOBS).where(T_BLOBS.c.name == LEGACY_ESTIMATOR_BLOB))
        return True

    def load_estimator(self, trusted: Sequence[str] = ()) -> Any:
        """The estimator saved with the store, or None.

        It is read with ``skops.io``, which builds only the types it trusts and runs no code from the data: the
        types skops trusts by default (scikit-learn's estimators, numpy, scipy), ``TRUSTED_TYPES`` and ``trusted``.
        A pickle is never loaded: on a shared database anyone who can write one row could run code in every process
        that unpickles it.

        Parameters
        ----------
        trusted : sequence of str, optional
            More type names to trust, e.g. ``["mypackage.MyClassifier"]`` (``skops.io.get_untrusted_types`` lists
            a blob's), for an estimator of your own, when you trust whoever can write to this store.

        Returns
        -------
        estimator or None

        Raises
        ------
        UntrustedEstimatorError
            The blob holds types nobody trusted, or is a pickle, or is not a skops file; nothing was built from it.
        """
        import skops.io as sio

        if isinstance(trusted, str) or not all(isinstance(t, str) for t in trusted):
            raise TypeError(f"trusted must be a list of type names (strings), got {trusted!r:.80}")
        data = self.get_blob(ESTIMATOR_BLOB)
        if data is None:
            if self.get_blob(LEGACY_ESTIMATOR_BLOB) is not None:
                raise UntrustedEstimatorError(
                    f"store {self.where!r} holds its estimator as a pickle (saved by an older activelens, or written by "
                    "someone else); activelens never unpickles data from a database, since anyone who can write a row "
                    "could run code in your process. Nothing was loaded. Save it again in the safe format: "
                    "LabelStore(...).save_estimator(YourEstimator(...))")
            return None
        try:
            if not zipfile.is_zipfile(io.BytesIO(data)):
                raise ValueError("not a zip archive")
            untrusted = sio.get_untrusted_types(data=data)
        except Exception as exc:  # noqa: BLE001 - whatever is wrong with the blob, nothing is built from it
            raise UntrustedEstimatorError(
                f"store {self.where!r}: the saved estimator is not a skops file ({type(exc).__name__}: {exc}); nothing "
                "was loaded. Save it again with LabelStore(...).save_estimator(YourEstimator(...))") from None
        allowed = set(TRUSTED_TYPES) | set(trusted)
        refused = [t for t in untrusted if t not in allowed]
        if refused:
            raise UntrustedEstimatorError(
                f"store {self.where!r}: the saved estimator holds types that are not trusted: {', '.join(refused[:8])}; "
                "nothing was built from it, because building them could run their code. If you trust whoever can "
                "write to this store, trust them by name: load_estimator(trusted=[...]) or select --trust NAME")
        return sio.loads(data, trusted=list(untrusted))

    def settings(self) -> dict:
        """The learner settings recorded with the pool (strategy, batch size, classes, seed), or {}."""
        s = self.meta().get("settings")
        return json.loads(s) if s else {}

    # ----- labels -----
    def add_labels(self, rows: list[dict], conn: sa.Connection | None = None) -> None:
        """Insert label rows, each also recorded in the label history, in one transaction (``conn``'s, else a new
        one).

        Parameters
        ----------
        rows : list of dict
            Keys ``LABEL_FIELDS``: idx, item_hash, label (JSON text, ``activelens.storage.codec.dump_label``),
            annotator, ts, seconds, round, model_version, strategy, score, source.
        conn : sqlalchemy.Connection, optional
            A write transaction to insert in.
        """
        if not rows:
            return
        if conn is not None:
            _insert_labels(conn, rows)
            return
        with self.write() as c:
            _insert_labels(c, rows)

    def labels_raw(self) -> list:
        """Every row of the labels table (SQLAlchemy rows), in the order they were committed."""
        with self.read() as conn:
            return conn.execute(sa.select(T_LABELS).order_by(T_LABELS.c.id)).all()

    def history_raw(self) -> list:
        """Every row of the label history (SQLAlchemy rows), in the order they were recorded."""
        with self.read() as conn:
            return conn.execute(sa.select(T_HISTORY).order_by(T_HISTORY.c.id)).all()

    def history_records(self) -> tuple:
        """The label history as ``LabelRecord`` values, in the order they were recorded (label None: taken back)."""
        return tuple(LabelRecord(index=int(r.idx), label=load_label(r.label), annotator=r.annotator, timestamp=r.ts,
                                 seconds=r.seconds, score=r.score, strategy=r.strategy or "", round=int(r.round),
                                 model_version=int(r.model_version), source=r.source) for r in self.history_raw())

    def stored_labels(self) -> tuple[list[int], list]:
        """(pool positions, labels) of every stored label, in the order they were committed."""
        rows = self.labels_raw()
        return [int(r.idx) for r in rows], [load_label(r.label) for r in rows]

    def labels(self) -> pd.DataFrame:
        """Every training label with its provenance, in the order it was taught.

        Returns
        -------
        DataFrame
            Columns ``LABEL_COLUMNS``, and ``id`` (each item's id) after ``index`` when the store has ids; labels
            and ids keep their Python type.
        """
        rows = self.labels_raw()
        columns = LABEL_COLUMNS
        if any(r.item_id is not None for r in rows) or (not rows and self.item_ids(encoded=True) is not None):
            columns = ["index", "id", *LABEL_COLUMNS[1:]]
        data = [{"index": r.idx, "id": load_label(r.item_id), "label": load_label(r.label), "annotator": r.annotator, "timestamp": r.ts,
                 "seconds": r.seconds, "round": r.round, "model_version": r.model_version, "strategy": r.strategy,
                 "score": r.score, "item_hash": r.item_hash, "source": r.source} for r in rows]
        return _frame(data, columns, objects=("id", "label", "annotator", "strategy", "item_hash", "source"),
                      floats=("timestamp", "seconds", "score"))

    def n_labels(self) -> int:
        """How many labels are stored."""
        with self.read() as conn:
            return int(conn.execute(sa.select(sa.func.count()).select_from(T_LABELS)).scalar())

    def correct_labels(self, rows: list[dict], conn: sa.Connection | None = None) -> None:
        """Record corrections of stored labels in one transaction: each row replaces its item's label (a row whose
        ``label`` is None takes the label back: the item is unlabeled again), and is added to the label history.

        Parameters
        ----------
        rows : list of dict
            Keys ``LABEL_FIELDS`` (``item_hash`` and ``item_id`` may be None: the stored label's are kept).
        conn : sqlalchemy.Connection, optional
            A write transaction to record them in.

        Raises
        ------
        StoreError
            An item of ``rows`` has no stored label; nothing was written.
        """
        if not rows:
            return
        if conn is not None:
            _correct(conn, rows, self.where)
            return
        with self.write() as c:
            _correct(c, rows, self.where)

    def relabel(self, positions: ArrayLike, labels: ArrayLike, *, annotator: str | Sequence[str | None] | None = None,
                source: str = "relabel") -> int:
        """Change stored labels (without a learner: the command line, a reviewer of the queue); the old ones stay in
        ``label_history()``. A learner on the store takes the change in at its next ``pull_from_store`` (in a
        notebook, ``learner.relabel`` does both at once).

        Checked as ``ActiveLearner.relabel`` checks: labeled items only, the store's classes, one type of label
        across every label stored after the change. Nothing is written on an error.

        Parameters
        ----------
        positions : array-like of int
        labels : sequence
            One new label per position.
        annotator : str, optional
        source : str, default="relabel"

        Returns
        -------
        int
            How many labels were recorded.

        Raises
        ------
        StoreError
            An unlabeled position.
        ValueError, TypeError, IndexError
            Empty or bad positions, a label outside the store's classes or of another type.
        """
        return self._correct_checked(positions, labels, annotator, source)

    def unlabel(self, positions: ArrayLike, *, annotator: str | Sequence[str | None] | None = None,
                source: str = "unlabel") -> int:
        """Take stored labels back (the items are unlabeled again); they stay in ``label_history()``.

        Parameters
        ----------
        positions : array-like of int
        annotator : str, optional
        source : str, default="unlabel"

        Returns
        -------
        int
            How many labels were taken back.

        Raises
        ------
        StoreError
            An unlabeled position; nothing was written.
        """
        return self._correct_checked(positions, None, annotator, source)

    def _correct_checked(self, positions, labels, annotator, source) -> int:
        """``relabel`` (``labels`` given) or ``unlabel`` (None): checked, then recorded in one write transaction."""
        verb = "unlabel" if labels is None else "relabel"
        n_rows = self.meta().get("n_rows")
        idx = check_indices(positions, None if n_rows is None else int(n_rows), name="positions").tolist()
        if not idx:
            raise ValueError(f"positions is empty; give the pool positions of the labeled items to {verb}")
        lab = [None] * len(idx) if labels is None else check_labels(labels, name="labels")
        if len(lab) != len(idx):
            raise ValueError(f"got {len(idx)} positions but {len(lab)} labels; give one label per position")
        if annotator is not None and not isinstance(annotator, str):
            raise TypeError(f"annotator must be a string, got {annotator!r:.60}")
        if not isinstance(source, str) or not source.strip():
            raise TypeError(f"source must be a non-empty string, got {source!r:.60}")
        classes = self.settings().get("classes")
        rounds = self.rounds()
        now = time.time()
        rows = [{"idx": i, "item_hash": None, "label": None if v is None else dump_label(v), "annotator": annotator,
                 "ts": now, "seconds": None, "round": len(rounds), "strategy": "", "score": None, "source": source,
                 "model_version": int(rounds[-1].get("model_version", 0)) if rounds else 0, "item_id": None}
                for i, v in zip(idx, lab)]
        with self.write() as conn:
            if labels is not None:
                others = conn.execute(sa.select(T_LABELS.c.label).where(T_LABELS.c.idx.notin_(idx)).limit(1)).scalar()
                _check_new_labels(lab, classes, None if others is None else label_kind(load_label(others)))
            _correct(conn, rows, self.where)
        return len(rows)

    def label_history(self) -> pd.DataFrame:
        """Every label record ever made, in order: taught, relabeled and taken back.

        Returns
        -------
        DataFrame
            Columns ``HISTORY_COLUMNS`` (``id`` after ``index`` when the store has ids): the ``labels()`` columns
            (label None for a record that took the label back), ``superseded_at`` (the time of the item's next
            record, NaN for its last), ``superseded_by`` (that record's source, None for the last) and ``current``
            (the record holds the item's stored label). Times are seconds since the epoch, as in ``labels()``.
        """
        rows = self.history_raw()
        at, by = supersession([r.idx for r in rows], [r.ts for r in rows], [r.source for r in rows])
        data = [{"index": r.idx, "id": load_label(r.item_id), "label": load_label(r.label), "annotator": r.annotator,
                 "timestamp": r.ts, "seconds": r.seconds, "round": r.round, "model_version": r.model_version,
                 "strategy": r.strategy, "score": r.score, "item_hash": r.item_hash, "source": r.source,
                 "superseded_at": a, "superseded_by": b, "current": b is None and r.label is not None}
                for r, a, b in zip(rows, at, by)]
        columns = HISTORY_COLUMNS
        if any(r.item_id is not None for r in rows) or (not rows and self.item_ids(encoded=True) is not None):
            columns = ["index", "id", *HISTORY_COLUMNS[1:]]
        return _frame(data, columns, objects=("id", "label", "annotator", "strategy", "item_hash", "source",
                                              "superseded_by"), floats=("timestamp", "seconds", "score", "superseded_at"))

    # ----- rounds -----
    def add_round(self, record: dict, conn: sa.Connection | None = None) -> None:
        """Store one round (a ``Round`` as a dict: JSON-able values, numpy scalars allowed)."""
        row = {"round": int(record["round"]), "data": json.dumps(record, default=_json_default)}
        if conn is not None:
            conn.execute(sa.insert(T_ROUNDS), [row])
            return
        with self.write() as c:
            c.execute(sa.insert(T_ROUNDS), [row])

    def rounds(self) -> list[dict]:
        """Every stored round, in round order."""
        with self.read() as conn:
            return [json.loads(r.data) for r in conn.execute(sa.select(T_ROUNDS.c.data).order_by(T_ROUNDS.c.round))]

    # ----- annotations (the queue writes them) -----
    def annotations(self) -> pd.DataFrame:
        """Every submitted annotation: index, (id, when the store has ids), annotator, label, timestamp, seconds, gold
        (1 if a gold item), gold_label."""
        with self.read() as conn:
            rows = conn.execute(sa.select(T_ANN, T_GOLD.c.label.label("gold_label"))
                                .select_from(T_ANN.outerjoin(T_GOLD, T_ANN.c.idx == T_GOLD.c.idx))
                                .order_by(T_ANN.c.id)).all()
        data = [{"index": r.idx, "annotator": r.annotator, "label": load_label(r.label), "timestamp": r.ts,
                 "seconds": r.seconds, "gold": bool(r.gold), "gold_label": load_label(r.gold_label)} for r in rows]
        frame = _frame(data, ANNOTATION_COLUMNS, objects=("annotator", "label", "gold_label"),
                       floats=("timestamp", "seconds"))
        return self.with_ids(frame)

    def with_ids(self, frame: pd.DataFrame, column: str = "index") -> pd.DataFrame:
        """``frame`` with an ``id`` column (each item's id, looked up from the pool positions in ``column``) inserted
        after ``column``, when the store has ids; else ``frame`` unchanged.

        Parameters
        ----------
        frame : DataFrame
        column : str, default="index"
            The column holding pool positions.

        Returns
        -------
        DataFrame
        """
        ids = self.item_ids()
        if ids is None or "id" in frame.columns:
            return frame
        out = frame.copy()
        out.insert(out.columns.get_loc(column) + 1, "id",
                   pd.Series([ids[int(i)] for i in out[column]], index=out.index, dtype=object))
        return out

    # ----- export -----
    def export(self, path: str | os.PathLike[str] | None = None, *, format: str | None = None,
               what: str = "labels") -> pd.DataFrame | str | os.PathLike[str]:
        """Labels (the current one of each item; or annotations, or the label history) with provenance — and each
        item's ``id`` when the store has ids: a DataFrame, or written to ``path`` as CSV, JSON Lines or Parquet.

        Parameters
        ----------
        path : str or os.PathLike, optional
            Where to write; without it (and without ``format``) the DataFrame is returned.
        format : {"csv", "jsonl", "parquet"}, optional
            Default: from ``path``'s extension. Labels keep their type in JSON Lines and Parquet; CSV writes them as
            text. Parquet needs ``path`` and a Parquet engine (``pip install "activelens[text]"``: pyarrow).
        what : {"labels", "annotations", "history"}, default="labels"
            "history": every label record ever made, superseded and taken-back ones included (``label_history``).

        Returns
        -------
        DataFrame, str or path
            The DataFrame (no path, no format), the text (a text format, no path), or ``path`` once written.

        Raises
        ------
        ValueError
            An unknown format or ``what``, Parquet without a path or without a Parquet engine; nothing is written.
        """
        if what not in ("labels", "annotations", "history"):
            raise ValueError(f"what must be 'labels', 'annotations' or 'history', got {what!r}")
        if path is not None:
            check_path(path, "path")
        if format is None and path is not None:
            suffix = Path(os.fspath(path)).suffix.lower()
            format = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "jsonl", ".parquet": "parquet",
                      ".pq": "parquet"}.get(suffix)
            if format is None:
                raise ValueError(f"cannot tell the format from {os.fspath(path)!r}; pass format='csv', 'jsonl' or "
                                 "'parquet'")
        if format not in (None, *EXPORT_FORMATS):
            raise ValueError(f"format must be 'csv', 'jsonl' or 'parquet', got {format!r}")
        if format == "parquet":
            if path is None:
                raise ValueError("format='parquet' writes a binary file: pass a path (e.g. 'labels.parquet')")
            _check_parquet_engine()
        df = {"labels": self.labels, "annotations": self.annotations, "history": self.label_history}[what]()
        if format is None:
            return df
        if format == "parquet":
            assert path is not None   # refused above
            df.to_parquet(path, index=False)
            return path
        if format == "csv":
            text = df.to_csv(index=False, lineterminator="\n")
        else:
            text = "".join(json.dumps({k: _plain(v) for k, v in rec.items()}, ensure_ascii=False) + "\n"
                           for rec in df.to_dict(orient="records"))
        if path is None:
            return text
        Path(path).write_text(text, encoding="utf-8")
        return path

    def close(self) -> None:
        """Close the database connections and the lock file."""
        self.engine.close()

    def __repr__(self):
        return f"LabelStore({self.where!r}, backend={self.backend!r})"


def _map_blob_name(fingerprint: str) -> str:
    if not isinstance(fingerprint, str) or not re.fullmatch(r"[A-Za-z0-9_.:-]{1,200}", fingerprint):
        raise ValueError(f"fingerprint must be a short string of letters, digits and -_.: , got {fingerprint!r}")
    return f"map_coords:{fingerprint}"


def open_store(store, **kwargs) -> LabelStore:
    """A LabelStore from a LabelStore (returned as is), a file path or an SQLAlchemy URL.

    Parameters
    ----------
    store : LabelStore, str or os.PathLike
    **kwargs
        ``LabelStore`` options (timeout, durability, verify_pool) for a new one.

    Returns
    -------
    LabelStore
    """
    if isinstance(store, LabelStore):
        return store
    return LabelStore(store, **kwargs)


def _insert_labels(conn, rows, tables=(T_LABELS, T_HISTORY)):
    # straight to the driver's executemany (still bound parameters, never interpolated): SQLAlchemy's per-row
    # parameter processing would cost more than the insert itself on a bulk import
    mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    values = [tuple(r.get(f) for f in LABEL_FIELDS) for r in rows]
    copy = conn.dialect.name == "sqlite" and tables == (T_LABELS, T_HISTORY)
    if copy:   # one SQLite writer at a time (BEGIN IMMEDIATE): the rows after the last id are this insert's
        last = conn.execute(sa.select(sa.func.max(T_LABELS.c.id))).scalar() or 0
    for table in tables[:1] if copy else tables:
        sql = (f"INSERT INTO {table.name} ({', '.join(LABEL_FIELDS)}) "
               f"VALUES ({', '.join([mark] * len(LABEL_FIELDS))})")
        conn.exec_driver_sql(sql, values)
    if copy:   # the history's copy within the database: no second pass over the parameters
        conn.execute(sa.insert(T_HISTORY).from_select(list(LABEL_FIELDS), sa.select(
            *[T_LABELS.c[f] for f in LABEL_FIELDS]).where(T_LABELS.c.id > last).order_by(T_LABELS.c.id)))


def _correct(conn, rows, where):
    """Record corrections (``LabelStore.correct_labels``) inside the write transaction ``conn``: every item must have
    a stored label, else a StoreError (raised before anything is written)."""
    idx = [int(r["idx"]) for r in rows]
    stored: dict[int, Any] = {}
    for k in range(0, len(idx), 500):
        stored.update((int(r.idx), r) for r in conn.execute(
            sa.select(T_LABELS.c.idx, T_LABELS.c.item_hash, T_LABELS.c.item_id).where(T_LABELS.c.idx.in_(idx[k:k + 500]))))
    missing = [i for i in idx if i not in stored]
    if missing:
        raise StoreError(f"store {where!r} holds no label for item {missing[0]} ({len(missing)} of {len(idx)} items "
                         "have none); only a labeled item can be relabeled or unlabeled. Nothing was changed")
    full = [dict(r, item_hash=r.get("item_hash") or stored[int(r["idx"])].item_hash,
                 item_id=r.get("item_id") or stored[int(r["idx"])].item_id) for r in rows]
    gone = [int(r["idx"]) for r in full if r["label"] is None]
    for k in range(0, len(gone), 500):
        conn.execute(sa.delete(T_LABELS).where(T_LABELS.c.idx.in_(gone[k:k + 500])))
    changed = [{"b_" + f: r[f] for f in LABEL_FIELDS if f not in ("item_hash", "item_id")} for r in full
               if r["label"] is not None]
    if changed:
        fields = [f for f in LABEL_FIELDS if f not in ("idx", "item_hash", "item_id")]
        conn.execute(sa.update(T_LABELS).where(T_LABELS.c.idx == sa.bindparam("b_idx"))
                     .values(**{f: sa.bindparam("b_" + f) for f in fields}), changed)
    _insert_labels(conn, full, tables=(T_HISTORY,))


def _check_new_labels(labels: list, classes, kind) -> None:
    """New labels fit the store: the declared ``classes`` (when recorded), one type among them and with ``kind`` (the
    type of the labels kept; None when every label changes)."""
    kinds = {label_kind(v) for v in labels} | ({kind} if kind else set())
    if len(kinds) > 1:
        raise TypeError(f"labels mix {' and '.join(sorted(kinds))} once relabeled; use one type for every label. "
                        "Nothing was written")
    for v in labels:
        problem = label_mismatch(v, classes)
        if problem:
            raise ValueError(f"{problem}. Nothing was written")


def _check_parquet_engine() -> None:
    """A ValueError saying what to install when pandas has no Parquet engine (pyarrow or fastparquet)."""
    import importlib.util

    if importlib.util.find_spec("pyarrow") is None and importlib.util.find_spec("fastparquet") is None:
        raise ValueError("writing Parquet needs a Parquet engine, and neither pyarrow nor fastparquet is installed; "
                         "nothing was written. pip install \"activelens[text]\" (or pyarrow), or export as .csv or .jsonl")


def _frame(records, columns, objects=(), floats=()):
    """A DataFrame whose label columns keep each value's Python type (an int stays an int next to None)."""
    cols = {}
    for c in columns:
        values = [r[c] for r in records]
        if c in objects:
            cols[c] = pd.Series(values, dtype=object)
        elif c in floats:
            cols[c] = pd.Series([np.nan if v is None else v for v in values], dtype=np.float64)
        else:
            cols[c] = pd.Series(values)
    return pd.DataFrame(cols, columns=columns)


def _plain(v):
    if isinstance(v, np.generic):
        v = v.item()
    if isinstance(v, float) and not math.isfinite(v):
        return None
    return v


def _json_default(o):
    if isinstance(o, np.generic):
        return o.item()
    raise TypeError(f"cannot store {type(o).__name__} in a round record")


def _pool_meta(fp: dict, sample: dict, settings, pool) -> dict:
    """The meta rows that record a pool: its fingerprint, the sample's hashes, the settings, and for a pool whose rows
    live elsewhere its kind (why there is no pool blob, for ``load_pool``'s message)."""
    values = {k: str(v) for k, v in fp.items()}
    values["pool_sample"] = json.dumps(sample)
    if settings:
        values["settings"] = json.dumps(settings)
    if pool.local_array is None:
        values["pool_kind"] = pool.kind
    return values
