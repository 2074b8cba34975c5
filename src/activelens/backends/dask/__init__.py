"""The Dask backend: a pool past one machine, scored and searched chunk by chunk on the workers.

``ActiveLearner(estimator, X)`` comes here when X is a ``dask.array`` (or a dask DataFrame): ``make`` builds a
``DaskPool``. Nothing pulls the pool to the client: the model goes to the workers once per round, every chunk is
scored where it lives (``map_blocks``), and only small things come back — per-chunk top candidates, per-chunk maxima,
the rows of the labeled items. Labeled positions stay a small numpy array on the client.

Same data, same seed, same results as the in-memory path: every random draw (tie-breaking keys, the first k-center
pick, k-means++'s D² draws, cluster seeds) happens on the client from the learner's generator, in the same order and
number as in memory, on the same candidates. Where this can not be bitwise:

* diversity (k_center, kmeans_pp, combined, badge, the pretrained cold start) runs the in-memory float32 arithmetic chunk
  by chunk; a matrix-vector product over a chunk may round differently from one over the whole pool, so a distance
  can differ in the last bit and picks only differ on a near-exact tie. kmeans_pp draws as ``rng.choice(p=d²/Σd²)``
  does (badge too, on gradient distances), summing per chunk: a pick differs only if the draw falls within rounding
  of a boundary.
* up to ``rows.SAMPLE_ROWS`` pool rows the pool is a sample itself and its embedding is computed by the in-memory
  code on the client; past it the embedding's statistics, Cluster-Margin's clusters and TypiClust's clusters and
  typicality are fitted on one seeded sample rather than the whole pool — the point at scale, with no in-memory
  counterpart to agree with (Cluster-Margin's uncertainty candidates still agree exactly).

Modules, one concept each (lower ones import none above them)::

    detect.py      recognising a dask collection without importing dask
    compute.py     ClusterError; compute, persist, broadcast; ChunkRunner (per-chunk tasks of a loop); offsets
    memmap.py      MemmapRows, from_memmap: a raw file on disk read per chunk by the workers
    rows.py        check_dask_pool, gather_rows, apply_rows, map_rows, the seeded sample (SAMPLE_ROWS)
    hashing.py     the label store's row hashes and pool digest, computed per chunk
    scoring.py     probabilities, uncertainty scores, a pretrained scorer's scores, per chunk
    select.py      top-n: a partial sort per chunk, one reduce on the client
    embedding.py   Embedding, dask_embedding: the space diversity is measured in
    nearest.py     DaskNearestDistance: each row's distance to its nearest centre, kept on the workers
    diversity.py   k-center, the greedy blend, k-means++ seeding, TypiClust
    clusters.py    Cluster-Margin: clusters fitted on a sample, assigned per chunk
    spread.py      margin spread by k-means: the top candidates per chunk, the weighted k-means on the client
    badge.py       BADGE: gradient factors kept per chunk, k-means++ seeding over them pick by pick
    map_sample.py  which rows the map of a large pool draws, balanced over k-means groups
    pool.py        DaskPool: the Pool protocol on all of the above, and KERNELS: the strategies' loops the Dask way

Importing this package does not import dask; ``make`` and the names below load it when first used.
"""
from __future__ import annotations

import importlib

from activelens.backends.dask.detect import accepts

#: public name -> the module that defines it
_PUBLIC = {
    "DaskPool": "pool",
    "ClusterError": "compute",
    "from_memmap": "memmap",
    "MemmapRows": "memmap",
    "check_dask_pool": "rows",
}


def make(X, *, client=None, embeddings=None, random_state=None):
    """The pool for ``X``; ``activelens.backends.make_pool`` calls it when ``accepts(X)``.

    Parameters
    ----------
    X : dask.array.Array or dask.dataframe.DataFrame of shape (n_rows, n_features)
    client : distributed.Client, optional
    embeddings : ndarray or dask.array.Array of shape (n_rows, d), optional
    random_state : int, Generator or None

    Returns
    -------
    DaskPool
    """
    from activelens.backends.dask.pool import DaskPool

    return DaskPool(X, client=client, embeddings=embeddings, random_state=random_state)


def __getattr__(name):   # from activelens.backends.dask import DaskPool, from_memmap, ClusterError, ...
    if name not in _PUBLIC:
        raise AttributeError(f"module 'activelens.backends.dask' has no attribute {name!r}")
    return getattr(importlib.import_module(f"activelens.backends.dask.{_PUBLIC[name]}"), name)


def __dir__():
    return sorted(list(globals()) + list(_PUBLIC))


__all__ = ["accepts", "make", *_PUBLIC]
