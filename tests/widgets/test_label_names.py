"""The label buttons' names and the learner's classes they stand for."""
from __future__ import annotations

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

from activelens import ActiveLearner
from activelens.widgets.label_names import LabelNames

X = np.random.default_rng(0).normal(size=(30, 3))


def test_declared_classes_and_names():
    ln = LabelNames.resolve(ActiveLearner(LogisticRegression(), X, classes=["cat", "dog"]), ["Cat", "Dog"])
    assert ln.classes.tolist() == ["cat", "dog"] and ln.names == ["Cat", "Dog"] and len(ln) == 2
    assert ln.value(1) == "dog" and ln.position("cat") == 0 and ln.position("cow") is None
    assert ln.missing(["cat", "cow"]) == {"cow"}
    assert ln.positions(["dog", "cow"]).tolist() == [1, 0]


def test_dict_and_default_classes():
    ln = LabelNames.resolve(ActiveLearner(LogisticRegression(), X), {"neg": "Negative", "pos": "Positive"})
    assert ln.classes.tolist() == ["neg", "pos"]
    plain = LabelNames.resolve(ActiveLearner(LogisticRegression(), X), ["a", "b", "c"])
    assert plain.classes.tolist() == [0, 1, 2] and isinstance(plain.value(2), int)
    with pytest.raises(ValueError, match="give the class names"):
        LabelNames.resolve(ActiveLearner(LogisticRegression(), X), None)


def test_probabilities_over_the_buttons():
    ln = LabelNames(np.array([2, 0]), ["two", "zero"])
    raw = np.array([[0.25, 0.5, 0.25], [0.0, 1.0, 0.0]])
    p = ln.over_names(raw, np.array([0, 1, 2]))
    assert p.dtype == np.float32
    np.testing.assert_allclose(p, [[0.5, 0.5], [0.0, 0.0]])    # renormalized; no button's class: zeros


def test_keys_match_single_character_names_then_numbers_in_order():
    from activelens.widgets.label_names import label_keys

    assert label_keys([str(d) for d in range(10)]) == [str(d) for d in range(10)]   # "2" is the key 2
    assert label_keys(["cat", "dog", "1"]) == ["2", "3", "1"]                        # 1 is taken by "1"
    assert label_keys(["a", "b", "c"]) == ["a", "b", "c"]
    assert label_keys(["spam", "ham"]) == ["1", "2"]
    many = [f"class {j}" for j in range(12)]
    assert label_keys(many) == list("1234567890") + [None, None]                     # 1-9 then 0, then none
    assert label_keys([" ", "x"]) == ["1", "x"]                                       # Space skips


def test_classes_from_the_oracle_when_nothing_else_names_them():
    X = np.random.default_rng(0).normal(size=(30, 3))
    learner = ActiveLearner(LogisticRegression(), X, batch_size=5)
    names = LabelNames.resolve(learner, None, oracle=np.array([2, 0, 1] * 10))
    assert names.names == ["0", "1", "2"] and names.classes.tolist() == [0, 1, 2]
    names = LabelNames.resolve(learner, None, oracle=["b", "a"] * 15)
    assert names.names == ["a", "b"]
    with pytest.raises(ValueError, match="labels: give the class names"):
        LabelNames.resolve(learner, None)
