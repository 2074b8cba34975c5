"""UMAP's SGD layout step as one numba function, compiled once and cached on disk (``cache=True``): a new kernel
loads it (a fraction of a second) instead of compiling it. Kept apart from :mod:`activelens.widgets.umap_layout` so the
kNN graph can be built while numba is still being imported in another thread."""
import numba   # comes with umap-learn
import numpy as np  # noqa: F401 - used inside the jitted function


@numba.njit(fastmath=True, cache=True, nogil=True)
def sgd(emb, head, tail, epochs_per_sample, next_sample, next_negative, a, b, first, last, n_epochs,
        negative_rate, rng):
    """UMAP's optimize_layout_euclidean (move_other, gamma=1, learning rate 1) on a 2-D float64 ``emb``, in place,
    for epochs ``first`` to ``last - 1`` of ``n_epochs`` (the sampling state ``next_sample``, ``next_negative`` and
    the xorshift state ``rng`` (uint64, 1 element, non-zero) carry over between calls). One power per pair: the
    attractive gradient's d2**(b-1) is d2**b / d2."""
    n_vertices = emb.shape[0]
    n_edges = head.shape[0]
    state = rng[0]
    for n in range(first, last):
        alpha = 1.0 - n / n_epochs
        for i in range(n_edges):
            if next_sample[i] > n:
                continue
            j = head[i]
            k = tail[i]
            xj = emb[j, 0]
            yj = emb[j, 1]
            dx = xj - emb[k, 0]
            dy = yj - emb[k, 1]
            d2 = dx * dx + dy * dy
            if d2 > 0.0:
                pb = d2 ** b
                coeff = -2.0 * a * b * (pb / d2) / (a * pb + 1.0)
                gx = min(4.0, max(-4.0, coeff * dx)) * alpha
                gy = min(4.0, max(-4.0, coeff * dy)) * alpha
                xj += gx
                yj += gy
                emb[k, 0] -= gx
                emb[k, 1] -= gy
            next_sample[i] += epochs_per_sample[i]
            per_negative = epochs_per_sample[i] / negative_rate
            n_neg = int((n - next_negative[i]) / per_negative)
            for _ in range(n_neg):
                state ^= state << numba.uint64(13)
                state ^= state >> numba.uint64(7)
                state ^= state << numba.uint64(17)
                k = numba.int64(state % numba.uint64(n_vertices))
                if k == j:
                    continue
                dx = xj - emb[k, 0]
                dy = yj - emb[k, 1]
                d2 = dx * dx + dy * dy
                if d2 <= 0.0:
                    continue
                coeff = 2.0 * b / ((0.001 + d2) * (a * d2 ** b + 1.0))
                xj += min(4.0, max(-4.0, coeff * dx)) * alpha
                yj += min(4.0, max(-4.0, coeff * dy)) * alpha
            emb[j, 0] = xj
            emb[j, 1] = yj
            next_negative[i] += n_neg * per_negative
    rng[0] = state
    return emb
