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
