"""Running work on the cluster: compute, persist, broadcast, one task per chunk, and a failure as one ``ClusterError``.

Errors of the data or the model (``DATA_ERRORS``) pass through as they are; anything else the cluster raises (a killed
worker, a closed connection, a closed client) becomes one ``ClusterError`` whose message says nothing was recorded.
After a failure the failed futures are released before the error reaches the caller, so calling again at once works.
"""
from __future__ import annotations

import asyncio
import weakref
from typing import Any

import dask
import numpy as np
from dask.base import get_scheduler

from activelens.core.pool import PoolError

#: errors of the data or the model: they reach the caller unchanged
DATA_ERRORS = (ValueError, TypeError, IndexError, KeyError, ArithmeticError)


class ClusterError(PoolError):
    """The Dask cluster failed (a worker died, the scheduler went away) during a round; nothing was recorded."""


def _round_failed(exc: BaseException) -> ClusterError:
    return ClusterError(
        f"the Dask cluster failed during this round ({type(exc).__name__}: {exc}); nothing was recorded — "
        "check the cluster (client.dashboard_link) and call the same method again")


# ----- positions and chunks -----
def offsets(chunks) -> np.ndarray:
    """Where each chunk starts, and the end.

    Parameters
    ----------
    chunks : sequence of int of length n_chunks
        Rows per chunk (``X.chunks[0]``).

    Returns
    -------
    ndarray of int64, shape (n_chunks + 1,)
        ``[0, c0, c0 + c1, ..., n_rows]``.
    """
    return np.concatenate([[0], np.cumsum(chunks)]).astype(np.int64)


def local_positions(positions: np.ndarray, lo: int, hi: int) -> np.ndarray:
    """Sorted pool positions that fall in ``[lo, hi)``, as positions within that chunk.

    Parameters
    ----------
    positions : ndarray of int, shape (m,)
        Sorted pool positions.
    lo, hi : int
        The chunk's first position and the one past its last.

    Returns
    -------
    ndarray of intp, shape (k,)
        ``positions[lo <= positions < hi] - lo``.
    """
    a, b = np.searchsorted(positions, [lo, hi])
    return (positions[a:b] - lo).astype(np.intp)


def blocks(A) -> list:
    """The chunks of the dask array ``A`` (chunked along rows only) as a list of ``Delayed``, one per chunk.

    Taken without optimising the graph: with dask 2025.1 an optimised ``to_delayed`` of a persisted array (whose
    graph holds futures) hands the tasks a chunk's key instead of its values.
    """
    return A.to_delayed(optimize_graph=False).ravel().tolist()


def block_start(block_info) -> int:
    """The pool position of a ``map_blocks`` chunk's first row, from its ``block_info`` (0 without one)."""
    return int(block_info[0]["array-location"][0][0]) if block_info else 0


# ----- compute, persist, broadcast -----
def default_client():
    """The ``distributed.Client`` dask would use now (its default scheduler), or None if that is not a client."""
    client = getattr(get_scheduler(), "__self__", None)
    return client if hasattr(client, "submit") else None


def send_releases(client=None) -> None:
    """After a failed compute: let the client's event loop send the releases ``Client.get`` queued, before we return.

    ``Future.release`` only queues ``_dec_ref`` on the client's loop, and ``_dec_ref`` queues the
    "client-releases-keys" message behind whatever is queued by then. Calling again at once could queue the next
    "update-graph" first; the scheduler then still holds the failed graph's erred keys, and a key shared by both
    graphs (the pool's chunks: a dask array's chunk keys are fixed by its name) makes the new graph fail at once with
    the old error. Yielding a few times on the loop runs the queued ``_dec_ref`` and their sends, so the releases go
    out first.

    Parameters
    ----------
    client : distributed.Client, optional
        Default: the current default client; nothing to do without one.
    """
    # seen before this existed: a first retry failing with KilledWorker on a pool chunk after a worker died,
    # about 1 run in 8
    client = client if client is not None else default_client()
    if client is None or not hasattr(client, "sync"):
        return

    async def _let_queued_callbacks_run():
        for _ in range(3):
            await asyncio.sleep(0)

    try:
        client.sync(_let_queued_callbacks_run)
    except Exception:  # a closed client: nothing to release
        pass


def compute(*collections, client=None) -> tuple:
    """``dask.compute``, with a cluster failure turned into one ``ClusterError``.

    Parameters
    ----------
    *collections : dask collections
    client : distributed.Client, optional
        Default: dask's current scheduler.

    Returns
    -------
    tuple
        One computed value per collection.

    Raises
    ------
    ClusterError
        The cluster failed; the failed keys are released first, so calling again recomputes them.
    """
    try:
        # through Client.get (scheduler=client): it releases its futures even on failure, so the failed keys
        # are forgotten and calling again recomputes them
        return dask.compute(*collections, scheduler=client) if client is not None else dask.compute(*collections)
    except DATA_ERRORS:
        send_releases(client)
        raise
    except Exception as exc:  # KilledWorker, CommClosedError, CancelledError, TimeoutError, a closed client, ...
        send_releases(client)
        raise _round_failed(exc) from exc


def persist(collection, client=None):
    """``collection`` persisted (on the client's workers, or in this process without a client).

    Raises
    ------
    ClusterError
        The cluster failed while persisting.
    """
    try:
        return client.persist(collection) if client is not None else dask.persist(collection)[0]
    except Exception as exc:
        raise ClusterError(f"the Dask cluster failed while persisting ({type(exc).__name__}: {exc}); nothing was recorded") from exc


def broadcast(obj):
    """One task holding ``obj`` (a model, a fitted transform): each worker fetches it once, whatever the number of chunks.

    Returns
    -------
    dask.delayed.Delayed
    """
    return dask.delayed(obj, traverse=False)


def guard(func, *args, **kwargs):
    """``func(*args, **kwargs)``, with a cluster failure turned into one ``ClusterError`` (data errors pass through).

    The failure's traceback is dropped from the cause, so the frames it held (and the futures in their locals) go.
    """
    try:
        return func(*args, **kwargs)
    except DATA_ERRORS:
        raise
    except Exception as exc:  # KilledWorker, CommClosedError, CancelledError, a closed client, ...
        raise _round_failed(exc) from exc.with_traceback(None)


class ChunkRunner:
    """Per-chunk values kept where they were computed, for the steps of a sequential loop (a k-center pick).

    Futures on a distributed client (the chunks stay on the workers), numpy arrays in this process otherwise.
    ``map`` runs one task per chunk without building a graph, so a step costs a few milliseconds of scheduling, not
    a graph build. On a cluster failure every future this runner made that is still alive is released before the
    ``ClusterError`` reaches the caller: a loop holds its per-chunk futures in locals, and the error's traceback
    keeps those frames, so without this the erred futures and the persisted chunks would stay on the client and the
    scheduler (recomputing lost chunks for nobody) until the exception is garbage-collected.

    Parameters
    ----------
    client : distributed.Client or None
        None: run in this process.
    """

    def __init__(self, client):
        self.client = client
        # the futures made here that are still alive (by id: equal keys must not merge), released on a cluster failure
        self._alive: weakref.WeakValueDictionary[int, Any] = weakref.WeakValueDictionary()

    def _call(self, func, *args, **kwargs):
        try:
            return guard(func, *args, **kwargs)
        except ClusterError:
            for f in list(self._alive.values()):
                f.release()
            send_releases(self.client)
            raise

    def _keep(self, future):
        self._alive[id(future)] = future
        return future

    def persist(self, A) -> list:
        """The blocks of the dask array ``A`` (chunked along rows only) computed and kept: a list, one per chunk."""
        return self.keep(blocks(A))

    def keep(self, blocks: list) -> list:
        """Delayed values (one per chunk) computed and kept where they were computed: a list in the same order."""
        if self.client is not None:
            return [self._keep(f) for f in self._call(self.client.compute, blocks)]
        return list(compute(*blocks))

    def map(self, func, *per_chunk, **shared) -> list:
        """``func(*parts, **shared)`` for each chunk, ``parts`` taken one from each list of ``per_chunk``; not gathered."""
        if self.client is not None:
            return [self._keep(self._call(self.client.submit, func, *parts, pure=False, **shared))
                    for parts in zip(*per_chunk)]
        return [func(*parts, **shared) for parts in zip(*per_chunk)]

    def gather(self, values: list) -> list:
        """The values of what ``map`` returned, here."""
        return self._call(self.client.gather, values) if self.client is not None else values
