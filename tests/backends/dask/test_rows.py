"""Checking a dask pool: one clear error, and the fix it names works."""
from __future__ import annotations

import pytest

da = pytest.importorskip("dask.array")

from sklearn.linear_model import LogisticRegression  # noqa: E402

from activelens import ActiveLearner  # noqa: E402

from .helpers import CHUNK, D  # noqa: E402


# ----- bad input: one clear error, nothing recorded -----
def test_unknown_chunk_sizes_is_one_clear_error(data):
    X, _ = data
    Xd = da.from_array(X, chunks=(CHUNK, D))
    masked = Xd[Xd[:, 0] > 0]
    with pytest.raises(ValueError, match="unknown chunk sizes.*compute_chunk_sizes"):
        ActiveLearner(LogisticRegression(), masked)
    ActiveLearner(LogisticRegression(), masked.compute_chunk_sizes())  # the fix the message names works

