"""Teaching mode's protocol without a browser: the page's commands in (oracle, run, strategy, noise, step), the
learner, the oracle's log and the traits out. Background work is awaited with ``explorer.wait()``."""
from __future__ import annotations

import numpy as np
import pytest
from sklearn.datasets import make_classification
from sklearn.linear_model import LogisticRegression

from activelens import ActiveLearner, Explorer
from activelens.widgets.teaching import STEPS, Oracle


@pytest.fixture(scope="module")
def data():
    X, y = make_classification(n_samples=260, n_features=5, n_informative=3, n_redundant=0, n_classes=3,
                               n_clusters_per_class=1, random_state=1)
    return X[:200], y[:200], X[200:], y[200:]


def make(data, noise=0.0, **kw):
    Xp, yp, Xt, yt = data
    seed = np.array([int(np.flatnonzero(yp == c)[k]) for k in range(2) for c in range(3)])
    learner = ActiveLearner(LogisticRegression(max_iter=300), Xp, batch_size=6, classes=[0, 1, 2],
                            holdout=(Xt, yt), cold_start=seed, random_state=0)
    w = Explorer(learner, labels=["a", "b", "c"], projection="pca", oracle=yp, noise=noise, **kw)
    return w, learner


def send(w, **content):
    w._handle_custom_msg(content, [])


def taught(learner):
    return dict(zip(learner.labeled_indices.tolist(), learner.labels.tolist()))


def test_oracle_labels_the_batch_through_the_submit_path(data):
    w, learner = make(data)
    batch = w.batch_indices
    send(w, type="oracle")
    assert w.error == ""
    # the learner has the labels as soon as the command returns; the retrain runs in the background
    assert taught(learner) == {i: int(data[1][i]) for i in batch}
    assert w.wait(60)
    assert len(learner.rounds) == 1 and w.curve["n_labels"] == [6]
    assert w.status["state"] == "idle" and w.batch_indices and set(w.batch_indices).isdisjoint(batch)
    assert w.teaching["answered"] == 6 and w.teaching["flipped"] == 0 and w.teaching["rounds_run"] == 1
    assert w.oracle.log["index"].tolist() == batch


def test_run_n_rounds_in_the_background(data):
    w, learner = make(data)
    send(w, type="run", rounds=3)
    assert w.teaching["running"] is True or w.wait(0)
    send(w, type="label", index=w.batch_indices[0] if w.batch_indices else 0, label=0)   # refused while running
    assert w.wait(120)
    assert w.error == "" or "still training" in w.error
    assert learner.n_labeled == 18 and len(learner.rounds) == 3
    assert w.curve["n_labels"] == [6, 12, 18]
    assert w.teaching["running"] is False and w.teaching["rounds_run"] == 3
    assert w.status["state"] == "idle" and w.status["round"] == 3
    assert all(taught(learner)[i] == data[1][i] for i in learner.labeled_indices.tolist())


@pytest.mark.parametrize("rounds", [0, -1, 101, "3", True, None, 2.5])
def test_run_rejects_bad_rounds(data, rounds):
    w, learner = make(data)
    send(w, type="run", rounds=rounds)
    assert "rounds must be" in w.error and learner.n_labeled == 0 and w.wait(0)


def test_strategy_switches_live(data):
    w, learner = make(data)
    send(w, type="oracle")
    assert w.wait(60)
    send(w, type="strategy", value="k_center")
    assert learner.strategy == "k_center" and w.teaching["strategy"] == "k_center"
    assert w.batch[0]["why"]["strategy"] == "k_center"          # the batch on show is the new strategy's pick
    send(w, type="oracle")
    assert w.wait(60)
    assert learner.rounds[-1].strategy == "k_center"
    send(w, type="strategy", value="no-such-strategy")
    assert "strategy must be one of" in w.error and learner.strategy == "k_center"


def test_noisy_annotator_flips_a_seeded_share(data):
    w, learner = make(data, noise=0.5)
    send(w, type="run", rounds=4)
    assert w.wait(120)
    log = w.oracle.log
    assert len(log) == 24 and 4 <= log.flipped.sum() <= 20
    assert (log.given != log.truth).tolist() == log.flipped.tolist()
    assert w.teaching["flipped"] == int(log.flipped.sum()) and w.teaching["noise"] == 0.5
    # what the learner was taught is what the oracle said, noise included
    t = taught(learner)
    assert all(t[r.index] == r.given for r in log.itertuples())
    # seeded: the same run flips the same answers
    w2, _ = make(data, noise=0.5)
    send(w2, type="run", rounds=4)
    assert w2.wait(120)
    assert w2.oracle.log.flipped.tolist() == log.flipped.tolist()
    send(w, type="noise", value=0)
    assert w.teaching["noise"] == 0 and w.oracle.noise == 0
    send(w, type="noise", value=1.5)
    assert "noise must be" in w.error


def test_step_view_walks_one_round(data):
    w, learner = make(data)
    send(w, type="oracle")
    assert w.wait(60)
    batch = w.batch_indices
    seen = []
    for name in STEPS:
        send(w, type="step")
        assert w.error == ""
        t = w.teaching
        seen.append(t["step_name"])
        assert t["step"] == STEPS.index(name) + 1 and t["step_text"].startswith(f"{t['step']}/4")
        if name == "scores":
            assert w.color_by == "entropy" and learner.n_labeled == 6
        elif name == "selection":
            assert w.batch_indices == batch and learner.n_labeled == 6
        elif name == "labels":   # taught, coloured by label, not yet retrained
            assert learner.n_labeled == 12 and len(learner.rounds) == 1 and w.color_by == "label"
            assert sorted(w.saved) == sorted(batch)
        else:
            assert w.wait(60)
            assert len(learner.rounds) == 2 and w.color_by == "entropy" and set(w.batch_indices).isdisjoint(batch)
    assert seen == list(STEPS)
    send(w, type="step")               # and round again
    assert w.teaching["step_name"] == "scores"


def test_teach_classmethod_and_errors(data):
    Xp, yp, Xt, yt = data
    w = Explorer.teach(LogisticRegression(max_iter=300), Xp, yp, X_test=Xt, y_test=yt, initial=12, batch_size=5,
                       projection="pca")
    assert w.learner.n_labeled == 12 and len(w.learner.rounds) == 1 and w.teaching["enabled"]
    send(w, type="run", rounds=2)
    assert w.wait(120) and w.learner.n_labeled == 22
    with pytest.raises(ValueError, match="one true label per pool item"):
        make((Xp, yp[:10], Xt, yt))
    plain = Explorer(ActiveLearner(LogisticRegression(), Xp, classes=[0, 1, 2]), labels=["a", "b", "c"],
                     projection="pca")
    assert plain.teaching == {}
    send(plain, type="oracle")
    assert "teaching mode" in plain.error


def test_oracle_unit():
    o = Oracle(np.array(["x", "y", "z", "x"]), n_pool=4, noise=0.0)
    assert [a.given for a in o.answer([3, 1])] == ["x", "y"] and o.n_answered == 2 and o.n_flipped == 0
    with pytest.raises(ValueError, match="noise"):
        Oracle([0, 1], n_pool=2, noise=1.0)


def test_run_to_the_end_of_the_pool():
    X, y = make_classification(n_samples=60, n_features=5, n_informative=3, n_redundant=0, n_classes=3,
                               n_clusters_per_class=1, random_state=1)
    w = Explorer.teach(LogisticRegression(max_iter=300), X[:20], y[:20], X_test=X[20:], y_test=y[20:], initial=6,
                       batch_size=6, projection="pca")
    send(w, type="run", rounds=10)
    assert w.wait(60) and w.error == ""
    assert w.learner.n_labeled == 20 and w.batch_indices == [] and w.status["message"] == "every item is labeled"
    assert w.teaching["rounds_run"] == 3 and w.teaching["running"] is False
    send(w, type="oracle")
    assert "no batch" in w.error
