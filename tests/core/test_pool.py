"""The Pool protocol and the one place a backend is chosen."""
import numpy as np
import pytest
from sklearn.datasets import make_blobs
from sklearn.linear_model import LogisticRegression

from activelens import ActiveLearner
from activelens.backends import make_pool
from activelens.backends.memory import InMemoryPool
from activelens.core.fingerprint import pool_digest_block, row_hashes
from activelens.core.pool import ATTRIBUTES, PROTOCOL, Pool, rng_restored
from activelens.strategies import KCenter, Strategy
from activelens.strategies.base import Ask, with_distance
from activelens.strategies.registry import STRATEGIES


@pytest.fixture
def blobs3():
    X, y = make_blobs(n_samples=240, centers=3, cluster_std=2.0, random_state=1)
    return X, y


def test_make_pool_chooses_memory_for_arrays_and_passes_pools_through(blobs3):
    X, _ = blobs3
    pool = make_pool(X)
    assert isinstance(pool, InMemoryPool) and isinstance(pool, Pool) and pool.kind == "memory"
    assert make_pool(pool) is pool
    assert make_pool(X.tolist()).n_rows == 240   # anything numpy.asarray takes
    with pytest.raises(ValueError, match="embeddings has 3 rows but X has 240"):
        make_pool(X, embeddings=np.zeros((3, 2)))


def test_client_with_a_pool_in_this_process_is_refused_not_ignored(blobs3):
    X, _ = blobs3
    with pytest.raises(ValueError, match="client is for a distributed pool, but X is a ndarray .* drop client="):
        make_pool(X, client=object())
    pool = make_pool(X)
    with pytest.raises(ValueError, match="client given with a ready InMemoryPool"):
        make_pool(pool, client=object())
    assert pool.client is None
    with pytest.raises(ValueError, match="client is for a distributed pool; this learner.s pool is in memory .a memory pool"):
        pool.client = object()
    with pytest.raises(TypeError, match="unexpected keyword argument 'client'"):   # it goes with the pool now
        ActiveLearner(LogisticRegression(), X, client=object())


def test_the_protocol_is_narrow():
    """At most 15 methods and properties (the building blocks), besides five plain attributes fixed at construction;
    nothing else public on the class, so a backend knows exactly what to implement."""
    public = {name for name in dir(Pool) if not name.startswith("_")}
    assert len(PROTOCOL) <= 15 and set(ATTRIBUTES) == {"X", "kind", "n_rows", "n_features", "local_array"}
    assert public == set(PROTOCOL) | set(ATTRIBUTES)
    assert Pool.__abstractmethods__ <= set(PROTOCOL)


def test_in_memory_pool_answers_the_protocol(blobs3):
    X, y = blobs3
    pool = InMemoryPool(X)
    assert pool.local_array is pool.X and (pool.n_rows, pool.n_features) == X.shape
    np.testing.assert_array_equal(pool.rows([5, 1]), X[[5, 1]])
    assert pool.hashes([3, 7]) == [row_hashes(X[[3]])[0], row_hashes(X[[7]])[0]]
    assert pool.all_hashes() == row_hashes(X)
    np.testing.assert_array_equal(pool.digest(), pool_digest_block(X, 0))
    out = pool.apply_rows(np.array([0, 2, 4]), 1, lambda rows: rows[:, :1] * 2)
    assert out.dtype == np.float32 and out.shape == (3, 1)
    np.testing.assert_allclose(out[:, 0], 2 * X[[0, 2, 4], 0], rtol=1e-6)
    model = LogisticRegression().fit(X, y)
    p = pool.proba(model, np.array([0, 1, 2]))
    assert p is pool.proba(model, np.array([0, 1, 2]))          # one pass per model
    assert pool.proba(model, np.array([0, 1, 2, 3])).shape == (240, 4)  # other classes: computed again, padded
    d = pool.distance_to_labeled(np.array([0, 1]), np.array([0]))
    assert d[0] == 0 and d[1] > 0
    assert np.isnan(pool.distance_to_labeled(np.array([0]), np.array([], dtype=int))).all()
    every = pool.distance_to_labeled(None, np.array([0, 9]))
    assert every.shape == (240,) and every[0] == every[9] == 0
    np.testing.assert_allclose(every[[1, 2]], pool.distance_to_labeled(np.array([1, 2]), np.array([0, 9])))
    mapped = pool.apply_rows(None, 2, lambda rows, k: rows[:, :2] * k, 3.0)   # the chunked map over every row
    assert mapped.shape == (240, 2) and mapped.dtype == np.float64
    np.testing.assert_allclose(mapped, 3 * X[:, :2])
    w = np.zeros(240)
    w[[4, 8, 15]] = [1.0, 2.0, 3.0]
    assert sorted(pool.sample(w, 3, np.random.default_rng(0)).tolist()) == [4, 8, 15]
    np.testing.assert_array_equal(pool.sample(np.ones(240), 5, np.random.default_rng(2)),
                                  np.random.default_rng(2).choice(240, 5, replace=False, p=np.full(240, 1 / 240)))


def test_map_sample_keeps_the_rows_asked_for(blobs3):
    X, _ = blobs3
    pool = InMemoryPool(X)
    assert pool.map_sample(1000, None, np.random.default_rng(0)).tolist() == list(range(240))
    got = pool.map_sample(50, [7, 200], np.random.default_rng(0))
    assert got.size == 50 and {7, 200} <= set(got.tolist()) and (np.diff(got) > 0).all()


def test_rng_restored_puts_the_generator_back_only_on_failure():
    rng = np.random.default_rng(3)
    before = rng.bit_generator.state
    with pytest.raises(RuntimeError):
        with rng_restored(rng):
            rng.random(5)
            raise RuntimeError("lost the cluster")
    assert rng.bit_generator.state == before
    with rng_restored(rng):
        rng.random(5)
    assert rng.bit_generator.state != before


class CountingPool(InMemoryPool):
    """A new backend is one class: here an in-memory one that records which protocol methods the learner calls."""

    kind = "counting"

    def __init__(self, X, **kw):
        super().__init__(X, **kw)
        self.calls = []

    def __getattribute__(self, name):
        if name in PROTOCOL and name not in ("kernels", "client"):
            object.__getattribute__(self, "calls").append(name)
        return object.__getattribute__(self, name)


@pytest.mark.parametrize("strategy", list(STRATEGIES))
def test_the_learner_runs_every_strategy_through_the_protocol(blobs3, strategy):
    X, y = blobs3
    pool = CountingPool(X)
    learner = ActiveLearner(LogisticRegression(), pool, strategy=strategy, batch_size=8, random_state=0)
    assert learner.pool is pool and learner.X is pool.X
    first = learner.query()
    learner.teach(first.indices, y[first.indices])
    while np.unique(learner.labels).size < 2:
        more = learner.query()
        learner.teach(more.indices, y[more.indices])
    learner.fit()
    batch = learner.query()
    assert len(batch) == 8 and not np.isin(batch.indices, learner.labeled_indices).any()
    assert "rows" in pool.calls   # fit reads the labeled rows through the pool
    if strategy != "random":
        assert set(pool.calls) - {"rows"}, f"{strategy} never asked the pool"


class FarAndUnsure(Strategy):
    """A new strategy, one class composed only from the protocol: uncertainty × distance to the labeled items, the
    top half of the batch by that product, the rest drawn with probability ∝ distance² (k-means++ in one shot)."""

    name = "far_and_unsure"

    def select(self, pool, ask):
        u = pool.scores(ask.model, ask.classes, "margin")
        d = pool.distance_to_labeled(None, ask.labeled)
        top, _, rows = pool.top_n(u * d, ask.n // 2, ask.rng, exclude=ask.labeled)
        rest = [i for i in pool.sample(d * d, ask.n, ask.rng).tolist() if i not in set(top.tolist())]
        idx = np.concatenate([top, rest[: ask.n - top.size]]).astype(np.intp)
        return with_distance(pool, idx, np.asarray(u)[idx], ask.labeled)


def _backends(X):
    import scipy.sparse as sp

    pools = {"memory": make_pool(X), "sparse": make_pool(sp.csr_matrix(X))}
    da = pytest.importorskip("dask.array")
    pools["dask"] = make_pool(da.from_array(X, chunks=(70, -1)))
    return pools


def test_a_new_strategy_from_the_protocol_runs_unchanged_on_every_backend(blobs3):
    X, y = blobs3
    labeled = np.arange(0, 240, 30)
    model = LogisticRegression().fit(X[labeled], y[labeled])
    got = {}
    for kind, pool in _backends(X).items():
        ask = Ask(n=8, labeled=labeled, rng=np.random.default_rng(4), model=model, classes=np.array([0, 1, 2]))
        sel = FarAndUnsure().select(pool, ask)
        idx = np.asarray(sel.indices)
        assert idx.size == 8 and np.unique(idx).size == 8 and not np.isin(idx, labeled).any(), kind
        assert (sel.components["diversity"] > 0).all(), kind
        got[kind] = idx.tolist()
        learner = ActiveLearner(LogisticRegression(), pool, strategy=FarAndUnsure(), batch_size=6, random_state=0)
        learner.teach(labeled, y[labeled])
        learner.fit()
        assert learner.query().strategy == "far_and_unsure"
    assert got["dask"] == got["memory"]   # same embedding, same draws: the same picks


def test_a_kernel_the_backend_offers_replaces_the_composition(blobs3):
    X, _ = blobs3
    calls = []

    class Fast(InMemoryPool):
        kernels = {"k_center": lambda pool, n, labeled, rng: calls.append(n) or (np.arange(100, 100 + n), np.ones(n))}

    ask = Ask(n=4, labeled=np.array([0]), rng=np.random.default_rng(0))
    assert KCenter().select(Fast(X), ask).indices.tolist() == [100, 101, 102, 103] and calls == [4]
    assert KCenter().select(InMemoryPool(X), ask).indices.size == 4 and calls == [4]
