"""BADGE on a Dask pool: the gradient embeddings' two factors built and kept per chunk on the workers, then
k-means++ seeding over them pick by pick, the in-memory ``strategies.badge.badge_sampling`` chunk by chunk.

An item's gradient embedding is ``g = a ⊗ f`` (``a = p − onehot(ŷ)``, ``f`` the linear head's input with a 1, or the
diversity embedding for another model); ``‖g_j − g_i‖² = ‖g_j‖² + ‖g_i‖² − 2 (a_j·a_i)(f_j·f_i)``, so a pick's update
is two matrix-vector products per chunk and the embedding is never built. Per pick: one small reduction (each
chunk's sum of D² weights), one task on the chunk the draw falls in (it sends back the pick's factors), and one
chunk-wise update. The random draws are the in-memory ones, from the caller's generator, in the same order and
number: the first pick is the largest gradient (ties by ``rng.choice``), each next one ``rng.choice(p=d²/Σd²)`` done
as one ``rng.random()`` and a walk over the per-chunk sums, as ``diversity.dask_kmeans_pp`` does.
"""
from __future__ import annotations

import dask
import numpy as np

from activelens.backends.dask.compute import ChunkRunner, blocks, broadcast, default_client, local_positions, offsets
from activelens.backends.dask.nearest import merge_row_chunks, pick_chunk_rows, weighted_chunk
from activelens.core.model import padded_proba
from activelens.strategies.badge import gradient_factors, is_linear_head, last_layer


def _factors_block(x, e, offset, model, classes, labeled):
    """A chunk's state: the gradient factors ``A`` (m, k) and ``F`` (m, d) as float32, ``‖g‖²`` (m,), and the D²
    vector (inf on free rows, -inf on labeled ones)."""
    A, F, _ = gradient_factors(model, np.asarray(x), padded_proba(model, np.asarray(x), classes), embedding=e)
    A = np.ascontiguousarray(A, dtype=np.float32)
    F = np.ascontiguousarray(F.toarray() if hasattr(F, "toarray") else F, dtype=np.float32)   # one chunk
    g_sq = (np.einsum("ij,ij->i", A, A) * np.einsum("ij,ij->i", F, F)).astype(np.float32)
    d2 = np.full(A.shape[0], np.inf, dtype=np.float32)
    d2[local_positions(labeled, offset, offset + A.shape[0])] = -np.inf
    return {"A": A, "F": F, "g_sq": g_sq, "d2": d2, "offset": int(offset)}


def _largest_gradient(state):
    """This chunk's largest ‖g‖² over its free rows and the pool positions holding it (-inf if none is free)."""
    masked = np.where(state["d2"] > -np.inf, state["g_sq"], -np.inf)
    best = masked.max() if masked.size else -np.inf
    return float(best), state["offset"] + np.flatnonzero(masked == best).astype(np.int64)


def _pick_factors(state, local):
    """The factors, ‖g‖² and current D² of the chunk's row ``local``."""
    return state["A"][local].copy(), state["F"][local].copy(), float(state["g_sq"][local]), float(state["d2"][local])


def _weights(d2, uniform):
    """The in-memory draw's weights: max(d², 0) as float64, or 1 on every free row for the uniform draw."""
    if uniform:
        return (d2 > -np.inf).astype(np.float64)
    return np.maximum(d2, 0.0).astype(np.float64)


def _chunk_sums(state):
    """(sum of this chunk's D² weights, its number of free rows)."""
    d2 = state["d2"]
    return float(_weights(d2, False).sum()), int((d2 > -np.inf).sum())


def _chunk_draw(state, target, uniform):
    """The chunk's row where the running sum of weights first passes ``target``, as a pool position, and its factors."""
    w = _weights(state["d2"], uniform)
    i = int(np.searchsorted(np.cumsum(w), target, side="right"))
    if i >= w.size:   # the chunk's sum rounded a hair above its cumulative sum: its last row that can be drawn
        i = int(np.flatnonzero(w > 0)[-1])
    return (state["offset"] + i,) + _pick_factors(state, i)


def _update_block(state, a, f, g_sq_i, pick):
    """Every row's D² drops to its gradient distance to the pick (the in-memory arithmetic); picked rows -> -inf."""
    d2 = state["d2"]
    scratch = np.multiply(state["A"] @ a, state["F"] @ f)
    scratch *= np.float32(-2.0)
    scratch += state["g_sq"]
    scratch += np.float32(g_sq_i)
    np.maximum(scratch, 0.0, out=scratch)
    new = np.minimum(d2, scratch)
    new[d2 == -np.inf] = -np.inf
    local = pick - state["offset"]
    if 0 <= local < new.size:
        new[local] = -np.inf
    return {**state, "d2": new.astype(np.float32, copy=False)}


def dask_badge(X, model, classes, n: int, labeled, rng: np.random.Generator, embedding=None, client=None,
               min_chunk_rows: int | None = None):
    """``strategies.badge`` (k-means++ seeding on gradient embeddings) on a dask pool: the in-memory picks for the
    same generator, up to float rounding (a pick differs only if a draw falls within rounding of a boundary).

    Parameters
    ----------
    X : dask.array.Array of shape (n_rows, n_features)
        The checked pool.
    model : fitted classifier with ``predict_proba``
        A linear last step (``coef_``) gives exact last-layer gradients; any other model uses ``embedding``.
    classes : array-like of shape (n_classes,)
        The classes the probabilities are padded to.
    n : int
        Items to pick.
    labeled : array-like of int, shape (m,), or None
        Positions never picked.
    rng : numpy.random.Generator
        The first pick's ties and one ``rng.random()`` per later pick.
    embedding : dask.array.Array of float32, shape (n_rows, d), optional
        The prepared diversity embedding, chunked like X; required when the model has no linear last step.
    client : distributed.Client, optional
    min_chunk_rows : int, optional
        Adjacent chunks are merged to at least this many rows (default as ``nearest.DaskNearestDistance``).

    Returns
    -------
    indices : ndarray of intp, shape (n,)
    norms : ndarray of float64, shape (n,)
        Each pick's gradient norm.
    distances : ndarray of float64, shape (n,)
        Each pick's gradient distance to the nearest earlier pick when picked (inf for the first).

    Raises
    ------
    ValueError
        Fewer than ``n`` rows can be picked, or the model has no linear last step and no embedding is given.
    """
    client = client if client is not None else default_client()
    labeled = np.unique(np.asarray([] if labeled is None else labeled, dtype=np.int64))
    run = ChunkRunner(client)
    state, starts = _factor_state(run, X, model, classes, labeled, embedding, min_chunk_rows)
    picks = np.empty(n, dtype=np.intp)
    norms = np.empty(n, dtype=np.float64)
    seen = np.empty(n, dtype=np.float64)
    for t in range(n):
        if t == 0:
            i, a, f, g_sq_i = _first_pick(run, state, starts, n, rng)
            seen[t] = np.inf
        else:
            i, a, f, g_sq_i, d2_i = _next_pick(run, state, n, t, rng)
            seen[t] = float(np.sqrt(max(d2_i, 0.0)))
        picks[t], norms[t] = i, np.sqrt(np.float64(g_sq_i))
        if t + 1 < n:
            state = run.map(_update_block, state, a=a, f=f, g_sq_i=g_sq_i, pick=int(i))
    return picks, norms, seen


def _factor_state(run, X, model, classes, labeled, embedding, min_chunk_rows):
    """The per-chunk gradient factors kept on the workers, and the chunks' first positions."""
    linear = is_linear_head(last_layer(model)[1])
    if not linear and embedding is None:
        raise ValueError("the model has no linear last layer, so BADGE needs an embedding of the pool")
    rows = pick_chunk_rows(int(X.shape[0]), run.client) if min_chunk_rows is None else int(min_chunk_rows)
    Xm = merge_row_chunks(X, rows)
    starts = offsets(Xm.chunks[0])[:-1]
    x_blocks = blocks(Xm)
    if linear:   # a linear last step reads its own features
        e_blocks = [None] * len(x_blocks)
    else:
        e_blocks = blocks(embedding.rechunk((Xm.chunks[0], embedding.shape[1])))
    model_d, classes = broadcast(model), np.asarray(classes)
    state = run.keep([dask.delayed(_factors_block)(xb, eb, int(o), model_d, classes, labeled)
                      for xb, eb, o in zip(x_blocks, e_blocks, starts)])
    return state, starts


def _first_pick(run, state, starts, n, rng):
    """The largest gradient (ties by ``rng``): (position, its factors a and f, its squared norm)."""
    got = run.gather(run.map(_largest_gradient, state))
    best = max(g[0] for g in got)
    if not np.isfinite(best):
        raise ValueError(f"asked for {n} items but only 0 can be chosen")
    ties = np.concatenate([g[1] for g in got if g[0] == best])
    i = int(ties[0] if ties.size == 1 else rng.choice(ties))
    c = int(np.searchsorted(starts, i, side="right") - 1)
    (a, f, g_sq_i, _), = run.gather(run.map(_pick_factors, [state[c]], local=i - int(starts[c])))
    return i, a, f, g_sq_i


def _next_pick(run, state, n, t, rng):
    """A D² draw over the per-chunk sums, then one task in the chosen chunk: (position, a, f, squared norm, D²)."""
    got = run.gather(run.map(_chunk_sums, state))
    sums = np.array([g[0] for g in got])
    total = sums.sum()
    uniform = not np.isfinite(total) or total <= 0
    if uniform:   # only copies of picks left: uniform over what is free, as in memory
        sums = np.array([g[1] for g in got], dtype=np.float64)
        total = sums.sum()
    if total <= 0:
        raise ValueError(f"asked for {n} items but only {t} can be chosen")
    c, rest = weighted_chunk(sums, rng)
    (i, a, f, g_sq_i, d2_i), = run.gather(run.map(_chunk_draw, [state[c]], target=rest, uniform=uniform))
    return i, a, f, g_sq_i, d2_i
