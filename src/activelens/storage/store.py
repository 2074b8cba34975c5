"""Label store: every label with its provenance, in SQLite (default, one file, WAL) or PostgreSQL (an SQLAlchemy URL).

One code path for both backends: SQLAlchemy Core, parameterized statements only (labels and annotator names are data,
never SQL). On SQLite every write transaction is ``BEGIN IMMEDIATE`` so writers queue on the file lock instead of failing
half-way; on PostgreSQL the queue's claims use ``SELECT ... FOR UPDATE SKIP LOCKED``.

Tables (all prefixed ``activelens_`` so a shared PostgreSQL database can hold other things):

    meta         key -> value: the schema version, the pool fingerprint, learner settings
    labels       the learner's training labels, one per pool item, with provenance
    rounds       one row per retrain (the learner's ``history``)
    blobs        the pool and the estimator, so ``python -m activelens select`` can run headless
    queue        items waiting for annotation, their lease and how many annotations they need
    gold         items with known labels mixed into annotators' work
    served       (item, annotator) pairs ever served: an annotator never gets an item twice
    annotations  every submitted annotation (several per item when items overlap)
"""
from __future__ import annotations

import io
import json
import math
import os
import pickle
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy import exc as sa_exc

from activelens.backends import make_pool
from activelens.core.fingerprint import (FINGERPRINT_VERSION, digest_words, fingerprint_from_digest, hash_words,
                                         pool_digest_block, pool_fingerprint, row_hashes)
from activelens.core.records import Fitted, LearnerState, Round, Taught

try:
    import fcntl
except ImportError:  # Windows: SQLite's own busy handler does the waiting
    fcntl = None

SCHEMA_VERSION = 1
APP = "activelens"
SQLITE_HEADER = b"SQLite format 3\x00"
#: the pool is kept in the store (for the headless ``select`` command) up to this size
MAX_POOL_BLOB_BYTES = 256 * 1024 * 1024

__all__ = [
    "LabelStore", "open_store", "StoreError", "StoreFormatError", "StoreLockedError", "PoolMismatchError",
    "row_hashes", "pool_fingerprint", "RowHashes", "sample_positions", "LABEL_COLUMNS",
]

LABEL_COLUMNS = ["index", "label", "annotator", "timestamp", "seconds", "round", "model_version", "strategy", "score",
                 "item_hash", "source"]


class StoreError(RuntimeError):
    """Something is wrong with the label store; the message says what and what to do."""


class StoreFormatError(StoreError):
    """The file is not an activelens store (corrupted, foreign, or from a newer version)."""


class StoreLockedError(StoreError):
    """Another process held the store's write lock longer than ``timeout``."""


class PoolMismatchError(StoreError):
    """The store was made for a different pool (other rows, other order, other features)."""


# ----- checking the pool -----
#: rows whose content hashes are kept in meta at creation and checked (with every labeled row) on reopen
SAMPLE_ROWS = 1024
POOL_CHECKS = ("sample", "full")


def sample_positions(n_rows: int, k: int | None = None) -> np.ndarray:
    """The seeded rows whose hashes a new store keeps (they are stored too, so this may change without harm)."""
    k = SAMPLE_ROWS if k is None else int(k)
    if n_rows <= k:
        return np.arange(n_rows, dtype=np.int64)
    return np.sort(np.random.default_rng(20261127).choice(n_rows, size=k, replace=False)).astype(np.int64)


def _check_verify(verify):
    if verify not in POOL_CHECKS:
        raise ValueError(f"verify_pool must be 'sample' (check the labeled rows and a seeded sample of rows: no pass "
                         f"over the pool) or 'full' (hash the whole pool again), got {verify!r}")
    return verify


class PoolHashes:
    """How the store reads a pool: content hashes by position, and one whole pass for the fingerprint, all through
    the ``Pool`` protocol (each backend hashes where its rows live; only hashes and digests come back)."""

    def __init__(self, pool, hashes=None):
        self.pool = pool
        self.n_rows, self.n_features = pool.n_rows, pool.n_features
        self._all = hashes
        if hashes is not None and len(hashes) != self.n_rows:
            raise ValueError(f"hashes has {len(hashes)} entries but X has {self.n_rows} rows; pass row_hashes(X)")

    def hashes(self, idx) -> list[str]:
        idx = [int(i) for i in idx]
        if not idx:
            return []
        if self._all is not None:
            return [self._all[i] for i in idx]
        return self.pool.hashes(idx)

    def all_hashes(self) -> list[str]:
        if self._all is None:
            self._all = self.pool.all_hashes()
        return self._all

    def fingerprint(self) -> dict:
        """One pass over the pool: the fingerprint a new store records (the same for any chunking of the same rows)."""
        if self._all is not None:
            digest = digest_words(hash_words(self._all), 0) if self._all else np.zeros(4, np.uint64)
        else:
            digest = self.pool.digest()
        return fingerprint_from_digest(digest, self.n_rows, self.n_features)


class RowHashes:
    """Content hashes of pool rows, computed when first asked for (the labels' ``item_hash``), kept once known."""

    def __init__(self, pool: PoolHashes, known: dict):
        self._pool, self._known = pool, {int(k): v for k, v in known.items()}

    def fetch(self, idx) -> list[str]:
        idx = [int(i) for i in idx]
        missing = sorted({i for i in idx if i not in self._known})
        if missing:
            self._known.update(zip(missing, self._pool.hashes(missing)))
        return [self._known[i] for i in idx]

    def __getitem__(self, i) -> str:
        return self.fetch([i])[0]

    def __len__(self):
        return self._pool.n_rows


# ----- JSON for labels (ints and strings round-trip exactly) -----
def dump_label(value) -> str:
    if isinstance(value, np.generic):
        value = value.item()
    return json.dumps(value, ensure_ascii=False)


def load_label(text):
    return None if text is None else json.loads(text)


def _finite_or_none(v):
    if v is None:
        return None
    v = float(v)
    return v if math.isfinite(v) else None


# ----- schema -----
metadata = sa.MetaData()
T_META = sa.Table("activelens_meta", metadata,
                  sa.Column("key", sa.String(64), primary_key=True),
                  sa.Column("value", sa.Text, nullable=False))
T_LABELS = sa.Table("activelens_labels", metadata,
                    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
                    sa.Column("idx", sa.Integer, nullable=False, unique=True),
                    sa.Column("item_hash", sa.String(32), nullable=False),
                    sa.Column("label", sa.Text, nullable=False),
                    sa.Column("annotator", sa.Text, nullable=True),
                    sa.Column("ts", sa.Float, nullable=False),
                    sa.Column("seconds", sa.Float, nullable=True),
                    sa.Column("round", sa.Integer, nullable=False),
                    sa.Column("model_version", sa.Integer, nullable=False),
                    sa.Column("strategy", sa.Text, nullable=True),
                    sa.Column("score", sa.Float, nullable=True),
                    sa.Column("source", sa.Text, nullable=False))
T_ROUNDS = sa.Table("activelens_rounds", metadata,
                    sa.Column("round", sa.Integer, primary_key=True, autoincrement=False),
                    sa.Column("data", sa.Text, nullable=False))
T_BLOBS = sa.Table("activelens_blobs", metadata,
                   sa.Column("name", sa.String(64), primary_key=True),
                   sa.Column("data", sa.LargeBinary, nullable=False))
T_QUEUE = sa.Table("activelens_queue", metadata,
                   sa.Column("idx", sa.Integer, primary_key=True, autoincrement=False),
                   sa.Column("seq", sa.Integer, nullable=False, index=True),
                   sa.Column("needed", sa.Integer, nullable=False),
                   sa.Column("n_done", sa.Integer, nullable=False, default=0),
                   sa.Column("score", sa.Float, nullable=True),
                   sa.Column("strategy", sa.Text, nullable=True),
                   sa.Column("round", sa.Integer, nullable=True),
                   sa.Column("model_version", sa.Integer, nullable=True),
                   sa.Column("added", sa.Float, nullable=False),
                   sa.Column("lease_annotator", sa.Text, nullable=True),
                   sa.Column("lease_expires", sa.Float, nullable=True))
# claims scan open items in queue order: a partial index keeps finished items out of the scan
sa.Index("activelens_queue_open", T_QUEUE.c.seq, sqlite_where=T_QUEUE.c.n_done < T_QUEUE.c.needed,
         postgresql_where=T_QUEUE.c.n_done < T_QUEUE.c.needed)
T_GOLD = sa.Table("activelens_gold", metadata,
                  sa.Column("idx", sa.Integer, primary_key=True, autoincrement=False),
                  sa.Column("label", sa.Text, nullable=False),
                  sa.Column("seq", sa.Integer, nullable=False))
T_SERVED = sa.Table("activelens_served", metadata,
                    sa.Column("idx", sa.Integer, primary_key=True, autoincrement=False),
                    sa.Column("annotator", sa.Text, primary_key=True),
                    sa.Column("ts", sa.Float, nullable=False),
                    sa.Column("gold", sa.Integer, nullable=False))
T_ANN = sa.Table("activelens_annotations", metadata,
                 sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
                 sa.Column("idx", sa.Integer, nullable=False),
                 sa.Column("annotator", sa.Text, nullable=False),
                 sa.Column("label", sa.Text, nullable=False),
                 sa.Column("ts", sa.Float, nullable=False),
                 sa.Column("seconds", sa.Float, nullable=True),
                 sa.Column("gold", sa.Integer, nullable=False),
                 sa.UniqueConstraint("idx", "annotator", name="activelens_annotations_once"))
TABLES = [t.name for t in metadata.sorted_tables]


def _is_url(s: str) -> bool:
    return "://" in s


class LabelStore:
    """A label store at a file path (SQLite) or an SQLAlchemy URL (``postgresql+psycopg://...``, ``sqlite:///...``).

    Parameters
    ----------
    target : a path to an SQLite file (created if missing) or an SQLAlchemy URL.
    timeout : seconds a write waits for another process's lock before ``StoreLockedError``.
    durability : "full" (SQLite ``synchronous=FULL``: a committed label survives power loss) or "normal"
        (``synchronous=NORMAL``: survives a killed process, not a power cut; faster). PostgreSQL: server settings.
    verify_pool : how reopening checks the pool against the one the store was made for: "sample" (default: the row
        and feature counts, every labeled row and a seeded sample of ``SAMPLE_ROWS`` rows; no pass over the pool) or
        "full" (the whole pool hashed again: also catches a changed row that is neither labeled nor sampled).
    """

    def __init__(self, target, *, timeout: float = 5.0, durability: str = "full", verify_pool: str = "sample"):
        if isinstance(target, LabelStore):
            raise TypeError("target is already a LabelStore; use it directly")
        if not isinstance(target, (str, os.PathLike)):
            raise TypeError(f"store must be a file path or an SQLAlchemy URL string, got {type(target).__name__}")
        if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not timeout > 0:
            raise ValueError(f"timeout must be a positive number of seconds, got {timeout!r}")
        if durability not in ("full", "normal"):
            raise ValueError(f"durability must be 'full' or 'normal', got {durability!r}")
        self.timeout = float(timeout)
        self.durability = durability
        self.verify_pool = _check_verify(verify_pool)
        target = os.fspath(target)
        if _is_url(target):
            url = sa.engine.make_url(target)
        else:
            url = sa.engine.URL.create("sqlite", database=str(Path(target).expanduser().resolve()))
        self.url = url
        self.backend = url.get_backend_name()
        if self.backend not in ("sqlite", "postgresql"):
            raise ValueError(f"store URL must be sqlite:// or postgresql://, got {url.render_as_string(hide_password=True)!r}")
        self.where = (url.database if self.backend == "sqlite"
                      else url.render_as_string(hide_password=True))
        if self.backend == "sqlite":
            self._check_sqlite_file(url.database)
        self._pid = os.getpid()
        self._lock_fd = None
        self._thread_lock = threading.Lock()
        self._make_engines()
        self._init_lock = threading.Lock()
        self._init_schema()

    # ----- engines -----
    def _make_engines(self):
        timeout = self.timeout
        if self.backend == "sqlite":
            sync = "FULL" if self.durability == "full" else "NORMAL"

            def make(immediate: bool):
                eng = sa.create_engine(self.url, connect_args={"timeout": timeout, "check_same_thread": False},
                                       poolclass=sa.pool.QueuePool, pool_size=2, max_overflow=4)

                @sa.event.listens_for(eng, "connect")
                def _connect(dbapi_conn, _rec):
                    dbapi_conn.isolation_level = None  # we issue BEGIN ourselves
                    cur = dbapi_conn.cursor()
                    cur.execute(f"PRAGMA busy_timeout={int(timeout * 1000)}")
                    cur.execute("PRAGMA journal_mode=WAL")
                    cur.execute(f"PRAGMA synchronous={sync}")
                    cur.execute("PRAGMA foreign_keys=ON")
                    cur.close()

                @sa.event.listens_for(eng, "begin")
                def _begin(conn):
                    conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

                return eng

            self._writer = make(True)
            self._reader = make(False)
        else:
            ms = int(timeout * 1000)
            args = {"options": f"-c lock_timeout={ms}", "connect_timeout": max(1, int(math.ceil(timeout)))}
            self._writer = sa.create_engine(self.url, connect_args=args)
            self._reader = self._writer

    def _after_fork(self):
        # a forked child must not reuse the parent's connections, nor share its lock file description
        if os.getpid() != self._pid:
            self._writer.dispose(close=False)
            if self._reader is not self._writer:
                self._reader.dispose(close=False)
            self._lock_fd = None
            self._thread_lock = threading.Lock()
            self._pid = os.getpid()

    def _wait_for_flock(self, deadline):
        """Block in flock (the kernel wakes us the moment the lock is free, no polling) on a helper thread, so the
        wait can time out; a helper that gets the lock after we gave up hands it straight back.

        The helper locks its own open file description (a lock taken through the shared fd would be the same lock as
        ours, and its late unlock would release a later turn's lock). Returns the fd that holds the lock.
        """
        fd = os.open(self.url.database + "-lock", os.O_RDWR | os.O_CREAT, 0o644)
        got, gave_up, state = threading.Event(), threading.Event(), threading.Lock()

        def take():
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
            except OSError:
                return
            with state:
                if gave_up.is_set():
                    os.close(fd)  # closing the description releases its lock
                else:
                    got.set()

        threading.Thread(target=take, daemon=True, name="activelens-store-lock").start()
        if got.wait(max(0.0, deadline - time.monotonic())):
            return fd
        with state:
            if got.is_set():
                return fd
            gave_up.set()
        raise self._locked_error()

    @contextmanager
    def _writer_turn(self):
        """SQLite: writers take turns on an flock'ed sidecar file (``<store>-lock``) before ``BEGIN IMMEDIATE``.

        SQLite's own busy handler sleeps with growing back-off (up to 100 ms) while it waits, which makes claim
        latency with several annotators spiky; the kernel wakes an flock waiter as soon as the lock is free.
        """
        if self.backend != "sqlite" or fcntl is None:
            yield
            return
        deadline = time.monotonic() + self.timeout
        if not self._thread_lock.acquire(timeout=self.timeout):
            raise self._locked_error()
        try:
            if self._lock_fd is None:
                self._lock_fd = os.open(self.url.database + "-lock", os.O_RDWR | os.O_CREAT, 0o644)
            held = self._lock_fd
            try:
                fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                held = self._wait_for_flock(deadline)
            try:
                yield
            finally:
                if held == self._lock_fd:
                    fcntl.flock(held, fcntl.LOCK_UN)
                else:
                    os.close(held)
        finally:
            self._thread_lock.release()

    def _check_sqlite_file(self, path):
        if path in (None, "", ":memory:"):
            raise ValueError("store must be a file path (an in-memory SQLite database would lose every label)")
        p = Path(path)
        if p.is_dir():
            raise StoreFormatError(f"store {str(p)!r} is a directory; give a file name such as 'labels.db'")
        if p.exists() and p.stat().st_size > 0:
            with open(p, "rb") as fh:
                head = fh.read(16)
            if head != SQLITE_HEADER:
                raise StoreFormatError(
                    f"store {str(p)!r} is not an SQLite database (it starts with {head[:8]!r}); it may be corrupted or "
                    "another kind of file. Nothing was written to it; give a new file name or restore it from a backup")
            # look before the engine switches the file to WAL (which rewrites its header): read-only, no pragmas
            import sqlite3
            from urllib.parse import quote

            try:
                con = sqlite3.connect(f"file:{quote(str(p))}?mode=ro", uri=True, timeout=self.timeout)
                try:
                    names = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")]
                finally:
                    con.close()
            except sqlite3.DatabaseError as exc:
                raise StoreFormatError(
                    f"store {str(p)!r} is corrupted or not an SQLite database ({exc}); nothing was written. Restore it "
                    "from a backup or give a new file name") from None
            if names and "activelens_meta" not in names:
                raise StoreFormatError(
                    f"store {str(p)!r} is an SQLite database of something else (tables: {', '.join(sorted(names)[:8])}); "
                    "nothing was written. Give a new file name for the label store")
        elif not p.parent.exists():
            raise StoreError(f"store {str(p)!r}: the folder {str(p.parent)!r} does not exist; create it first")

    # ----- transactions -----
    @contextmanager
    def write(self, durable: bool = True):
        """A write transaction: committed on exit, rolled back on error; lock waits beyond ``timeout`` raise.

        ``durable=False`` (SQLite, durability="full"): this commit skips its fsync (``synchronous=NORMAL``); it still
        survives a killed process and is made durable by the next durable commit. For queue leases, whose loss in a
        power cut only means an item is served again — never for labels or annotations.
        """
        self._after_fork()
        with self._writer_turn():
            try:
                if durable or self.backend != "sqlite" or self.durability != "full":
                    with self._writer.begin() as conn:
                        yield conn
                    return
                with self._writer.connect() as conn:
                    raw = conn.connection.dbapi_connection
                    raw.execute("PRAGMA synchronous=NORMAL")
                    try:
                        with conn.begin():
                            yield conn
                    finally:
                        raw.execute("PRAGMA synchronous=FULL")
            except sa_exc.DBAPIError as exc:
                raise self._translate(exc) from exc

    @contextmanager
    def read(self):
        self._after_fork()
        try:
            with self._reader.connect() as conn:
                yield conn
                conn.rollback()
        except sa_exc.DBAPIError as exc:
            raise self._translate(exc) from exc

    def _translate(self, exc):
        msg = str(getattr(exc, "orig", exc))
        low = msg.lower()
        code = getattr(getattr(exc, "orig", None), "sqlstate", None)
        if "database is locked" in low or "database is busy" in low or code in ("55P03", "40P01"):
            return self._locked_error()
        if "file is not a database" in low or "malformed" in low or "file is encrypted" in low:
            return StoreFormatError(
                f"store {self.where!r} is corrupted or not an SQLite database ({msg}); nothing was written. Restore it "
                "from a backup or give a new file name")
        if isinstance(exc, sa_exc.IntegrityError):
            if "activelens_labels.idx" in msg or "activelens_labels_idx_key" in msg:
                return StoreError(
                    f"store {self.where!r}: another process labeled one of these items since this learner was opened; "
                    "nothing was written. Reopen the learner (ActiveLearner(..., store=...)) to load its labels, or use "
                    "an AnnotationQueue so annotators never get the same item")
            if "activelens_rounds" in msg:
                return StoreError(
                    f"store {self.where!r}: another process recorded this round since this learner was opened; nothing "
                    "was written. Reopen the learner to load the other process's rounds")
            return StoreError(f"store {self.where!r} refused the write: {msg}")
        return StoreError(f"store {self.where!r}: database error: {msg}")

    def _locked_error(self):
        return StoreLockedError(
            f"store {self.where!r} is locked by another process and stayed locked for {self.timeout:g} s; nothing was "
            "written. Finish or close the other writer (a notebook in the middle of a transaction, a DB browser), "
            "or open the store with a larger timeout=")

    # ----- schema -----
    def _init_schema(self):
        try:
            insp_tables = set(sa.inspect(self._reader).get_table_names())
        except sa_exc.DBAPIError as exc:
            raise self._translate(exc) from exc
        ours = {t for t in insp_tables if t.startswith("activelens_")}
        if self.backend == "sqlite" and insp_tables and "activelens_meta" not in insp_tables:
            raise StoreFormatError(
                f"store {self.where!r} is an SQLite database of something else (tables: {', '.join(sorted(insp_tables)[:8])}); "
                "nothing was written. Give a new file name for the label store")
        if ours and "activelens_meta" not in ours:
            raise StoreFormatError(f"store {self.where!r} has activelens tables but no activelens_meta; it is damaged. "
                                   "Nothing was written; restore it from a backup or use a new store")
        if "activelens_meta" in ours:
            meta = self.meta()
            if meta.get("app") != APP:
                raise StoreFormatError(f"store {self.where!r} has an activelens_meta table that was not written by activelens")
            version = int(meta.get("schema_version", "0"))
            if version > SCHEMA_VERSION:
                raise StoreFormatError(f"store {self.where!r} has schema version {version}, newer than this activelens "
                                       f"understands ({SCHEMA_VERSION}); upgrade activelens")
            missing = set(TABLES) - ours
            if not missing:
                return
        with self.write() as conn:
            if self.backend == "postgresql":  # two processes creating the schema at once: one waits for the other
                conn.execute(sa.text("SELECT pg_advisory_xact_lock(hashtext('activelens_schema'))"))
            metadata.create_all(conn, checkfirst=True)
            have = {r.key for r in conn.execute(sa.select(T_META.c.key))}
            rows = [{"key": k, "value": v} for k, v in
                    (("app", APP), ("schema_version", str(SCHEMA_VERSION)), ("created", repr(time.time())))
                    if k not in have]
            if rows:
                conn.execute(sa.insert(T_META), rows)

    # ----- meta and blobs -----
    def meta(self) -> dict:
        with self.read() as conn:
            return {r.key: r.value for r in conn.execute(sa.select(T_META.c.key, T_META.c.value))}

    def set_meta(self, conn, values: dict):
        keys = list(values)
        conn.execute(sa.delete(T_META).where(T_META.c.key.in_(keys)))
        conn.execute(sa.insert(T_META), [{"key": k, "value": str(values[k])} for k in keys])

    def put_blob(self, conn, name: str, data: bytes):
        conn.execute(sa.delete(T_BLOBS).where(T_BLOBS.c.name == name))
        conn.execute(sa.insert(T_BLOBS), [{"name": name, "data": data}])

    def get_blob(self, name: str):
        with self.read() as conn:
            return conn.execute(sa.select(T_BLOBS.c.data).where(T_BLOBS.c.name == name)).scalar()

    # ----- the pool -----
    def bind_pool(self, X, hashes=None, *, estimator=None, settings=None, client=None,
                  verify: str | None = None) -> "RowHashes":
        """Check X against the pool this store was made for (or record it on first use). Returns its ``RowHashes``.

        First use: one pass over the pool records its fingerprint (row and feature counts, an order-sensitive and an
        order-free digest of every row's content hash) and the hashes of a seeded sample of ``SAMPLE_ROWS`` rows.
        Reopening (``verify="sample"``, the default) checks the counts, every labeled row against the content hash
        stored with its label, and the sampled rows: no pass over the pool. ``verify="full"`` hashes the whole pool
        again and compares its fingerprint. A mismatch raises PoolMismatchError naming what differs (row count, feature
        count, order, which rows changed); finding out which costs one pass, and nothing is written.

        ``X`` is an array or a ``Pool`` (the learner passes its own, whose row cache the restore's fit reuses). A pool
        whose rows live elsewhere (a distributed backend, with ``client``) is hashed where they live and never pulled
        here, so the store keeps no copy of it: the headless ``select`` then needs ``--pool`` (see ``load_pool``).
        ``hashes`` (optional) are every row's ``row_hashes``, if the caller has them already.
        """
        verify = self.verify_pool if verify is None else _check_verify(verify)
        pool = PoolHashes(make_pool(X, client=client), hashes=hashes)
        meta = self.meta()
        if "pool_hash" in meta:
            return self._check_pool(meta, pool, verify)
        fp = pool.fingerprint()
        positions = sample_positions(pool.n_rows)
        sample = {"rows": positions.tolist(), "hashes": pool.hashes(positions)}
        with self.write() as conn:
            have = {r.key: r.value for r in conn.execute(sa.select(T_META.c.key, T_META.c.value))}
            if "pool_hash" in have:  # another process bound it first
                return self._check_pool(have, pool, "full", fp=fp)
            values = {k: str(v) for k, v in fp.items()}
            values["pool_sample"] = json.dumps(sample)
            if settings:
                values["settings"] = json.dumps(settings)
            local = pool.pool.local_array
            if local is None:
                values["pool_kind"] = pool.pool.kind  # why there is no pool blob, for load_pool's message
            self.set_meta(conn, values)
            if local is not None and local.nbytes <= MAX_POOL_BLOB_BYTES:
                buf = io.BytesIO()
                np.save(buf, local, allow_pickle=False)
                self.put_blob(conn, "pool", buf.getvalue())
            if estimator is not None:
                try:
                    self.put_blob(conn, "estimator", pickle.dumps(estimator))
                except Exception:  # an unpicklable estimator only costs the headless select command
                    pass
        return RowHashes(pool, dict(zip(sample["rows"], sample["hashes"])))

    def _check_pool(self, meta, pool, verify, fp=None) -> "RowHashes":
        n0, f0 = int(meta["n_rows"]), int(meta["n_features"])
        where = self.where
        if pool.n_rows != n0 or pool.n_features != f0:
            raise PoolMismatchError(
                f"store {where!r} was made for a pool of {n0} rows × {f0} features, but X has {pool.n_rows} rows × "
                f"{pool.n_features} features. Pass the same X the labels were given for, or use a new store file")
        with self.read() as conn:
            stored = conn.execute(sa.select(T_LABELS.c.idx, T_LABELS.c.item_hash).order_by(T_LABELS.c.id)).all()
        if meta.get("pool_fingerprint") != FINGERPRINT_VERSION:  # made before fingerprints had a version: full check
            fp = pool_fingerprint(pool.all_hashes(), pool.n_features)
        elif fp is None and verify == "full":
            fp = pool.fingerprint()
        if fp is not None:
            if fp["pool_hash"] == meta["pool_hash"]:
                return RowHashes(pool, {})
            changed = None
        else:
            sample = json.loads(meta.get("pool_sample") or '{"rows": [], "hashes": []}')
            idx = [int(i) for i, _ in stored]
            want = [h for _, h in stored]
            got = pool.hashes(idx)  # in label order: the restore's fit asks for the same rows next
            changed = [i for i, a, b in zip(idx, got, want) if a != b]
            got_sample = pool.hashes(sample["rows"])
            if not changed and got_sample == sample["hashes"]:
                return RowHashes(pool, dict(zip(idx, got)) | dict(zip(sample["rows"], got_sample)))
            fp = pool.fingerprint()  # refused: one pass tells a reordered pool from a different one
        if fp["pool_set_hash"] == meta.get("pool_set_hash"):
            raise PoolMismatchError(
                f"store {where!r} was made for the same {n0} rows in a different order; the stored labels refer to "
                "positions in the original order. Pass X in its original order (no shuffling or sorting), or use a new store")
        if changed is None:
            got = pool.hashes([int(i) for i, _ in stored])
            changed = [int(i) for (i, h), g in zip(stored, got) if g != h]
        detail = (f"{len(changed)} of the {len(stored)} labeled rows have different content (first: row {changed[0]})"
                  if changed else "the labeled rows are unchanged but other rows differ")
        raise PoolMismatchError(
            f"store {where!r} was made for a different pool: its content hash does not match X ({detail}). Pass the X the "
            "labels were given for, or use a new store file")

    def load_pool(self):
        """The pool kept in the store, or None if it was too large; a StoreError for a store made with a pool whose
        rows live elsewhere (a distributed backend)."""
        data = self.get_blob("pool")
        kind = self.meta().get("pool_kind")
        if data is None and kind:
            raise StoreError(
                f"store {self.where!r} was made with a {kind} pool and keeps no copy of it (the headless select command "
                "needs the pool in memory); pass --pool X.npy holding the same rows in the same order")
        return None if data is None else np.load(io.BytesIO(data), allow_pickle=False)

    def load_estimator(self):
        """The estimator saved with the store (pickle: only open stores you trust, as with any pickle)."""
        data = self.get_blob("estimator")
        return None if data is None else pickle.loads(data)

    def settings(self) -> dict:
        s = self.meta().get("settings")
        return json.loads(s) if s else {}

    # ----- labels -----
    def add_labels(self, rows: list[dict], conn=None) -> None:
        """Insert label rows (keys: idx, item_hash, label (JSON text), annotator, ts, seconds, round, model_version,
        strategy, score, source) in one transaction."""
        if not rows:
            return
        if conn is not None:
            self._insert_labels(conn, rows)
            return
        with self.write() as c:
            self._insert_labels(c, rows)

    _LABEL_FIELDS = ("idx", "item_hash", "label", "annotator", "ts", "seconds", "round", "model_version", "strategy",
                     "score", "source")

    def _insert_labels(self, conn, rows):
        # straight to the driver's executemany (still bound parameters, never interpolated): SQLAlchemy's per-row
        # parameter processing would cost more than the insert itself on a bulk import
        mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
        sql = (f"INSERT INTO activelens_labels ({', '.join(self._LABEL_FIELDS)}) "
               f"VALUES ({', '.join([mark] * len(self._LABEL_FIELDS))})")
        fields = self._LABEL_FIELDS
        conn.exec_driver_sql(sql, [tuple(r[f] for f in fields) for r in rows])

    def labels_raw(self) -> list:
        with self.read() as conn:
            return conn.execute(sa.select(T_LABELS).order_by(T_LABELS.c.id)).all()

    def stored_labels(self) -> tuple[list[int], list]:
        """(pool positions, labels) of every stored label, in the order they were committed."""
        rows = self.labels_raw()
        return [int(r.idx) for r in rows], [load_label(r.label) for r in rows]

    def labels(self) -> pd.DataFrame:
        """Every training label with its provenance, in the order it was taught."""
        rows = self.labels_raw()
        data = [{"index": r.idx, "label": load_label(r.label), "annotator": r.annotator, "timestamp": r.ts,
                 "seconds": r.seconds, "round": r.round, "model_version": r.model_version, "strategy": r.strategy,
                 "score": r.score, "item_hash": r.item_hash, "source": r.source} for r in rows]
        return _frame(data, LABEL_COLUMNS, objects=("label", "annotator", "strategy", "item_hash", "source"),
                      floats=("timestamp", "seconds", "score"))

    def n_labels(self) -> int:
        with self.read() as conn:
            return int(conn.execute(sa.select(sa.func.count()).select_from(T_LABELS)).scalar())

    # ----- rounds -----
    def add_round(self, record: dict, conn=None) -> None:
        row = {"round": int(record["round"]), "data": json.dumps(record, default=_json_default)}
        if conn is not None:
            conn.execute(sa.insert(T_ROUNDS), [row])
            return
        with self.write() as c:
            c.execute(sa.insert(T_ROUNDS), [row])

    def rounds(self) -> list[dict]:
        with self.read() as conn:
            return [json.loads(r.data) for r in conn.execute(sa.select(T_ROUNDS.c.data).order_by(T_ROUNDS.c.round))]

    # ----- annotations (the queue writes them) -----
    def annotations(self) -> pd.DataFrame:
        """Every submitted annotation: index, annotator, label, timestamp, seconds, gold (1 if a gold item), gold_label."""
        with self.read() as conn:
            rows = conn.execute(sa.select(T_ANN, T_GOLD.c.label.label("gold_label"))
                                .select_from(T_ANN.outerjoin(T_GOLD, T_ANN.c.idx == T_GOLD.c.idx))
                                .order_by(T_ANN.c.id)).all()
        data = [{"index": r.idx, "annotator": r.annotator, "label": load_label(r.label), "timestamp": r.ts,
                 "seconds": r.seconds, "gold": bool(r.gold), "gold_label": load_label(r.gold_label)} for r in rows]
        return _frame(data, ["index", "annotator", "label", "timestamp", "seconds", "gold", "gold_label"],
                      objects=("annotator", "label", "gold_label"), floats=("timestamp", "seconds"))

    # ----- export -----
    def export(self, path=None, *, format: str | None = None, what: str = "labels"):
        """Labels (or annotations) with provenance: a DataFrame, or written to ``path`` as CSV or JSON Lines.

        ``format`` is "csv" or "jsonl" (default: from the file extension). Labels keep their type in JSON Lines; CSV
        writes them as text.
        """
        if what not in ("labels", "annotations"):
            raise ValueError(f"what must be 'labels' or 'annotations', got {what!r}")
        df = self.labels() if what == "labels" else self.annotations()
        if path is None and format is None:
            return df
        if format is None:
            suffix = Path(os.fspath(path)).suffix.lower()
            format = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "jsonl"}.get(suffix)
            if format is None:
                raise ValueError(f"cannot tell the format from {os.fspath(path)!r}; pass format='csv' or format='jsonl'")
        if format not in ("csv", "jsonl"):
            raise ValueError(f"format must be 'csv' or 'jsonl', got {format!r}")
        if format == "csv":
            text = df.to_csv(index=False, lineterminator="\n")
        else:
            text = "".join(json.dumps({k: _plain(v) for k, v in rec.items()}, ensure_ascii=False) + "\n"
                           for rec in df.to_dict(orient="records"))
        if path is None:
            return text
        Path(path).write_text(text, encoding="utf-8")
        return path

    def close(self):
        if self._lock_fd is not None and os.getpid() == self._pid:
            os.close(self._lock_fd)
            self._lock_fd = None
        self._writer.dispose()
        if self._reader is not self._writer:
            self._reader.dispose()

    def __repr__(self):
        return f"LabelStore({self.where!r}, backend={self.backend!r})"


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


def open_store(store, **kwargs) -> LabelStore:
    """A LabelStore from a LabelStore (returned as is), a file path or an SQLAlchemy URL."""
    if isinstance(store, LabelStore):
        return store
    return LabelStore(store, **kwargs)


# ----- a learner's write-through -----
class LearnerLink:
    """Keeps a store in step with one learner: writes what the learner emits (labels with provenance, rounds) in
    the same call, so a label is committed before ``teach`` returns; hashes each new row once."""

    def __init__(self, store: LabelStore, hashes: RowHashes):
        self.store, self.hashes = store, hashes
        self._dumped = {}

    def __call__(self, event) -> None:
        if isinstance(event, Taught):
            self.store.add_labels(self.rows(event.records))
        elif isinstance(event, Fitted):
            self.store.add_round(event.round.__dict__)

    def rows(self, records) -> list[dict]:
        self.hashes.fetch([r.index for r in records])   # the new rows' hashes in one read
        return [{"idx": r.index, "item_hash": self.hashes[r.index], "label": _dump_cached(self._dumped, r.label),
                 "annotator": r.annotator, "ts": r.timestamp, "seconds": _finite_or_none(r.seconds),
                 "round": r.round, "model_version": r.model_version, "strategy": r.strategy,
                 "score": _finite_or_none(r.score), "source": r.source} for r in records]


def stored_state(st: LabelStore) -> LearnerState:
    """The learner state a store holds: labels in the order they were committed, and rounds."""
    rows = st.labels_raw()
    rounds = tuple(Round(**{k: d[k] for k in Round.__dataclass_fields__}) for d in st.rounds())
    labels = tuple((int(r.idx), load_label(r.label)) for r in rows)
    return LearnerState(labels=labels, rounds=rounds, model_version=int(rounds[-1].model_version) if rounds else 0)


def open_store_for(learner, store) -> LabelStore:
    """Open ``store`` for ``learner``: check (or record) the pool, restore labels, rounds and the model through
    ``learner.restore``, then subscribe to the learner so every label and round it emits is committed."""
    st = open_store(store)
    hashes = st.bind_pool(learner.pool, estimator=learner.estimator, settings=learner.settings)
    state = stored_state(st)
    if state.labels or state.rounds:
        learner.restore(state)
    learner.subscribe(LearnerLink(st, hashes))
    return st


def _dump_cached(cache, v):
    try:
        key = (type(v), v)
        out = cache.get(key)
    except TypeError:  # unhashable
        return dump_label(v)
    if out is None:
        out = cache[key] = dump_label(v)
    return out
