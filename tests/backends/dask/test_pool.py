"""DaskPool: a dask array pool gives the in-memory path's batches, refuses what does not run at scale, checks its
inputs; on a real 2-process LocalCluster."""
from __future__ import annotations

import numpy as np
import pytest

da = pytest.importorskip("dask.array")
pytest.importorskip("distributed")

from sklearn.linear_model import LogisticRegression  # noqa: E402

from activelens import ActiveLearner, make_pool  # noqa: E402
from activelens.backends.dask.pool import DaskPool  # noqa: E402

from .helpers import CHUNK, D, N, dask_pool, run_rounds  # noqa: E402


@pytest.mark.parametrize("strategy", ["margin", "entropy", "least_confidence", "random", "k_center", "combined",
                                      "cluster_margin", "auto", "margin_kmeans", "badge", "qbc", "qbc_kl"])
@pytest.mark.usefixtures("several_chunks_per_pick")
def test_same_results_as_in_memory(client, data, strategy):
    X, y = data
    rounds = 1 if strategy in ("margin", "entropy", "least_confidence", "random", "k_center", "combined") else 2
    mem, mem_batches = run_rounds(X, y, strategy, rounds=rounds)
    dsk, dsk_batches = run_rounds(da.from_array(X, chunks=(CHUNK, D)), y, strategy, client=client, rounds=rounds)
    for a, b in zip(mem_batches, dsk_batches):
        np.testing.assert_array_equal(a.indices, b.indices)
        np.testing.assert_allclose(a.scores, b.scores, rtol=1e-5)
        assert a.strategy == b.strategy and set(a.components) == set(b.components)
        assert (a.rule, a.reason) == (b.rule, b.reason)
        for k in a.components:
            np.testing.assert_allclose(a.components[k], b.components[k], rtol=1e-4, atol=1e-5)
    np.testing.assert_array_equal(mem.labeled_indices, dsk.labeled_indices)
    assert mem.history["score"].tolist() == pytest.approx(dsk.history["score"].tolist())
    assert mem._rng.bit_generator.state == dsk._rng.bit_generator.state  # the same draws, in the same number


@pytest.mark.usefixtures("several_chunks_per_pick")
def test_the_defaults_run_on_a_dask_pool_as_in_memory(client, dense_data):
    """ActiveLearner(model, X) on a dask pool: the defaults (cold_start="auto", strategy="auto") make the in-memory
    path's choices — TypiClust first, then margin spread by k-means — with the same picks and the same reasons."""
    X, y = dense_data
    got = []
    for pool in (X, make_pool(dask_pool(X), client=client, random_state=4)):
        learner = ActiveLearner(LogisticRegression(max_iter=300), pool, batch_size=12, random_state=4)
        batches = []
        for _ in range(2):
            b = learner.query()
            batches.append(b)
            learner.teach(b.indices, y[b.indices])
            learner.fit()
        got.append((learner, batches))
    (mem, a), (dsk, b) = got
    assert [x.rule for x in b] == ["typiclust", "margin_kmeans"] and b[1].strategy == "auto"
    for x, z in zip(a, b):
        np.testing.assert_array_equal(x.indices, z.indices)
        np.testing.assert_allclose(x.scores, z.scores, rtol=1e-5)
        assert (x.rule, x.reason) == (z.rule, z.reason)
    assert dsk.history["rule"].tolist() == mem.history["rule"].tolist() == ["typiclust", "margin_kmeans"]
    assert mem._rng.bit_generator.state == dsk._rng.bit_generator.state


@pytest.mark.parametrize("seed", [0, 3])
@pytest.mark.usefixtures("several_chunks_per_pick")
def test_badge_on_a_dask_pool_without_a_linear_head(client, dense_data, seed):
    """A model with no linear last step (naive Bayes): BADGE's features are the diversity embedding, on both paths."""
    from sklearn.naive_bayes import GaussianNB

    X, y = dense_data
    start = np.arange(0, N, 150)
    picks = []
    for pool in (X, make_pool(dask_pool(X), client=client, random_state=seed)):
        learner = ActiveLearner(GaussianNB(), pool, strategy="badge", batch_size=15, random_state=seed)
        learner.teach(start, y[start])
        learner.fit()
        picks.append(learner.query())
    np.testing.assert_array_equal(picks[0].indices, picks[1].indices)
    np.testing.assert_allclose(picks[0].scores, picks[1].scores, rtol=1e-4)
    np.testing.assert_allclose(picks[0].components["diversity"], picks[1].components["diversity"], rtol=1e-3)
    assert not np.isin(picks[1].indices, start).any() and np.unique(picks[1].indices).size == 15


def test_badge_function_refuses_what_it_cannot_do(client, data):
    from sklearn.naive_bayes import GaussianNB

    from activelens.backends.dask.badge import dask_badge

    X, y = data
    model = GaussianNB().fit(X, y)
    with pytest.raises(ValueError, match="no linear last layer.*embedding"):
        dask_badge(dask_pool(X), model, np.unique(y), 3, None, np.random.default_rng(0), client=client)
    lr = LogisticRegression(max_iter=300).fit(X, y)
    with pytest.raises(ValueError, match="asked for 5 items but only"):
        dask_badge(dask_pool(X[:3]), lr, np.unique(y), 5, np.arange(3), np.random.default_rng(0), client=client)


def test_default_scheduler_and_lazy_proba(client, data):
    """Without client= the current default scheduler (here the cluster) runs it; predict_proba stays lazy."""
    X, y = data
    mem, _ = run_rounds(X, y, "margin", rounds=1)
    dsk, _ = run_rounds(da.from_array(X, chunks=(CHUNK, D)), y, "margin", rounds=1)
    proba = dsk.predict_proba()
    assert isinstance(proba, da.Array) and proba.chunks[0] == dsk.X.chunks[0]
    np.testing.assert_allclose(proba.compute(), mem.predict_proba(), rtol=1e-12)
    np.testing.assert_array_equal(dsk.predict(np.arange(20)), mem.predict(np.arange(20)))


def test_rows_that_do_not_match(data):
    X, _ = data
    Xd = da.from_array(X, chunks=(CHUNK, D))
    with pytest.raises(ValueError, match="embeddings has 2999 rows but X has 3000"):
        ActiveLearner(LogisticRegression(), make_pool(Xd, embeddings=np.zeros((N - 1, 3))))
    with pytest.raises(ValueError, match="embeddings has 2999 rows"):
        ActiveLearner(LogisticRegression(), make_pool(Xd, embeddings=da.zeros((N - 1, 3), chunks=500)))
    with pytest.raises(ValueError, match="2-D"):
        ActiveLearner(LogisticRegression(), da.zeros(N, chunks=500))
    with pytest.raises(ValueError, match="strategy must be one of"):  # a typo: the learner's message, not "in memory"
        ActiveLearner(LogisticRegression(), Xd, strategy="kmeans++")
    with pytest.raises(ValueError, match="cold_start must be one of"):
        ActiveLearner(LogisticRegression(), Xd, cold_start="kmeans_pp")


def test_every_kernel_the_dask_pool_offers_is_one_a_strategy_looks_up():
    """The Dask loops are kernels named in the strategies' classes, not Pool methods: each is looked up somewhere."""
    import importlib
    import inspect

    families = ("uncertainty", "diversity", "combined", "badge", "committee", "coldstart")
    source = "".join(inspect.getsource(importlib.import_module(f"activelens.strategies.{m}")) for m in families)
    assert set(DaskPool.kernels) >= {"k_center", "kmeans_pp", "typiclust", "greedy_blend", "cluster_margin", "badge"}
    for name in DaskPool.kernels:
        assert f'kernels.get("{name}")' in source, name
