"""Undo after a submit or a bulk label: the labels just given are taken back (kept in the history as "undo"), their
items come back as cards, and the model retrains without them (issue 22 item 3)."""
from __future__ import annotations

import numpy as np
import pytest

from tests.widgets.test_find import data, make, send  # noqa: F401 - the fixture and helpers of the find tests


def _submit_round(w, y):
    batch = list(w.batch_indices)
    for i in batch:
        send(w, type="label", index=i, label=int(y[i]))
    send(w, type="submit")
    assert w.wait(120)
    return batch


def test_undo_with_a_pick_takes_back_the_pick_only(data):
    w, learner = make(data)
    X, y = data
    i = w.batch_indices[0]
    send(w, type="label", index=i, label=int(y[i]))
    n_before = learner.n_labeled
    assert w.pending == {str(i): int(y[i])}
    assert w.undo() == 0
    assert w.pending == {}
    assert learner.n_labeled == n_before


def test_undo_after_submit_takes_the_batch_back_and_retrains(data):
    w, learner = make(data)
    X, y = data
    _submit_round(w, y)                                   # the seed: round 1
    batch = _submit_round(w, y)
    assert set(batch) <= set(learner.labeled_indices.tolist())
    rounds = len(learner.rounds)
    send(w, type="undo")                                  # the page's Undo / Backspace with no pick left
    assert w.wait(120)
    assert not set(batch) & set(learner.labeled_indices.tolist())
    assert len(learner.rounds) == rounds + 1 and learner.history["n_changed"].iloc[-1] == len(batch)
    assert w.batch_indices[:len(batch)] == batch           # back on the cards, first
    assert "took back 6 label(s)" in w.status["message"]
    history = learner.label_history()
    assert (history[history["source"] == "undo"]["position"].sort_values().tolist() == sorted(batch))
    # a second undo has nothing left to take back, and says so
    assert w.undo() == 0
    assert "nothing to undo" in w.status["message"]


def test_undo_after_a_bulk_label_takes_the_group_back(data):
    w, learner = make(data)
    X, y = data
    _submit_round(w, y)
    w.search("goal")
    todo = [i for i in w.selected if i not in set(learner.labeled_indices.tolist())
            and i not in set(w.batch_indices)][:8]
    w.selected = todo
    assert w.label_selected("a") == 8
    assert w.wait(120)
    assert set(todo) <= set(learner.labeled_indices.tolist())
    assert w.undo() == 8
    assert w.wait(120)
    assert not set(todo) & set(learner.labeled_indices.tolist())
    assert np.isin(todo, w.batch_indices).all()


def test_undo_after_submit_in_annotator_mode_is_refused_and_changes_nothing(data, tmp_path):
    from activelens import AnnotationQueue
    X, y = data
    w0, learner = make(data, store=str(tmp_path / "labels.db"))
    w0.close()
    queue = AnnotationQueue(learner.store)
    from activelens import Explorer
    w = Explorer(learner, labels=["a", "b", "c"], projection="pca", annotator="ann", queue=queue)
    batch = list(w.batch_indices)
    if not batch:
        pytest.skip("the queue handed out nothing")
    for i in batch:
        send(w, type="label", index=i, label=int(y[i]))
    send(w, type="submit")
    assert w.wait(120)
    before = learner.label_history().shape[0]
    with pytest.raises(ValueError, match="annotator mode"):
        w._session.take_back_last()
    assert learner.label_history().shape[0] == before
