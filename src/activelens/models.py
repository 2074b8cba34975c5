"""The reference models used by the CLI, the benchmarks and the notebooks."""
from __future__ import annotations

from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC


def make_model(name: str = "logreg", random_state=0):
    """"logreg": standardize + logistic regression; "svm": standardize + RBF SVM with Platt probabilities."""
    if name == "logreg":
        return make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))
    if name == "svm":
        return make_pipeline(StandardScaler(), SVC(kernel="rbf", probability=True, random_state=random_state))
    raise ValueError(f"model must be 'logreg' or 'svm', got {name!r}")
