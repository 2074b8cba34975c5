"""activelens: active learning you can see and steer inside Jupyter.

The public names below are imported on first use (PEP 562 ``__getattr__``), so ``import activelens`` stays cheap:
SQLAlchemy, plotly, anywidget and scikit-learn's model selection load only when the name that needs them is used.
``__version__`` is read from the installed package's metadata (pyproject.toml's version), once, on first use.
"""
from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:   # what type checkers see; at run time each name is imported on first use (_LAZY, __getattr__)
    from activelens.analysis.stopping import (Budget, DiminishingReturns, Plateau, StabilizingPredictions,
                                              StopDecision, StoppingCriterion, TargetScore)
    from activelens.backends import make_pool
    from activelens.core.pool import Pool, PoolError
    from activelens.core.records import (Batch, Fitted, LabelRecord, LearnerState, Relabeled, Round, Taught,
                                         Unlabeled)
    from activelens.loop.learner import ActiveLearner
    from activelens.loop.simulate import SimulationResult, compare, simulate, summarize
    from activelens.storage import (AnnotationQueue, LabelStore, PoolMismatchError, QueueError, StoreError,
                                    StoreFormatError, StoreLockedError, StoreReadOnlyError, UntrustedEstimatorError)
    from activelens.widgets.explorer import Explorer
    from activelens.widgets.race import Race

    __version__: str

#: public name -> module it lives in
_LAZY = {
    "Batch": "activelens.core.records",
    "Round": "activelens.core.records",
    "LearnerState": "activelens.core.records",
    "LabelRecord": "activelens.core.records",
    "Taught": "activelens.core.records",
    "Relabeled": "activelens.core.records",
    "Unlabeled": "activelens.core.records",
    "Fitted": "activelens.core.records",
    "Pool": "activelens.core.pool",
    "PoolError": "activelens.core.pool",
    "make_pool": "activelens.backends",
    "ActiveLearner": "activelens.loop.learner",
    "Explorer": "activelens.widgets.explorer",
    "Race": "activelens.widgets.race",
    "SimulationResult": "activelens.loop.simulate",
    "compare": "activelens.loop.simulate",
    "simulate": "activelens.loop.simulate",
    "summarize": "activelens.loop.simulate",
    "StoppingCriterion": "activelens.analysis.stopping",
    "StopDecision": "activelens.analysis.stopping",
    "Budget": "activelens.analysis.stopping",
    "DiminishingReturns": "activelens.analysis.stopping",
    "Plateau": "activelens.analysis.stopping",
    "StabilizingPredictions": "activelens.analysis.stopping",
    "TargetScore": "activelens.analysis.stopping",
    "AnnotationQueue": "activelens.storage",
    "LabelStore": "activelens.storage",
    "PoolMismatchError": "activelens.storage",
    "QueueError": "activelens.storage",
    "StoreError": "activelens.storage",
    "StoreFormatError": "activelens.storage",
    "StoreLockedError": "activelens.storage",
    "StoreReadOnlyError": "activelens.storage",
    "UntrustedEstimatorError": "activelens.storage",
}

__all__ = [
    "__version__",
    "Explorer", "Race",
    "ActiveLearner", "Batch", "Round", "LearnerState", "LabelRecord", "Taught", "Relabeled", "Unlabeled", "Fitted",
    "make_pool", "Pool", "PoolError",
    "simulate", "compare", "summarize", "SimulationResult",
    "StoppingCriterion", "StopDecision", "Budget", "TargetScore", "Plateau", "DiminishingReturns",
    "StabilizingPredictions",
    "AnnotationQueue", "QueueError", "LabelStore", "StoreError", "StoreFormatError", "StoreLockedError",
    "PoolMismatchError", "StoreReadOnlyError", "UntrustedEstimatorError",
]


def _version() -> str:
    """The installed distribution's version (pyproject.toml's, through the package metadata)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("activelens")
    except PackageNotFoundError:   # a source tree on sys.path that was never installed
        return "0+unknown"


def __getattr__(name: str) -> object:
    if name == "__version__":
        globals()[name] = value = _version()
        return value
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'activelens' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value   # the next access is a plain attribute
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
