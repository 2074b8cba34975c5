"""Find and bulk-label in the Explorer (search, similar, label_selected) and where selection went (colour by round,
show_round): the Python API and the page's commands, without a browser."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import make_classification
from sklearn.linear_model import LogisticRegression

from activelens import ActiveLearner, Explorer, LabelStore
from activelens.widgets.find import label_rounds
from activelens.widgets.palette import GREY, round_index


@pytest.fixture
def data():
    X, y = make_classification(n_samples=120, n_features=5, n_informative=3, n_redundant=0, n_classes=3,
                               n_clusters_per_class=1, random_state=1)
    return X, y


def texts_for(n):
    return [f"Item {i}: " + ("GOAL scored" if i % 3 == 0 else "vote counted" if i % 3 == 1 else "rain again")
            for i in range(n)]


def make(data, **kw):
    X, y = data
    seed = np.array([int(np.flatnonzero(y == c)[k]) for k in range(2) for c in range(3)])
    learner = ActiveLearner(LogisticRegression(max_iter=300), X, batch_size=6, classes=[0, 1, 2], cold_start=seed,
                            random_state=0, store=kw.pop("store", None))
    kw.setdefault("items", texts_for(len(X)))
    return Explorer(learner, labels=["a", "b", "c"], projection="pca", **kw), learner


def send(w, **content):
    w._handle_custom_msg(content, [])


def first_round(w, learner, y):
    for i in w.batch_indices:
        send(w, type="label", index=i, label=int(y[i]))
    send(w, type="submit")
    assert w.wait(120)
    assert len(learner.rounds) == 1


# ---------------------------------------------------------------- search
def test_search_selects_case_insensitive_matches_and_says_how_many(data):
    w, _ = make(data)
    n = w.search("goal")
    want = [i for i in range(120) if i % 3 == 0]
    assert n == len(want) == 40
    assert w.selected == want
    assert w.find["note"] == "40 found for 'goal'"
    assert w.find["unlabeled"] == 40 - sum(1 for i in w.learner.labeled_indices if i % 3 == 0)


def test_search_regex_and_nothing_found(data):
    w, _ = make(data)
    assert w.search(r"^item 1\d:", regex=True) == 10
    assert w.selected == list(range(10, 20))
    assert w.search("1\\d:") == 0              # not a regex: the backslash is a character
    assert w.selected == []
    assert w.find["note"].startswith("nothing found")


def test_search_a_dataframe_column(data):
    frame = pd.DataFrame({"kind": ["cat" if i < 7 else "dog" for i in range(120)], "n": range(120)})
    w, _ = make(data, items=frame)
    assert w.search("CAT", column="kind") == 7
    assert w.search("^1.$", column="n", regex=True) == 10   # numbers searched as their text


def test_search_from_the_page(data):
    w, _ = make(data)
    send(w, type="search", text="rain", regex=False)
    assert w.error == ""
    assert w.selected == [i for i in range(120) if i % 3 == 2]
    send(w, type="search", text="(", regex=True)
    assert "not a valid regular expression" in w.error
    assert w.selected == [i for i in range(120) if i % 3 == 2]   # the refused search changed nothing


# ---------------------------------------------------------------- similar
def test_similar_selects_the_nearest_in_the_embedding(data):
    w, learner = make(data)
    emb = np.asarray(learner.pool.embedding, dtype=np.float64)
    d = np.linalg.norm(emb - emb[7], axis=1)
    want = np.argsort(d, kind="stable")[:5].tolist()
    got = w.similar(7, n=5)
    assert got[0] == 7
    assert got == want
    assert w.selected == sorted(want)
    assert w.find["note"] == "5 nearest to item 7"


# ---------------------------------------------------------------- bulk labels
def test_label_selected_teaches_the_unlabeled_as_bulk_and_retrains(data):
    w, learner = make(data)
    X, y = data
    first_round(w, learner, y)
    labeled_before = set(learner.labeled_indices.tolist())
    w.search("goal")
    sel = list(w.selected)
    todo = [i for i in sel if i not in labeled_before and i not in set(w.batch_indices)]
    w.selected = todo[:12] + [next(iter(labeled_before))]
    assert w.find["unlabeled"] == 12
    assert w.label_selected("b") == 12
    assert w.wait(120)
    frame = learner.labeled_frame().set_index("position")
    assert (frame.loc[todo[:12], "label"] == 1).all()
    assert (frame.loc[todo[:12], "source"] == "bulk").all()
    assert len(learner.rounds) == 2                     # retrained as a submit does
    assert w.selected == []
    assert "labeled 12 selected as 'b' (bulk), 1 labeled already left as they were" in w.status["message"]


def test_label_selected_from_the_page_by_name(data):
    w, learner = make(data)
    w.selected = [100, 101, 102]
    send(w, type="label_selected", label="c")
    assert w.error == ""
    assert w.wait(120)
    got = dict(zip(learner.labeled_indices.tolist(), learner.labels.tolist()))
    assert [got[i] for i in (100, 101, 102)] == [2, 2, 2]


def test_label_selected_refused_with_picks_pending_records_nothing(data):
    w, learner = make(data)
    send(w, type="label", index=w.batch_indices[0], label=0)
    w.selected = [100, 101]
    n = learner.n_labeled
    with pytest.raises(ValueError, match="not submitted"):
        w.label_selected("a")
    assert learner.n_labeled == n
    assert w.selected == [100, 101]


def test_label_selected_refused_when_all_selected_are_labeled(data):
    w, learner = make(data)
    _, y = data
    first_round(w, learner, y)
    w.selected = learner.labeled_indices[:3].tolist()
    assert w.find["unlabeled"] == 0
    with pytest.raises(ValueError, match="all 3 selected items are labeled already"):
        w.label_selected("a")


def test_the_unlabeled_count_follows_the_labels(data):
    w, learner = make(data)
    _, y = data
    w.selected = list(w.batch_indices)
    assert w.find["unlabeled"] == 6
    first_round(w, learner, y)
    assert w.find["unlabeled"] == 0


# ---------------------------------------------------------------- where selection went
def test_colour_by_round_and_its_legend(data):
    w, learner = make(data, color_by="round")
    _, y = data
    assert (np.frombuffer(w.color_values, dtype=np.uint8) == GREY).all()
    assert w.legend["note"] == "nothing labeled yet"
    round0 = list(w.batch_indices)
    first_round(w, learner, y)
    w.selected = [i for i in range(120) if i not in set(learner.labeled_indices.tolist())][:4]
    w.label_selected("a")
    assert w.wait(120)
    vals = np.frombuffer(w.color_values, dtype=np.uint8)
    positions, rounds = label_rounds(learner)
    assert sorted(positions[rounds == 0].tolist()) == sorted(round0)
    assert vals[round0].tolist() == [round_index([0], 1)[0]] * 6
    assert (vals[positions[rounds == 1]] == round_index([1], 1)[0]).all()
    unlabeled = np.setdiff1d(np.arange(120), positions)
    assert (vals[unlabeled] == GREY).all()
    assert [c["name"] for c in w.legend["classes"]] == ["round 0", "round 1"]
    assert w.legend["title"] == "round labeled in"


def test_show_round_selects_that_rounds_items(data):
    w, learner = make(data)
    _, y = data
    round0 = sorted(w.batch_indices)
    first_round(w, learner, y)
    assert w.replay == {"last": 0, "round": -1, "n": 0}
    assert w.show_round(0) == 6
    assert w.selected == round0
    assert w.replay == {"last": 0, "round": 0, "n": 6}
    send(w, type="show_round", round=0)
    assert w.error == ""
    send(w, type="show_round", round=4)
    assert "k must be an int with 0 <= value <= 0" in w.error


def test_rounds_of_labels_restored_from_a_store(data, tmp_path):
    X, y = data
    store = LabelStore(tmp_path / "l.db")
    learner = ActiveLearner(LogisticRegression(max_iter=300), X, classes=[0, 1, 2], random_state=0, store=store)
    seed = [int(np.flatnonzero(y == c)[k]) for k in range(2) for c in range(3)]
    learner.teach(seed, y[seed])
    learner.fit()
    more = learner.query(5).indices.tolist()
    learner.teach(more, y[more])
    learner.fit()
    want = label_rounds(learner)
    store.close()
    again = ActiveLearner(LogisticRegression(max_iter=300), X, classes=[0, 1, 2], random_state=0,
                          store=LabelStore(tmp_path / "l.db"))
    got = label_rounds(again)
    assert got[0].tolist() == want[0].tolist()
    assert got[1].tolist() == want[1].tolist() == [0] * 6 + [1] * 5
