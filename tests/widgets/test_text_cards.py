"""Text on the cards: the words that drove a linear model's suggestion, and item ids on cards and the hover."""
from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MaxAbsScaler
from sklearn.tree import DecisionTreeClassifier

from activelens import ActiveLearner, Explorer

WORDS = {"fruit": "apple banana cherry grape lemon mango melon peach pear plum".split(),
         "tool": "hammer wrench drill saw chisel pliers screwdriver spanner file clamp".split()}


@pytest.fixture(scope="module")
def corpus():
    """60 short documents about fruit or tools (three topic words and two shared ones each), keyed by doc id."""
    rng = np.random.default_rng(0)
    texts, topics = [], []
    for k in range(60):
        topic = "fruit" if k % 2 else "tool"
        words = list(rng.choice(WORDS[topic], 3, replace=False)) + ["the", "thing"]
        rng.shuffle(words)
        texts.append(f"<b>{k}</b> " + " ".join(words))
        topics.append(topic)
    frame = pd.DataFrame({"text": texts, "topic": topics}, index=pd.Index([f"d{k:02d}" for k in range(60)],
                                                                          name="doc"))
    vec = TfidfVectorizer().fit(frame.text)
    return frame, vec, vec.transform(frame.text)


def taught(learner, frame):
    first = [0, 1, 2, 3, 4, 5]
    learner.teach(first, frame.topic.iloc[first].tolist())
    learner.fit()
    return learner


def test_cards_highlight_the_suggested_class_terms_that_occur(corpus):
    frame, vec, X = corpus
    learner = taught(ActiveLearner(LogisticRegression(C=10), X, ids=frame.index, random_state=0), frame)
    w = Explorer(learner, items=frame.text.tolist(), labels=["fruit", "tool"], feature_names=vec, projection="pca")
    coef = learner.model_.coef_[0]                       # positive for "tool" (classes_ are sorted)
    vocab = vec.vocabulary_
    with_terms = 0
    for c in w.batch:
        suggested = c["options"][[o["label"] for o in c["options"]].index(c["suggested"])]["name"]
        words = set(re.findall(r"\w+", c["item"]["text"].lower()))
        terms = c["item"].get("terms", [])
        with_terms += bool(terms)
        assert set(terms) <= words                                           # words of this document
        sign = 1 if suggested == "tool" else -1
        assert all(sign * coef[vocab[t]] > 0 for t in terms)                 # ...that weigh for the suggestion
        if terms and frame.topic.iloc[c["index"]] == suggested:
            assert terms[0] in WORDS[suggested]                              # led by the topic's own words
        assert c["id"] == frame.index[c["index"]]
        assert c["item"]["text"] == frame.text.iloc[c["index"]]              # verbatim: markup stays text
    assert with_terms > 0


def test_a_pipeline_and_a_list_of_names_work_too(corpus):
    frame, vec, X = corpus
    model = make_pipeline(MaxAbsScaler(), LogisticRegression(C=10))
    learner = taught(ActiveLearner(model, X, random_state=0), frame)
    w = Explorer(learner, items=frame.text.tolist(), labels=["fruit", "tool"],
                 feature_names=list(vec.get_feature_names_out()), projection="pca")
    assert any(c["item"].get("terms") for c in w.batch)
    assert all("id" not in c for c in w.batch)                               # no ids: positions only


def test_no_terms_without_a_linear_model_or_names(corpus):
    frame, vec, X = corpus
    tree = taught(ActiveLearner(DecisionTreeClassifier(random_state=0), X, random_state=0), frame)
    w = Explorer(tree, items=frame.text.tolist(), feature_names=vec, projection="pca")
    assert all("terms" not in c["item"] for c in w.batch)
    lin = taught(ActiveLearner(LogisticRegression(), X, random_state=0), frame)
    w = Explorer(lin, items=frame.text.tolist(), projection="pca")
    assert all("terms" not in c["item"] for c in w.batch)


def test_bad_feature_names_are_refused_before_anything_is_built(corpus):
    frame, vec, X = corpus
    learner = ActiveLearner(LogisticRegression(), X, random_state=0)
    with pytest.raises(ValueError, match=r"feature_names has 3 names but the pool has \d+ features"):
        Explorer(learner, items=frame.text.tolist(), feature_names=["a", "b", "c"])
    with pytest.raises(ValueError, match="feature_names: the TfidfVectorizer has no feature names"):
        Explorer(learner, items=frame.text.tolist(), feature_names=TfidfVectorizer())
    with pytest.raises(TypeError, match="feature_names must be a list of one name per feature"):
        Explorer(learner, items=frame.text.tolist(), feature_names="words")


def test_the_hover_shows_the_id_and_an_excerpt(corpus, monkeypatch):
    frame, vec, X = corpus
    long = frame.text.tolist()
    long[7] = "word " * 200
    learner = ActiveLearner(LogisticRegression(), X, ids=frame.index, classes=["fruit", "tool"], random_state=0)
    w = Explorer(learner, items=long, labels=["fruit", "tool"], projection="pca")
    sent = []
    monkeypatch.setattr(w, "send", lambda content, **_kw: sent.append(content))
    w._handle_custom_msg({"type": "peek", "index": 7}, [])
    assert sent[0]["id"] == "d07" and sent[0]["item"]["kind"] == "text"
    assert len(sent[0]["item"]["text"]) <= 240 and sent[0]["item"]["text"].endswith("…")
