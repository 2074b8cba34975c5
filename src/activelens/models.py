"""The reference models used by the CLI, the benchmarks and the notebooks."""
from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.calibration import CalibratedClassifierCV
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC
from sklearn.utils.validation import check_is_fitted

from activelens.core.model import raw_proba


class CalibratedSVC(ClassifierMixin, BaseEstimator):
    """An SVM with explicitly calibrated probabilities, for the small and growing training sets of active learning.

    scikit-learn 1.9 deprecates ``SVC(probability=True)`` in favour of ``CalibratedClassifierCV(SVC(),
    ensemble=False)``: one SVM trained on every row, and a sigmoid (Platt) map fitted on decision values of held-out
    folds. That needs as many labels of each class as folds, which an active learner does not have early on, so the
    folds here are ``min(folds, fewest labels of a class)`` (stratified, not shuffled: the same rows in the same order
    give the same model), and while some class has a single label the probabilities are a softmax of the one-vs-rest
    decision values instead.

    Parameters
    ----------
    C, kernel, gamma : as ``sklearn.svm.SVC``
    folds : int, default=5
        The most folds the calibration's cross-validation uses.
    method : {"sigmoid", "isotonic"}, default="sigmoid"
    random_state : int or None
        Passed to the SVC.

    Attributes
    ----------
    classes_ : ndarray
    calibrated_ : bool
        Whether the probabilities of the last fit are calibrated (False: the softmax fallback).
    """

    def __init__(self, C: float = 1.0, kernel: str = "rbf", gamma="scale", folds: int = 5, method: str = "sigmoid",
                 random_state=None):
        self.C, self.kernel, self.gamma = C, kernel, gamma
        self.folds, self.method, self.random_state = folds, method, random_state

    def _svc(self):
        return SVC(C=self.C, kernel=self.kernel, gamma=self.gamma, decision_function_shape="ovr",
                   random_state=self.random_state)

    def fit(self, X, y):
        y = np.asarray(y)
        self.classes_, counts = np.unique(y, return_counts=True)
        if self.classes_.size < 2:
            raise ValueError(f"CalibratedSVC needs at least two classes, got {self.classes_.tolist()}")
        k = int(min(self.folds, counts.min()))
        if k >= 2:
            self.model_ = CalibratedClassifierCV(self._svc(), method=self.method, cv=StratifiedKFold(k),
                                                 ensemble=False).fit(X, y)
        else:
            self.model_ = self._svc().fit(X, y)
        self.calibrated_ = k >= 2
        return self

    def predict_proba(self, X) -> np.ndarray:
        check_is_fitted(self, "model_")
        return self.model_.predict_proba(X) if self.calibrated_ else raw_proba(self.model_, X)

    def predict(self, X) -> np.ndarray:
        return self.classes_[self.predict_proba(X).argmax(axis=1)]


def make_model(name: str = "logreg", random_state=0, sparse: bool = False, **params):
    """"logreg": standardize + logistic regression; "svm": standardize + an RBF SVM with calibrated probabilities
    (``CalibratedSVC``: sigmoid calibration on held-out folds, what scikit-learn 1.9 recommends in place of the
    deprecated ``SVC(probability=True)``). ``params`` go to the final estimator (e.g. ``C=10``). With ``sparse``
    (a TF-IDF pool, rows already L2-normalised) nothing is standardized: centring would densify the matrix."""
    if name == "logreg":
        model = LogisticRegression(max_iter=1000, **params)
        return model if sparse else make_pipeline(StandardScaler(), model)
    if name == "svm":
        model = CalibratedSVC(random_state=random_state, **params)
        return model if sparse else make_pipeline(StandardScaler(), model)
    raise ValueError(f"model must be 'logreg' or 'svm', got {name!r}")
