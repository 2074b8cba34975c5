"""check_scalar: the one int/float check every public argument goes through."""
import math

import numpy as np
import pytest
from hypothesis import given, strategies as st

from activelens.core.validation import check_scalar


@given(st.integers(min_value=1, max_value=10**12))
def test_positive_ints_pass_as_plain_ints(v):
    out = check_scalar(np.int64(v), "batch_size", low=1)
    assert out == v and type(out) is int


@given(st.one_of(st.booleans(), st.floats(allow_nan=True), st.text(), st.none(), st.lists(st.integers())))
def test_non_ints_are_a_type_error_that_names_the_argument(v):
    with pytest.raises(TypeError, match=r"^batch_size must be a positive int, got "):
        check_scalar(v, "batch_size", low=1)


@given(st.integers(max_value=0))
def test_out_of_range_is_a_value_error(v):
    with pytest.raises(ValueError, match="batch_size must be a positive int"):
        check_scalar(v, "batch_size", low=1)


@given(st.floats(allow_nan=True, allow_infinity=True))
def test_float_range_with_open_end(v):
    ok = math.isfinite(v) and 0 <= v < 1
    if ok:
        assert check_scalar(v, "noise", float, low=0, high=1, include_high=False) == v
    else:
        with pytest.raises(ValueError, match=r"noise must be a number with 0 <= value < 1"):
            check_scalar(v, "noise", float, low=0, high=1, include_high=False)


def test_none_only_when_allowed_and_said_so():
    assert check_scalar(None, "threads", low=1, allow_none=True) is None
    with pytest.raises(TypeError, match=r"threads must be a positive int \(BLAS threads\) or None, got 'x'"):
        check_scalar("x", "threads", low=1, allow_none=True, what="BLAS threads")
    with pytest.raises(TypeError, match="threads must be a positive int, got None"):
        check_scalar(None, "threads", low=1)
