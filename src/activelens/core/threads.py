"""How many threads BLAS may use for a step: small dense work runs faster on one.

Fits on the labeled items (hundreds to a few thousand rows) and greedy pick loops spend their BLAS calls on small
or memory-bound products; splitting those over threads mostly adds waiting, and on a busy machine the waiting
dominates (BENCHMARKS.md, "One BLAS thread for small fits", has the measurement). The limit is process-wide while it
holds (threadpoolctl), then restored.
"""
from __future__ import annotations

import contextlib

from activelens.core.validation import check_scalar

_controller = None


def blas_threads(limit):
    """A context manager limiting BLAS to ``limit`` threads (``None``: leave it as configured)."""
    global _controller
    if limit is None:
        return contextlib.nullcontext()
    try:
        if _controller is None:
            from threadpoolctl import ThreadpoolController  # installed with scikit-learn

            _controller = ThreadpoolController()
        return _controller.limit(limits=int(limit), user_api="blas")
    except Exception:  # threadpoolctl missing or unable to see the BLAS: run as is
        return contextlib.nullcontext()


def check_threads(value, name="fit_threads"):
    """A BLAS thread count: a positive int, or None (leave BLAS as configured)."""
    return check_scalar(value, name, int, low=1, allow_none=True, what="BLAS threads for the fit; None: as configured")
