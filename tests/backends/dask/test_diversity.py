"""k-center, kmeans_pp and TypiClust on a Dask pool: the in-memory path's picks, on a real 2-process LocalCluster."""
from __future__ import annotations

import numpy as np
import pytest

da = pytest.importorskip("dask.array")
pytest.importorskip("distributed")

from sklearn.neighbors import NearestNeighbors  # noqa: E402

from activelens.backends.dask import rows  # noqa: E402
from activelens.backends.dask.diversity import dask_k_center, dask_kmeans_pp  # noqa: E402
from activelens.backends.dask.embedding import dask_embedding  # noqa: E402
from activelens.strategies.diversity import (d2_sampling, default_embedding, farthest_first,  # noqa: E402
                                             prepare_embedding)

from .helpers import CHUNK, D, N, SEEDS, assert_same, dask_pool, make_learner  # noqa: E402

pytestmark = pytest.mark.usefixtures("several_chunks_per_pick")


def test_k_center_function_matches_farthest_first(client, data):
    X, _ = data
    E_mem = prepare_embedding(default_embedding(X))
    E = dask_embedding(da.from_array(X, chunks=(CHUNK, D)), client=client)
    np.testing.assert_allclose(E.array.compute(), E_mem, atol=1e-5)
    for selected in (np.empty(0, np.intp), np.array([5, 2999, 17, 2100])):
        a = farthest_first(E_mem, 12, selected, np.random.default_rng(3))
        b = dask_k_center(E.array, 12, selected, np.random.default_rng(3), client=client, min_chunk_rows=500)
        np.testing.assert_array_equal(a[0], b[0])
        np.testing.assert_allclose(a[1], b[1], rtol=1e-5)


# ----- kmeans_pp: D² sampling by per-chunk sums -----
@pytest.mark.parametrize("seed", SEEDS)
def test_kmeans_pp_function_matches_d2_sampling(client, dense_data, seed):
    X, _ = dense_data
    E_mem = prepare_embedding(default_embedding(X))
    E = dask_embedding(dask_pool(X), client=client)
    for selected in (np.empty(0, np.intp), np.array([5, 2999, 17, 2100, 450])):
        a_rng, b_rng = np.random.default_rng(seed), np.random.default_rng(seed)
        want = d2_sampling(E_mem, 20, selected, a_rng)
        got = dask_kmeans_pp(E.array, 20, selected, b_rng, client=client, min_chunk_rows=500)
        np.testing.assert_array_equal(want, got)
        assert not np.isin(got, selected).any() and np.unique(got).size == got.size
        assert a_rng.bit_generator.state == b_rng.bit_generator.state  # one draw per pick, as in memory


def test_kmeans_pp_only_duplicates_left_draws_uniformly(client):
    """Every free row a duplicate of a centre (all D² = 0): the uniform draw over free rows, as in memory."""
    X = np.repeat(np.random.default_rng(0).normal(size=(4, 3)).astype(np.float32), 50, axis=0)  # 200 rows
    E_mem = prepare_embedding(X)
    Ed = da.from_array(E_mem, chunks=(45, 3))
    for seed in SEEDS:
        want = d2_sampling(E_mem, 10, np.array([0, 50, 100, 150]), np.random.default_rng(seed))
        got = dask_kmeans_pp(Ed, 10, np.array([0, 50, 100, 150]), np.random.default_rng(seed), client=client,
                             min_chunk_rows=40)
        np.testing.assert_array_equal(want, got)


@pytest.mark.parametrize("seed", SEEDS)
def test_kmeans_pp_strategy_same_picks(client, dense_data, seed):
    X, y = dense_data
    batches = []
    for pool, kw in ((X, {}), (dask_pool(X), {"client": client})):
        L = make_learner(pool, seed, strategy="kmeans_pp", **kw)
        b = L.query()
        L.teach(b.indices, y[b.indices])
        L.fit()
        batches.append((b, L.query(), L))
    assert_same(batches[0][0], batches[1][0])
    assert_same(batches[0][1], batches[1][1])
    assert batches[0][2]._rng.bit_generator.state == batches[1][2]._rng.bit_generator.state


# ----- TypiClust -----
@pytest.mark.parametrize("seed", SEEDS)
def test_typiclust_cold_start_and_strategy_same_picks(client, dense_data, seed):
    X, y = dense_data
    got = []
    for pool, kw in ((X, {}), (dask_pool(X), {"client": client})):
        L = make_learner(pool, seed, strategy="typiclust", cold_start="typiclust", **kw)
        first = L.query()
        L.teach(first.indices, y[first.indices])
        L.fit()
        got.append((first, L.query(), L))
    (a0, a1, mem), (b0, b1, dsk) = got
    assert_same(a0, b0)
    assert b0.strategy == "typiclust"
    assert_same(a1, b1)
    assert not np.isin(b1.indices, dsk.labeled_indices).any()
    assert mem._rng.bit_generator.state == dsk._rng.bit_generator.state


def test_typiclust_past_the_sample(client, dense_data, monkeypatch):
    """Past SAMPLE_ROWS the clusters are fitted on a seeded sample and the picks are its most typical rows: no
    in-memory counterpart, but the batch is valid, reproducible, and made of rows in dense places."""
    monkeypatch.setattr(rows, "SAMPLE_ROWS", 1000)
    X, y = dense_data
    batches = []
    for _ in range(2):
        L = make_learner(dask_pool(X), 5, client=client, strategy="typiclust", cold_start="typiclust")
        L.teach(np.arange(0, N, 300), y[::300])  # labeled rows in and out of the sample
        batches.append(L.query())
    b = batches[0]
    np.testing.assert_array_equal(b.indices, batches[1].indices)
    assert len(b) == 12 and np.unique(b.indices).size == 12 and not np.isin(b.indices, np.arange(0, N, 300)).any()
    E = prepare_embedding(default_embedding(X))
    dist, _ = NearestNeighbors(n_neighbors=21).fit(E).kneighbors(E)
    density = dist[:, 1:].mean(axis=1)
    assert np.median(density[b.indices]) < np.median(density)  # typical rows, not outliers

