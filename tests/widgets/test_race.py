"""The Race's protocol without a browser: same seed set for every racer, random always in, curves and selections
streamed as bytes, "labels to reach" per racer, commands as the page sends them."""
from __future__ import annotations

import numpy as np
import pytest
from sklearn.datasets import make_classification
from sklearn.linear_model import LogisticRegression

from activelens import Race


@pytest.fixture(scope="module")
def data():
    X, y = make_classification(n_samples=300, n_features=6, n_informative=4, n_redundant=0, n_classes=3,
                               n_clusters_per_class=1, random_state=2)
    return X[:220], y[:220], X[220:], y[220:]


def make(data, **kw):
    Xp, yp, Xt, yt = data
    kw.setdefault("strategies", ["margin", "k_center"])
    return Race(LogisticRegression(max_iter=300), Xp, yp, X_test=Xt, y_test=yt, initial=12, batch_size=8, **kw)


def send(w, **content):
    w._handle_custom_msg(content, [])


def curves(r):
    return np.frombuffer(r.curves, dtype=np.float32).reshape(-1, 3)


def test_construction_same_seed_random_added(data):
    r = make(data)
    assert r.strategies == ["margin", "k_center", "random"] and len(r.colors) == 3
    for lr in r.learners.values():
        assert sorted(lr.labeled_indices.tolist()) == r.seed.tolist() and len(lr.rounds) == 1
    sel = np.frombuffer(r.selections, dtype=np.uint8).reshape(3, r.n_points)
    assert (sel.sum(axis=1) == 12).all() and set(np.flatnonzero(sel[0])) == set(r.seed.tolist())
    xy = np.frombuffer(r.coords, dtype=np.float32)
    assert xy.size == 2 * r.n_points and np.abs(xy).max() <= 1
    c = curves(r)
    assert c.shape == (3, 3) and (c[:, 1] == 12).all()
    assert r.reach["labels"] == [12, 12, 12]       # everyone reaches random's score at the start


def test_run_streams_points_and_selections(data):
    r = make(data)
    send(r, type="run", rounds=3)
    assert r.wait(120) and r.error == "" and r.status["state"] == "idle" and r.status["round"] == 3
    c = curves(r)
    assert c.shape == (12, 3)
    for k in range(3):
        assert c[c[:, 0] == k, 1].tolist() == [12, 20, 28, 36]
    sel = np.frombuffer(r.selections, dtype=np.uint8).reshape(3, r.n_points)
    for k, s in enumerate(r.strategies):
        lr = r.learners[s]
        assert set(np.flatnonzero(sel[k])) == set(lr.labeled_indices.tolist())
        assert (sel[k] == 3).sum() == 8 and (sel[k] == 2).sum() == 16
        # the oracle answered truthfully
        assert (lr.labels == data[1][lr.labeled_indices]).all()
    df = r.curves_frame()
    assert set(df.strategy) == set(r.strategies) and len(df) == 12
    assert r.reach["target"] == pytest.approx(r.learners["random"].rounds[-1].score)
    assert r.reach["labels"][2] is not None and r.reach["labels"][2] <= 36
    assert r.labels_to(0.0) == {s: 12 for s in r.strategies}


def test_target_command(data):
    r = make(data)
    send(r, type="target", value=2.0)
    assert r.reach["target"] == 2.0 and r.reach["labels"] == [None, None, None] and r.reach["target_source"] == "set"
    send(r, type="target", value=None)
    assert r.reach["target_source"] == "random's last score"
    send(r, type="target", value="high")
    assert "target must be" in r.error


@pytest.mark.parametrize("rounds", [0, 201, "2", None])
def test_bad_commands(data, rounds):
    r = make(data)
    send(r, type="run", rounds=rounds)
    assert "rounds must be" in r.error and r.wait(0) and curves(r).shape == (3, 3)
    send(r, type="dance")
    assert "unknown command" in r.error


def test_bad_arguments(data):
    Xp, yp, Xt, yt = data
    with pytest.raises(ValueError, match="strategies must be"):
        make(data, strategies=["margin", "nope"])
    with pytest.raises(ValueError, match="coords"):
        make(data, coords=np.zeros((5, 2)))
    with pytest.raises(ValueError, match="X_test"):
        Race(LogisticRegression(), Xp, yp, coords=np.zeros((220, 2)))
    r = Race(LogisticRegression(max_iter=300), Xp, yp, strategies="entropy", initial=10)   # split from X
    assert r.strategies == ["entropy", "random"] and r.n_points == 154


def test_a_race_past_the_end_of_the_pool(data):
    Xp, yp, Xt, yt = data
    r = Race(LogisticRegression(max_iter=300), Xp[:30], yp[:30], X_test=Xt, y_test=yt, strategies=["margin"],
             initial=10, batch_size=8)
    r.run(5)
    assert r.wait(60) and r.error == ""
    assert all(lr.n_labeled == 30 for lr in r.learners.values())
    assert r.curves_frame().groupby("strategy").n_labels.max().tolist() == [30, 30]
