"""The Explorer on a Dask pool: a sample on the map (rare regions kept, labeled items and the batch always drawn),
probabilities and coordinates computed on a real 2-process LocalCluster, every index a pool position."""
from __future__ import annotations

import numpy as np
import pytest

da = pytest.importorskip("dask.array")
distributed = pytest.importorskip("distributed")

from sklearn.decomposition import PCA  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402

from activelens import ActiveLearner, Explorer, make_pool  # noqa: E402
from activelens.widgets.palette import CLASS0  # noqa: E402
from activelens.widgets.projection import normalize  # noqa: E402

N, D, CHUNK, RARE = 12_000, 6, 1_700, 60


@pytest.fixture(scope="module")
def pool():
    """A big blob of two classes and a rare, far-away third class of RARE items."""
    rng = np.random.default_rng(3)
    X = rng.normal(size=(N, D)).astype(np.float32)
    y = (X[:, 0] + 0.5 * X[:, 1] > 0).astype(int)
    rare = rng.choice(N, RARE, replace=False)
    X[rare] += 9.0
    y[rare] = 2
    return X, y, np.sort(rare)


def learner_for(X, client=None, **kw):   # client: the conftest's module-scoped 2-process LocalCluster
    pool = da.from_array(X, chunks=(CHUNK, X.shape[1])) if client is not None or kw.pop("dask", True) else X
    kw.setdefault("cold_start", "random")
    return ActiveLearner(LogisticRegression(max_iter=300), make_pool(pool, client=client, random_state=5), batch_size=8,
                         classes=[0, 1, 2], random_state=5, **kw)


def send(w, **content):
    w._handle_custom_msg(content, [])


def label_batch(w, y):
    for i in w.batch_indices:
        send(w, type="label", index=i, label=int(y[i]))
    send(w, type="submit")
    assert w.wait(120) and w.error == ""


def test_sample_keeps_rare_region_labeled_and_batch(client, pool):
    X, y, rare = pool
    learner = learner_for(X, client)
    w = Explorer(learner, projection="pca", max_points=1200)
    for _ in range(3):
        positions = w.point_positions()
        assert np.all(np.diff(positions) > 0)                       # sorted, unique, as the page's search needs
        assert w.n_points == positions.size == w.coordinates().shape[0]
        # about max_points (each chunk keeps each row with its group's probability), plus what must be drawn
        assert 0.9 * 1200 <= w.n_points <= 1.1 * 1200 + learner.n_labeled + len(w.batch_indices)
        assert np.isin(w.batch_indices, positions).all()            # the batch is always drawn
        assert np.isin(learner.labeled_indices, positions).all()    # and every labeled item
        label_batch(w, y)
    kept_rare = np.isin(rare, w.point_positions()).mean()
    kept_all = w.n_points / N
    assert kept_rare > 3 * kept_all       # the rare region is thinned far less than the pool (10% drawn)
    assert "of 12,000 items" in w.projection_status
    # colours: one per point; each labeled item's point shows its class colour
    vals = np.frombuffer(w.color_values, dtype=np.uint8)
    assert vals.size == w.n_points
    rows = np.searchsorted(w.point_positions(), learner.labeled_indices)
    np.testing.assert_array_equal(vals[rows], CLASS0 + np.asarray(learner.labels, dtype=int))
    assert w.legend["kind"] == "continuous"


def test_showing_the_map_does_not_change_the_selection(client, pool):
    """The sample is seeded apart from the learner: the same batches with and without an Explorer on show."""
    X, y, _ = pool
    alone = learner_for(X, client)
    shown = learner_for(X, client)
    w = Explorer(shown, projection="pca", max_points=1500)
    for _ in range(2):
        b = alone.query()
        np.testing.assert_array_equal(b.indices, w.batch_indices)
        alone.teach(b.indices, y[b.indices])
        alone.fit()
        label_batch(w, y)
    np.testing.assert_array_equal(alone.query().indices, w.batch_indices)   # the Explorer drew the next one
    assert alone._rng.bit_generator.state == shown._rng.bit_generator.state


def test_card_probabilities_match_the_in_memory_path(client, pool):
    X, y, _ = pool
    seed = np.concatenate([np.flatnonzero(y == c)[:3] for c in range(3)])
    mem = learner_for(X, cold_start=seed, dask=False)
    dsk = learner_for(X, client, cold_start=seed)
    wm = Explorer(mem, projection="pca")
    wd = Explorer(dsk, projection="pca", max_points=2000)
    label_batch(wm, y)
    label_batch(wd, y)
    assert wm.batch_indices == wd.batch_indices
    for a, b in zip(wm.batch, wd.batch):
        assert [o["label"] for o in a["options"]] == [o["label"] for o in b["options"]]
        assert [o["p"] for o in a["options"]] == pytest.approx([o["p"] for o in b["options"]], abs=2e-4)
    # the colour of every drawn point is the in-memory colour of that pool item
    vm = np.frombuffer(wm.color_values, dtype=np.uint8)[wd.point_positions()]
    vd = np.frombuffer(wd.color_values, dtype=np.uint8)
    assert (vm != vd).mean() < 0.002   # a colour bin can differ where float32 and float64 round apart


def test_add_and_peek_speak_pool_positions(client, pool):
    X, y, _ = pool
    learner = learner_for(X, client)
    w = Explorer(learner, projection="pca", max_points=1000)
    label_batch(w, y)
    positions = w.point_positions()
    off_map = int(np.setdiff1d(np.arange(N), positions)[0])
    on_map = int(np.setdiff1d(positions, np.concatenate([learner.labeled_indices, w.batch_indices]))[-1])
    before = list(w.batch_indices)
    send(w, type="add", indices=[off_map])
    assert "not on the map" in w.error and w.batch_indices == before
    send(w, type="add", indices=[on_map])
    assert w.error == "" and w.batch_indices == before + [on_map]
    card = w.batch[-1]
    assert card["index"] == on_map and card["source"] == "hand"
    got = []
    w.send = got.append
    send(w, type="peek", index=off_map)
    send(w, type="peek", index=on_map)
    assert [m["index"] for m in got] == [on_map] and "predicted" in got[0]


def test_small_dask_pool_is_drawn_whole():
    X = np.random.default_rng(0).normal(size=(900, 4)).astype(np.float32)
    w = Explorer(learner_for(X), projection="pca", max_points=5000)
    np.testing.assert_array_equal(w.point_positions(), np.arange(900))
    assert w.n_points == 900 and "of 900" not in w.projection_status


def test_umap_swap_on_the_sample_and_items_included_meanwhile(pool):
    """UMAP (here a stand-in reducer, to keep numba out of the unit tests) is fitted on a sample of the drawn rows
    in the background; points added while it runs are transformed too."""
    import threading

    X, y, _ = pool
    gate = threading.Event()
    fits = []

    def fit(rows, random_state):
        gate.wait(60)
        fits.append(rows.shape[0])
        return PCA(n_components=2, whiten=True, random_state=random_state).fit(rows)

    learner = learner_for(X)
    w = Explorer(learner, projection="pca", max_points=1500)
    w._map.points.view.want_umap = True            # as projection="umap" would, with the stand-in fit
    w._map.points.view.umap_fit = fit
    w._map.points.view.done.clear()
    w._map.points.view.start()
    first = w.point_positions()
    label_batch(w, y)                   # the next batch is drawn while the fit waits
    added = np.setdiff1d(w.point_positions(), first)
    assert added.size > 0
    gate.set()
    assert w.wait_projection(60) and w.projection == "umap" and w.projection_status.startswith("umap")
    assert fits == [first.size]         # fitted on the points drawn when it started
    positions = w.point_positions()
    expected = normalize(w._map.points.view.reducer.transform(X[positions]))
    np.testing.assert_allclose(w.coordinates(), expected, atol=1e-4)   # the points added meanwhile too
    assert np.isin(w.batch_indices, positions).all()


def test_custom_coords_follow_the_sample(pool):
    X, y, _ = pool
    coords = np.column_stack([np.arange(N), np.arange(N) % 97]).astype(np.float32)
    w = Explorer(learner_for(X), coords=coords, max_points=800)
    label_batch(w, y)
    xy = w.coordinates()
    pos = w.point_positions()
    # normalization is one affine map: the x order of points is the order of their pool positions
    assert np.all(np.diff(xy[:, 0]) > 0) and w.projection == "custom"
    np.testing.assert_allclose(np.diff(xy[:, 0]) / np.diff(pos), (xy[-1, 0] - xy[0, 0]) / (pos[-1] - pos[0]),
                               rtol=1e-3)


@pytest.mark.parametrize("bad", [0, -5, 2.5, True, "many"])
def test_bad_max_points(bad, pool):
    X, _, _ = pool
    learner = learner_for(X)
    with pytest.raises((TypeError, ValueError), match="max_points"):   # TypeError: not an int at all
        Explorer(learner, projection="pca", max_points=bad)
    assert learner.n_labeled == 0 and learner._rng.bit_generator.state == learner_for(X)._rng.bit_generator.state


def test_max_points_on_an_in_memory_pool_is_refused(pool):
    X, _, _ = pool
    with pytest.raises(ValueError, match="in-memory pool .* is drawn whole"):
        Explorer(learner_for(X, dask=False), projection="pca", max_points=100)


def test_cluster_gone_mid_session_is_one_clear_error(pool):
    """The cluster goes away between rounds: the submitted labels are kept (taught before the retrain), the page
    shows one error naming the cluster, the cards stay as they were, nothing half-drawn."""
    X, y, _ = pool
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None) as cl:
        client = distributed.Client(cl)
        learner = learner_for(X, client)
        w = Explorer(learner, projection="pca", max_points=1000)
        label_batch(w, y)
        points_before, positions_before = w.n_points, w.point_positions().copy()
        batch = list(w.batch_indices)
        for i in batch:
            send(w, type="label", index=i, label=int(y[i]))
        client.close()
        send(w, type="submit")
        assert w.wait(120)
    assert "Dask cluster failed" in w.error and "labels are saved" in w.error and w.status["state"] == "error"
    assert set(batch) <= set(learner.labeled_indices.tolist())    # the labels were saved before the retrain
    assert w.n_points == points_before
    np.testing.assert_array_equal(w.point_positions(), positions_before)
    assert w.batch_indices == batch and sorted(w.saved) == sorted(batch)

    # carry on with a new cluster: the same learner and widget, nothing lost
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None) as cl2, \
            distributed.Client(cl2) as client2:
        learner.client = client2
        learner.fit()
        w.refresh()
        assert w.error == "" and w.status["state"] == "idle"
        assert not set(w.batch_indices) & set(learner.labeled_indices.tolist())
        assert np.isin(w.batch_indices, w.point_positions()).all()
        label_batch(w, y)
        assert learner.n_labeled == len(batch) + 16


def test_client_setter_on_an_in_memory_pool_is_refused(pool):
    X, _, _ = pool
    learner = learner_for(X, dask=False)
    with pytest.raises(ValueError, match="client is for a distributed pool; this learner.s pool is in memory"):
        learner.client = None
    with pytest.raises(TypeError, match="distributed.Client"):
        learner_for(X).client = "tcp://nowhere:8786"


def test_umap_failure_on_the_sample_keeps_pca(pool):
    X, y, _ = pool

    def broken(rows, random_state):
        raise RuntimeError("no luck")

    w = Explorer(learner_for(X), projection="pca", max_points=1000)
    before = w.coordinates().copy()
    w._map.points.view.want_umap, w._map.points.view.umap_fit = True, broken
    w._map.points.view.done.clear()
    w._map.points.view.start()
    assert w.wait_projection(60)
    assert w.projection == "pca" and w.projection_status.startswith("umap failed: RuntimeError: no luck, showing pca")
    assert "of 12,000 items" in w.projection_status
    np.testing.assert_array_equal(w.coordinates(), before)
    label_batch(w, y)                    # labeling goes on
