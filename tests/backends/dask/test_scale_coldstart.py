"""kmeans_pp, TypiClust and a pretrained scorer on a Dask pool: the in-memory path's picks, on a real 2-process
LocalCluster (the ``client`` fixture in conftest.py)."""
from __future__ import annotations

import numpy as np
import pytest

da = pytest.importorskip("dask.array")
pytest.importorskip("distributed")

from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.neighbors import NearestNeighbors  # noqa: E402

from activelens import ActiveLearner  # noqa: E402
from activelens.backends.dask import scale  # noqa: E402
from activelens.strategies.diversity import d2_sampling, default_embedding, prepare_embedding  # noqa: E402

N, D, CHUNK = 3000, 6, 450  # uneven chunks on purpose (the last one is short)
SEEDS = (0, 3, 11)


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(7)
    X = rng.normal(size=(N, D)).astype(np.float32)
    X[:, 1] *= 3.0
    X[:, 2] += 5.0
    X[:1000, :2] += 6.0  # a dense region: TypiClust and D² sampling have structure to find
    y = np.where(X[:, 0] + 0.3 * X[:, 1] > 0.5, "a", np.where(X[:, 3] > 0.8, "b", "c"))
    return X, y


@pytest.fixture(autouse=True)
def several_chunks_per_pick(monkeypatch):
    monkeypatch.setattr(scale, "KCENTER_CHUNK_ROWS", 700)  # several chunks per pick even on a small pool


def _pool(X):
    return da.from_array(X, chunks=(CHUNK, D))


def _learner(pool, seed, client=None, **kw):
    extra = {} if client is None else {"client": client}
    return ActiveLearner(LogisticRegression(max_iter=300), pool, batch_size=12, random_state=seed, **kw, **extra)


def _assert_same(a, b):
    np.testing.assert_array_equal(a.indices, b.indices)
    np.testing.assert_allclose(a.scores, b.scores, rtol=1e-5, atol=1e-6)
    assert a.strategy == b.strategy and set(a.components) == set(b.components)
    for k in a.components:
        np.testing.assert_allclose(a.components[k], b.components[k], rtol=1e-4, atol=1e-5)


def _snapshot(learner):
    return (learner.labeled_indices.tolist(), len(learner.rounds), learner.model_version,
            dict(learner._selected_scores), learner._rng.bit_generator.state)


# ----- kmeans_pp: D² sampling by per-chunk sums -----
@pytest.mark.parametrize("seed", SEEDS)
def test_kmeans_pp_function_matches_d2_sampling(client, data, seed):
    X, _ = data
    E_mem = prepare_embedding(default_embedding(X))
    E = scale.dask_embedding(_pool(X), client=client)
    for selected in (np.empty(0, np.intp), np.array([5, 2999, 17, 2100, 450])):
        a_rng, b_rng = np.random.default_rng(seed), np.random.default_rng(seed)
        want = d2_sampling(E_mem, 20, selected, a_rng)
        got = scale.dask_kmeans_pp(E.array, 20, selected, b_rng, client=client, min_chunk_rows=500)
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
        got = scale.dask_kmeans_pp(Ed, 10, np.array([0, 50, 100, 150]), np.random.default_rng(seed), client=client,
                                   min_chunk_rows=40)
        np.testing.assert_array_equal(want, got)


@pytest.mark.parametrize("seed", SEEDS)
def test_kmeans_pp_strategy_same_picks(client, data, seed):
    X, y = data
    batches = []
    for pool, kw in ((X, {}), (_pool(X), {"client": client})):
        L = _learner(pool, seed, strategy="kmeans_pp", **kw)
        b = L.query()
        L.teach(b.indices, y[b.indices])
        L.fit()
        batches.append((b, L.query(), L))
    _assert_same(batches[0][0], batches[1][0])
    _assert_same(batches[0][1], batches[1][1])
    assert batches[0][2]._rng.bit_generator.state == batches[1][2]._rng.bit_generator.state


# ----- TypiClust -----
@pytest.mark.parametrize("seed", SEEDS)
def test_typiclust_cold_start_and_strategy_same_picks(client, data, seed):
    X, y = data
    got = []
    for pool, kw in ((X, {}), (_pool(X), {"client": client})):
        L = _learner(pool, seed, strategy="typiclust", cold_start="typiclust", **kw)
        first = L.query()
        L.teach(first.indices, y[first.indices])
        L.fit()
        got.append((first, L.query(), L))
    (a0, a1, mem), (b0, b1, dsk) = got
    _assert_same(a0, b0)
    assert b0.strategy == "typiclust"
    _assert_same(a1, b1)
    assert not np.isin(b1.indices, dsk.labeled_indices).any()
    assert mem._rng.bit_generator.state == dsk._rng.bit_generator.state


def test_typiclust_past_the_sample(client, data, monkeypatch):
    """Past SAMPLE_ROWS the clusters are fitted on a seeded sample and the picks are its most typical rows: no
    in-memory counterpart, but the batch is valid, reproducible, and made of rows in dense places."""
    monkeypatch.setattr(scale, "SAMPLE_ROWS", 1000)
    X, y = data
    batches = []
    for _ in range(2):
        L = _learner(_pool(X), 5, client=client, strategy="typiclust", cold_start="typiclust")
        L.teach(np.arange(0, N, 300), y[::300])  # labeled rows in and out of the sample
        batches.append(L.query())
    b = batches[0]
    np.testing.assert_array_equal(b.indices, batches[1].indices)
    assert len(b) == 12 and np.unique(b.indices).size == 12 and not np.isin(b.indices, np.arange(0, N, 300)).any()
    E = prepare_embedding(default_embedding(X))
    dist, _ = NearestNeighbors(n_neighbors=21).fit(E).kneighbors(E)
    density = dist[:, 1:].mean(axis=1)
    assert np.median(density[b.indices]) < np.median(density)  # typical rows, not outliers


# ----- a pretrained scorer as cold start -----
def _pretrained(X, y):
    """A model fitted on other data (a shifted copy), and the same as a callable X -> proba."""
    model = LogisticRegression(max_iter=300).fit(X[::7] + 0.3, y[::7])
    return model, (lambda rows: model.predict_proba(rows))


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("kind", ["model", "callable"])
def test_pretrained_cold_start_same_picks(client, data, seed, kind):
    X, y = data
    scorer = dict(zip(("model", "callable"), _pretrained(X, y)))[kind]
    a = _learner(X, seed, cold_start=scorer).query()
    L = _learner(_pool(X), seed, client=client, cold_start=scorer)
    b = L.query()
    _assert_same(a, b)
    assert b.strategy == "pretrained"
    # with some labels already (nothing fitted yet): still the scorer's blend, away from the labeled rows
    mem = _learner(X, seed, cold_start=scorer)
    dsk = _learner(_pool(X), seed, client=client, cold_start=scorer)
    for L in (mem, dsk):
        L.teach(np.arange(10), y[:10])
    _assert_same(mem.query(), dsk.query())


def _bad_scorers(X, y):
    model, _ = _pretrained(X, y)

    def extra_row(rows):  # right on one row (the client's check), one row too many on a chunk
        p = model.predict_proba(rows)
        return p if rows.shape[0] == 1 else np.vstack([p, [[1.0, 0.0, 0.0]]])

    def flat(rows):
        return model.predict_proba(rows)[:, 0]

    def fewer_classes_later(rows):  # 3 columns, but 2 for the chunk holding row 500
        p = model.predict_proba(rows)
        return np.column_stack([p[:, 0] + p[:, 1], p[:, 2]]) if (rows == X[500]).all(axis=1).any() else p

    def nan_at_2000(rows):
        p = model.predict_proba(rows)
        p[np.flatnonzero((rows == X[2000]).all(axis=1))] = np.nan
        return p

    def not_probabilities(rows):
        return model.predict_proba(rows) * 2.0

    def raises(rows):
        if rows.shape[0] > 1:
            raise RuntimeError("the GPU is busy")
        return model.predict_proba(rows)

    return [(extra_row, r"returned shape \((451|301), 3\) for pool rows \d+\.\.\d+ \((450|300) rows\)"),
            (flat, r"returned shape \(1,\) for pool row 0"),
            (fewer_classes_later, r"returned 2 columns for pool rows 450\.\.899 but 3"),
            (nan_at_2000, r"NaN or infinity for pool row 2000"),
            (not_probabilities, r"pretrained scorer \(cold_start\) did not return probabilities for pool row.*sum to 1"),
            (raises, r"pretrained scorer \(cold_start\) failed on pool rows .*RuntimeError: the GPU is busy")]


def test_bad_pretrained_output_is_one_clear_error(client, data):
    X, y = data
    for scorer, message in _bad_scorers(X, y):
        L = _learner(_pool(X), 0, client=client, cold_start=scorer)
        L.teach(np.arange(5), y[:5])
        before = _snapshot(L)
        with pytest.raises(ValueError, match=message):
            L.query()
        assert _snapshot(L) == before, scorer.__name__
        with pytest.raises(ValueError, match="pretrained scorer"):  # the same error again, not a stale state
            L.query()


def test_refusals_name_what_runs_at_scale(data, monkeypatch):
    X, _ = data
    assert {"kmeans_pp", "typiclust"} <= set(scale.SCALE_STRATEGIES) and "typiclust" in scale.SCALE_COLD_STARTS
    # what is left to refuse (nothing today) is refused with a message that names what runs at scale
    monkeypatch.setattr(scale.DaskPool, "supported_strategies", ("margin",))
    with pytest.raises(ValueError, match="strategy 'kmeans_pp' needs the whole pool in memory.*margin"):
        ActiveLearner(LogisticRegression(), _pool(X), strategy="kmeans_pp")
    monkeypatch.setattr(scale.DaskPool, "supported_cold_starts", ("random",))
    with pytest.raises(ValueError, match="cold_start 'typiclust' needs the whole pool.*pretrained scorer"):
        ActiveLearner(LogisticRegression(), _pool(X), cold_start="typiclust")
