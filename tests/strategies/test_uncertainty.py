import numpy as np
import pytest

from activelens.strategies import entropy, least_confidence, margin

MEASURES = [entropy, margin, least_confidence]


@pytest.mark.parametrize("measure", MEASURES)
def test_one_hot_rows_score_zero_and_uniform_scores_highest(measure):
    p = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [1 / 3, 1 / 3, 1 / 3], [0.6, 0.3, 0.1]])
    s = measure(p)
    assert s.shape == (4,)
    assert np.allclose(s[:2], 0.0)
    assert s[2] == s.max() and s[2] > s[3] > 0


def test_entropy_values_and_zero_probabilities_are_finite():
    p = np.array([[0.5, 0.5, 0.0], [0.25, 0.25, 0.5]])
    s = entropy(p)
    assert np.all(np.isfinite(s))
    assert s[0] == pytest.approx(np.log(2))
    assert s[1] == pytest.approx(-(2 * 0.25 * np.log(0.25) + 0.5 * np.log(0.5)))


def test_margin_and_least_confidence_values():
    p = np.array([[0.5, 0.3, 0.2], [0.9, 0.1, 0.0]])
    assert margin(p) == pytest.approx([1 - 0.2, 1 - 0.8])
    assert least_confidence(p) == pytest.approx([0.5, 0.1])


def test_margin_with_tied_top_classes_is_maximal():
    assert margin(np.array([[0.4, 0.4, 0.2]]))[0] == pytest.approx(1.0)


def test_single_class_column():
    p = np.ones((3, 1))
    for m in MEASURES:
        assert np.allclose(m(p), 0.0)


@pytest.mark.parametrize("measure", MEASURES)
@pytest.mark.parametrize(
    "bad, match",
    [
        (np.array([[0.5, np.nan]]), "NaN"),
        (np.array([[0.5, 0.6]]), "sum to 1"),
        (np.array([[1.5, -0.5]]), r"\[0, 1\]"),
        (np.array([0.5, 0.5]), "2-D"),
        (np.array([[0.5, np.inf]]), "NaN or infinity"),
    ],
)
def test_bad_proba_is_a_clear_error(measure, bad, match):
    with pytest.raises(ValueError, match=match):
        measure(bad)


def test_input_is_not_modified():
    p = np.array([[0.2, 0.8], [0.5, 0.5]])
    before = p.copy()
    entropy(p), margin(p), least_confidence(p)
    assert np.array_equal(p, before)
