"""Top-n on a dask array: the in-memory top_n's positions, a few candidates per chunk."""
from __future__ import annotations

import numpy as np
import pytest

da = pytest.importorskip("dask.array")
dask = pytest.importorskip("dask")

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from activelens.backends.dask import select  # noqa: E402
from activelens.backends.dask.select import dask_top_n  # noqa: E402
from activelens.strategies.select import top_n  # noqa: E402

from .helpers import CHUNK, N  # noqa: E402


@settings(max_examples=25, deadline=None)
@given(n=st.integers(1, 40), levels=st.integers(1, 6), seed=st.integers(0, 2**16), n_excl=st.integers(0, 30),
       chunk=st.integers(7, 120))
def test_top_n_ties_identical(n, levels, seed, n_excl, chunk):
    """Heavy ties across chunk borders: the same positions as the in-memory top_n, same generator state after."""
    rng = np.random.default_rng(seed)
    s = rng.integers(0, levels, size=300).astype(np.float64)
    excl = rng.choice(300, size=n_excl, replace=False)
    a_rng, b_rng = np.random.default_rng(seed + 1), np.random.default_rng(seed + 1)
    with dask.config.set(scheduler="sync"):
        got = dask_top_n(da.from_array(s, chunks=chunk), n, b_rng, exclude=excl)
    np.testing.assert_array_equal(top_n(s, n, a_rng, exclude=excl), got)
    assert a_rng.random() == b_rng.random()


def test_top_n_brings_back_a_few_candidates_per_chunk(data):
    """The reduce sees about n per chunk, never the scores of the whole pool."""
    X, _ = data
    s = da.from_array(np.random.default_rng(0).random(N), chunks=CHUNK)
    parts = [select._chunk_candidates(np.asarray(b), 0, np.empty(0, np.intp), 5) for b in s.blocks]
    assert sum(p[0].size for p in parts) == 5 * s.npartitions

