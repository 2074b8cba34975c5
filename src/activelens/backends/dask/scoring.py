"""A model's view of a Dask pool, one task per chunk on the workers: probabilities, uncertainty scores, and a
pretrained scorer's uncertainty (the cold start's kernel). The model or scorer is sent to each worker once."""
from __future__ import annotations

import numpy as np

from activelens.backends.dask.compute import block_start, broadcast
from activelens.backends.dask.rows import gather_rows
from activelens.core.model import padded_proba
from activelens.core.validation import check_proba
from activelens.strategies.coldstart import pretrained_scores
from activelens.strategies.base import strategy_name
from activelens.strategies.uncertainty import uncertainty_measure


def _check_finite_block(x, offset):
    if not np.isfinite(x).all():
        bad = np.argwhere(~np.isfinite(x))[0]
        raise ValueError(f"X contains NaN or infinity (first at row {offset + int(bad[0])}, column {int(bad[1])}); "
                         "impute or drop those values first")


def _proba_block(x, model, classes, block_info=None):
    _check_finite_block(x, block_start(block_info))
    return padded_proba(model, x, classes)


def _scores_block(x, model, classes, measure, block_info=None):
    offset = block_start(block_info)
    _check_finite_block(x, offset)
    u = np.asarray(uncertainty_measure(measure)(padded_proba(model, x, classes)), dtype=np.float64)
    if u.shape != (x.shape[0],) or not np.isfinite(u).all():
        raise ValueError(f"strategy {strategy_name(measure)!r} must return one finite score per pool item; on rows "
                         f"{offset}..{offset + x.shape[0] - 1} it returned shape {u.shape}")
    return u


def dask_proba(X, model, classes):
    """Class probabilities of a dask pool, padded to ``classes`` like the in-memory path; lazy.

    Parameters
    ----------
    X : dask.array.Array of shape (n_rows, n_features)
    model : fitted classifier with ``predict_proba``
    classes : array-like of shape (n_classes,)

    Returns
    -------
    dask.array.Array of float64, shape (n_rows, n_classes)
        Chunked like X. A chunk with NaN or infinity raises ValueError naming the first bad row.
    """
    classes = np.asarray(classes)
    return X.map_blocks(_proba_block, broadcast(model), classes, dtype=np.float64,
                        chunks=(X.chunks[0], (classes.size,)), meta=np.empty((0, 0), np.float64))


def dask_scores(X, model, classes, measure="margin"):
    """Uncertainty scores of a dask pool, one task per chunk: ``measure(padded_proba(model, chunk))``; lazy.

    Parameters
    ----------
    X : dask.array.Array of shape (n_rows, n_features)
    model : fitted classifier with ``predict_proba``
    classes : array-like of shape (n_classes,)
    measure : {"entropy", "margin", "least_confidence"} or callable proba -> scores, default "margin"

    Returns
    -------
    dask.array.Array of float64, shape (n_rows,)
        Higher = more informative. A callable that does not return one finite score per row raises ValueError.
    """
    uncertainty_measure(measure)  # an unknown name fails here, not on a worker
    return X.map_blocks(_scores_block, broadcast(model), np.asarray(classes), measure, dtype=np.float64,
                        drop_axis=1, meta=np.empty((0,), np.float64))


# ----- a pretrained scorer as cold start -----
def _check_pretrained(p, n_rows: int, n_classes, where: str, offset: int = 0) -> np.ndarray:
    """A pretrained scorer's output for ``n_rows`` rows: (n_rows, n_classes) finite probabilities, else one error."""
    if hasattr(p, "to_numpy"):
        p = p.to_numpy()
    try:
        p = np.asarray(p, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"the pretrained scorer (cold_start) returned something that is not a numeric array for "
                         f"{where}; it must return (n_rows, n_classes) probabilities") from None
    if p.ndim != 2 or p.shape[0] != n_rows or p.shape[1] < 1:
        raise ValueError(f"the pretrained scorer (cold_start) returned shape {p.shape} for {where} ({n_rows} rows); it "
                         "must return (n_rows, n_classes) probabilities, one row per row it is given")
    if n_classes is not None and p.shape[1] != n_classes:
        raise ValueError(f"the pretrained scorer (cold_start) returned {p.shape[1]} columns for {where} but "
                         f"{n_classes} for the pool's first row; it must return the same classes for every row")
    if not np.isfinite(p).all():
        bad = int(np.flatnonzero(~np.isfinite(p).all(axis=1))[0])
        raise ValueError(f"the pretrained scorer (cold_start) returned NaN or infinity for pool row {offset + bad}; "
                         "check the model's output")
    try:
        return check_proba(p, name="its output")
    except ValueError as exc:
        raise ValueError(f"the pretrained scorer (cold_start) did not return probabilities for {where}: {exc}") from None


def _pretrained_block(x, scorer, measure, n_classes, block_info=None):
    offset = block_start(block_info)
    _check_finite_block(x, offset)
    where = f"pool rows {offset}..{offset + x.shape[0] - 1}"
    try:
        p = pretrained_scores(scorer, x)
    except Exception as exc:
        raise ValueError(f"the pretrained scorer (cold_start) failed on {where} ({type(exc).__name__}: {exc})") from exc
    p = _check_pretrained(p, x.shape[0], n_classes, where, offset)
    return np.asarray(uncertainty_measure(measure)(p), dtype=np.float64)


def dask_pretrained_scores(X, scorer, measure="margin", client=None):
    """Uncertainty of a pretrained scorer's probabilities, one task per chunk on the workers; lazy.

    Parameters
    ----------
    X : dask.array.Array of shape (n_rows, n_features)
    scorer : fitted model with ``predict_proba``, or callable rows -> (len(rows), n_classes) probabilities
        Sent to each worker once.
    measure : {"entropy", "margin", "least_confidence"}, default "margin"
    client : distributed.Client, optional
        Where the pool's first row is read.

    Returns
    -------
    dask.array.Array of float64, shape (n_rows,)

    Raises
    ------
    ValueError
        The scorer failed or returned a bad output: checked on the pool's first row here, then per chunk (shape,
        the first row's number of classes, finite probabilities); the message names the pretrained scorer and
        the rows.
    """
    first = gather_rows(X, [0], client)
    try:
        p = pretrained_scores(scorer, first)
    except Exception as exc:
        raise ValueError(f"the pretrained scorer (cold_start) failed on pool row 0 ({type(exc).__name__}: {exc})") from exc
    n_classes = _check_pretrained(p, 1, None, "pool row 0").shape[1]
    return X.map_blocks(_pretrained_block, broadcast(scorer), measure, n_classes, dtype=np.float64, drop_axis=1,
                        meta=np.empty((0,), np.float64))
