"""core.validation's label and matrix checks: what they accept (as plain Python values) and what they refuse."""
import numpy as np
import pytest

from activelens.core.validation import (check_classes, check_label, check_labels, check_matrix, label_kind,
                                        label_mismatch)


def test_labels_become_plain_python_values():
    assert check_labels(np.array([1, 2])) == [1, 2] and type(check_labels(np.array([1]))[0]) is int
    assert check_labels(["a", np.str_("b")]) == ["a", "b"]
    assert check_labels(np.float64(1.5)) == [1.5] and check_labels("cat") == ["cat"]
    assert check_label(np.bool_(True)) is True


def test_classes_keep_their_order_and_one_kind():
    assert check_classes(range(3)).tolist() == [0, 1, 2]
    assert check_classes(["b", "a"]).tolist() == ["b", "a"]
    with pytest.raises(TypeError, match="mixes bool and numbers"):
        check_classes([True, 1])


def test_a_label_fits_its_classes_by_value_and_kind():
    assert label_mismatch(1, [0, 1]) is None and label_mismatch(1.0, [0, 1]) is None
    assert "unknown class '1'" in label_mismatch("1", [0, 1])
    assert "unknown class True" in label_mismatch(True, [0, 1])     # True == 1, but it is not the class 1
    assert "one type for every label" in label_mismatch("x", None, "numbers")
    assert label_kind(np.int64(3)) == "numbers" and label_kind(np.str_("a")) == "strings"


def test_float32_range_is_checked_only_when_asked():
    X = np.ones((3, 2))
    X[1, 1] = 1e39
    assert check_matrix(X) is not None
    with pytest.raises(ValueError, match=r"holds 1e\+39 \(row 1, column 1\), beyond float32's range"):
        check_matrix(X, float32_range=True)
    with pytest.raises(ValueError, match="beyond float32's range"):
        check_matrix(X, dtype=np.float32)   # the cast would have made it infinity
    with pytest.raises(ValueError, match="NaN or infinity"):
        check_matrix(np.array([[np.inf, 1.0]]), dtype=np.float32)
