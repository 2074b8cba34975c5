"""Scoring a dask pool per chunk on the workers: bad rows caught there, a pretrained scorer's cold start gives the
in-memory picks and a bad scorer is one clear error; on a real 2-process LocalCluster."""
from __future__ import annotations

import numpy as np
import pytest

da = pytest.importorskip("dask.array")
pytest.importorskip("distributed")

from sklearn.linear_model import LogisticRegression  # noqa: E402

from activelens import ActiveLearner, make_pool  # noqa: E402

from .helpers import CHUNK, D, SEEDS, assert_same, dask_pool, make_learner, snapshot  # noqa: E402

pytestmark = pytest.mark.usefixtures("several_chunks_per_pick")


def test_nan_in_pool_is_caught_on_the_worker(client, data):
    X, y = data
    Xn = X.copy()
    Xn[2000, 3] = np.nan
    learner = ActiveLearner(LogisticRegression(), make_pool(da.from_array(Xn, chunks=(CHUNK, D)), client=client,
                            random_state=0), random_state=0)
    learner.teach(np.arange(10), y[:10])
    learner.teach(np.flatnonzero(y != y[0])[:3], y[y != y[0]][:3])
    learner.fit()
    before = snapshot(learner)
    with pytest.raises(ValueError, match="NaN or infinity .*row 2000"):
        learner.query()
    assert snapshot(learner) == before


# ----- a pretrained scorer as cold start -----
def _pretrained(X, y):
    """A model fitted on other data (a shifted copy), and the same as a callable X -> proba."""
    model = LogisticRegression(max_iter=300).fit(X[::7] + 0.3, y[::7])
    return model, (lambda rows: model.predict_proba(rows))


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("kind", ["model", "callable"])
def test_pretrained_cold_start_same_picks(client, dense_data, seed, kind):
    X, y = dense_data
    scorer = dict(zip(("model", "callable"), _pretrained(X, y)))[kind]
    a = make_learner(X, seed, cold_start=scorer).query()
    L = make_learner(dask_pool(X), seed, client=client, cold_start=scorer)
    b = L.query()
    assert_same(a, b)
    assert b.strategy == "pretrained"
    # with some labels already (nothing fitted yet): still the scorer's blend, away from the labeled rows
    mem = make_learner(X, seed, cold_start=scorer)
    dsk = make_learner(dask_pool(X), seed, client=client, cold_start=scorer)
    for L in (mem, dsk):
        L.teach(np.arange(10), y[:10])
    assert_same(mem.query(), dsk.query())


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


def test_bad_pretrained_output_is_one_clear_error(client, dense_data):
    X, y = dense_data
    for scorer, message in _bad_scorers(X, y):
        L = make_learner(dask_pool(X), 0, client=client, cold_start=scorer)
        L.teach(np.arange(5), y[:5])
        before = snapshot(L)
        with pytest.raises(ValueError, match=message):
            L.query()
        assert snapshot(L) == before, scorer.__name__
        with pytest.raises(ValueError, match="pretrained scorer"):  # the same error again, not a stale state
            L.query()

