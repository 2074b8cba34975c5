"""The database under a label store: SQLite (default, one file, WAL) or PostgreSQL (an SQLAlchemy URL).

One code path for both: SQLAlchemy Core, parameterized statements only (labels and annotator names are data, never
SQL). On SQLite every write transaction is ``BEGIN IMMEDIATE`` after the process's turn on the writer lock
(``activelens.storage.lock``), so writers queue instead of failing half-way; on PostgreSQL lock waits are bounded by
``lock_timeout``. Driver errors come out as ``StoreError``, ``StoreLockedError`` or ``StoreFormatError`` with a message
that says what to do.
"""
from __future__ import annotations

import math
import os
import sqlite3
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Iterator, cast
from urllib.parse import quote

import sqlalchemy as sa
from sqlalchemy import exc as sa_exc

from activelens.core.validation import check_scalar
from activelens.storage.errors import (StoreError, StoreFormatError, StoreReadOnlyError, foreign_database_error,
                                       locked_error)
from activelens.storage.lock import WriterLock, current_user

__all__ = ["StoreEngine", "SQLITE_HEADER"]

SQLITE_HEADER = b"SQLite format 3\x00"


class StoreEngine:
    """Connections to one label store's database, with write transactions that take turns and errors that explain.

    Parameters
    ----------
    target : str or os.PathLike
        A path to an SQLite file (created if missing) or an SQLAlchemy URL (``postgresql+psycopg://...``,
        ``sqlite:///...``).
    timeout : float, default=5.0
        Seconds a write waits for another process's lock before ``StoreLockedError``.
    durability : {"full", "normal"}, default="full"
        SQLite: "full" (``synchronous=FULL``: a committed write survives power loss) or "normal"
        (``synchronous=NORMAL``: survives a killed process, not a power cut; faster). PostgreSQL: server settings.

    Attributes
    ----------
    url : sqlalchemy.engine.URL
        Where the database is.
    backend : {"sqlite", "postgresql"}
        The database kind.
    where : str
        The file path (SQLite) or the URL with its password hidden, as messages name the store.
    timeout : float
    durability : str
    read_only : str or None
        Why the store can only be read (an SQLite file or folder this user may not write), or None. A read-only
        store is opened for reading (labels, export, restoring a learner); every write raises
        ``StoreReadOnlyError`` saying so.
    """

    def __init__(self, target, *, timeout: float = 5.0, durability: str = "full"):
        if not isinstance(target, (str, os.PathLike)):
            raise TypeError(f"store must be a file path or an SQLAlchemy URL string, got {type(target).__name__}")
        timeout = check_scalar(timeout, "timeout", float, low=0, include_low=False, what="seconds")
        if durability not in ("full", "normal"):
            raise ValueError(f"durability must be 'full' or 'normal', got {durability!r}")
        self.timeout = float(timeout)
        self.durability = durability
        target = os.fspath(target)
        if "\x00" in target:
            raise ValueError(f"store {target!r:.60} holds a NUL character (\\x00); remove it from the path or URL")
        if "://" in target:
            url = sa.engine.make_url(target)
        else:
            url = sa.engine.URL.create("sqlite", database=str(Path(target).expanduser().resolve()))
        self.url = url
        self.backend = url.get_backend_name()
        if self.backend not in ("sqlite", "postgresql"):
            raise ValueError(f"store URL must be sqlite:// or postgresql://, got {url.render_as_string(hide_password=True)!r}")
        # a SQLite database of None (in memory) is refused by _check_sqlite_file below
        self.where: str = (cast(str, url.database) if self.backend == "sqlite"
                      else url.render_as_string(hide_password=True))
        self._lock = None
        self.read_only = None
        if self.backend == "sqlite":
            self.read_only = _read_only_reason(url.database)
            _check_sqlite_file(url.database, self.timeout, self.read_only)
            self._lock = WriterLock(self.where + "-lock", self.timeout, self.where)
        self._pid = os.getpid()
        self._writer, self._reader = self._make_engines()

    def _make_engines(self):
        timeout = self.timeout
        if self.backend != "sqlite":
            ms = int(timeout * 1000)
            args = {"options": f"-c lock_timeout={ms}", "connect_timeout": max(1, int(math.ceil(timeout)))}
            writer = sa.create_engine(self.url, connect_args=args)
            return writer, writer
        sync = "FULL" if self.durability == "full" else "NORMAL"
        if self.read_only is not None:
            path = self.where
            eng = sa.create_engine("sqlite://", creator=lambda: _connect_read_only(path, timeout),
                                   poolclass=sa.pool.NullPool)

            @sa.event.listens_for(eng, "begin")
            def _begin_ro(conn):
                conn.exec_driver_sql("BEGIN")

            return None, eng

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

        return make(True), make(False)

    def _after_fork(self):
        # a forked child must not reuse the parent's connections, nor share its lock file description
        if os.getpid() != self._pid:
            if self._writer is not None:
                self._writer.dispose(close=False)
            if self._reader is not self._writer:
                self._reader.dispose(close=False)
            if self._lock is not None:
                self._lock.after_fork()
            self._pid = os.getpid()

    # ----- transactions -----
    @contextmanager
    def write(self, durable: bool = True) -> Iterator[sa.Connection]:
        """A write transaction: committed on exit, rolled back on error; lock waits beyond ``timeout`` raise.

        Parameters
        ----------
        durable : bool, default=True
            ``False`` (SQLite, durability="full"): this commit skips its fsync (``synchronous=NORMAL``); it still
            survives a killed process and is made durable by the next durable commit. For queue leases, whose loss in
            a power cut only means an item is served again — never for labels or annotations.

        Yields
        ------
        sqlalchemy.Connection
            The connection inside the transaction.

        Raises
        ------
        StoreLockedError
            Another writer held the lock longer than ``timeout``.
        StoreError
            The database refused the write (the message says why and what to do).
        """
        self._after_fork()
        if self.read_only is not None:
            raise self.read_only_error()
        with self._lock.turn() if self._lock is not None else nullcontext():
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
    def read(self) -> Iterator[sa.Connection]:
        """A read-only look at the database (rolled back on exit).

        Yields
        ------
        sqlalchemy.Connection
        """
        self._after_fork()
        try:
            with self._reader.connect() as conn:
                yield conn
                conn.rollback()
        except sa_exc.DBAPIError as exc:
            raise self._translate(exc) from exc

    def table_names(self) -> list[str]:
        """Every table in the database (activelens's and any other's).

        Returns
        -------
        list of str
        """
        try:
            return sa.inspect(self._reader).get_table_names()
        except sa_exc.DBAPIError as exc:
            raise self._translate(exc) from exc

    def read_only_error(self) -> StoreReadOnlyError:
        """The error for a write to a store that can only be read."""
        return StoreReadOnlyError(
            f"store {self.where!r} is read-only: {self.read_only or 'the database refused to write'}. Nothing was written; "
            "it can still be read (labels, export, restoring a learner). To write to it, get write access to the file "
            "and its folder from their owner, or copy the store to a folder you can write to")

    def _translate(self, exc):
        msg = str(getattr(exc, "orig", exc))
        low = msg.lower()
        code = getattr(getattr(exc, "orig", None), "sqlstate", None)
        if "database is locked" in low or "database is busy" in low or code in ("55P03", "40P01"):
            return locked_error(self.where, self.timeout)
        if "readonly database" in low or "read-only" in low or code == "25006":
            return self.read_only_error()
        if code == "42501":   # PostgreSQL: this database user lacks the right to write these tables
            return StoreReadOnlyError(
                f"store {self.where!r}: the database user may not write here ({msg.splitlines()[0]}); nothing was "
                "written. Ask the database's owner to GRANT INSERT, UPDATE, DELETE on the activelens_ tables, or "
                "connect as a user who may write")
        if "file is not a database" in low or "malformed" in low or "file is encrypted" in low:
            return _corrupted(self.where, msg)
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

    def close(self) -> None:
        """Close the lock file and every pooled connection."""
        if self._lock is not None:
            self._lock.close()
        if self._writer is not None:
            self._writer.dispose()
        if self._reader is not self._writer:
            self._reader.dispose()


def _read_only_reason(path) -> str | None:
    """Why this user can read but not write the SQLite store at ``path`` (None if it can write it, or if it does not
    exist yet). SQLite writes beside the file (its -wal and -shm files), and so does the writer lock (-lock)."""
    if path in (None, "", ":memory:"):
        return None
    p = Path(path)
    if not p.is_file():
        return None
    if not os.access(p, os.W_OK):
        return f"the file is not writable by this user ({current_user()})"
    folder = p.parent
    if not os.access(folder, os.W_OK):
        sidecars = [Path(f"{p}{suffix}") for suffix in ("-wal", "-shm", "-lock")]
        if not all(f.exists() and os.access(f, os.W_OK) for f in sidecars):
            return (f"its folder {str(folder)!r} is not writable by this user ({current_user()}), and SQLite writes its "
                    "journal files beside the store")
    return None


def _connect_read_only(path: str, timeout: float) -> sqlite3.Connection:
    """A read-only connection: ``mode=ro``, or where SQLite cannot make the WAL index it needs (a store in a read-only
    folder with no writer active, so no -shm file), ``immutable=1``."""
    try:
        con = sqlite3.connect(f"file:{quote(str(path))}?mode=ro", uri=True, timeout=timeout, check_same_thread=False)
        con.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlite3.OperationalError as exc:
        low = str(exc).lower()
        if "readonly" not in low and "unable to open" not in low:
            raise
        con = sqlite3.connect(f"file:{quote(str(path))}?immutable=1", uri=True, timeout=timeout,
                              check_same_thread=False)
    con.isolation_level = None
    return con


def _check_sqlite_file(path, timeout: float, read_only: str | None = None) -> None:
    """Refuse, before anything is written, a path that is a folder, another kind of file, a damaged database or
    another application's database."""
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
        try:
            con = _connect_read_only(str(p), timeout)
            try:
                names = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")]
            finally:
                con.close()
        except sqlite3.DatabaseError as exc:
            low = str(exc).lower()
            if read_only is None and ("readonly" in low or "unable to open" in low):
                raise StoreReadOnlyError(f"store {str(p)!r} cannot be opened: {exc}; check this user "
                                         f"({current_user()}) may read the file and write its folder") from None
            raise _corrupted(str(p), exc) from None
        if names and "activelens_meta" not in names:
            raise foreign_database_error(str(p), names)
    elif not p.parent.exists():
        raise StoreError(f"store {str(p)!r}: the folder {str(p.parent)!r} does not exist; create it first")
    elif not os.access(p.parent, os.W_OK):
        raise StoreReadOnlyError(f"store {str(p)!r} cannot be created: the folder {str(p.parent)!r} is not writable by "
                                 f"this user ({current_user()}); give a path in a folder you can write to")


def _corrupted(where: str, detail) -> StoreFormatError:
    return StoreFormatError(f"store {where!r} is corrupted or not an SQLite database ({detail}); nothing was written. "
                            "Restore it from a backup or give a new file name")
