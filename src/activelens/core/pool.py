"""The ``Pool`` protocol: everything the learner, the strategies, the store and the Explorer ask of the unlabeled pool.

A pool is chosen once, where the learner is built (``activelens.backends.make_pool``), the way scikit-learn's
neighbors choose their algorithm once at ``fit``. Nobody downstream asks which backend it is: they call these methods.
Implementations:

* ``activelens.backends.memory.InMemoryPool`` — a numpy array in this process;
* the distributed backend's pool (``activelens.backends``) — scored and searched chunk by chunk where the rows live;
* ``activelens.backends.sparse.SparsePool`` — a scipy.sparse matrix, rows kept sparse, diversity on its SVD.

A new backend (sparse matrices, a memory-mapped file, another engine) is one new module implementing this class and
one line in ``activelens.backends.make_pool``.

Conventions
-----------
* Positions are always int64/intp positions in the pool as the user passed it.
* ``rng`` is a ``numpy.random.Generator``; a method that fails part-way puts it back (see ``rng_restored``), so a
  failed query leaves no trace.
* Arrays that come back to the caller are numpy; ``proba`` and ``scores`` may be lazy (``numpy.asarray`` computes).
"""
from __future__ import annotations

import abc
import contextlib

import numpy as np


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
        A short name of the backend, for messages and the store's records ("memory", or the name of a distributed backend).
    """

    kind: str = "abstract"
    X = None

    # ----- shape and rows -----
    @property
    def n_rows(self) -> int:
        return int(self.X.shape[0])

    @property
    def n_features(self) -> int:
        return int(self.X.shape[1])

    @property
    def local_array(self):
        """The whole pool as a numpy array when its rows live in this process, else None (then read rows through
        ``rows`` and whole passes through the methods below)."""
        return None

    @property
    def map_array(self):
        """A dense (n_rows, d) numpy array the Explorer projects to draw the whole pool, or None (then it draws a
        sample through ``rows``). Default: ``local_array``; a sparse pool answers its diversity embedding."""
        return self.local_array

    @abc.abstractmethod
    def rows(self, idx) -> np.ndarray:
        """(len(idx), n_features) numpy rows at positions ``idx``."""

    @abc.abstractmethod
    def apply_rows(self, positions, width: int, func, *args) -> np.ndarray:
        """``func(rows, *args) -> (len(rows), width) float32`` over the rows at sorted ``positions``, run where the
        rows live; (len(positions), width) float32 in ``positions`` order."""

    # ----- the model's view -----
    @abc.abstractmethod
    def proba(self, model, classes):
        """(n_rows, n_classes) class probabilities under ``model``, padded to ``classes`` (may be lazy)."""

    @abc.abstractmethod
    def scores(self, model, classes, measure: str):
        """(n_rows,) uncertainty ``measure`` ("entropy", "margin", "least_confidence") of every row (may be lazy)."""

    @abc.abstractmethod
    def pretrained_scores(self, scorer, measure: str) -> np.ndarray:
        """(n_rows,) uncertainty of a pretrained scorer (a fitted model or a callable X -> proba) over the pool."""

    # ----- the diversity embedding -----
    @property
    @abc.abstractmethod
    def embedding(self):
        """The space diversity is measured in, computed once (an (n_rows, d) array for an in-memory pool)."""

    @abc.abstractmethod
    def distance_to_labeled(self, idx, labeled, rows=None) -> np.ndarray:
        """(len(idx),) float64 distance from each item to its nearest labeled item in the embedding (NaN if none
        is labeled). ``rows`` (optional) are the pool rows at ``idx`` when the caller has them already."""

    # ----- selection loops -----
    @abc.abstractmethod
    def top_n(self, scores, n: int, rng, exclude=None):
        """(idx, scores at idx, rows at idx or None): the ``n`` highest scores, ties broken by ``rng``."""

    @abc.abstractmethod
    def farthest_first(self, n: int, labeled, rng):
        """(idx, distances): k-center greedy picks in the embedding, away from ``labeled``."""

    @abc.abstractmethod
    def d2_sampling(self, n: int, labeled, rng) -> np.ndarray:
        """k-means++ seeding picks in the embedding, away from ``labeled``."""

    @abc.abstractmethod
    def typiclust(self, n: int, labeled, rng) -> np.ndarray:
        """TypiClust picks: the most typical item of the largest clusters with no labeled item."""

    @abc.abstractmethod
    def greedy_blend(self, uncertainty, n: int, labeled, weight: float, rng):
        """(idx, blended, uncertainty part, diversity part): the greedy uncertainty × diversity blend."""

    @abc.abstractmethod
    def cluster_margin(self, model, classes, n: int, labeled, rng):
        """(idx, margins at idx, cluster id at idx): Cluster-Margin over clusters of the embedding (fitted once)."""

    # ----- loops a backend may lack (then its ``supported_strategies`` leaves out the strategies that use them) -----
    def badge(self, model, classes, n: int, labeled, rng):
        """(idx, gradient norm at idx, gradient distance of each pick to the earlier ones): BADGE's k-means++ seeding
        on the gradient embeddings ``(p − onehot(ŷ)) ⊗ f`` (``activelens.strategies.badge``)."""
        raise NotImplementedError(f"BADGE is not implemented on this {self.kind} pool")

    def committee_scores(self, models, classes, disagreement: str) -> np.ndarray:
        """(n_rows,) disagreement ("vote_entropy" or "kl") of fitted ``models`` over the pool, their probabilities
        padded to ``classes`` (``activelens.strategies.committee``)."""
        raise NotImplementedError(f"query-by-committee is not implemented on this {self.kind} pool")

    def spread_top(self, scores, n: int, labeled, factor: float, rng):
        """(idx, scores at idx): the ``factor·n`` highest ``scores`` clustered by a score-weighted k-means in the
        embedding, the item nearest each centre (``activelens.strategies.combined.spread_top``)."""
        raise NotImplementedError(f"the k-means spread of the top scores is not implemented on this {self.kind} pool")

    def blend_is_affordable(self, n: int) -> bool:
        """Whether the greedy blend of ``n`` picks is cheap enough here; a backend where each pick costs a pass
        over the pool answers False for large batches and the "combined" strategy uses Cluster-Margin instead."""
        return True

    # ----- content hashes (the label store's fingerprint) -----
    @abc.abstractmethod
    def hashes(self, idx) -> list[str]:
        """Content hashes (``activelens.core.fingerprint.row_hashes``) of the rows at ``idx``."""

    @abc.abstractmethod
    def all_hashes(self) -> list[str]:
        """Content hashes of every row, in pool order."""

    @abc.abstractmethod
    def digest(self) -> np.ndarray:
        """(4,) uint64 summed digest of every row (``activelens.core.fingerprint.pool_digest_block``), one pass."""

    # ----- the map of a large pool -----
    def map_sample(self, n_max: int, always, rng) -> np.ndarray:
        """Sorted positions of about ``n_max`` rows to draw on a map (every row of ``always`` among them), keeping
        rare regions. Default: every row if it fits, else a uniform sample."""
        if self.n_rows <= n_max:
            return np.arange(self.n_rows, dtype=np.int64)
        always = np.unique(np.asarray([] if always is None else always, dtype=np.int64))
        rest = np.setdiff1d(np.arange(self.n_rows, dtype=np.int64), always, assume_unique=True)
        take = rng.choice(rest, size=max(0, min(rest.size, n_max - always.size)), replace=False)
        return np.sort(np.concatenate([always, take])).astype(np.int64)

    # ----- lifecycle -----
    def forget_cached(self) -> None:
        """Drop what lives on the backend and can be rebuilt (e.g. after a reconnect)."""

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.n_rows} x {self.n_features})"
