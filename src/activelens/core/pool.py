"""The ``Pool`` protocol: the building blocks the strategies, the learner, the store and the Explorer ask of the pool.

A pool is chosen once, where the learner is built (``activelens.backends.make_pool``), the way scikit-learn's
neighbors choose their algorithm once at ``fit``. Nobody downstream asks which backend it is: they call these members.
Implementations:

* ``activelens.backends.memory.InMemoryPool`` — a numpy array in this process;
* ``activelens.backends.sparse.SparsePool`` — a scipy.sparse matrix, rows kept sparse, diversity on its SVD;
* ``activelens.backends.dask.DaskPool`` — scored and searched chunk by chunk where the rows live.

The protocol is narrow on purpose: building blocks, not strategies. A strategy (``activelens.strategies``) is composed
from them, so a new strategy runs on every backend without backend code. Where a backend runs a strategy's loop much
faster its own way (the Dask pool's k-center, k-means++, BADGE, ... one reduction per pick on the workers), it offers
that loop in ``kernels`` under a name the strategy's class documents; the strategy uses it when present.

Members (``PROTOCOL``; a test keeps them at most 15). Plain attributes, fixed at construction: ``X``, ``kind``,
``n_rows``, ``n_features``, ``local_array``.

Conventions
-----------
* Positions are always int64/intp positions in the pool as the user passed it.
* ``rng`` is a ``numpy.random.Generator``; a method that fails part-way puts it back (see ``rng_restored``), so a
  failed query leaves no trace.
* Arrays that come back to the caller are numpy unless said "may be lazy" (then ``numpy.asarray`` computes them,
  and the pool's ``top_n`` takes them as they are).
"""
from __future__ import annotations

import abc
import contextlib
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Callable, Mapping

import numpy as np
from numpy.typing import ArrayLike


class PoolError(RuntimeError):
    """The pool's backend failed during a round (a worker died, the scheduler went away); nothing was recorded."""


@contextlib.contextmanager
def rng_restored(rng: np.random.Generator):
    """Put ``rng`` back to where it was if the block raises: a failed round draws nothing."""
    state = rng.bit_generator.state
    try:
        yield rng
    except BaseException:
        rng.bit_generator.state = state
        raise


class Pool(abc.ABC):
    """The unlabeled pool behind an ``ActiveLearner``.

    Attributes
    ----------
    X : array-like of shape (n_rows, n_features)
        The pool as checked at construction (what ``learner.X`` returns).
    kind : str
        A short name of the backend, for messages and the store's records ("memory", "sparse", "dask").
    n_rows, n_features : int
        The pool's shape.
    local_array : ndarray of shape (n_rows, n_features) or None
        The whole pool as a numpy array when its rows live in this process as one (the store may keep a copy), else
        None (then rows are read through ``rows`` and whole passes through ``apply_rows``).
    kernels : Mapping of str to callable
        Specialised loops this backend runs faster than the strategies' composition of the building blocks, by the
        name a strategy class documents (``kernels["k_center"](pool, n, labeled, rng)``); empty by default.
    """

    kind: str = "abstract"
    X: Any = None
    n_rows: int = 0
    n_features: int = 0
    if TYPE_CHECKING:   # a plain attribute here; a backend may make it a read-only property
        @property
        def local_array(self) -> np.ndarray | None: ...
    else:
        local_array = None
    kernels: Mapping[str, Callable[..., Any]] = MappingProxyType({})

    # ----- rows, and maps over them where they live -----
    @abc.abstractmethod
    def rows(self, idx: ArrayLike) -> Any:
        """(len(idx), n_features) rows at positions ``idx`` (numpy; CSR for a sparse pool)."""

    @abc.abstractmethod
    def apply_rows(self, positions: ArrayLike | None, width: int, func: Callable[..., Any], *args: Any) -> Any:
        """``func(rows, *args) -> (len(rows), width)`` run chunk by chunk where the rows live.

        ``positions`` sorted positions: a (len(positions), width) float32 numpy array, in ``positions`` order.
        ``positions=None``: every row, (n_rows, width) float64, may be lazy (the chunked map the strategies build
        on: take ``[:, 0]`` for a score per row, reduce it with numpy).
        """

    # ----- the model's view -----
    @abc.abstractmethod
    def proba(self, model: Any, classes: ArrayLike) -> Any:
        """(n_rows, n_classes) class probabilities under ``model``, padded to ``classes`` (may be lazy)."""

    @abc.abstractmethod
    def scores(self, model: Any, classes: ArrayLike, measure: str | Callable[..., Any]) -> Any:
        """(n_rows,) uncertainty ``measure`` (a name of ``UNCERTAINTY_MEASURES`` or a callable proba -> scores) of
        every row (may be lazy)."""

    @abc.abstractmethod
    def top_n(self, scores: Any, n: int, rng: np.random.Generator,
              exclude: ArrayLike | None = None) -> tuple[np.ndarray, np.ndarray, Any]:
        """(idx, scores at idx, rows at idx or None): the ``n`` highest ``scores`` (as ``scores``/``apply_rows``
        return them), best first, ties broken by ``rng``, never a position in ``exclude``."""

    @abc.abstractmethod
    def sample(self, weights: Any, n: int, rng: np.random.Generator) -> np.ndarray:
        """``n`` distinct positions drawn with probability proportional to ``weights`` ((n_rows,), >= 0, may be
        lazy), as ``rng.choice(n_rows, n, replace=False, p=weights / weights.sum())`` draws them."""

    # ----- the diversity embedding -----
    @property
    @abc.abstractmethod
    def embedding(self) -> Any:
        """(n_rows, d) float32 array (numpy, or lazy) diversity is measured in, computed once."""

    @abc.abstractmethod
    def distance_to_labeled(self, idx: ArrayLike | None, labeled: ArrayLike, rows: Any = None) -> np.ndarray:
        """float64 distance from each item at ``idx`` to its nearest item of ``labeled`` in the embedding (NaN if
        ``labeled`` is empty). ``idx=None``: every row, (n_rows,) (may be lazy) — k-center's and k-means++'s update
        is ``numpy.minimum(d, pool.distance_to_labeled(None, [pick]))``. ``rows`` (optional) are the pool rows at
        ``idx`` when the caller has them already."""

    # ----- content hashes (the label store's fingerprint) -----
    @abc.abstractmethod
    def hashes(self, idx: ArrayLike) -> list[str]:
        """Content hashes (``activelens.core.fingerprint.row_hashes``) of the rows at ``idx``."""

    @abc.abstractmethod
    def all_hashes(self) -> list[str]:
        """Content hashes of every row, in pool order."""

    @abc.abstractmethod
    def digest(self) -> np.ndarray:
        """(4,) uint64 summed digest of every row (``activelens.core.fingerprint.pool_digest_block``), one pass."""

    # ----- the map -----
    @property
    def map_array(self) -> np.ndarray | None:
        """A dense (n_rows, d) numpy array the Explorer projects to draw the whole pool, or None (then it draws
        ``map_sample``'s rows through ``apply_rows``). Default: ``local_array``."""
        return self.local_array

    def map_sample(self, n_max: int, always: ArrayLike | None, rng: np.random.Generator) -> np.ndarray:
        """Sorted positions of about ``n_max`` rows to draw on a map (every row of ``always`` among them), keeping
        rare regions. Default: every row if it fits, else a uniform sample."""
        if self.n_rows <= n_max:
            return np.arange(self.n_rows, dtype=np.int64)
        always = np.unique(np.asarray([] if always is None else always, dtype=np.int64))
        rest = np.setdiff1d(np.arange(self.n_rows, dtype=np.int64), always, assume_unique=True)
        take = rng.choice(rest, size=max(0, min(rest.size, n_max - always.size)), replace=False)
        return np.sort(np.concatenate([always, take])).astype(np.int64)

    # ----- where it runs -----
    @property
    def client(self) -> Any:
        """The compute client a distributed pool runs on; None for a pool in this process. Set it to carry on with
        a new client after a cluster was lost (what lived on the old one is rebuilt when next needed); a pool in
        this process refuses."""
        return None

    @client.setter
    def client(self, client: Any) -> None:
        raise ValueError(f"client is for a distributed pool; this learner's pool is in memory (a {self.kind} pool in "
                         "this process). Pass a dask array as X for a pool on a cluster")

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.n_rows} x {self.n_features})"


#: every member of the protocol: the plain attributes, then the methods and properties (at most 15 of these)
ATTRIBUTES = ("X", "kind", "n_rows", "n_features", "local_array")
PROTOCOL = ("rows", "apply_rows", "proba", "scores", "top_n", "sample", "embedding", "distance_to_labeled",
            "hashes", "all_hashes", "digest", "map_array", "map_sample", "client", "kernels")
