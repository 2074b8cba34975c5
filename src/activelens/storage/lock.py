"""Writers to one SQLite store take turns on an flock'ed sidecar file (``<store>-lock``) before ``BEGIN IMMEDIATE``.

SQLite's own busy handler sleeps with growing back-off (up to 100 ms) while it waits, which makes claim latency with
several annotators spiky; the kernel wakes an flock waiter as soon as the lock is free. Where there is no ``fcntl``
(Windows) a turn is free and SQLite's busy handler does the waiting.
"""
from __future__ import annotations

import os
import threading
import time
from contextlib import contextmanager
from typing import Iterator

from activelens.storage.errors import StoreReadOnlyError, locked_error

try:
    import fcntl
except ImportError:  # Windows: SQLite's own busy handler does the waiting
    fcntl = None   # type: ignore[assignment]  # a module or None: mypy has no type for an optional import

__all__ = ["WriterLock", "current_user", "owner_of"]


def current_user() -> str:
    """This process's user name (its uid where there is no name)."""
    try:
        import pwd
        return pwd.getpwuid(os.geteuid()).pw_name
    except (ImportError, KeyError, AttributeError):
        return str(getattr(os, "geteuid", lambda: "?")())


def owner_of(path) -> str:
    """The name of the user who owns ``path`` (its uid where there is no name)."""
    try:
        uid = os.stat(path).st_uid
    except OSError:
        return "?"
    try:
        import pwd
        return pwd.getpwuid(uid).pw_name
    except (ImportError, KeyError):
        return f"uid {uid}"


def _open_lock_file(path: str, where: str) -> int:
    """The lock file, opened for writing (created if missing); a permission problem becomes a StoreReadOnlyError that
    names whose file it is and what to do."""
    try:
        return os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except PermissionError:
        me = current_user()
        if os.path.exists(path):
            owner = owner_of(path)
            raise StoreReadOnlyError(
                f"store {where!r}: its writer lock file {path!r} belongs to {owner}, and this user ({me}) may not write "
                f"it; nothing was written. Ask {owner} to let the team write it (chmod g+w, or a+w, {path!r}); or, when "
                "nobody is writing to the store, delete the lock file: it holds no data and is made again") from None
        raise StoreReadOnlyError(
            f"store {where!r}: this user ({me}) may not create the writer lock file {path!r} in its folder; nothing was "
            "written. Get write access to the folder, or copy the store to a folder you can write to") from None


class WriterLock:
    """One process's turn at writing an SQLite store: a thread lock, then an exclusive ``flock`` on a sidecar file.

    Parameters
    ----------
    path : str
        The sidecar lock file (created if missing), e.g. ``"labels.db-lock"``.
    timeout : float
        Seconds a turn waits for other threads and processes before ``StoreLockedError``.
    where : str
        The store's name in the error message.
    """

    def __init__(self, path: str, timeout: float, where: str):
        self.path, self.timeout, self.where = path, float(timeout), where
        self._pid = os.getpid()
        self._fd: int | None = None
        self._thread_lock = threading.Lock()

    @contextmanager
    def turn(self) -> Iterator[None]:
        """Hold the lock for the body of the ``with`` block.

        Raises
        ------
        StoreLockedError
            Another thread or process held it longer than ``timeout``.
        """
        if fcntl is None:
            yield
            return
        deadline = time.monotonic() + self.timeout
        if not self._thread_lock.acquire(timeout=self.timeout):
            raise locked_error(self.where, self.timeout)
        try:
            if self._fd is None:
                self._fd = _open_lock_file(self.path, self.where)
            held = self._fd
            try:
                fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                held = self._wait(deadline)
            try:
                yield
            finally:
                if held == self._fd:
                    fcntl.flock(held, fcntl.LOCK_UN)
                else:
                    os.close(held)
        finally:
            self._thread_lock.release()

    def _wait(self, deadline: float) -> int:
        """Block in flock (the kernel wakes us the moment the lock is free, no polling) on a helper thread, so the
        wait can time out; a helper that gets the lock after we gave up hands it straight back.

        The helper locks its own open file description (a lock taken through the shared fd would be the same lock as
        ours, and its late unlock would release a later turn's lock). Returns the fd that holds the lock.
        """
        fd = _open_lock_file(self.path, self.where)
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
        raise locked_error(self.where, self.timeout)

    def after_fork(self) -> None:
        """In a forked child: forget the parent's lock file description and thread lock (never share or close them)."""
        if os.getpid() != self._pid:
            self._fd = None
            self._thread_lock = threading.Lock()
            self._pid = os.getpid()

    def close(self) -> None:
        """Close the lock file (only in the process that opened it)."""
        if self._fd is not None and os.getpid() == self._pid:
            os.close(self._fd)
            self._fd = None
