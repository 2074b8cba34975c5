"""Margin spread by k-means (strategy "margin_kmeans", and "auto" once a model exists) on a Dask pool past the sample:
its candidates are the in-memory ones."""
from __future__ import annotations

import numpy as np
import pytest

da = pytest.importorskip("dask.array")
pytest.importorskip("distributed")

from activelens.backends.dask import rows  # noqa: E402

from .helpers import CHUNK, D, run_rounds  # noqa: E402


@pytest.mark.parametrize("strategy", ["margin_kmeans", "auto"])
def test_past_the_sample_picks_are_among_the_lowest_margins(client, data, monkeypatch, strategy):
    """Past SAMPLE_ROWS the embedding is fitted on a sample, so the k-means over the candidates can group them
    differently from memory; the candidates can not: every pick is among the 5·batch lowest-margin unlabeled items,
    with its margin, and the batch is spread over them (not their top)."""
    monkeypatch.setattr(rows, "SAMPLE_ROWS", 1000)
    X, y = data
    dsk, got = run_rounds(da.from_array(X, chunks=(CHUNK, D)), y, strategy, client=client, rounds=1, batch=10)
    b = got[-1]
    assert b.rule == "margin_kmeans"
    u = np.sort(dsk.predict_proba().compute(), axis=1)
    margins = 1.0 - (u[:, -1] - u[:, -2])
    margins[dsk.labeled_indices] = -np.inf
    candidates = np.argsort(-margins, kind="stable")[:50]
    assert np.isin(b.indices, candidates).all() and np.unique(b.indices).size == 10
    np.testing.assert_allclose(b.scores, margins[b.indices], rtol=1e-12)
    assert not np.array_equal(np.sort(b.indices), np.sort(candidates[:10]))   # spread, not the top 10
