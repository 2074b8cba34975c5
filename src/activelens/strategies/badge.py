"""BADGE (Ash et al. 2020): k-means++ seeding on gradient embeddings.

An item's gradient embedding is the gradient of the cross-entropy loss, at the model's own guess ŷ, with respect to
the last layer's weights: ``g = (p − onehot(ŷ)) ⊗ f``, where ``p`` are the class probabilities and ``f`` the
features the last layer reads. Its norm is large where the model is unsure (``p`` far from one-hot) and for items
whose features are large; k-means++ seeding over ``g`` then spreads the batch over different gradient directions,
so it mixes uncertainty and diversity without a weight to tune.

* For a linear model (the estimator, or a pipeline's last step, has ``coef_``: logistic regression, a linear SVM,
  SGD...), ``f`` is what that step reads — the pipeline's earlier steps applied to X — with a 1 appended for the
  intercept, and ``g`` is the exact gradient of the softmax cross-entropy with respect to (coef_, intercept_). For a
  binary model with one weight vector the two-column form is that gradient times √2 for every item, which k-means++
  does not see (it scales every distance alike).
* For any other probabilistic classifier ``f`` is the pool's diversity embedding (the form of BADGE for models
  without an accessible last layer).

The embedding is never built: with ``g_i = a_i ⊗ f_i``, ``g_i·g_j = (a_i·a_j)(f_i·f_j)``, so a distance pass over
the pool costs O(n·(k + d)) instead of O(n·k·d), and memory stays the two factors.
"""
from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from activelens.core.validation import check_proba, check_random_state
from activelens.strategies.base import Selection, Strategy
from activelens.strategies.diversity import argmax_random_ties, check_scored_pool, one_blas_thread


#: rows of the pool put through the model's earlier steps at a time
_CHUNK_ROWS = 65_536


def last_layer(model):
    """(features, head): a function X -> the features the model's last step reads, and that step (a Pipeline's last
    step, else the model)."""
    steps = getattr(model, "steps", None)
    if steps and len(steps) > 1:
        body = model[:-1]
        return body.transform, steps[-1][1]
    return (lambda X: X), model


def is_linear_head(head) -> bool:
    """Whether ``head`` is a fitted linear classifier whose gradient we can write exactly (it has coef_, 2-D)."""
    coef = getattr(head, "coef_", None)
    return coef is not None and getattr(coef, "ndim", 0) == 2 and hasattr(head, "intercept_")


def pseudo_label_residual(proba) -> np.ndarray:
    """(n, k) ``p − onehot(argmax p)``: the gradient of −log p_ŷ with respect to the logits, at the model's guess."""
    p = np.asarray(proba, dtype=np.float64)
    A = p.copy()
    A[np.arange(p.shape[0]), p.argmax(axis=1)] -= 1.0
    return A


def gradient_factors(model, X, proba, embedding=None):
    """(A, F, exact): the factors of the gradient embeddings ``g_i = A[i] ⊗ F[i]``.

    ``A`` is ``p − onehot(ŷ)`` (float32, (n, k)); ``F`` (float32, (n, d)) is the linear head's input with a column
    of ones (``exact`` True) — a CSR matrix when that input is sparse (a TF-IDF pool is never densified) — or
    ``embedding`` for any other model (``exact`` False).
    """
    A = pseudo_label_residual(proba).astype(np.float32)
    features, head = last_layer(model)
    if is_linear_head(head):
        d = np.asarray(head.coef_).shape[1]
        n = X.shape[0]
        first = features(X[:_CHUNK_ROWS])
        if sp.issparse(first):   # a sparse pool (TF-IDF) and the features the head reads stay sparse
            F = _sparse_head_input(features, X, first, d)
            if F is not None:
                return A, F, True
        else:
            # feature-major (Fortran order): the seeding loop reads F.T without a copy; filled a chunk of rows at a
            # time so the pipeline's float64 output never exists for the whole pool
            F = np.empty((n, d + 1), dtype=np.float32, order="F")
            F[:, -1] = 1.0
            for r0 in range(0, n, _CHUNK_ROWS):
                Z = first if r0 == 0 else features(X[r0:r0 + _CHUNK_ROWS])
                Z = Z.toarray() if sp.issparse(Z) else np.asarray(Z)   # a later chunk's sparse output: one chunk
                if Z.shape[1] != d:
                    break
                F[r0:r0 + _CHUNK_ROWS, :-1] = Z
            else:
                return A, F, True
    if embedding is None:
        raise ValueError("the model has no linear last layer, so BADGE needs an embedding of the pool")
    return A, np.asarray(embedding, dtype=np.float32), False


def _sparse_head_input(features, X, first, d: int):
    """The linear head's input with a column of ones, as float32 CSR (never densified), or None if the features'
    width is not the head's."""
    blocks = [first] + [features(X[r0:r0 + _CHUNK_ROWS]) for r0 in range(_CHUNK_ROWS, X.shape[0], _CHUNK_ROWS)]
    if any(b.shape[1] != d for b in blocks):
        return None
    Z = sp.vstack([sp.csr_matrix(b) for b in blocks], format="csr")
    ones = sp.csr_matrix(np.ones((Z.shape[0], 1), dtype=np.float32))
    return sp.hstack([Z, ones], format="csr", dtype=np.float32)


def _row_products(F):
    """(‖f_i‖² for every row as float32, a function i -> (f_i·f_j for every row j) as float32) of dense or CSR ``F``."""
    if sp.issparse(F):
        F = sp.csr_matrix(F, dtype=np.float32)
        f_sq = np.asarray(F.multiply(F).sum(axis=1), dtype=np.float32).ravel()
        row = np.zeros(F.shape[1], dtype=np.float32)

        def dots(i):
            a, b = F.indptr[i], F.indptr[i + 1]
            row[:] = 0.0
            row[F.indices[a:b]] = F.data[a:b]
            return np.asarray(F @ row, dtype=np.float32)
        return f_sq, dots
    FT = np.ascontiguousarray(np.asarray(F, dtype=np.float32).T)   # feature-major: one streaming pass per pick
    return np.einsum("ji,ji->i", FT, FT), lambda i: FT[:, i] @ FT


def badge_sampling(A: np.ndarray, F, n: int, labeled: np.ndarray, rng: np.random.Generator):
    """k-means++ seeding over ``g_i = A[i] ⊗ F[i]``, never picking ``labeled``. The first pick is the largest
    gradient (ties by ``rng``), each next one drawn with probability ∝ its squared distance to the nearest pick.
    Returns (indices, gradient norm of each pick, distance of each pick to the nearest earlier pick)."""
    with one_blas_thread():
        return _badge_sampling(A, F, n, labeled, rng)


def _badge_sampling(A, F, n, labeled, rng):
    A = np.asarray(A, dtype=np.float32)
    f_sq, f_dots = _row_products(F)
    AT = np.ascontiguousarray(A.T)
    a_sq = np.einsum("ij,ij->i", A, A)
    g_sq = (a_sq * f_sq).astype(np.float32)                          # ‖g_i‖²
    taken = np.zeros(A.shape[0], dtype=bool)
    taken[labeled] = True
    d2 = np.full(A.shape[0], np.inf, dtype=np.float32)
    d2[taken] = -np.inf
    picks = np.empty(n, dtype=np.intp)
    seen = np.empty(n, dtype=np.float64)
    scratch = np.empty(A.shape[0], dtype=np.float32)
    for t in range(n):
        if t == 0:
            masked = np.where(taken, -np.inf, g_sq)
            i = argmax_random_ties(masked, rng)
            seen[t] = np.inf
        else:
            w = np.maximum(d2, 0.0).astype(np.float64)
            total = w.sum()
            if not np.isfinite(total) or total <= 0:   # only copies of picks left: uniform over what is free
                w = (~taken).astype(np.float64)
                total = w.sum()
            i = int(rng.choice(w.size, p=w / total))
            seen[t] = float(np.sqrt(max(d2[i], 0.0)))
        picks[t] = i
        taken[i] = True
        # ‖g_j − g_i‖² = ‖g_j‖² + ‖g_i‖² − 2 (a_j·a_i)(f_j·f_i), for every j in one pass over each factor
        np.multiply(A[i] @ AT, f_dots(i), out=scratch)
        scratch *= np.float32(-2.0)
        scratch += g_sq
        scratch += g_sq[i]
        np.maximum(scratch, 0.0, out=scratch)
        np.minimum(d2, scratch, out=d2)
        d2[taken] = -np.inf
    return picks, np.sqrt(g_sq[picks].astype(np.float64)), seen


def badge(proba, X, n: int, labeled=None, random_state=None, return_components: bool = False):
    """BADGE picks from class probabilities ``proba`` (n, k) and an embedding ``X`` (n, d) of the pool: k-means++
    seeding on ``(p − onehot(argmax p)) ⊗ x`` (x: ``X`` centred, as float32). Returns pool positions, best first
    (the largest gradient first); with ``return_components`` also a dict of each pick's ``gradient`` norm and its
    ``diversity`` (gradient-space distance to the nearest earlier pick).

    For the exact last-layer gradients of a fitted linear model use ``gradient_factors`` and ``badge_sampling``
    (what the learner's "badge" strategy does)."""
    p = check_proba(proba)
    E, labeled, n = check_scored_pool(p.shape[0], X, labeled, n)
    A = pseudo_label_residual(p)
    idx, norms, dist = badge_sampling(A, E, n, labeled, check_random_state(random_state))
    if return_components:
        return idx, {"gradient": norms, "diversity": dist}
    return idx


class Badge(Strategy):
    """BADGE: k-means++ seeding on gradient embeddings (exact last-layer gradients for a linear model; the pool's
    diversity embedding as ``f`` for any other model).

    Kernel: ``pool.kernels["badge"](pool, model, classes, n, labeled, rng) -> (idx, gradient norms, distances)``
    (the Dask pool: the gradient factors kept per chunk, one reduction per pick); else ``gradient_factors`` over
    ``pool.X`` and ``badge_sampling``.
    """

    name = "badge"

    def select(self, pool, ask):
        kernel = pool.kernels.get("badge")
        if kernel is not None:
            idx, norms, dist = kernel(pool, ask.model, ask.classes, ask.n, ask.labeled, ask.rng)
        else:
            A, F, _ = gradient_factors(ask.model, pool.X, np.asarray(pool.proba(ask.model, ask.classes)),
                                       embedding=np.asarray(pool.embedding))
            idx, norms, dist = badge_sampling(A, F, ask.n, np.asarray(ask.labeled, dtype=np.intp), ask.rng)
        norms = np.asarray(norms, dtype=np.float64)
        return Selection(idx, norms, {"uncertainty": norms, "diversity": np.asarray(dist, dtype=np.float64)})
