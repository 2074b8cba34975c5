"""A raw file on disk as a dask array: read per chunk on the workers, scattered rows read window by window."""
from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("dask.array")
pytest.importorskip("distributed")

from activelens.backends.dask import memmap  # noqa: E402
from activelens.backends.dask.memmap import from_memmap  # noqa: E402

from .helpers import CHUNK, N, run_rounds  # noqa: E402


def test_from_memmap_reads_on_workers(client, data, tmp_path):
    X, y = data
    path = tmp_path / "pool.f32"
    mm = np.memmap(path, dtype=np.float32, mode="w+", shape=X.shape)
    mm[:] = X
    mm.flush()
    del mm
    pool = from_memmap(path, X.shape, chunk_rows=CHUNK)
    assert pool.npartitions == -(-N // CHUNK)
    _, a = run_rounds(X, y, "margin", rounds=1)
    _, b = run_rounds(pool, y, "margin", client=client, rounds=1)
    np.testing.assert_array_equal(a[-1].indices, b[-1].indices)


@pytest.mark.parametrize("window_rows", [1, 7, 10_000])
def test_memmap_scattered_rows_read_window_by_window(tmp_path, monkeypatch, window_rows):
    """Rows by position (any order, repeats, negative) equal the memmap's own fancy indexing, whatever the window."""
    n, d = 1000, 5
    X = np.arange(n * d, dtype=np.float32).reshape(n, d)
    path = tmp_path / "pool.f32"
    X.tofile(path)
    monkeypatch.setattr(memmap, "MEMMAP_WINDOW_BYTES", window_rows * d * 4)
    rows = memmap.MemmapRows(path, (n, d))
    rng = np.random.default_rng(window_rows)
    for pos in [rng.choice(n, 300), np.array([999, 0, 0, 6, 7, 8, -1, -1000]), np.array([], dtype=np.int64),
                np.arange(n)]:
        np.testing.assert_array_equal(rows[pos], X[pos])
    with pytest.raises(IndexError, match="out of range"):
        rows[np.array([3, n])]

