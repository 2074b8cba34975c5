"""The words that drove a linear model's suggestion, for a text card.

A linear model (``coef_`` on the estimator, or on a pipeline's last step) weighs each feature; with the features'
names (a fitted vectoriser's ``get_feature_names_out()`` or a list of names) the terms of a document that weigh most
for the suggested class are its non-zero features with the largest positive ``weight × value``. The card sends them
as plain strings; the page finds them in the text and wraps them in spans through ``textContent``, never markup.
"""
from __future__ import annotations

import numpy as np
import scipy.sparse as sp

__all__ = ["MAX_TERMS", "check_feature_names", "linear_weights", "TermWeights"]

#: at most this many terms highlighted on a card
MAX_TERMS = 8


def check_feature_names(feature_names, n_features: int) -> np.ndarray | None:
    """The features' names as an array of str, from names or a fitted vectoriser; None for None.

    Parameters
    ----------
    feature_names : sequence of str, object with ``get_feature_names_out()``, or None
        One name per pool feature (column), or the fitted vectoriser (e.g. ``TfidfVectorizer``) that made the pool.
    n_features : int
        The pool's feature count.

    Returns
    -------
    ndarray of str or None

    Raises
    ------
    ValueError
        Not one name per feature, or a vectoriser that is not fitted.
    TypeError
        Neither names nor a vectoriser.
    """
    if feature_names is None:
        return None
    if hasattr(feature_names, "get_feature_names_out"):
        try:
            names = feature_names.get_feature_names_out()
        except Exception as exc:  # noqa: BLE001 - scikit-learn raises NotFittedError (a ValueError) or AttributeError
            raise ValueError(f"feature_names: the {type(feature_names).__name__} has no feature names "
                             f"({type(exc).__name__}: {exc}); pass the vectoriser fitted on your texts") from None
    elif isinstance(feature_names, (str, bytes)) or not hasattr(feature_names, "__len__"):
        raise TypeError(f"feature_names must be a list of one name per feature or a fitted vectoriser "
                        f"(get_feature_names_out), got {type(feature_names).__name__}")
    else:
        names = feature_names
    names = np.asarray([str(n) for n in names], dtype=object)
    if names.size != n_features:
        raise ValueError(f"feature_names has {names.size} names but the pool has {n_features} features; pass one name "
                         "per column of X (the vectoriser that made X)")
    return names


def linear_weights(model):
    """A fitted linear model's weights and classes, looking through a pipeline to its last step.

    Parameters
    ----------
    model : fitted estimator or None

    Returns
    -------
    (ndarray of shape (n_rows, n_features), ndarray of classes) or None
        None when the model is not linear (no ``coef_``) or has no ``classes_``.
    """
    if model is None:
        return None
    last = model.steps[-1][1] if hasattr(model, "steps") else model
    coef = getattr(last, "coef_", None)
    classes = getattr(last, "classes_", getattr(model, "classes_", None))
    if coef is None or classes is None:
        return None
    coef = coef.toarray() if sp.issparse(coef) else np.asarray(coef, dtype=float)
    return (coef.reshape(1, -1) if coef.ndim == 1 else coef), np.asarray(classes)


class TermWeights:
    """Picks a document's most telling terms for a class under a linear model.

    Parameters
    ----------
    names : ndarray of str
        One name per pool feature (``check_feature_names``).
    """

    def __init__(self, names: np.ndarray):
        self.names = names

    def terms(self, model, row, cls, n: int = MAX_TERMS) -> list[str]:
        """The terms of ``row`` that weigh most for class ``cls`` (largest positive ``weight × value``, at most ``n``).

        Parameters
        ----------
        model : fitted estimator
            Linear (``coef_``, possibly a pipeline's last step) over the pool's features; any other gives [].
        row : sparse matrix or ndarray of shape (1, n_features)
            The document's row of the pool.
        cls : object
            The class (a value of ``model.classes_``).
        n : int

        Returns
        -------
        list of str
            Most telling first; [] when the model is not linear over these features or nothing weighs for ``cls``.
        """
        found = linear_weights(model)
        if found is None:
            return []
        coef, classes = found
        if coef.shape[1] != self.names.size:
            return []
        hits = np.flatnonzero(classes == cls) if classes.dtype != object else \
            np.asarray([k for k, c in enumerate(classes.tolist()) if c == cls])
        if not hits.size:
            return []
        k = int(hits[0])
        if coef.shape[0] == 1:   # binary: one row of weights, positive for classes[1]
            w = coef[0] if k == 1 else -coef[0]
        else:
            w = coef[k]
        if sp.issparse(row):
            r = row.tocsr()
            cols, vals = r.indices, r.data
        else:
            r = np.asarray(row, dtype=float).ravel()
            cols = np.flatnonzero(r)
            vals = r[cols]
        contrib = w[cols] * vals
        order = np.argsort(-contrib, kind="stable")[:n]
        return [str(self.names[cols[j]]) for j in order if contrib[j] > 0]
