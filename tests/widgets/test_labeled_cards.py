"""Labeled cards: a labeled item added to the batch (from the map or a search) shows its label, who gave it and when;
a pick on it changes the label (or confirms it), Space takes it back (issue 22 item 3)."""
from __future__ import annotations

import pytest

from tests.widgets.test_find import data, make, send  # noqa: F401 - the fixture and helpers of the find tests


def _labeled_round(w, learner, y, annotator="ana"):
    """Label the first batch (the seed) as ``annotator`` from Python; the labeled positions."""
    batch = list(w.batch_indices)
    learner.teach(batch, [int(y[i]) for i in batch], annotator=annotator, source="key")
    w.refresh()
    return batch


def _card(w, i):
    return next(c for c in w.batch if c["index"] == i)


def test_a_labeled_item_opens_as_a_labeled_card_with_its_label_who_and_when(data):
    w, learner = make(data)
    X, y = data
    batch = _labeled_round(w, learner, y)
    i = batch[0]
    assert w.add_to_batch([i]) == [i]
    card = _card(w, i)
    name = "abc"[int(y[i])]
    assert card["source"] == "labeled" and card["current"] == int(y[i])
    when = learner.labeled_frame().set_index("position").loc[i, "timestamp"]
    assert card["why"]["strategy"] == f"labeled {name!r} by ana · {when:%Y-%m-%d %H:%M} (key)"
    assert "1 labeled already" in w.status["message"]
    # an unlabeled item added with it is a hand-picked card, without a current label
    free = next(j for j in range(len(X)) if j not in set(learner.labeled_indices.tolist()) | set(w.batch_indices))
    w.add_to_batch([free])
    assert _card(w, free)["source"] == "hand" and "current" not in _card(w, free)


def test_relabel_through_the_page_changes_the_label_and_keeps_the_history(data):
    w, learner = make(data)
    X, y = data
    i, j = _labeled_round(w, learner, y)[:2]
    send(w, type="add", indices=[i, j])
    new = (int(y[i]) + 1) % 3
    send(w, type="label", index=i, label=new)              # another label: a relabel
    send(w, type="label", index=j, label=int(y[j]))        # the same label: a confirmation
    send(w, type="submit")
    assert w.error == ""
    assert w.wait(120)
    frame = learner.labeled_frame().set_index("position")
    assert frame.loc[i, "label"] == new and frame.loc[i, "source"] == "relabel"
    assert frame.loc[j, "label"] == int(y[j]) and frame.loc[j, "source"] == "confirm"
    history = learner.label_history()
    assert history[history["position"] == i]["label"].tolist() == [int(y[i]), new]
    assert "1 relabeled" in w.status["message"] and "1 confirmed" in w.status["message"]
    assert learner.history["n_changed"].iloc[-1] == 1      # retrained on the new label


def test_space_on_a_labeled_card_takes_the_label_back(data):
    w, learner = make(data)
    X, y = data
    i = _labeled_round(w, learner, y)[0]
    n = learner.n_labeled
    w.add_to_batch([i])
    send(w, type="skip", index=i)
    send(w, type="submit")
    assert w.error == ""
    assert w.wait(120)
    assert i not in set(learner.labeled_indices.tolist()) and learner.n_labeled == n - 1
    history = learner.label_history()
    assert history[history["position"] == i]["source"].tolist()[-1] == "unlabel"
    assert "1 taken back" in w.status["message"]


def test_an_unpicked_labeled_card_stays_and_changes_nothing(data):
    w, learner = make(data)
    X, y = data
    i = _labeled_round(w, learner, y)[0]
    rows = learner.label_history().shape[0]
    w.add_to_batch([i])
    open_card = w.batch_indices[0]
    send(w, type="label", index=open_card, label=int(y[open_card]))
    send(w, type="submit")
    assert w.wait(120)
    assert learner.label_history().shape[0] == rows + 1      # only the new label
    assert _card(w, i)["source"] == "labeled"                # still on the cards, to decide later


def test_labeled_cards_are_refused_in_annotator_mode(data, tmp_path):
    from activelens import AnnotationQueue, Explorer
    X, y = data
    w0, learner = make(data, store=str(tmp_path / "labels.db"))
    i = _labeled_round(w0, learner, y)[0]
    w0.close()
    w = Explorer(learner, labels=["a", "b", "c"], projection="pca", annotator="ann",
                 queue=AnnotationQueue(learner.store))
    before, rows = list(w.batch_indices), learner.label_history().shape[0]
    send(w, type="add", indices=[i])
    assert "queue.correct" in w.error
    assert w.batch_indices == before and learner.label_history().shape[0] == rows


@pytest.mark.parametrize("bad", [[10_000], [-1], ["x"], [1.5]])
def test_bad_positions_change_nothing(data, bad):
    w, learner = make(data)
    X, y = data
    _labeled_round(w, learner, y)
    before, rows = list(w.batch_indices), learner.label_history().shape[0]
    send(w, type="add", indices=bad)
    assert w.error
    assert w.batch_indices == before and learner.label_history().shape[0] == rows


def test_a_bad_label_on_a_labeled_card_changes_nothing(data):
    w, learner = make(data)
    X, y = data
    i = _labeled_round(w, learner, y)[0]
    w.add_to_batch([i])
    rows = learner.label_history().shape[0]
    send(w, type="label", index=i, label=7)
    assert "label" in w.error and w.pending == {}
    assert learner.label_history().shape[0] == rows


def test_undo_after_a_relabel_leaves_the_correction(data):
    w, learner = make(data)
    X, y = data
    i = _labeled_round(w, learner, y)[0]
    w.add_to_batch([i])
    new = (int(y[i]) + 1) % 3
    send(w, type="label", index=i, label=new)
    send(w, type="submit")
    assert w.wait(120)
    n = learner.n_labeled
    assert w.undo() == 0
    assert "nothing to undo" in w.status["message"] and "labeled card" in w.status["message"]
    assert learner.n_labeled == n and learner.labeled_frame().set_index("position").loc[i, "label"] == new


def test_the_teaching_oracle_leaves_labeled_cards_to_the_user(data):
    X, y = data
    w, learner = make(data, oracle=y)
    i = _labeled_round(w, learner, y)[0]
    w.add_to_batch([i])
    send(w, type="oracle")
    assert w.error == ""
    assert str(i) not in w.pending and len(w.pending) == len(w.batch_indices) - 1
