"""The map's sample of a large pool keeps rare regions."""
from __future__ import annotations

import numpy as np
import pytest

da = pytest.importorskip("dask.array")
dask = pytest.importorskip("dask")

from activelens.backends.dask.map_sample import map_sample  # noqa: E402


def test_map_sample_keeps_rare_regions():
    """At most about n_max points, a rare group kept whole, the always-shown positions always there."""
    g = np.concatenate([np.zeros(30_000, int), np.ones(40, int), np.full(6_000, 2)])
    np.random.default_rng(0).shuffle(g)
    with dask.config.set(scheduler="sync"):
        pos = map_sample(da.from_array(g, chunks=5_000), 1_200, always=[0, 7, 9], random_state=0)
        again = map_sample(da.from_array(g, chunks=5_000), 1_200, always=[0, 7, 9], random_state=0)
    counts = np.bincount(g[pos], minlength=3)
    assert counts[1] == 40 and abs(pos.size - 1_203) < 150 and np.isin([0, 7, 9], pos).all()
    assert abs(counts[0] - counts[2]) < 150  # the two big groups get the same share
    np.testing.assert_array_equal(pos, again)

