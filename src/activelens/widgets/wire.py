"""Values as they cross to the page: the traits are JSON, which has no NaN or infinity."""
from __future__ import annotations

import numpy as np


def number(v) -> float | None:
    """``v`` as a float rounded to 4 decimals for the page; None when it is not a finite number."""
    try:
        v = float(v)
    except (TypeError, ValueError):
        return None
    return round(v, 4) if np.isfinite(v) else None


def item_id(v):
    """An item's id for the page: an int or str as it is (a numpy scalar as its Python value), anything else as its
    ``str`` (JSON has no timestamps or tuples)."""
    if isinstance(v, np.generic):
        v = v.item()
    return v if isinstance(v, (int, str)) and not isinstance(v, bool) else str(v)
