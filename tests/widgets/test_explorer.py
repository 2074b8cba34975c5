"""The Explorer's traitlets protocol without a browser: commands in (as the page sends them), traits and learner out."""
from __future__ import annotations

import base64
import threading
import zlib

import numpy as np
import pandas as pd
import pytest
import traitlets
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.datasets import make_classification
from sklearn.linear_model import LogisticRegression

from activelens import ActiveLearner, Explorer
from activelens.widgets.explorer import MAX_HAND_PICKED
from activelens.widgets.items import png_bytes
from activelens.widgets.palette import CLASS0, GREY, RAMP_SIZE


@pytest.fixture
def data():
    X, y = make_classification(n_samples=260, n_features=5, n_informative=3, n_redundant=0, n_classes=3,
                               n_clusters_per_class=1, random_state=1)
    return X[:200], y[:200], X[200:], y[200:]


def make(data, n_batch=6, seed=None, **kw):
    Xp, yp, Xt, yt = data
    if seed is None:  # a first batch holding every class twice, so the first submit can fit
        seed = np.array([int(np.flatnonzero(yp == c)[k]) for k in range(2) for c in range(3)])
    learner = ActiveLearner(LogisticRegression(max_iter=300), Xp, batch_size=n_batch, classes=[0, 1, 2],
                            holdout=(Xt, yt), cold_start=seed, random_state=0)
    w = Explorer(learner, labels=["a", "b", "c"], projection="pca", **kw)
    return w, learner


def send(w, **content):
    """Deliver a command exactly as the page does (ipywidgets' custom-message path)."""
    w._handle_custom_msg(content, [])


def label_all(w, y):
    for i in w.batch_indices:
        send(w, type="label", index=i, label=int(y[i]))


class Recorder:
    def __init__(self, w):
        self.names = []
        w.observe(lambda ch: self.names.append(ch["name"]), names=traitlets.All)


# ---------------------------------------------------------------- construction
def test_initial_traits_cold_start(data):
    w, learner = make(data)
    n = learner.n_pool
    assert w.n_points == n
    xy = np.frombuffer(w.coords, dtype=np.float32)
    assert xy.size == 2 * n and np.isfinite(xy).all() and np.abs(xy).max() <= 0.95 + 1e-6
    colours = np.frombuffer(w.color_values, dtype=np.uint8)
    assert colours.size == n and (colours == GREY).all()           # no model: every point unscored grey
    assert len(w.palette) == CLASS0 + 2 * 3
    assert len(w.batch) == 6 and w.batch_indices == [c["index"] for c in w.batch]
    card = w.batch[0]
    assert [o["name"] for o in card["options"]] == ["a", "b", "c"]  # class order before any model
    assert all(o["p"] is None for o in card["options"]) and card["suggested"] is None
    assert [o["key"] for o in card["options"]] == ["a", "b", "c"]   # a one-character name is its own key
    assert w.status["state"] == "idle" and w.curve["n_labels"] == []
    assert w.legend["kind"] == "categorical"


def test_explorer_uses_declared_classes_when_no_labels(data):
    Xp = data[0]
    learner = ActiveLearner(LogisticRegression(), Xp, classes=["cat", "dog"], random_state=0)
    w = Explorer(learner, projection="pca")
    assert w.label_names == ["cat", "dog"]


# ---------------------------------------------------------------- labeling and submitting
def test_labels_are_pending_until_submit_then_saved_and_retrained(data):
    w, learner = make(data)
    y = data[1]
    first = w.batch_indices
    label_all(w, y)
    assert w.pending == {str(i): int(y[i]) for i in first}
    assert learner.n_labeled == 0                                     # not a label until submitted
    rec = Recorder(w)
    old_id = w.batch_id
    send(w, type="submit")
    # saved is only set once the learner has the labels
    assert sorted(learner.labeled_indices.tolist()) == sorted(first)
    assert sorted(w.saved) == sorted(first) or w.batch_id > old_id
    assert w.wait(timeout=60)
    assert dict(zip(learner.labeled_indices.tolist(), learner.labels.tolist())) == {i: int(y[i]) for i in first}
    assert w.batch_id == old_id + 1
    assert not set(w.batch_indices) & set(first)
    assert w.status["state"] == "idle" and w.status["round"] == 1 and w.status["n_labeled"] == 6
    assert w.curve["n_labels"] == [6] and len(w.curve["scores"]) == 1 and w.curve["source"] == "holdout"
    # a retrain resends colours, never the coordinates
    assert "coords" not in rec.names and "color_values" in rec.names
    colours = np.frombuffer(w.color_values, dtype=np.uint8)
    assert set(colours[first].tolist()) <= set(range(CLASS0, CLASS0 + 3))     # labeled: class colours
    unl = learner.unlabeled_indices
    assert (colours[unl] < RAMP_SIZE).all()                                      # the rest: entropy ramp
    assert w.legend["kind"] == "continuous"


def test_cards_after_fit_keep_label_order_with_probability_and_suggestion(data):
    w, learner = make(data)
    label_all(w, data[1])
    send(w, type="submit")
    assert w.wait(60)
    proba = learner.predict_proba()
    for card in w.batch:
        assert [o["name"] for o in card["options"]] == ["a", "b", "c"]   # the order of labels=, on every card
        assert [o["key"] for o in card["options"]] == ["a", "b", "c"]
        ps = [o["p"] for o in card["options"]]
        assert abs(sum(ps) - 1) < 1e-3
        assert card["suggested"] == int(np.argmax(ps))
        assert card["suggested"] == int(np.argmax(proba[card["index"]]))
        # the default strategy, with the rule it used this round and why
        assert "uncertainty" in card["why"] and card["why"]["strategy"] in ("auto: margin_kmeans", "auto: margin")
        assert "margin" in card["why"]["reason"]


def test_first_cards_say_which_cold_start_the_default_used(data):
    learner = ActiveLearner(LogisticRegression(max_iter=300), data[0], batch_size=6, classes=[0, 1, 2], random_state=0)
    w = Explorer(learner, labels=["a", "b", "c"], projection="pca")
    rules = {c["why"]["strategy"] for c in w.batch}
    assert rules <= {"typiclust", "random"} and len(rules) == 1   # the cold start auto chose
    assert all("model" in c["why"]["reason"] for c in w.batch)   # and why: there is no model yet


def test_button_order_probability_keeps_the_old_order(data):
    w, learner = make(data, button_order="probability")
    label_all(w, data[1])
    send(w, type="submit")
    assert w.wait(60)
    for card in w.batch:
        ps = [o["p"] for o in card["options"]]
        assert ps == sorted(ps, reverse=True)
        assert card["suggested"] == card["options"][0]["label"]
        keys = {o["name"]: o["key"] for o in card["options"]}
        assert keys == {"a": "a", "b": "b", "c": "c"}                      # a label's key follows the label
    with pytest.raises(ValueError, match="button_order"):
        make(data, button_order="alphabetical")


def test_second_round_and_curve_gains_a_point(data):
    w, learner = make(data)
    y = data[1]
    for _ in range(2):
        label_all(w, y)
        send(w, type="submit")
        assert w.wait(60)
    assert learner.n_labeled == 12 and w.curve["n_labels"] == [6, 12]
    assert w.curve["gain"] == pytest.approx(w.curve["scores"][1] - w.curve["scores"][0], abs=1e-3)


def test_random_baseline_from_holdout(data):
    w, learner = make(data)
    for _ in range(2):
        label_all(w, data[1])
        send(w, type="submit")
        assert w.wait(60)
    c = w.curve
    assert c["baseline_n"] == [6, 12]
    assert all(0 <= v <= 1 for v in c["baseline_scores"])
    fig = w.curve_figure()
    assert [t.name for t in fig.data] == ["random: spread of draws", "random baseline (mean)", "auto"]
    assert len(c["baseline_lo"]) == len(c["baseline_hi"]) == 2
    assert all(lo <= m <= hi for lo, m, hi in zip(c["baseline_lo"], c["baseline_scores"], c["baseline_hi"]))
    assert "holdout" in c["baseline_note"]                       # the caption says what the baseline is
    assert fig.layout.xaxis.title.text == "labels" and "holdout" in fig.layout.yaxis.title.text


def test_no_baseline_without_holdout(data):
    Xp, yp = data[0], data[1]
    seed = np.array([int(np.flatnonzero(yp == c)[k]) for k in range(2) for c in range(3)])
    learner = ActiveLearner(LogisticRegression(max_iter=300), Xp, batch_size=6, classes=[0, 1, 2], cold_start=seed,
                            random_state=0)
    w = Explorer(learner, labels=["a", "b", "c"], projection="pca")
    label_all(w, yp)
    send(w, type="submit")
    assert w.wait(60)
    assert w.curve["baseline_n"] == [] and "labeled-cv" in w.curve["source"]


def test_curve_shows_stopping_state(data):
    from activelens import Budget, Plateau

    Xp, yp, Xt, yt = data
    seed = np.array([int(np.flatnonzero(yp == c)[k]) for k in range(2) for c in range(3)])
    learner = ActiveLearner(LogisticRegression(max_iter=300), Xp, batch_size=6, classes=[0, 1, 2], cold_start=seed,
                            holdout=(Xt, yt), stopping=[Plateau(patience=3), Budget(6)], random_state=0)
    w = Explorer(learner, labels=["a", "b", "c"], projection="pca")
    label_all(w, yp)
    send(w, type="submit")
    assert w.wait(60)
    assert w.curve["stopping"] == learner.stopping_progress() and len(w.curve["stopping"]) == 2
    assert any(line.startswith("plateau") for line in w.curve["stopping"])
    assert w.curve["stop"].startswith("budget")          # 6 of 6 labels: the budget criterion fired


def test_refresh_after_teaching_from_python(data):
    w, learner = make(data)
    y = data[1]
    first = w.batch_indices
    learner.teach(first, y[first])
    learner.fit()
    w.refresh()
    assert not set(w.batch_indices) & set(first)
    assert w.curve["n_labels"] == [6] and w.status["round"] == 1
    assert w.batch[0]["options"][0]["p"] is not None
    assert (np.frombuffer(w.color_values, dtype=np.uint8)[learner.unlabeled_indices] < RAMP_SIZE).all()


def test_skip_and_undo(data):
    w, learner = make(data)
    a, b, c = w.batch_indices[:3]
    send(w, type="label", index=a, label=0)
    send(w, type="skip", index=b)
    send(w, type="label", index=c, label=2)
    assert w.pending == {str(a): 0, str(b): -1, str(c): 2}
    send(w, type="undo")
    assert w.pending == {str(a): 0, str(b): -1}
    send(w, type="submit")
    assert w.wait(60)
    assert learner.labeled_indices.tolist() == [a]        # the skipped item is not taught
    assert learner.labels.tolist() == [0]


def test_relabel_before_submit_keeps_last_choice(data):
    w, learner = make(data)
    i = w.batch_indices[0]
    send(w, type="label", index=i, label=0)
    send(w, type="label", index=i, label=1)
    assert w.pending == {str(i): 1}
    send(w, type="undo")
    assert w.pending == {}


def test_label_names_map_to_learner_classes(data):
    Xp = data[0]
    learner = ActiveLearner(LogisticRegression(), Xp, classes=["cat", "dog"], batch_size=3, random_state=0)
    w = Explorer(learner, labels=["Cat", "Dog"], projection="pca")
    i, j = w.batch_indices[:2]
    send(w, type="label", index=i, label=1)
    send(w, type="label", index=j, label=0)
    send(w, type="submit")
    assert w.wait(60)
    assert dict(zip(learner.labeled_indices.tolist(), learner.labels.tolist())) == {i: "dog", j: "cat"}


def test_labels_as_dict(data):
    Xp = data[0]
    learner = ActiveLearner(LogisticRegression(), Xp, batch_size=2, random_state=0)
    w = Explorer(learner, labels={"neg": "Negative", "pos": "Positive"}, projection="pca")
    i = w.batch_indices[0]
    send(w, type="label", index=i, label=1)
    send(w, type="submit")
    assert w.wait(60)
    assert learner.labels.tolist() == ["pos"]


def test_one_class_only_does_not_fit_and_offers_more_items(data):
    w, learner = make(data, seed=np.array([], dtype=int))
    first = w.batch_indices
    for i in first:
        send(w, type="label", index=i, label=0)
    send(w, type="submit")
    assert w.wait(60)
    assert learner.model_ is None and len(learner.rounds) == 0
    assert len(w.batch) == 6 and not set(w.batch_indices) & set(first)
    assert "another class" in w.status["message"]
    assert w.curve["n_labels"] == []


# ---------------------------------------------------------------- background work
class GatedLR(BaseEstimator, ClassifierMixin):
    """A logistic regression whose fit waits for a gate: lets a test hold the retrain mid-way."""

    gate = None
    entered = None

    def __init__(self, fail=False):
        self.fail = fail

    def fit(self, X, y):
        if GatedLR.entered is not None:
            GatedLR.entered.set()
        if GatedLR.gate is not None:
            assert GatedLR.gate.wait(30)
        if self.fail:
            raise RuntimeError("boom")
        self.model_ = LogisticRegression(max_iter=300).fit(X, y)
        self.classes_ = self.model_.classes_
        return self

    def predict_proba(self, X):
        return self.model_.predict_proba(X)

    def predict(self, X):
        return self.model_.predict(X)


def test_retrain_runs_in_background_and_page_stays_usable(data):
    Xp, yp, Xt, yt = data
    seed = np.array([int(np.flatnonzero(yp == c)[k]) for k in range(2) for c in range(3)])
    learner = ActiveLearner(GatedLR(), Xp, batch_size=6, classes=[0, 1, 2], cold_start=seed, random_state=0)
    w = Explorer(learner, labels=["a", "b", "c"], projection="pca")
    GatedLR.gate, GatedLR.entered = threading.Event(), threading.Event()
    try:
        label_all(w, yp)
        send(w, type="submit")            # returns at once: the fit waits on the gate in a thread
        assert GatedLR.entered.wait(30)
        assert w.status["busy"] is True and w.status["state"] == "training"
        assert sorted(w.saved) == sorted(seed.tolist())              # saved before the retrain finished
        assert not w.wait(timeout=0.01)
        send(w, type="color_by", value="label")                       # the kernel still answers
        assert w.color_by == "label"
        send(w, type="label", index=w.batch_indices[0], label=0)     # but labels wait for the next batch
        assert "training" in w.error
        send(w, type="submit")
        assert "already training" in w.error
    finally:
        GatedLR.gate.set()
    assert w.wait(60)
    assert w.status["state"] == "idle" and len(learner.rounds) == 1
    GatedLR.gate = GatedLR.entered = None


def test_retrain_failure_is_reported_and_labels_kept(data):
    Xp, yp, _, _ = data
    seed = np.array([int(np.flatnonzero(yp == c)[0]) for c in range(3)])
    learner = ActiveLearner(GatedLR(fail=True), Xp, batch_size=3, classes=[0, 1, 2], cold_start=seed, random_state=0)
    w = Explorer(learner, labels=["a", "b", "c"], projection="pca")
    label_all(w, yp)
    send(w, type="submit")
    assert w.wait(60)
    assert w.status["state"] == "error" and "boom" in w.error
    assert learner.n_labeled == 3


def test_a_locked_store_during_submit_reaches_the_error_line_and_the_picks_stay(data, tmp_path):
    """Issue 14: a StoreLockedError in submit was lost in the kernel's log while the widget sat idle."""
    import sqlite3

    from activelens import LabelStore

    Xp, yp, Xt, yt = data
    path = tmp_path / "labels.db"
    seed = np.array([int(np.flatnonzero(yp == c)[k]) for k in range(2) for c in range(3)])
    learner = ActiveLearner(LogisticRegression(max_iter=300), Xp, batch_size=6, classes=[0, 1, 2],
                            holdout=(Xt, yt), cold_start=seed, random_state=0, store=LabelStore(path, timeout=0.2))
    w = Explorer(learner, labels=["a", "b", "c"], projection="pca")
    label_all(w, yp)
    picks = dict(w.pending)
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")   # another process holds the write lock
    try:
        send(w, type="submit")
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert w.error.startswith("submit failed, nothing was saved: StoreLockedError: store ")
    assert "locked by another process" in w.error and "press Submit again to retry" in w.error
    assert w.pending == picks and w.saved == [] and w.status["state"] == "idle"
    assert learner.n_labeled == 0 and learner.store.n_labels() == 0
    send(w, type="submit")                 # the retry saves the same picks
    assert w.error == "" and w.wait(60)
    assert sorted(learner.labeled_indices.tolist()) == sorted(int(i) for i in picks)
    assert learner.store.n_labels() == 6 and learner.model_ is not None


# ---------------------------------------------------------------- map commands
def test_color_switch_sends_only_colours(data):
    w, learner = make(data)
    label_all(w, data[1])
    send(w, type="submit")
    assert w.wait(60)
    rec = Recorder(w)
    before = bytes(w.color_values)
    send(w, type="color_by", value="predicted")
    assert w.color_by == "predicted"
    assert set(rec.names) == {"color_by", "color_values", "legend"}
    vals = np.frombuffer(w.color_values, dtype=np.uint8)
    assert vals.tobytes() != before
    pred = learner.predict()
    unl = learner.unlabeled_indices
    assert (vals[unl] == CLASS0 + 3 + pred[unl]).all()
    send(w, type="color_by", value="margin")
    assert (np.frombuffer(w.color_values, dtype=np.uint8)[unl] < RAMP_SIZE).all()


def test_the_next_batch_takes_picks_while_the_baseline_still_runs(data, monkeypatch):
    import threading
    import time

    from activelens.widgets.baseline import RandomBaseline

    w, learner = make(data)
    gate, real = threading.Event(), RandomBaseline.update

    def slow_update(self, *args, **kw):
        gate.wait(60)
        return real(self, *args, **kw)

    monkeypatch.setattr(RandomBaseline, "update", slow_update)
    label_all(w, data[1])
    send(w, type="submit")
    try:
        deadline = time.monotonic() + 60
        while w.status["state"] != "idle" and time.monotonic() < deadline:   # the next batch is shown
            time.sleep(0.01)
        assert not w.wait(0)                          # the baseline is still running
        first = w.batch_indices[0]
        send(w, type="label", index=first, label=0)
        assert w.error == "" and w.pending == {str(first): 0}
    finally:
        gate.set()
    assert w.wait(60) and w.curve["baseline_n"]


def test_settable_traits_take_effect_and_the_others_are_read_only(data):
    w, learner = make(data)
    label_all(w, data[1])
    send(w, type="submit")
    assert w.wait(60)
    before, legend = bytes(w.color_values), dict(w.legend)
    w.color_by = "label"                  # from Python, as the dropdown does: colours and legend follow
    assert bytes(w.color_values) != before and w.legend["title"] == "label" and w.legend != legend
    unl = learner.unlabeled_indices
    assert (np.frombuffer(w.color_values, dtype=np.uint8)[unl] == GREY).all()
    with pytest.raises(ValueError, match="color_by must be one of"):
        w.color_by = "rainbow"
    assert w.color_by == "label"
    first = [o["label"] for o in w.batch[0]["options"]]
    w.button_order = "probability"        # the cards on show are re-drawn, most probable first
    p = [o["p"] for o in w.batch[0]["options"]]
    assert p == sorted(p, reverse=True) and sorted(o["label"] for o in w.batch[0]["options"]) == sorted(first)
    for name in ("batch", "pending", "saved", "status", "coords", "color_values", "legend", "max_hand_picked"):
        with pytest.raises(traitlets.TraitError, match="read-only"):
            setattr(w, name, getattr(w, name))


def test_add_from_map(data):
    w, learner = make(data)
    batch = w.batch_indices
    fresh = [i for i in range(50) if i not in batch][:3]
    send(w, type="add", indices=fresh + [batch[0], fresh[0]])
    assert w.batch_indices == batch + fresh
    assert [c["source"] for c in w.batch[-3:]] == ["hand"] * 3
    send(w, type="label", index=fresh[0], label=1)
    assert w.pending == {str(fresh[0]): 1}


def test_hand_picked_cards_stop_at_the_limit_the_page_is_told(data):
    w, learner = make(data)
    assert w.max_hand_picked == MAX_HAND_PICKED           # the page slices its lasso to this, no copy of 50 in js
    many = [i for i in range(200) if i not in w.batch_indices]
    send(w, type="add", indices=many)
    assert len(w.batch_indices) == MAX_HAND_PICKED and w.batch_indices[6:] == many[:MAX_HAND_PICKED - 6]


def test_peek_replies_with_preview(data, monkeypatch):
    w, _ = make(data, items=[f"text {i}" for i in range(200)])
    sent = []
    monkeypatch.setattr(w, "send", lambda content, **_kw: sent.append(content))
    send(w, type="peek", index=7)
    assert sent == [{"type": "peek", "index": 7, "preview": "text 7", "item": {"kind": "text", "text": "text 7"}}]


# ---------------------------------------------------------------- items
def _decode_png(b64):
    raw = base64.b64decode(b64)
    assert raw[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, w, h = 8, b"", None, None
    while pos < len(raw):
        n = int.from_bytes(raw[pos:pos + 4], "big")
        kind, body = raw[pos + 4:pos + 8], raw[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            w, h = int.from_bytes(body[:4], "big"), int.from_bytes(body[4:8], "big")
        if kind == b"IDAT":
            idat += body
        pos += 12 + n
    rows = np.frombuffer(zlib.decompress(idat), dtype=np.uint8).reshape(h, -1)
    assert (rows[:, 0] == 0).all()
    return rows[:, 1:]


def test_image_items_become_png(data):
    Xp = data[0]
    imgs = np.arange(200 * 8 * 8, dtype=np.float64).reshape(200, 8, 8) % 17   # like digits: 0..16 floats
    w, _ = make(data, items=imgs)
    item = w.batch[0]["item"]
    assert item["kind"] == "image" and (item["width"], item["height"]) == (8, 8)
    pixels = _decode_png(item["png"])
    src = imgs[w.batch[0]["index"]]
    expected = np.round(src / src.max() * 255)
    assert np.abs(pixels.astype(int) - expected).max() <= 1


def test_png_encoder_rgb_roundtrip():
    img = np.random.default_rng(0).integers(0, 256, size=(5, 7, 3), dtype=np.uint8)
    b64 = base64.b64encode(png_bytes(img)).decode()
    assert np.array_equal(_decode_png(b64).reshape(5, 7, 3), img)


def test_text_and_frame_items(data):
    texts = [f"<b>{i}</b>" for i in range(200)]
    w, _ = make(data, items=texts)
    i = w.batch[0]["index"]
    assert w.batch[0]["item"] == {"kind": "text", "text": f"<b>{i}</b>"}   # verbatim: the page uses textContent
    frame = pd.DataFrame({"age": np.arange(200), "city": ["x"] * 200})
    w2, _ = make(data, items=frame)
    item = w2.batch[0]["item"]
    assert item["kind"] == "table" and item["columns"] == ["age", "city"]
    assert item["values"] == [str(w2.batch[0]["index"]), "x"]


def test_item_renderer_hook(data):
    w, _ = make(data, items=[f"t{i}" for i in range(200)], item_renderer=lambda i: f"custom {i}")
    i = w.batch[0]["index"]
    assert w.batch[0]["item"] == {"kind": "text", "text": f"custom {i}"}
    with pytest.raises(TypeError, match="item_renderer must be a callable"):
        make(data, item_renderer="nope")


# ---------------------------------------------------------------- bad input: one clear error, nothing built
def _widget_count():
    from ipywidgets.widgets.widget import _instances
    return len(_instances)


@pytest.mark.parametrize("kwargs, exc, fragment", [
    ({"items": ["a"] * 5}, ValueError, "items has 5 entries"),
    ({"items": pd.DataFrame({"a": range(3)})}, ValueError, "items has 3 rows"),
    ({"items": np.zeros((200, 4, 4), dtype=np.complex64)}, TypeError, "items: images of dtype complex64"),
    ({"items": np.zeros((200, 4, 4, 2))}, ValueError, "items: image arrays must be"),
    ({"labels": ["a", "a", "b"]}, ValueError, "labels must be unique"),
    ({"labels": ["a", 2, "c"]}, TypeError, "labels must be strings"),
    ({"labels": ["a", "b"]}, ValueError, "labels has 2 names"),
    ({"labels": "abc"}, TypeError, "labels must be a list"),
    ({"coords": np.zeros((200, 3))}, ValueError, "coords must have shape (n_pool, 2)"),
    ({"coords": np.zeros((10, 2))}, ValueError, "coords must have shape (n_pool, 2)"),
    ({"coords": np.full((200, 2), np.nan)}, ValueError, "coords contains NaN"),
    ({"projection": "tsne"}, ValueError, "projection must be one of"),
    ({"color_by": "rainbow"}, ValueError, "color_by must be one of"),
])
def test_bad_input_one_clear_error(data, kwargs, exc, fragment):
    learner = ActiveLearner(LogisticRegression(), data[0], classes=[0, 1, 2], random_state=0)
    args = {"labels": ["a", "b", "c"], "projection": "pca", **kwargs}
    before = _widget_count()
    with pytest.raises(exc, match=None) as info:
        Explorer(learner, **args)
    assert fragment in str(info.value)
    assert _widget_count() == before          # nothing half-built was created


def test_learner_must_be_an_active_learner():
    with pytest.raises(TypeError, match="learner must be an activelens.ActiveLearner"):
        Explorer(object(), labels=["a"])


def test_teaching_mode_takes_an_oracle(data):   # teaching mode itself: tests/test_teaching.py
    learner = ActiveLearner(LogisticRegression(), data[0], classes=[0, 1, 2], random_state=0)
    w = Explorer(learner, labels=["a", "b", "c"], oracle=data[1], projection="pca")
    assert w.teaching["enabled"] and w.oracle is not None


def test_user_coords(data):
    Xp = data[0]
    coords = np.column_stack([np.arange(200), np.arange(200) * 2.0])
    w, _ = make(data, coords=coords)
    xy = w.coordinates()
    assert w.projection == "custom"
    assert np.allclose(xy[:, 1] / xy[-1, 1], xy[:, 0] / xy[-1, 0], atol=1e-5) or np.allclose(xy[:, 1], 2 * xy[:, 0], atol=1e-5)


# ---------------------------------------------------------------- exports
def test_figures(data):
    w, learner = make(data)
    label_all(w, data[1])
    send(w, type="submit")
    assert w.wait(60)
    w.selected = [w.batch_indices[0], 150]
    fig = w.figure()
    traces = {t.name: t for t in fig.data}
    assert len(traces["pool"].x) == 200 and list(traces["batch"].text) == [str(i) for i in w.batch_indices]
    assert len(traces["labeled"].x) == 6 and traces["labeled"].marker.size > traces["pool"].marker.size
    assert len(traces["selected"].x) == 2
    assert [t.name for t in fig.data][-1] == "batch"                # the rings on top
    cf = w.curve_figure()
    line = [t for t in cf.data if t.name == "auto"][0]
    assert list(line.x) == [6] and line.y[0] == pytest.approx(learner.rounds[0].score)
    assert cf.layout.xaxis.title.text == "labels" and cf.layout.yaxis.title.text


# ---------------------------------------------------------------- nothing disappears silently
def test_unpicked_cards_stay_in_the_batch_and_the_status_says_so(data):
    w, learner = make(data)
    y = data[1]
    first = w.batch_indices
    send(w, type="label", index=first[0], label=int(y[first[0]]))
    send(w, type="label", index=first[1], label=int(y[first[1]]))
    send(w, type="skip", index=first[2])
    send(w, type="submit")
    assert w.wait(60) and w.error == ""
    assert sorted(learner.labeled_indices.tolist()) == sorted(first[:2])
    assert w.batch_indices[:3] == first[3:]                      # the unpicked three open the next batch
    assert first[2] not in w.batch_indices                       # the skipped one went back to the pool
    assert len(w.batch_indices) == 6 and len(set(w.batch_indices)) == 6
    msg = w.status["message"]
    assert "saved 2 labels" in msg and "3 unpicked stay in the batch" in msg and "1 skipped went back to the pool" in msg


def test_submit_with_nothing_picked_says_so_and_keeps_the_batch(data):
    w, learner = make(data)
    before, bid = w.batch_indices, w.batch_id
    send(w, type="submit")
    assert w.error.startswith("nothing picked")
    assert w.batch_indices == before and w.batch_id == bid and learner.n_labeled == 0


def test_selection_is_not_labeling_work_until_added(data):
    w, learner = make(data)
    before = w.batch_indices
    free = [i for i in range(200) if i not in before]
    send(w, type="select", indices=[free[3], free[1], free[1]])
    assert w.selected == sorted([free[1], free[3]]) and w.batch_indices == before
    w.selected = [free[5]]                                       # settable from Python
    assert w.selected == [free[5]]
    with pytest.raises(ValueError, match="not a pool position"):
        w.selected = [10_000]
    send(w, type="add")                                           # the page's "add to batch": the selection
    assert w.batch_indices == before + [free[5]] and w.batch[-1]["source"] == "hand"
    assert "added 1 of 1 selected" in w.status["message"]
    assert w.add_to_batch([free[5], free[6]]) == [free[6]]
    assert "1 already on the batch" in w.status["message"]


def test_add_to_batch_states_the_cap(data):
    w, learner = make(data)
    many = [i for i in range(200) if i not in w.batch_indices][:80]
    added = w.add_to_batch(many)
    assert len(added) == MAX_HAND_PICKED - 6 and len(w.batch_indices) == MAX_HAND_PICKED
    assert f"a batch holds at most {MAX_HAND_PICKED} cards" in w.status["message"]
    assert f"{80 - len(added)} not added" in w.status["message"]


def test_status_says_where_labels_are_saved(data, tmp_path):
    w, _ = make(data)
    assert "memory only" in w.status["saved_to"] and "store=" in w.status["saved_to"]
    Xp, yp, Xt, yt = data
    learner = ActiveLearner(LogisticRegression(max_iter=300), Xp, batch_size=6, classes=[0, 1, 2],
                            holdout=(Xt, yt), random_state=0, store=tmp_path / "labels.db")
    w2 = Explorer(learner, labels=["a", "b", "c"], projection="pca")
    assert w2.status["saved_to"].startswith("labels saved to") and "labels.db" in w2.status["saved_to"]


def test_teaching_one_liner_takes_the_classes_from_the_oracle(data):
    Xp, yp, Xt, yt = data
    learner = ActiveLearner(LogisticRegression(max_iter=300), Xp, batch_size=6, holdout=(Xt, yt),
                            random_state=0)
    w = Explorer(learner, oracle=yp, projection="pca")
    assert w.label_names == ["0", "1", "2"]
    send(w, type="oracle")
    assert w.wait(60) and w.error == ""
    assert learner.n_labeled == 6 and all(int(v) == int(yp[i]) for i, v in zip(learner.labeled_indices, learner.labels))


def test_composes_in_ipywidgets_boxes(data):
    import ipywidgets

    w, _ = make(data)
    box = ipywidgets.VBox([ipywidgets.HTML("<b>labeling</b>"), ipywidgets.HBox([w])])
    assert box.children[1].children[0] is w
    state = w.get_state()
    assert state["_model_module"] == "anywidget" and "batch" in state


def test_umap_coords_come_back_from_the_store_after_a_restart(data, tmp_path, monkeypatch):
    from activelens.widgets import projection

    Xp, yp, Xt, yt = data
    calls = []

    def fake_umap(X, random_state=0):
        calls.append(1)
        return np.column_stack([X[:, 0], X[:, 1] * 0.5]).astype(np.float32)

    monkeypatch.setattr(projection, "umap_2d", fake_umap)
    monkeypatch.setattr(projection, "umap_available", lambda: True)

    def open_one():
        learner = ActiveLearner(LogisticRegression(max_iter=300), Xp, batch_size=6, classes=[0, 1, 2],
                                random_state=0, store=tmp_path / "labels.db")
        return Explorer(learner, labels=["a", "b", "c"], projection="umap")

    w = open_one()
    assert w.wait_projection(30) and w.projection == "umap" and calls == [1]
    xy = w.coordinates().copy()
    projection._CACHE.clear()                                 # a new kernel: nothing in memory
    w2 = open_one()
    assert w2.projection == "umap" and calls == [1]           # at once, from the store, no refit
    assert np.allclose(w2.coordinates(), xy)


def test_hint_names_disagreements_when_labels_are_shifted(data):
    """Shifted keys (every label one class off): the learner trails random and the hint says the holdout model
    disagrees with the labels."""
    w, learner = make(data)
    y = data[1]
    for _ in range(3):
        for i in w.batch_indices:
            send(w, type="label", index=i, label=int((y[i] + 1) % 3))
        send(w, type="submit")
        assert w.wait(60)
    hint = w.curve["hint"]
    assert hint.startswith("below random") and "disagrees with" in hint and "check the keys" in hint
    w2, _ = make(data)
    for _ in range(3):
        label_all(w2, y)
        send(w2, type="submit")
        assert w2.wait(60)
    assert "check the keys" not in w2.curve["hint"]


def test_restored_learner_shows_its_curve_and_baseline(data, tmp_path):
    Xp, yp, Xt, yt = data

    def open_one():
        learner = ActiveLearner(LogisticRegression(max_iter=300), Xp, batch_size=6, classes=[0, 1, 2],
                                holdout=(Xt, yt), random_state=0, store=tmp_path / "labels.db",
                                cold_start=np.array([int(np.flatnonzero(yp == c)[k]) for k in range(2) for c in range(3)]))
        return Explorer(learner, labels=["a", "b", "c"], projection="pca"), learner

    w, learner = open_one()
    label_all(w, yp)
    send(w, type="submit")
    assert w.wait(60)
    batch, curve = w.batch_indices, w.curve
    w2, learner2 = open_one()                       # a restarted kernel
    assert w2.wait(60)
    assert learner2.n_labeled == 6 and w2.batch_indices == batch
    assert w2.curve["n_labels"] == curve["n_labels"] and w2.curve["baseline_n"] == curve["baseline_n"]
