"""Helpers shared by the Dask backend's tests: the pool's shape, learners run on both paths, and comparisons."""
from __future__ import annotations

import numpy as np
from sklearn.linear_model import LogisticRegression

from activelens import ActiveLearner, make_pool

N, D, CHUNK = 3000, 6, 450  # uneven chunks on purpose (the last one is short)
SEEDS = (0, 3, 11)


def dask_pool(X):
    import dask.array as da

    return da.from_array(X, chunks=(CHUNK, D))


def run_rounds(pool, y, strategy, client=None, rounds=2, batch=15, cold_start="random"):
    """A learner after ``rounds`` rounds of query, teach the truth, fit; and every batch it was given (one more).

    The first batch is random unless ``cold_start`` says otherwise: these tests compare a strategy on two backends,
    and a random starting set is the one every backend draws alike, past the sample too."""
    learner = ActiveLearner(LogisticRegression(max_iter=300), make_pool(pool, client=client, random_state=11),
                            strategy=strategy, batch_size=batch, random_state=11, cold_start=cold_start)
    batches = []
    for _ in range(rounds):
        b = learner.query()
        batches.append(b)
        learner.teach(b.indices, y[b.indices])
        learner.fit()
    batches.append(learner.query())
    return learner, batches


def make_learner(pool, seed, client=None, **kw):
    return ActiveLearner(LogisticRegression(max_iter=300), make_pool(pool, client=client, random_state=seed),
                         batch_size=12, random_state=seed, **kw)


def assert_same(a, b):
    """Two batches: the same picks, scores and components (close where float32 chunk arithmetic enters)."""
    np.testing.assert_array_equal(a.indices, b.indices)
    np.testing.assert_allclose(a.scores, b.scores, rtol=1e-5, atol=1e-6)
    assert a.strategy == b.strategy and set(a.components) == set(b.components)
    for k in a.components:
        np.testing.assert_allclose(a.components[k], b.components[k], rtol=1e-4, atol=1e-5)


def snapshot(learner):
    """What a failed round must leave unchanged."""
    return (learner.labeled_indices.tolist(), len(learner.rounds), learner.model_version,
            dict(learner._selected_scores), learner._rng.bit_generator.state)
