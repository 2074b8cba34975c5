"""Getting class probabilities out of any scikit-learn classifier, padded to the declared classes."""
from __future__ import annotations

import numpy as np
from scipy.special import expit, softmax


def check_scoring_estimator(estimator, name: str = "estimator") -> None:
    """A classifier instance with ``fit`` and ``predict_proba`` or ``decision_function``; else a TypeError with the fix."""
    if isinstance(estimator, type):
        raise TypeError(f"{name} must be an estimator instance, got the class {estimator.__name__} itself; "
                        f"write {estimator.__name__}() (with its parameters) instead of {estimator.__name__}")
    if not hasattr(estimator, "fit"):
        raise TypeError(f"{name} must be a scikit-learn style classifier with fit(); got {type(estimator).__name__}")
    if not (hasattr(estimator, "predict_proba") or hasattr(estimator, "decision_function")):
        raise TypeError(
            f"{name} ({type(estimator).__name__}) has neither predict_proba nor decision_function, so the pool "
            "cannot be scored; use a probabilistic classifier (e.g. LogisticRegression, or an SVM calibrated explicitly: "
            "activelens.models.CalibratedSVC() or CalibratedClassifierCV(SVC()))"
        )


def raw_proba(model, X) -> np.ndarray:
    """predict_proba when available, else a softmax (sigmoid for two classes) of decision_function."""
    if hasattr(model, "predict_proba"):
        return np.asarray(model.predict_proba(X), dtype=np.float64)
    scores = np.asarray(model.decision_function(X), dtype=np.float64)
    if scores.ndim == 1:  # binary: one margin for the positive class
        p1 = expit(scores)
        return np.column_stack([1.0 - p1, p1])
    return softmax(scores, axis=1)


def padded_proba(model, X, classes: np.ndarray) -> np.ndarray:
    """(n, len(classes)) probabilities in ``classes`` order; classes the model never saw get 0."""
    p = raw_proba(model, X)
    model_classes = np.asarray(model.classes_)
    if p.shape[1] != model_classes.size:
        raise ValueError(f"the model returned {p.shape[1]} probability columns for {model_classes.size} classes")
    if model_classes.size == classes.size and np.array_equal(model_classes, classes):
        out = p
    else:
        position = {c: i for i, c in enumerate(classes.tolist())}
        out = np.zeros((p.shape[0], classes.size))
        for j, c in enumerate(model_classes.tolist()):
            out[:, position[c]] = p[:, j]
    if not np.isfinite(out).all():
        raise ValueError("the model produced NaN or infinite probabilities; check its inputs and settings")
    sums = out.sum(axis=1, keepdims=True)
    sums[sums == 0] = 1.0
    return out / sums
