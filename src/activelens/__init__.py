"""activelens: active learning you can see and steer inside Jupyter.

The public names below are imported on first use (PEP 562 ``__getattr__``), so ``import activelens`` stays cheap:
SQLAlchemy, plotly, anywidget and scikit-learn's model selection load only when the name that needs them is used.
"""
from __future__ import annotations

import importlib

__version__ = "0.1.0"

#: public name -> module it lives in
_LAZY = {
    "Batch": "activelens.core.records",
    "Round": "activelens.core.records",
    "ActiveLearner": "activelens.loop.learner",
    "Explorer": "activelens.widgets.explorer",
    "Race": "activelens.widgets.race",
    "SimulationResult": "activelens.loop.simulate",
    "compare": "activelens.loop.simulate",
    "simulate": "activelens.loop.simulate",
    "summarize": "activelens.loop.simulate",
    "Budget": "activelens.analysis.stopping",
    "DiminishingReturns": "activelens.analysis.stopping",
    "Plateau": "activelens.analysis.stopping",
    "StabilizingPredictions": "activelens.analysis.stopping",
    "TargetScore": "activelens.analysis.stopping",
    "AnnotationQueue": "activelens.storage",
    "LabelStore": "activelens.storage",
    "PoolMismatchError": "activelens.storage",
    "StoreError": "activelens.storage",
    "StoreFormatError": "activelens.storage",
    "StoreLockedError": "activelens.storage",
    "StoreReadOnlyError": "activelens.storage",
    "UntrustedEstimatorError": "activelens.storage",
}

__all__ = [
    "Explorer", "Race",
    "ActiveLearner", "Batch", "Round",
    "simulate", "compare", "summarize", "SimulationResult",
    "Budget", "TargetScore", "Plateau", "DiminishingReturns", "StabilizingPredictions",
    "AnnotationQueue", "LabelStore", "StoreError", "StoreFormatError", "StoreLockedError", "PoolMismatchError",
    "StoreReadOnlyError", "UntrustedEstimatorError",
]


def __getattr__(name: str):
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'activelens' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value   # the next access is a plain attribute
    return value


def __dir__():
    return sorted(set(globals()) | set(__all__))
