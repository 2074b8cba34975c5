"""The reference models used by the CLI, the benchmarks and the notebooks."""
from __future__ import annotations

from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC


def make_model(name: str = "logreg", random_state=0, sparse: bool = False):
    """"logreg": standardize + logistic regression; "svm": standardize + RBF SVM. With ``sparse`` (a TF-IDF pool,
    rows already L2-normalised) nothing is standardized: centring would densify the matrix.

    The SVM is scored through its one-vs-rest decision function (activelens applies a softmax): scikit-learn
    1.9 deprecates SVC(probability=True), and calibrating by internal cross-validation fails while a class has
    fewer labels than folds — which is exactly the early active-learning regime."""
    if name == "logreg":
        if sparse:
            return LogisticRegression(max_iter=1000)
        return make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))
    if name == "svm":
        if sparse:
            return SVC(kernel="rbf", decision_function_shape="ovr", random_state=random_state)
        return make_pipeline(StandardScaler(), SVC(kernel="rbf", decision_function_shape="ovr", random_state=random_state))
    raise ValueError(f"model must be 'logreg' or 'svm', got {name!r}")
