"""Each row's squared distance to its nearest centre, kept beside a Dask pool on the workers: what k-center, the
greedy blend and k-means++ seeding update and read once per pick."""
from __future__ import annotations

import dask
import dask.array as da
import numpy as np

from activelens.backends.dask.compute import ChunkRunner, default_client, guard, local_positions, offsets

#: the tracker merges the pool's chunks to at least this many rows: a pick is one task per chunk, so fewer, fuller
#: chunks spend the pick on arithmetic rather than scheduling (1M rows × 50 float32 dims = 200 MB)
KCENTER_CHUNK_ROWS = 1_000_000


def _sq_norms_block(e):
    return np.einsum("ij,ij->i", e, e)


def _inf_block(e):
    return np.full(e.shape[0], np.inf, dtype=np.float32)


def _update_block(d2, e, sq, off, C=None, c_sq=None, centres=None):
    """``NearestDistance.add`` for one chunk: min over the new centres of ‖e‖² − 2e·c + ‖c‖², then centres -> -inf."""
    d2 = np.array(d2, dtype=np.float32, copy=True)
    if C.shape[0] == 1:  # one centre (every k-center pick): the same arithmetic on vectors, no (rows, 1) temporaries
        near = e @ C[0]
        near *= -2.0
        near += sq
        near += c_sq[0]
        np.maximum(near, 0.0, out=near)
        np.minimum(d2, near, out=d2)
        d2[local_positions(centres, off, off + d2.size)] = -np.inf
        return d2
    rows = max(1, (1 << 22) // max(1, C.shape[0]))
    for r0 in range(0, e.shape[0], rows):
        r1 = min(e.shape[0], r0 + rows)
        block = e[r0:r1] @ C.T
        block *= -2.0
        block += sq[r0:r1, None]
        block += c_sq[None, :]
        nearest = block.min(axis=1)
        np.maximum(nearest, 0.0, out=nearest)
        np.minimum(d2[r0:r1], nearest, out=d2[r0:r1])
    d2[local_positions(centres, off, off + d2.size)] = -np.inf
    return d2


def _exclude_block(d2, off, positions):
    d2 = np.array(d2, copy=True)
    d2[local_positions(positions, off, off + d2.size)] = -np.inf
    return d2


def _chunk_max(d2, e, offset):
    """This chunk's largest squared distance, the positions holding it and (for up to 64 of them) their embedding
    rows, so the next centre comes back with its row and adding it needs no extra trip."""
    best = d2.max()
    ties = np.flatnonzero(d2 == best)
    return float(best), offset + ties.astype(np.int64), offset + ties[:64], np.array(e[ties[:64]])


def _take_rows(e, local):
    return np.array(e[local])


def merge_row_chunks(E, min_rows: int):
    """Adjacent row chunks merged until each holds ``min_rows`` (a pick's tasks then do real work per chunk)."""
    merged, acc = [], 0
    for c in E.chunks[0]:
        acc += c
        if acc >= min_rows:
            merged.append(acc)
            acc = 0
    if acc:
        if merged:
            merged[-1] += acc
        else:
            merged.append(acc)
    return E if tuple(merged) == E.chunks[0] else E.rechunk((tuple(merged), E.shape[1]))


def pick_chunk_rows(n_rows: int, client=None) -> int:
    """Rows per chunk for a loop with one task per chunk and pick: ``KCENTER_CHUNK_ROWS`` (read when called), but at
    least two chunks per worker so every worker has a share."""
    workers = len(guard(client.nthreads)) if client is not None else 1
    return min(KCENTER_CHUNK_ROWS, -(-int(n_rows) // (2 * max(1, workers))))


class DaskNearestDistance:
    """``strategies.diversity.NearestDistance`` for a dask embedding.

    The squared-distance vector is kept beside the pool as persisted chunks on the workers (``d2`` gives it as a
    dask array); ``add`` is one task per chunk, ``argmax`` one small reduction (each chunk's max, its ties and their
    rows). The embedding is persisted once too, so a pick costs a pass over worker memory, not over the disk: worker
    memory holds its share of the embedding (n·d·4 bytes over the workers) plus two float32 vectors. A free row has
    d2 > -inf; centres and excluded rows hold -inf.

    Loops built on it (k-center, the greedy blend, k-means++) read the chunks through ``per_chunk``, hand it the rows
    a reduction brought back with ``remember_rows`` (so adding that centre needs no extra trip), and keep other
    per-row values beside it with ``align``.

    Parameters
    ----------
    E : dask.array.Array of float32, shape (n_rows, d)
        The embedding.
    client : distributed.Client, optional
        Default: the current default client, else this process.
    min_chunk_rows : int, optional
        Adjacent chunks are merged to at least this many rows; default: ``KCENTER_CHUNK_ROWS``, but at least two
        chunks per worker so every worker has a share.

    Attributes
    ----------
    offsets : ndarray of int64, shape (n_chunks + 1,)
        Where the (merged) chunks start, and the end.
    starts : list of int, length n_chunks
    n_pool : int
    dims : int
    n_centres : int
        Centres added so far.
    """

    def __init__(self, E, client=None, min_chunk_rows: int | None = None):
        self.client = client if client is not None else default_client()
        self._run = ChunkRunner(self.client)
        if min_chunk_rows is None:
            min_chunk_rows = pick_chunk_rows(int(E.shape[0]), self.client)
        E = merge_row_chunks(E, min_chunk_rows)
        self.offsets = offsets(E.chunks[0])
        self.starts = [int(o) for o in self.offsets[:-1]]
        self.n_pool = int(E.shape[0])
        self.dims = int(E.shape[1])
        self._E = self._run.persist(E)
        self._sq = self._run.map(_sq_norms_block, self._E)
        self._d2 = self._run.map(_inf_block, self._E)
        self._known_rows: dict[int, np.ndarray] = {}
        self.n_centres = 0

    @property
    def d2(self):
        """The squared distances as a (persisted) dask array of float32, shape (n_pool,), chunked like the tracker."""
        sizes = np.diff(self.offsets)
        return da.concatenate([da.from_delayed(dask.delayed(v) if self.client is None else v, shape=(int(m),),
                                               dtype=np.float32) for v, m in zip(self._d2, sizes)])

    def _rows(self, idx):
        missing = [int(i) for i in idx if int(i) not in self._known_rows]
        if missing:
            pos = np.asarray(missing, dtype=np.int64)
            chunk = np.searchsorted(self.offsets, pos, side="right") - 1
            for c in np.unique(chunk):
                local = pos[chunk == c] - self.offsets[c]
                rows = self._run.gather(self._run.map(_take_rows, [self._E[c]], local=local))[0]
                self._known_rows.update(zip(pos[chunk == c].tolist(), rows))
        return np.stack([self._known_rows[int(i)] for i in idx]).astype(np.float32)

    def add(self, idx) -> None:
        """Make the rows at positions ``idx`` (m,) centres: every row's d2 drops to its distance to them, theirs to -inf."""
        idx = np.atleast_1d(np.asarray(idx, dtype=np.intp))
        if idx.size == 0:
            return
        for c0 in range(0, idx.size, 512):
            centres = idx[c0:c0 + 512]
            C = self._rows(centres)
            c_sq = np.einsum("ij,ij->i", C, C)
            self._d2 = self._run.map(_update_block, self._d2, self._E, self._sq, self.starts, C=C, c_sq=c_sq,
                                     centres=np.unique(centres).astype(np.int64))
        self.n_centres += idx.size

    def exclude(self, idx) -> None:
        """Never pick the rows at positions ``idx``, without counting them as centres."""
        pos = np.unique(np.asarray(idx, dtype=np.int64))
        self._d2 = self._run.map(_exclude_block, self._d2, self.starts, positions=pos)

    def argmax(self) -> tuple[float, np.ndarray]:
        """(largest squared distance, sorted positions holding it); remembers up to 64 tied rows for ``add``."""
        got = self.per_chunk(_chunk_max, rows=True)
        best = max(g[0] for g in got)
        ties = np.concatenate([g[1] for g in got if g[0] == best])
        self.remember_rows(np.concatenate([g[2] for g in got if g[0] == best]),
                           [r for g in got if g[0] == best for r in g[3]])
        return best, ties

    # ----- for loops built on the tracker -----
    def align(self, values) -> list:
        """Per-row values kept beside the distances: ``values`` (dask array, shape (n_pool,)) persisted in the
        tracker's chunks, to pass to ``per_chunk``."""
        return self._run.persist(values.rechunk((tuple(np.diff(self.offsets).tolist()),)))

    def per_chunk(self, func, *aligned, rows: bool = False, chunk: int | None = None, **shared) -> list:
        """``func`` run on each chunk where it lives; its answers, one per chunk, here.

        Parameters
        ----------
        func : callable
            Called as ``func(d2, *parts, **shared)``, or with ``rows`` as ``func(d2, e, offset, *parts, **shared)``:
            d2 the chunk's squared distances (float32, (m,)), e its embedding rows (float32, (m, d)), offset its
            first pool position, ``parts`` the chunk's part of each of ``aligned``. It must not change its inputs.
        *aligned : list
            Per-chunk values from ``align``.
        rows : bool, default False
            Pass the chunk's embedding rows and offset too.
        chunk : int, optional
            Run on this chunk only (a list of one answer).
        **shared
            Passed to every call.
        """
        lists = [self._d2, self._E, self.starts] if rows else [self._d2]
        lists += list(aligned)
        if chunk is not None:
            lists = [[part[chunk]] for part in lists]
        return self._run.gather(self._run.map(func, *lists, **shared))

    def remember_rows(self, positions, rows) -> None:
        """The embedding rows at ``positions`` (m,) that a reduction brought back, float32 (m, d): the next ``add``
        of one of them needs no trip to the workers. Replaces what was remembered before."""
        self._known_rows = {int(i): r for i, r in zip(positions, rows)}


def weighted_chunk(sums: np.ndarray, rng) -> tuple[int, float]:
    """Where one draw proportional to weight lands, given each chunk's weight sum: ``(chunk, the rest of the draw
    within that chunk)``, with exactly one ``rng.random()`` -- the draw an in-memory ``rng.random() * total`` over the
    concatenated weights makes. The caller checks that some chunk holds weight."""
    target = rng.random() * sums.sum()
    cum = np.cumsum(sums)
    c = int(np.searchsorted(cum, target, side="right"))
    if c >= sums.size:   # rounding at the very end: the last chunk that holds weight
        c = int(np.flatnonzero(sums > 0)[-1])
    base = float(cum[c - 1]) if c else 0.0
    return c, max(0.0, target - base)
