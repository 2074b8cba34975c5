"""The label store's exceptions: each message says what is wrong and what to do."""
from __future__ import annotations

__all__ = ["StoreError", "StoreFormatError", "StoreLockedError", "PoolMismatchError", "QueueError",
           "UntrustedEstimatorError", "StoreReadOnlyError", "locked_error", "foreign_database_error"]


class StoreError(RuntimeError):
    """Something is wrong with the label store; the message says what and what to do."""


class StoreFormatError(StoreError):
    """The file is not an activelens store (corrupted, foreign, or from a newer version)."""


class StoreLockedError(StoreError):
    """Another process held the store's write lock longer than ``timeout``."""


class PoolMismatchError(StoreError):
    """The store was made for a different pool (other rows, other order, other features)."""


class UntrustedEstimatorError(StoreError):
    """The estimator kept in the store would have to run code to be loaded (a pickle, untrusted types): refused."""


class StoreReadOnlyError(StoreError):
    """The store can be read but not written (a read-only file or folder, a lock file this user may not write)."""


class QueueError(StoreError):
    """A queue operation that does not fit the queue's state (not served, not held, already submitted)."""


def locked_error(where: str, timeout: float) -> StoreLockedError:
    """The error for a write that waited ``timeout`` seconds for another writer's lock.

    Parameters
    ----------
    where : str
        The store's file path or URL (password hidden), as it appears in messages.
    timeout : float
        Seconds the write waited.

    Returns
    -------
    StoreLockedError
        To be raised by the caller.
    """
    return StoreLockedError(
        f"store {where!r} is locked by another process and stayed locked for {timeout:g} s; nothing was "
        "written. Finish or close the other writer (a notebook in the middle of a transaction, a DB browser), "
        "or open the store with a larger timeout=")


def foreign_database_error(where: str, tables) -> StoreFormatError:
    """The error for an SQLite file that holds another application's tables (nothing is written to it).

    Parameters
    ----------
    where : str
        The store's file path.
    tables : iterable of str
        The tables found; the first eight (sorted) are named.

    Returns
    -------
    StoreFormatError
    """
    return StoreFormatError(
        f"store {where!r} is an SQLite database of something else (tables: {', '.join(sorted(tables)[:8])}); "
        "nothing was written. Give a new file name for the label store")
