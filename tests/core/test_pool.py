"""The Pool protocol and the one place a backend is chosen."""
import numpy as np
import pytest
from sklearn.datasets import make_blobs
from sklearn.linear_model import LogisticRegression

from activelens import ActiveLearner
from activelens.backends import make_pool
from activelens.backends.memory import InMemoryPool
from activelens.core.fingerprint import pool_digest_block, row_hashes
from activelens.core.pool import Pool, rng_restored
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
        if name in ("rows", "proba", "scores", "top_n", "farthest_first", "d2_sampling", "typiclust", "greedy_blend",
                    "cluster_margin", "distance_to_labeled", "pretrained_scores", "badge", "committee_scores"):
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


def test_a_pool_without_the_new_loops_refuses_their_strategies_at_construction(blobs3):
    """A backend lists what it runs (``supported_strategies``; the Dask pool runs every named strategy): one without
    BADGE, QBC and the k-means spread refuses them with the usual message, and "auto" adapts to it — TypiClust if it
    can, else random, then plain margin, each with its reason."""
    class Limited(InMemoryPool):
        kind = "remote"
        supported_strategies = ("random", "margin", "entropy", "typiclust")
        supported_cold_starts = ("random",)

    X, y = blobs3
    for name in ("badge", "qbc", "qbc_kl", "margin_kmeans"):
        with pytest.raises(ValueError, match=f"strategy '{name}' needs the whole pool in memory; on a remote pool"):
            ActiveLearner(LogisticRegression(), Limited(X), strategy=name)
    learner = ActiveLearner(LogisticRegression(), Limited(X), batch_size=5, random_state=0)   # the defaults
    first = learner.query()
    assert first.rule == "random" and "cannot run TypiClust" in first.reason
    one_per_class = np.setdiff1d([np.flatnonzero(y == c)[0] for c in np.unique(y)], first.indices)
    learner.teach(np.concatenate([first.indices, one_per_class]), y[np.concatenate([first.indices, one_per_class])])
    learner.fit()
    second = learner.query()
    assert second.rule == "margin" and "cannot run the k-means spread" in second.reason
    from types import SimpleNamespace

    for method, what, n_args in (("badge", "BADGE", 5), ("committee_scores", "query-by-committee", 3),
                                 ("spread_top", "k-means", 5)):
        with pytest.raises(NotImplementedError, match=f"{what}.* not implemented on this remote pool"):
            getattr(Pool, method)(SimpleNamespace(kind="remote"), *([None] * n_args))
