"""The map's colours: one palette of at most 256 hex colours and a uint8 index per point into it.

Layout of the palette (what the page's ``color_values`` buffer indexes)::

    [0, RAMP_SIZE)                 the continuous ramp (viridis), for "entropy" and "margin"
    GREY                           unscored / unlabeled
    [CLASS0, CLASS0 + k)           class colours (labeled items, in every mode)
    [CLASS0 + k, CLASS0 + 2k)      the same colours lighter (the predicted class)

Colouring by "round" uses the ramp too: a labeled item's colour runs from the first round (dark) to the last
(yellow), unlabeled items are grey.

With more classes than one byte holds, the categorical colours are reused (class ``j`` gets colour ``j % 20``).
"""
from __future__ import annotations

import numpy as np

#: what the map can be coloured by
COLOR_MODES = ("entropy", "margin", "predicted", "label", "round")
#: at most this many rounds named in the "round" legend (evenly spaced, the first and the last among them)
MAX_ROUND_LEGEND = 12
RAMP_SIZE = 64                  # palette[0:64] continuous ramp (viridis)
GREY = RAMP_SIZE                # palette[64] unscored / unlabeled
CLASS0 = RAMP_SIZE + 1          # palette[65:65+k] class colours (labeled), then k lighter ones (predicted)
GREY_HEX = "#b8b8b8"

VIRIDIS = ["#440154", "#482475", "#414487", "#355f8d", "#2a788e", "#21918c", "#22a884", "#44bf70", "#7ad151",
           "#bddf26", "#fde725"]
CATEGORICAL = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22",
               "#17becf", "#393b79", "#637939", "#8c6d31", "#843c39", "#7b4173", "#3182bd", "#e6550d", "#31a354",
               "#756bb1", "#636363"]


def check_color_by(mode) -> str:
    """``mode`` if it is one of :data:`COLOR_MODES`, else a ValueError naming them."""
    if mode not in COLOR_MODES:
        raise ValueError(f"color_by must be one of {', '.join(COLOR_MODES)}, got {mode!r}")
    return mode


def _hex(rgb) -> str:
    return "#" + "".join(f"{int(round(c)):02x}" for c in rgb)


def _rgb(h: str) -> np.ndarray:
    return np.array([int(h[i:i + 2], 16) for i in (1, 3, 5)], dtype=float)


def ramp(stops, n: int) -> list[str]:
    """``n`` hex colours evenly spaced along the piecewise-linear ramp through ``stops`` (hex strings)."""
    pts = np.array([_rgb(s) for s in stops])
    t = np.linspace(0, len(stops) - 1, n)
    lo = np.floor(t).astype(int).clip(0, len(stops) - 2)
    f = (t - lo)[:, None]
    return [_hex(c) for c in pts[lo] * (1 - f) + pts[lo + 1] * f]


def lighter(h: str, amount: float = 0.55) -> str:
    """The hex colour ``h`` moved ``amount`` of the way to white."""
    return _hex(_rgb(h) + (255 - _rgb(h)) * amount)


def class_colours(k: int) -> list[str]:
    """One hex colour per class, ``k`` of them (the categorical colours, repeated past 20)."""
    return [CATEGORICAL[i % len(CATEGORICAL)] for i in range(k)]


def build_palette(k: int) -> list[str]:
    """The whole palette for ``k`` classes (see the module docstring); at most 256 colours."""
    colours = class_colours(k)
    palette = ramp(VIRIDIS, RAMP_SIZE) + [GREY_HEX]
    if CLASS0 + 2 * k <= 256:
        palette += colours + [lighter(c) for c in colours]
    else:  # too many classes for one byte: reuse the categorical colours
        palette += CATEGORICAL + [lighter(c) for c in CATEGORICAL]
    return palette


def entropy_nats(proba: np.ndarray) -> np.ndarray:
    """Shannon entropy of each row of ``proba`` (n, k), in nats; rows of zeros (no known class) give 0."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return -np.where(proba > 0, proba * np.log(proba), 0.0).sum(axis=-1)


def uncertainty(proba: np.ndarray, mode: str) -> np.ndarray:
    """(n,) uncertainty in [0, 1] of each row of ``proba`` (n, k): normalized entropy, or one minus the margin."""
    p = proba
    k = p.shape[1]
    if mode == "entropy":
        return entropy_nats(p) / np.log(k) if k > 1 else np.zeros(p.shape[0])
    top2 = -np.partition(-p, 1, axis=1)[:, :2] if k > 1 else np.column_stack([p[:, 0], np.zeros(p.shape[0])])
    return 1.0 - (top2[:, 0] - top2[:, 1])


def color_buffer(mode: str, proba, n_points: int, palette_size: int, labeled_rows, labeled_positions) -> np.ndarray:
    """The palette index of every point.

    Parameters
    ----------
    mode : str
        One of :data:`COLOR_MODES`.
    proba : ndarray of shape (n_points, k) or None
        Class probabilities per point (None before the first model: points stay grey).
    n_points : int
        Points on the map.
    palette_size : int
        ``len(palette)``: how many class colours it holds.
    labeled_rows : ndarray of shape (m,)
        Point numbers of the labeled items.
    labeled_positions : ndarray of shape (m,)
        Their classes, as positions in the label names.

    Returns
    -------
    ndarray of shape (n_points,), uint8
        Labeled items take their class colour in every mode.
    """
    if proba is not None and proba.shape[0] != n_points:
        raise RuntimeError(f"internal: {proba.shape[0]} probability rows for {n_points} points")
    ncol = (palette_size - CLASS0) // 2
    vals = np.full(n_points, GREY, dtype=np.uint8)
    if mode in ("entropy", "margin") and proba is not None:
        u = np.clip(uncertainty(proba, mode), 0, 1)
        vals = np.minimum((u * RAMP_SIZE).astype(np.int64), RAMP_SIZE - 1).astype(np.uint8)
    elif mode == "predicted" and proba is not None:
        vals = (CLASS0 + ncol + proba.argmax(axis=1) % ncol).astype(np.uint8)
    if len(labeled_rows):
        vals[labeled_rows] = (CLASS0 + np.asarray(labeled_positions) % ncol).astype(np.uint8)
    return vals


def legend(mode: str, scored: bool, names, colours) -> dict:
    """The ``legend`` trait: ``{"kind": "continuous" | "categorical", "title", ..., "classes": [{"name", "color"}]}``.

    ``scored``: whether there are probabilities (a model) to colour by."""
    classes = [{"name": nm, "color": c} for nm, c in zip(names, colours)]
    if mode in ("entropy", "margin") and scored:
        return {"kind": "continuous", "title": "entropy (normalized)" if mode == "entropy" else "margin uncertainty",
                "min": "0 (sure)", "max": "1 (unsure)", "ramp": ramp(VIRIDIS, 8), "classes": classes}
    note = "no model yet" if not scored and mode != "label" else ""
    return {"kind": "categorical", "title": {"predicted": "predicted class", "label": "label"}.get(mode, mode),
            "note": note, "classes": classes}


def round_index(rounds, last: int) -> np.ndarray:
    """(m,) uint8 ramp positions of ``rounds`` (ints in 0..``last``): round 0 dark, round ``last`` yellow."""
    r = np.asarray(rounds, dtype=np.float64)
    return np.round(r / max(1, last) * (RAMP_SIZE - 1)).astype(np.uint8)


def round_buffer(n_points: int, labeled_rows, rounds) -> np.ndarray:
    """The palette index of every point for colouring by "round": labeled points by the round they were labeled
    in (``rounds``, aligned with ``labeled_rows``), the rest grey."""
    vals = np.full(n_points, GREY, dtype=np.uint8)
    if len(labeled_rows):
        vals[np.asarray(labeled_rows)] = round_index(rounds, int(np.max(rounds)))
    return vals


def round_legend(rounds) -> dict:
    """The ``legend`` for colouring by "round": one swatch per round labels were given in (at most
    ``MAX_ROUND_LEGEND``, evenly spaced), named "round k"."""
    present = np.unique(np.asarray(rounds, dtype=np.int64))
    if present.size == 0:
        return {"kind": "categorical", "title": "round labeled in", "note": "nothing labeled yet", "classes": []}
    last = int(present.max())
    shown = present if present.size <= MAX_ROUND_LEGEND else \
        present[np.unique(np.linspace(0, present.size - 1, MAX_ROUND_LEGEND).round().astype(int))]
    colours = ramp(VIRIDIS, RAMP_SIZE)
    classes = [{"name": f"round {int(r)}", "color": colours[int(i)]} for r, i in zip(shown, round_index(shown, last))]
    return {"kind": "categorical", "title": "round labeled in", "note": "unlabeled grey · 0 = before the first fit",
            "classes": classes}
