"""The map's palette and colour buffer: the ramp, grey, class colours and their lighter 'predicted' twins."""
from __future__ import annotations

import numpy as np
import pytest

from activelens.widgets.palette import (CATEGORICAL, CLASS0, COLOR_MODES, GREY, RAMP_SIZE, build_palette,
                                        check_color_by, class_colours, color_buffer, entropy_nats, legend, lighter,
                                        uncertainty)


def test_palette_layout():
    p = build_palette(3)
    assert len(p) == CLASS0 + 6 and p[GREY] == "#b8b8b8"
    assert p[CLASS0:CLASS0 + 3] == class_colours(3) == CATEGORICAL[:3]
    assert p[CLASS0 + 3:] == [lighter(c) for c in CATEGORICAL[:3]]
    assert p[0] == "#440154" and p[RAMP_SIZE - 1] == "#fde725"
    big = build_palette(100)          # too many classes for one byte: the categorical colours are reused
    assert len(big) == CLASS0 + 2 * len(CATEGORICAL) <= 256


def test_colour_buffer_modes():
    proba = np.array([[1.0, 0.0, 0.0], [1 / 3, 1 / 3, 1 / 3], [0.2, 0.7, 0.1], [0.0, 0.0, 0.0]], dtype=np.float32)
    n, size = 4, len(build_palette(3))
    ent = color_buffer("entropy", proba, n, size, np.array([], dtype=int), np.array([]))
    assert ent.dtype == np.uint8 and ent[0] == 0 and ent[1] == RAMP_SIZE - 1 and ent[3] == 0
    pred = color_buffer("predicted", proba, n, size, np.array([], dtype=int), np.array([]))
    assert pred[:3].tolist() == [CLASS0 + 3, CLASS0 + 3, CLASS0 + 4]
    lab = color_buffer("label", proba, n, size, np.array([2]), np.array([2]))
    assert lab.tolist() == [GREY, GREY, CLASS0 + 2, GREY]
    unscored = color_buffer("margin", None, n, size, np.array([0]), np.array([1]))
    assert unscored.tolist() == [CLASS0 + 1, GREY, GREY, GREY]
    with pytest.raises(RuntimeError, match="probability rows"):
        color_buffer("entropy", proba, 5, size, np.array([], dtype=int), np.array([]))


def test_uncertainty_and_entropy():
    p = np.array([[0.5, 0.5], [1.0, 0.0]], dtype=np.float32)
    np.testing.assert_allclose(entropy_nats(p), [np.log(2), 0.0], rtol=1e-6)
    np.testing.assert_allclose(uncertainty(p, "entropy"), [1.0, 0.0], rtol=1e-6)
    np.testing.assert_allclose(uncertainty(p, "margin"), [1.0, 0.0], rtol=1e-6)
    np.testing.assert_array_equal(uncertainty(np.ones((2, 1)), "entropy"), [0.0, 0.0])


def test_legend_and_modes():
    assert legend("entropy", True, ["a"], ["#000000"])["kind"] == "continuous"
    cat = legend("entropy", False, ["a"], ["#000000"])
    assert cat["kind"] == "categorical" and cat["note"] == "no model yet"
    assert legend("label", False, ["a"], ["#000000"])["note"] == ""
    assert [check_color_by(m) for m in COLOR_MODES] == list(COLOR_MODES)
    with pytest.raises(ValueError, match="color_by must be one of"):
        check_color_by("rainbow")
