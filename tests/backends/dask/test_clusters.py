"""Cluster-Margin on a Dask pool past the sample: its picks are among the in-memory candidates."""
from __future__ import annotations

import numpy as np
import pytest

da = pytest.importorskip("dask.array")
pytest.importorskip("distributed")

from activelens.backends.dask import rows  # noqa: E402

from .helpers import CHUNK, D, run_rounds  # noqa: E402


def test_past_the_sample(client, data, monkeypatch):
    """Past SAMPLE_ROWS the embedding and the clusters are fitted on a sample, so Cluster-Margin's picks can differ
    from memory; its candidates can not: every pick is among the in-memory path's lowest-margin candidates, with the
    same margin."""
    monkeypatch.setattr(rows, "SAMPLE_ROWS", 1000)
    X, y = data
    _, mem = run_rounds(X, y, "cluster_margin", rounds=1, batch=10)
    dsk, got = run_rounds(da.from_array(X, chunks=(CHUNK, D)), y, "cluster_margin", client=client, rounds=1, batch=10)
    labeled = dsk.labeled_indices
    u = dsk.predict_proba().compute()
    margins = 1.0 - (np.sort(u, axis=1)[:, -1] - np.sort(u, axis=1)[:, -2])
    margins[labeled] = -np.inf
    candidates = np.argsort(-margins, kind="stable")[:100]  # 10 x batch, no ties among continuous margins
    b = got[-1]
    assert np.isin(b.indices, candidates).all() and not np.isin(b.indices, labeled).any()
    np.testing.assert_allclose(np.sort(b.scores), np.sort(margins[b.indices]), rtol=1e-12)
    assert len(set(b.components["cluster"].tolist())) > 1  # spread over clusters
    np.testing.assert_array_equal(np.sort(mem[0].indices), np.sort(got[0].indices))  # the random cold start agrees

