"""activelens: active learning you can see and steer inside Jupyter."""
from activelens.core.records import Batch, Round
from activelens.loop.learner import ActiveLearner
from activelens.widgets.explorer import Explorer
from activelens.widgets.race import Race
from activelens.loop.simulate import SimulationResult, compare, simulate, summarize
from activelens.analysis.stopping import Budget, DiminishingReturns, Plateau, StabilizingPredictions, TargetScore
from activelens.storage import (AnnotationQueue, LabelStore, PoolMismatchError, StoreError, StoreFormatError,
                                StoreLockedError, StoreReadOnlyError, UntrustedEstimatorError)

__version__ = "0.1.0"

__all__ = [
    "Explorer", "Race",
    "ActiveLearner", "Batch", "Round",
    "simulate", "compare", "summarize", "SimulationResult",
    "Budget", "TargetScore", "Plateau", "DiminishingReturns", "StabilizingPredictions",
    "AnnotationQueue", "LabelStore", "StoreError", "StoreFormatError", "StoreLockedError", "PoolMismatchError",
    "StoreReadOnlyError", "UntrustedEstimatorError",
]
