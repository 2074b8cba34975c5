"""A raw binary file on disk as a dask array, each chunk read by the worker that needs it."""
from __future__ import annotations

import dask.array as da
import numpy as np

#: scattered rows are read through a mapping of at most this many bytes of the file at a time
MEMMAP_WINDOW_BYTES = 64 << 20
_SOURCES: dict = {}  # dask array name -> MemmapRows, for arrays made by from_memmap


class MemmapRows:
    """An array-like over a raw binary file that pickles as (path, shape, dtype, offset) and opens the file where it
    is read: ``da.from_array(MemmapRows(...))`` sends a few bytes per task, where ``da.from_array(np.memmap(...))``
    would pickle the whole array into the graph.

    Parameters
    ----------
    path : str or path-like
        The file, as ``np.memmap`` (or ``ndarray.tofile``) writes it: C order, no header.
    shape : tuple of int, e.g. (n_rows, n_features)
    dtype : numpy dtype, default float32
    offset : int, default 0
        Bytes to skip at the start of the file.

    Notes
    -----
    ``rows[positions]`` with a 1-D integer array reads scattered rows through one window of ``MEMMAP_WINDOW_BYTES``
    of the file at a time; any other key reads through a mapping of the whole file.
    """

    def __init__(self, path, shape, dtype=np.float32, offset: int = 0):
        self.path, self.shape, self.dtype, self.offset = str(path), tuple(int(s) for s in shape), np.dtype(dtype), int(offset)
        self.ndim = len(self.shape)

    def __getitem__(self, key):
        if isinstance(key, np.ndarray) and key.ndim == 1 and key.dtype.kind in "iu":
            return self._read_rows(key)
        mm = np.memmap(self.path, dtype=self.dtype, mode="r", shape=self.shape, offset=self.offset)
        return np.array(mm[key])

    def _read_rows(self, positions: np.ndarray) -> np.ndarray:
        """Scattered rows (any order, repeats, negative positions), read window by window.

        Fancy-indexing a memmap of the whole file faults in the pages around every row (readahead), so a scattered
        read would put most of the file in the worker's RSS for the moment of the read — what a Dask nanny's memory
        limit counts. A window is unmapped before the next one is read.
        """
        # measured before windows: 100k random rows of a 10M x 64 float32 file put all 2.5 GB of it in the RSS
        # (BENCHMARKS.md, the Explorer on a Dask pool)
        positions = np.asarray(positions, dtype=np.int64)
        n = self.shape[0]
        out = np.empty((positions.size,) + self.shape[1:], dtype=self.dtype)
        if positions.size == 0:
            return out
        if positions.min() < -n or positions.max() >= n:
            raise IndexError(f"row positions out of range for a file of {n} rows")
        positions = np.where(positions < 0, positions + n, positions)
        row_bytes = max(1, int(np.prod(self.shape[1:], dtype=np.int64)) * self.dtype.itemsize)
        window = max(1, MEMMAP_WINDOW_BYTES // row_bytes)
        order = np.argsort(positions, kind="stable")
        sorted_pos = positions[order]
        starts = np.unique(sorted_pos // window) * window
        cuts = np.searchsorted(sorted_pos, np.append(starts, n + window))
        for w0, a, b in zip(starts.tolist(), cuts[:-1].tolist(), cuts[1:].tolist()):
            rows = min(window, n - w0)
            mm = np.memmap(self.path, dtype=self.dtype, mode="r", shape=(rows,) + self.shape[1:],
                           offset=self.offset + w0 * row_bytes)
            out[order[a:b]] = mm[sorted_pos[a:b] - w0]
            del mm   # unmapped: its pages leave this process's RSS before the next window
        return out

    def __reduce__(self):
        return MemmapRows, (self.path, self.shape, self.dtype.str, self.offset)


def from_memmap(path, shape, dtype=np.float32, chunk_rows: int = 500_000, offset: int = 0):
    """A dask array over a raw binary file as ``np.memmap`` writes it, each chunk read by the worker that needs it.

    Parameters
    ----------
    path : str or path-like
    shape : tuple of int, (n_rows, n_features)
    dtype : numpy dtype, default float32
    chunk_rows : int, default 500_000
        Rows per chunk.
    offset : int, default 0
        Bytes to skip at the start of the file.

    Returns
    -------
    dask.array.Array of shape ``shape``
        A few rows of it (``gather_rows``) are read straight from the file, not through the chunks that hold them.
    """
    rows = MemmapRows(path, shape, dtype, offset)
    X = da.from_array(rows, chunks=(int(chunk_rows),) + rows.shape[1:], asarray=False, fancy=False,
                      name=f"memmap-{rows.path}-{rows.shape}-{rows.dtype.str}-{rows.offset}-{int(chunk_rows)}")
    _SOURCES[X.name] = rows
    return X


def memmap_source(X) -> MemmapRows | None:
    """The file behind ``X`` if ``from_memmap`` made it, else None."""
    return _SOURCES.get(getattr(X, "name", None))
