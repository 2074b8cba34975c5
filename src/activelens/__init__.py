"""activelens: active learning you can see and steer inside Jupyter."""
from .learner import ActiveLearner, Batch, Round
from .explorer import Explorer
from .race import Race
from .simulate import SimulationResult, compare, simulate, summarize
from .stopping import Budget, DiminishingReturns, Plateau, StabilizingPredictions, TargetScore
from .queue import AnnotationQueue
from .store import LabelStore, PoolMismatchError, StoreError, StoreFormatError, StoreLockedError

__version__ = "0.1.0"

__all__ = [
    "Explorer", "Race",
    "ActiveLearner", "Batch", "Round",
    "simulate", "compare", "summarize", "SimulationResult",
    "Budget", "TargetScore", "Plateau", "DiminishingReturns", "StabilizingPredictions",
    "AnnotationQueue", "LabelStore", "StoreError", "StoreFormatError", "StoreLockedError", "PoolMismatchError",
]
