"""Content hashes of pool rows and the pool's fingerprint: how a label store knows the pool it was made for.

Pure functions on numpy blocks, so every backend computes the same hashes where its rows live (a chunk on its
worker, an in-memory pool in blocks) and the digests of any split of the pool add up to the digest of the whole.
"""
from __future__ import annotations

import hashlib

import numpy as np

#: how the fingerprint in meta is defined; a store without this key was made by an older activelens (checked in full)
FINGERPRINT_VERSION = "2"
#: a numpy pool is hashed in blocks of this many rows (bounds the float64 copy), a distributed chunk in slices of it
HASH_BLOCK_ROWS = 65_536


def row_hashes(X) -> list[str]:
    """blake2b (16 bytes, hex) of each pool row's float64 bytes: the content hash an item is known by."""
    arr = np.ascontiguousarray(np.asarray(X, dtype=np.float64))
    if arr.ndim != 2:
        raise ValueError(f"X must be 2-D to hash its rows, got shape {arr.shape}")
    arr = arr + 0.0  # -0.0 -> 0.0 so equal values hash equally
    view = arr.view(np.uint8).reshape(arr.shape[0], -1)
    return [hashlib.blake2b(row.tobytes(), digest_size=16).hexdigest() for row in view]


def pool_fingerprint(hashes, n_features: int) -> dict:
    """The fingerprint of stores made before ``FINGERPRINT_VERSION`` (a hash of all row hashes in order, one of them
    sorted): computing it needs every row hash in one place, so such stores are checked in full on reopen."""
    ordered = hashlib.blake2b("".join(hashes).encode(), digest_size=16).hexdigest()
    as_set = hashlib.blake2b("".join(sorted(hashes)).encode(), digest_size=16).hexdigest()
    return {"n_rows": len(hashes), "n_features": int(n_features), "pool_hash": ordered, "pool_set_hash": as_set}


_M1, _M2, _M3 = np.uint64(0x9E3779B97F4A7C15), np.uint64(0xBF58476D1CE4E5B9), np.uint64(0x94D049BB133111EB)


def _position_weights(start: int, stop: int) -> np.ndarray:
    """splitmix64 of each position, made odd: the weight a row's hash gets in the order-sensitive digest."""
    z = np.arange(start, stop, dtype=np.uint64) + _M1
    z = (z ^ (z >> np.uint64(30))) * _M2
    z = (z ^ (z >> np.uint64(27))) * _M3
    return (z ^ (z >> np.uint64(31))) | np.uint64(1)


def digest_words(words: np.ndarray, start: int) -> np.ndarray:
    """[ordered lo, ordered hi, set lo, set hi] of rows start.. whose 16-byte hashes are ``words`` (n, 2) uint64:
    sums mod 2**64, so digests of any split of the pool add up to the digest of the whole (chunking does not matter)."""
    w = _position_weights(start, start + words.shape[0])
    return np.array([(words[:, 0] * w).sum(dtype=np.uint64), (words[:, 1] * w).sum(dtype=np.uint64),
                     words[:, 0].sum(dtype=np.uint64), words[:, 1].sum(dtype=np.uint64)], dtype=np.uint64)


def hash_words(hex_hashes) -> np.ndarray:
    """(n, 2) uint64 words of n hex content hashes."""
    return np.frombuffer(bytes.fromhex("".join(hex_hashes)), dtype="<u8").reshape(-1, 2).astype(np.uint64)


def pool_digest_block(x, start: int) -> np.ndarray:
    """``digest_words`` of rows ``x`` at pool positions start.. (hashed in slices: a chunk's float64 copy stays small)."""
    total = np.zeros(4, dtype=np.uint64)
    for r0 in range(0, x.shape[0], HASH_BLOCK_ROWS):
        part = np.asarray(x[r0:r0 + HASH_BLOCK_ROWS])
        total += digest_words(hash_words(row_hashes(part)), start + r0)
    return total


def fingerprint_from_digest(digest, n_rows: int, n_features: int) -> dict:
    """Meta values from a pool's summed digest: counts, an order-sensitive and an order-free hash, the version."""
    d = np.asarray(digest, dtype="<u8")
    head = f"{int(n_rows)}x{int(n_features)}".encode()

    def fin(tag, words):
        return hashlib.blake2b(tag + head + words.tobytes(), digest_size=16).hexdigest()

    return {"n_rows": int(n_rows), "n_features": int(n_features), "pool_hash": fin(b"ordered:", d[:2]),
            "pool_set_hash": fin(b"set:", d[2:]), "pool_fingerprint": FINGERPRINT_VERSION}
