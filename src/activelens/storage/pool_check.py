"""Binding a store to its pool: the fingerprint a new store records, and the check a reopened store makes.

A new store records the pool's fingerprint (row and feature counts, an order-sensitive and an order-free digest of every
row's content hash) and the hashes of a seeded sample of ``SAMPLE_ROWS`` rows. Reopening checks the counts, every
labeled row against the content hash stored with its label, and the sampled rows: no pass over the pool
(``verify="sample"``); or hashes the whole pool again (``verify="full"``). The hashing primitives are in
``activelens.core.fingerprint``; each backend hashes where its rows live, only hashes and digests come back.
"""
from __future__ import annotations

import json
from typing import Sequence

import numpy as np

from activelens.core.fingerprint import (FINGERPRINT_VERSION, digest_words, fingerprint_from_digest, hash_words,
                                         pool_fingerprint)
from activelens.core.pool import Pool
from activelens.storage.errors import PoolMismatchError

__all__ = ["SAMPLE_ROWS", "POOL_CHECKS", "sample_positions", "check_verify", "PoolHashes", "RowHashes", "check_pool"]

#: rows whose content hashes are kept in meta at creation and checked (with every labeled row) on reopen
SAMPLE_ROWS = 1024
POOL_CHECKS = ("sample", "full")


def sample_positions(n_rows: int, k: int | None = None) -> np.ndarray:
    """The seeded rows whose hashes a new store keeps (they are stored too, so this may change without harm).

    Parameters
    ----------
    n_rows : int
        Rows in the pool.
    k : int, optional
        How many (default ``SAMPLE_ROWS``); all rows when the pool is not larger.

    Returns
    -------
    ndarray of shape (min(n_rows, k),), int64
        Sorted pool positions.
    """
    k = SAMPLE_ROWS if k is None else int(k)
    if n_rows <= k:
        return np.arange(n_rows, dtype=np.int64)
    return np.sort(np.random.default_rng(20261127).choice(n_rows, size=k, replace=False)).astype(np.int64)


def check_verify(verify: str) -> str:
    """``verify`` if it names a pool check (``POOL_CHECKS``), else a ValueError that explains both."""
    if verify not in POOL_CHECKS:
        raise ValueError(f"verify_pool must be 'sample' (check the labeled rows and a seeded sample of rows: no pass "
                         f"over the pool) or 'full' (hash the whole pool again), got {verify!r}")
    return verify


class PoolHashes:
    """How the store reads a pool: content hashes by position, and one whole pass for the fingerprint, all through
    the ``Pool`` protocol (each backend hashes where its rows live; only hashes and digests come back).

    Parameters
    ----------
    pool : Pool
        The pool (``activelens.backends.make_pool``).
    hashes : list of str, optional
        Every row's ``row_hashes``, if the caller has them already (then nothing is hashed).

    Attributes
    ----------
    pool : Pool
    n_rows, n_features : int
    """

    def __init__(self, pool: Pool, hashes: Sequence[str] | None = None):
        self.pool = pool
        self.n_rows, self.n_features = pool.n_rows, pool.n_features
        self._all = hashes
        if hashes is not None and len(hashes) != self.n_rows:
            raise ValueError(f"hashes has {len(hashes)} entries but X has {self.n_rows} rows; pass row_hashes(X)")

    def hashes(self, idx) -> list[str]:
        """Content hashes of the rows at positions ``idx`` (a sequence of ints), in that order."""
        idx = [int(i) for i in idx]
        if not idx:
            return []
        if self._all is not None:
            return [self._all[i] for i in idx]
        return self.pool.hashes(idx)

    def all_hashes(self) -> Sequence[str]:
        """Every row's content hash (one pass over the pool, kept)."""
        if self._all is None:
            self._all = self.pool.all_hashes()
        return self._all

    def fingerprint(self) -> dict:
        """One pass over the pool: the fingerprint a new store records (the same for any chunking of the same rows).

        Returns
        -------
        dict
            ``n_rows``, ``n_features``, ``pool_hash`` (order-sensitive), ``pool_set_hash`` (order-free),
            ``pool_fingerprint`` (the version), as ``activelens.core.fingerprint.fingerprint_from_digest`` makes it.
        """
        if self._all is not None:
            digest = digest_words(hash_words(self._all), 0) if self._all else np.zeros(4, np.uint64)
        else:
            digest = self.pool.digest()
        return fingerprint_from_digest(digest, self.n_rows, self.n_features)


class RowHashes:
    """Content hashes of pool rows, computed when first asked for (the labels' ``item_hash``), kept once known.

    Parameters
    ----------
    pool : PoolHashes
    known : dict of int to str
        Hashes known already, by pool position.
    """

    def __init__(self, pool: PoolHashes, known: dict):
        self._pool, self._known = pool, {int(k): v for k, v in known.items()}

    def fetch(self, idx) -> list[str]:
        """The hashes of the rows at positions ``idx``; the unknown ones are read in one call."""
        idx = [int(i) for i in idx]
        missing = sorted({i for i in idx if i not in self._known})
        if missing:
            self._known.update(zip(missing, self._pool.hashes(missing)))
        return [self._known[i] for i in idx]

    def __getitem__(self, i) -> str:
        return self.fetch([i])[0]

    def __len__(self):
        return self._pool.n_rows


def check_pool(meta: dict, pool: PoolHashes, stored: Sequence[tuple[int, str]], verify: str, where: str,
               fp: dict | None = None) -> RowHashes:
    """Check ``pool`` against the one a store was made for.

    Parameters
    ----------
    meta : dict
        The store's meta table (``n_rows``, ``n_features``, ``pool_hash``, ``pool_set_hash``, ``pool_fingerprint``,
        ``pool_sample``).
    pool : PoolHashes
        The pool given now.
    stored : sequence of (int, str)
        Every stored label's (pool position, item hash), in the order they were committed.
    verify : {"sample", "full"}
        "sample": the counts, the labeled rows and the sampled rows (no pass over the pool); "full": the whole
        fingerprint. A store made before fingerprints had a version is always checked in full.
    where : str
        The store's name in messages.
    fp : dict, optional
        The pool's fingerprint, if computed already.

    Returns
    -------
    RowHashes
        The pool's hashes, with the ones read by the check kept.

    Raises
    ------
    PoolMismatchError
        Naming what differs (row count, feature count, order, which rows changed); finding out costs one pass.
    """
    n0, f0 = int(meta["n_rows"]), int(meta["n_features"])
    if pool.n_rows != n0 or pool.n_features != f0:
        raise PoolMismatchError(
            f"store {where!r} was made for a pool of {n0} rows × {f0} features, but X has {pool.n_rows} rows × "
            f"{pool.n_features} features. Pass the same X the labels were given for, or use a new store file")
    if meta.get("pool_fingerprint") != FINGERPRINT_VERSION:  # made before fingerprints had a version: full check
        fp = pool_fingerprint(pool.all_hashes(), pool.n_features)
    elif fp is None and verify == "full":
        fp = pool.fingerprint()
    if fp is not None:
        if fp["pool_hash"] == meta["pool_hash"]:
            return RowHashes(pool, {})
        raise _mismatch(meta, pool, stored, where, fp, changed=None)
    sample = json.loads(meta.get("pool_sample") or '{"rows": [], "hashes": []}')
    idx = [int(i) for i, _ in stored]
    got = pool.hashes(idx)  # in label order: the restore's fit asks for the same rows next
    changed = [i for i, a, b in zip(idx, got, (h for _, h in stored)) if a != b]
    got_sample = pool.hashes(sample["rows"])
    if not changed and got_sample == sample["hashes"]:
        return RowHashes(pool, dict(zip(idx, got)) | dict(zip(sample["rows"], got_sample)))
    # refused: one pass tells a reordered pool from a different one
    raise _mismatch(meta, pool, stored, where, pool.fingerprint(), changed=changed)


def _mismatch(meta: dict, pool: PoolHashes, stored, where: str, fp: dict, changed) -> PoolMismatchError:
    """The error for a pool that is not the store's: the same rows reordered, or different content (naming the
    labeled rows that changed; ``changed`` None: not compared yet)."""
    if fp["pool_set_hash"] == meta.get("pool_set_hash"):
        return PoolMismatchError(
            f"store {where!r} was made for the same {meta['n_rows']} rows in a different order; the stored labels "
            "refer to positions in the original order. Pass X in its original order (no shuffling or sorting), or "
            "use a new store")
    if changed is None:
        got = pool.hashes([int(i) for i, _ in stored])
        changed = [int(i) for (i, h), g in zip(stored, got) if g != h]
    detail = (f"{len(changed)} of the {len(stored)} labeled rows have different content (first: row {changed[0]})"
              if changed else "the labeled rows are unchanged but other rows differ")
    return PoolMismatchError(
        f"store {where!r} was made for a different pool: its content hash does not match X ({detail}). Pass the X the "
        "labels were given for, or use a new store file")
