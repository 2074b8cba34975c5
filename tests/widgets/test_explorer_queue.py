"""Annotator mode: the Explorer claims its batch from the shared AnnotationQueue (Python side, as the page sends)."""
from __future__ import annotations

import json

import numpy as np
import pytest
from sklearn.datasets import make_classification
from sklearn.linear_model import LogisticRegression

from activelens import ActiveLearner, AnnotationQueue, Explorer


@pytest.fixture
def data():
    X, y = make_classification(n_samples=260, n_features=5, n_informative=3, n_redundant=0, n_classes=3,
                               n_clusters_per_class=1, random_state=1)
    return X[:200], y[:200], X[200:], y[200:]


def learner_on(data, store, n_batch=6, **kw):
    Xp, yp, Xt, yt = data
    seed = np.array([int(np.flatnonzero(yp == c)[k]) for k in range(2) for c in range(3)])
    return ActiveLearner(LogisticRegression(max_iter=300), Xp, batch_size=n_batch, classes=[0, 1, 2],
                         holdout=(Xt, yt), cold_start=seed, random_state=0, store=store, **kw)


def explorer(learner, annotator, **kw):
    return Explorer(learner, labels=["a", "b", "c"], projection="pca", annotator=annotator, **kw)


def send(w, **content):
    w._handle_custom_msg(content, [])


def label_all(w, y):
    for i in w.batch_indices:
        send(w, type="label", index=i, label=int(y[i]))


def leased_to(queue, name):
    lz = queue.leases()
    return set(lz.loc[lz["annotator"] == name, "index"].tolist())


# ---------------------------------------------------------------- claim / submit / release
def test_annotator_claims_from_the_queue_and_fills_it_when_empty(data, tmp_path):
    learner = learner_on(data, tmp_path / "labels.db")
    w = explorer(learner, "ann")
    q = AnnotationQueue(learner.store)
    assert len(w.batch_indices) == 6
    # the selection service role: the learner's query filled the queue, then the cards were claimed under a lease
    assert set(q.queued_indices().tolist()) == set(w.batch_indices)
    assert leased_to(q, "ann") == set(w.batch_indices)
    assert all(c["why"]["strategy"] == "shared queue" for c in w.batch)
    assert w.monitor["annotator"] == "ann" and w.monitor["queue"]["leased"] == 6


def test_submit_goes_through_the_queue_teaches_and_releases_skips(data, tmp_path):
    y = data[1]
    learner = learner_on(data, tmp_path / "labels.db")
    w = explorer(learner, "ann")
    q = w.queue
    first = w.batch_indices
    skipped = first[-1]
    for i in first[:-1]:
        send(w, type="label", index=i, label=int(y[i]))
    send(w, type="skip", index=skipped)
    send(w, type="submit")
    assert w.error == ""
    assert w.wait(timeout=60)
    ann = learner.store.annotations()
    assert sorted(ann["index"].tolist()) == sorted(first[:-1])
    assert set(ann["annotator"]) == {"ann"}
    assert (ann["seconds"] >= 0).all()
    # resolved labels reached the learner with the annotator's name as provenance
    assert sorted(learner.labeled_indices.tolist()) == sorted(first[:-1])
    labels = learner.store.labels()
    assert set(labels["annotator"]) == {"ann"}
    # the skipped item went back to the queue: not leased, and never served to "ann" again
    assert skipped not in set(q.leases()["index"].tolist())
    assert skipped not in w.batch_indices
    assert q.claim("other", n=20).count(skipped) == 1
    # the retrain ran (5 labels, 3 classes) and the next batch was claimed
    assert w.status["state"] == "idle" and w.status["round"] == 1
    assert len(w.batch_indices) == 6 and not set(w.batch_indices) & set(first)
    assert leased_to(q, "ann") == set(w.batch_indices)


def _one_label_submitted(data, tmp_path):
    """Annotator "ann" labels the first card of the first batch, leaves the rest and submits."""
    y = data[1]
    learner = learner_on(data, tmp_path / "labels.db")
    w = explorer(learner, "ann")
    first = w.batch_indices
    send(w, type="label", index=first[0], label=int(y[first[0]]))
    send(w, type="submit")
    assert w.wait(timeout=60)
    return learner, w, first


def test_unpicked_cards_are_released_on_submit(data, tmp_path):
    learner, w, first = _one_label_submitted(data, tmp_path)
    assert set(w.queue.leases()["index"].tolist()).isdisjoint(first)
    assert learner.labeled_indices.tolist() == [first[0]]
    assert learner.model_ is None   # one class: no model yet, still labeling


def test_two_explorers_on_one_store_never_show_the_same_item(data, tmp_path):
    y = data[1]
    path = tmp_path / "labels.db"
    wa = explorer(learner_on(data, path), "alice")
    wb = explorer(learner_on(data, path), "bob")
    seen_a, seen_b = set(), set()
    for _ in range(4):
        a, b = set(wa.batch_indices), set(wb.batch_indices)
        assert a and b
        assert not a & b, "two annotators were shown the same item at once"
        seen_a |= a
        seen_b |= b
        for w in (wa, wb):
            label_all(w, y)
            send(w, type="submit")
            assert w.error == ""
            assert w.wait(timeout=60)
    # no item was annotated twice (overlap 0) and every annotation is in the shared store
    ann = wa.learner.store.annotations()
    assert not ann["index"].duplicated().any()
    assert set(ann.loc[ann["annotator"] == "alice", "index"]) == seen_a
    assert set(ann.loc[ann["annotator"] == "bob", "index"]) == seen_b
    # resolved labels were committed once each (by whichever notebook synced first) ...
    labels = wa.learner.store.labels()
    assert set(labels["index"].tolist()) == seen_a | seen_b and not labels["index"].duplicated().any()
    # ... and each learner holds the whole team's labels: bob submitted last, alice takes them in on refresh()
    assert set(wb.learner.labeled_indices.tolist()) == seen_a | seen_b
    wa.refresh()
    assert set(wa.learner.labeled_indices.tolist()) == seen_a | seen_b
    assert sorted(map(int, wa.learner.labels.tolist())) == sorted(int(y[i]) for i in seen_a | seen_b)
    assert not set(wa.batch_indices) & set(wb.batch_indices)
    mon = wa.monitor
    assert {r["name"] for r in mon["annotators"]} == {"alice", "bob"}


# ---------------------------------------------------------------- the monitor trait
def test_monitor_gold_accuracy_agreement_and_names_as_data(data, tmp_path):
    y = data[1]
    path = tmp_path / "labels.db"
    la, lb = learner_on(data, path), learner_on(data, path)
    gold = [150, 151, 152, 153]
    # every item goes to both annotators (agreement), and a third of each annotator's claims are gold
    q = AnnotationQueue(la.store, overlap=1.0, gold_share=0.34, random_state=0)
    q.add_gold(gold, [int(y[i]) for i in gold])
    odd = '<b>"x"</b> & \'q\''
    wa = explorer(la, odd, queue=q)
    wb = explorer(lb, "bob", queue=AnnotationQueue(lb.store, overlap=1.0, gold_share=0.34, random_state=0))
    assert set(wa.batch_indices) & set(gold) and set(wb.batch_indices) & set(gold)
    # alice answers, then bob answers twice: his second batch holds alice's overlap items
    for w in (wa, wb, wb):
        label_all(w, y)       # both answer the truth: gold accuracy 1, full agreement
        send(w, type="submit")
        assert w.error == ""
        assert w.wait(timeout=60)
    wa.refresh()
    mon = wa.monitor
    json.dumps(mon, allow_nan=False)          # what the page receives: plain JSON, no NaN
    rows = {r["name"]: r for r in mon["annotators"]}
    assert set(rows) == {odd, "bob"}          # the name is stored and sent exactly, as data
    assert rows[odd]["gold_n"] >= 1 and rows[odd]["gold_accuracy"] == 1.0
    assert rows["bob"]["gold_accuracy"] == 1.0
    assert mon["agreement"]["method"] == "cohen" and mon["agreement"]["n_items"] >= 1
    assert mon["agreement"]["kappa"] == 1.0
    assert rows[odd]["n_labels"] == 6
    # overlap items are taught only once both annotators answered, with both names as provenance
    assert lb.n_labeled >= 1
    assert any("," in str(a) for a in la.store.labels()["annotator"])


def test_monitor_after_retrain_has_cost_per_point(data, tmp_path):
    y = data[1]
    learner = learner_on(data, tmp_path / "labels.db")
    w = explorer(learner, "ann")
    for _ in range(3):
        label_all(w, y)
        send(w, type="submit")
        assert w.wait(timeout=60)
    mon = w.monitor
    assert mon["annotators"][0]["name"] == "ann" and mon["annotators"][0]["n_labels"] == 18
    assert mon["cost_unit"] == "labels"
    scores = learner.history["score"].tolist()
    if scores[-1] > scores[0]:
        assert mon["cost_per_point"] > 0
    assert mon["queue"]["done"] == 18


def test_store_without_queue_shows_monitor_plain_mode_does_not(data, tmp_path):
    y = data[1]
    w = Explorer(learner_on(data, tmp_path / "labels.db"), labels=["a", "b", "c"], projection="pca")
    label_all(w, y)
    send(w, type="submit")
    assert w.wait(timeout=60)
    assert w.monitor["queue"] is None and w.monitor["annotators"][0]["n_labels"] == 6
    w2 = Explorer(learner_on(data, None), labels=["a", "b", "c"], projection="pca")
    assert w2.monitor == {}


# ---------------------------------------------------------------- bad input
def test_annotator_needs_a_store_or_a_queue(data):
    learner = learner_on(data, None)
    with pytest.raises(ValueError, match="annotator.*store"):
        explorer(learner, "ann")


@pytest.mark.parametrize("name, error", [("", ValueError), ("   ", ValueError), (3, TypeError), (["x"], TypeError)])
def test_bad_annotator_names(data, tmp_path, name, error):
    with pytest.raises(error, match="annotator"):
        explorer(learner_on(data, tmp_path / "labels.db"), name)


def test_bad_queue_and_combinations(data, tmp_path):
    y = data[1]
    learner = learner_on(data, tmp_path / "labels.db")
    with pytest.raises(TypeError, match="AnnotationQueue"):
        explorer(learner, "ann", queue="labels.db")
    with pytest.raises(ValueError, match="annotator"):
        Explorer(learner, labels=["a", "b", "c"], projection="pca", queue=AnnotationQueue(learner.store))
    with pytest.raises(ValueError, match="oracle"):
        explorer(learner, "ann", oracle=data[1])
    w = explorer(learner, "ann")
    send(w, type="add", indices=[i for i in range(20) if i not in w.batch_indices][:2])
    assert "annotator mode" in w.error
    assert len(w.batch_indices) == 6


def test_refresh_releases_the_unsubmitted_cards(data, tmp_path):
    learner = learner_on(data, tmp_path / "labels.db")
    w = explorer(learner, "ann")
    first = w.batch_indices
    w.refresh()
    assert not set(w.batch_indices) & set(first)
    assert leased_to(w.queue, "ann") == set(w.batch_indices)


def test_close_gives_the_unsubmitted_cards_back(data, tmp_path):
    learner, w, first = _one_label_submitted(data, tmp_path)
    held = set(w.batch_indices)
    assert leased_to(w.queue, "ann") == held
    w.close()
    assert leased_to(w.queue, "ann") == set()            # released now, not when the lease expires
    other = explorer(learner_on(data, tmp_path / "labels.db"), "bob")
    assert set(other.batch_indices) & held                 # another annotator is served them at once
    assert learner.labeled_indices.tolist() == [first[0]]   # the submitted label stays


# ---------------------------------------------------------------- a store error in submit (issue 14)
def test_a_store_error_mid_submit_shows_what_was_saved_and_a_retry_saves_the_rest(data, tmp_path, monkeypatch):
    from activelens.storage import StoreLockedError

    y = data[1]
    learner = learner_on(data, tmp_path / "labels.db")
    w = explorer(learner, "ann")
    q = w.queue
    label_all(w, y)
    picks = dict(w.pending)
    real, calls = q.submit, []

    def flaky(annotator, index, label, **kw):   # the store is locked from the third label on
        calls.append(index)
        if len(calls) >= 3:
            raise StoreLockedError(f"store {q.store.where!r} is locked by another process and stayed locked for 5 s")
        return real(annotator, index, label, **kw)

    monkeypatch.setattr(q, "submit", flaky)
    send(w, type="submit")
    first_two = w.batch_indices[:2]
    assert w.error.startswith(f"submit to the queue failed at item {w.batch_indices[2]}: StoreLockedError: store ")
    assert "the 2 label(s) before it are saved; your other picks are kept: press Submit again to retry" in w.error
    assert sorted(w.saved) == sorted(first_two) and w.pending == picks and w.status["state"] == "idle"
    assert sorted(q.annotations()["index"].tolist()) == sorted(first_two)
    monkeypatch.setattr(q, "submit", real)
    send(w, type="submit")
    assert w.error == "" and w.wait(60)
    assert sorted(q.annotations()["index"].tolist()) == sorted(int(i) for i in picks)
    assert sorted(learner.labeled_indices.tolist()) == sorted(int(i) for i in picks)


def test_a_locked_store_in_annotator_mode_saves_nothing_and_keeps_the_picks(data, tmp_path):
    import sqlite3

    from activelens import LabelStore

    y = data[1]
    path = tmp_path / "labels.db"
    learner = learner_on(data, LabelStore(path, timeout=0.2))
    w = explorer(learner, "ann")
    label_all(w, y)
    picks = dict(w.pending)
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        send(w, type="submit")
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert "StoreLockedError" in w.error and "locked by another process" in w.error
    assert "nothing was saved; your other picks are kept: press Submit again to retry" in w.error
    assert w.saved == [] and w.pending == picks and learner.store.annotations().empty
    send(w, type="submit")
    assert w.error == "" and w.wait(60)
    assert len(learner.store.annotations()) == 6
