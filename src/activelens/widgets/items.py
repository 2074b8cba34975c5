"""How pool items are shown on the Explorer's cards: texts, images (PNG bytes), table rows, a custom hook.

Every item becomes a small JSON dict the page draws with textContent / setAttribute only:
``{"kind": "text", "text": ...}``, ``{"kind": "image", "png": <base64>, "width", "height"}``,
``{"kind": "table", "columns": [...], "values": [...]}``.
"""
from __future__ import annotations

import base64
import struct
import zlib
from typing import Any

import numpy as np

#: a card carries at most this many characters of a text (the rest is cut, marked with "…")
MAX_TEXT = 4000
MAX_COLUMNS = 12
MAX_EXCERPT = 240


def png_bytes(image: np.ndarray) -> bytes:
    """A PNG file of a (h, w) grey, (h, w, 3) RGB or (h, w, 4) RGBA uint8 array."""
    a = np.ascontiguousarray(image, dtype=np.uint8)
    if a.ndim == 2:
        colour_type, channels = 0, 1
    elif a.ndim == 3 and a.shape[2] in (3, 4):
        colour_type, channels = (2, 3) if a.shape[2] == 3 else (6, 4)
    else:
        raise ValueError(f"an image must be (h, w), (h, w, 3) or (h, w, 4); got shape {a.shape}")
    h, w = a.shape[:2]
    raw = np.zeros((h, 1 + w * channels), dtype=np.uint8)  # filter byte 0 (None) per scanline
    raw[:, 1:] = a.reshape(h, w * channels)

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", w, h, 8, colour_type, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw.tobytes(), 6))
            + chunk(b"IEND", b""))


def _to_uint8(img: np.ndarray) -> np.ndarray:
    if img.dtype == np.uint8:
        return img
    if img.dtype == bool:
        return img.astype(np.uint8) * 255
    f = img.astype(np.float64)
    lo, hi = float(f.min()), float(f.max())
    if lo >= 0 and hi <= 1 and np.issubdtype(img.dtype, np.floating):
        return np.round(f * 255).astype(np.uint8)
    if hi == lo:
        return np.zeros(f.shape, np.uint8)
    return np.round((f - min(lo, 0.0)) / (hi - min(lo, 0.0)) * 255).clip(0, 255).astype(np.uint8)


class ItemSource:
    """Validates ``items`` once at construction and turns item ``i`` into a card payload on request."""

    def __init__(self, items, n_pool: int, renderer=None):
        self.renderer = renderer
        if renderer is not None and not callable(renderer):
            raise TypeError(f"item_renderer must be a callable index -> str, image array or dict; got {type(renderer).__name__}")
        self.kind = "index"
        self.items: Any = None   # a DataFrame, an array or a sequence, per kind
        if items is None:
            return
        if hasattr(items, "iloc") and hasattr(items, "columns"):  # DataFrame
            if len(items) != n_pool:
                raise ValueError(f"items has {len(items)} rows but the learner's pool has {n_pool}; give one item per pool row")
            self.kind, self.items = "frame", items
            return
        if isinstance(items, np.ndarray):
            if items.shape[0] != n_pool if items.ndim else True:
                raise ValueError(f"items has {items.shape[0] if items.ndim else 0} entries but the learner's pool has "
                                 f"{n_pool}; give one item per pool row")
            if items.ndim in (3, 4):
                if items.ndim == 4 and items.shape[3] not in (3, 4):
                    raise ValueError(f"items: image arrays must be (n, h, w), (n, h, w, 3) or (n, h, w, 4); got shape {items.shape}")
                if not (items.dtype == bool or np.issubdtype(items.dtype, np.integer) or np.issubdtype(items.dtype, np.floating)):
                    raise TypeError(f"items: images of dtype {items.dtype} are not supported; use uint8, an integer, "
                                    "float or bool array")
                if np.issubdtype(items.dtype, np.floating) and not np.isfinite(items).all():
                    raise ValueError("items: the image array contains NaN or infinity")
                self.kind, self.items = "image", items
                return
            if items.ndim == 2:
                if not (np.issubdtype(items.dtype, np.number) or items.dtype == bool):
                    raise TypeError(f"items: 2-D arrays of dtype {items.dtype} are not supported; give texts, images or a DataFrame")
                self.kind, self.items = "row", items
                return
            if items.ndim != 1:
                raise ValueError(f"items: arrays must be 1-D texts, 2-D rows or 3/4-D images; got shape {items.shape}")
            items = items.tolist()
        if isinstance(items, (str, bytes)):
            raise TypeError("items must be a sequence with one item per pool row, not a single string")
        try:
            seq = list(items)
        except TypeError:
            raise TypeError(f"items must be a sequence (texts), an image array or a DataFrame; got {type(items).__name__}") from None
        if len(seq) != n_pool:
            raise ValueError(f"items has {len(seq)} entries but the learner's pool has {n_pool}; give one item per pool row")
        self.kind, self.items = "text", seq

    def payload(self, i: int) -> dict:
        i = int(i)
        if self.renderer is not None:
            return self._coerce(self.renderer(i))
        if self.kind == "index":
            return {"kind": "text", "text": f"item {i}"}
        if self.kind == "text":
            return self._coerce(self.items[i])
        if self.kind == "image":
            return image_payload(self.items[i])
        if self.kind == "frame":
            row = self.items.iloc[i]
            cols = [str(c) for c in list(self.items.columns)[:MAX_COLUMNS]]
            return {"kind": "table", "columns": cols, "values": [_short(row.iloc[j]) for j in range(len(cols))]}
        row = np.asarray(self.items[i]).ravel()
        cols = [f"x{j}" for j in range(min(row.size, MAX_COLUMNS))]
        return {"kind": "table", "columns": cols, "values": [_short(v) for v in row[:MAX_COLUMNS]]}

    def texts(self, column=None) -> list:
        """One text per pool item to search in (None where an item has none): the texts given as ``items``, or
        the DataFrame column ``column`` as strings. One error naming ``column`` when there is nothing to search."""
        if column is not None:
            if self.kind != "frame":
                raise ValueError(f"column={column!r} is for items given as a DataFrame; these items are "
                                 f"{self.kind}s — leave column out to search their texts")
            if column not in self.items.columns:
                raise ValueError(f"column {column!r} is not a column of items; one of "
                                 f"{', '.join(map(str, list(self.items.columns)[:20]))}")
            return [None if v is None or v != v else str(v) for v in self.items[column].tolist()]
        if self.kind == "text":
            return [v if isinstance(v, str) else None for v in self.items]
        hint = "name a text column: search(text, column=...)" if self.kind == "frame" else \
            "give the texts as items=[...] (one string per pool row)"
        raise ValueError(f"search needs texts to search in; these items are {self.kind}s — {hint}")

    def thumbnail(self, i: int) -> dict:
        """What the map's hover shows of item ``i``: the image itself, a text excerpt (``MAX_EXCERPT`` characters)
        or the row as a small table (at most 6 columns); the same payload kinds as a card."""
        p = self.payload(i)
        if p["kind"] == "text" and len(p["text"]) > MAX_EXCERPT:
            return {"kind": "text", "text": p["text"][:MAX_EXCERPT - 1] + "…"}
        if p["kind"] == "table":
            return {"kind": "table", "columns": p["columns"][:6], "values": p["values"][:6]}
        return p

    def preview(self, i: int) -> str:
        """A one-line text preview for the map's tooltip."""
        p = self.payload(i)
        if p["kind"] == "text":
            return p["text"][:160]
        if p["kind"] == "table":
            return ", ".join(f"{c}={v}" for c, v in zip(p["columns"][:4], p["values"][:4]))
        return f"image {p['width']}x{p['height']}"

    @staticmethod
    def _coerce(value) -> dict:
        if isinstance(value, dict) and value.get("kind") in ("text", "image", "table"):
            return value
        if isinstance(value, np.ndarray) and value.ndim in (2, 3):
            return image_payload(value)
        text = value if isinstance(value, str) else str(value)
        return {"kind": "text", "text": text if len(text) <= MAX_TEXT else text[:MAX_TEXT - 1] + "…"}


def image_payload(img) -> dict:
    a = np.asarray(img)
    u8 = _to_uint8(a)
    return {"kind": "image", "png": base64.b64encode(png_bytes(u8)).decode("ascii"),
            "width": int(u8.shape[1]), "height": int(u8.shape[0])}


def _short(v) -> str:
    if isinstance(v, (float, np.floating)):
        return f"{float(v):.4g}"
    s = str(v)
    return s if len(s) <= 80 else s[:77] + "..."
