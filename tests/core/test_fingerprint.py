"""Pool fingerprints: the digest of any split of the pool adds up to the digest of the whole; order and content
changes are told apart."""
import numpy as np

from activelens.core.fingerprint import fingerprint_from_digest, pool_digest_block

N, D = 3000, 5


def test_fingerprint_does_not_depend_on_how_the_pool_is_split():
    X = np.random.default_rng(3).normal(size=(N, D)).astype(np.float32)
    Xz = X.copy()
    Xz[7, 2] = -0.0
    Xz[8, 2] = 0.0
    whole = pool_digest_block(Xz, 0)
    for cuts in ([0, N], [0, 1, 450, 451, 2999, N], list(range(0, N, 700)) + [N]):
        parts = sum((pool_digest_block(Xz[a:b], a) for a, b in zip(cuts, cuts[1:])), np.zeros(4, np.uint64))
        np.testing.assert_array_equal(parts, whole)
    fp = fingerprint_from_digest(whole, N, D)
    swapped = Xz.copy()
    swapped[[3, 4]] = swapped[[4, 3]]
    fp2 = fingerprint_from_digest(pool_digest_block(swapped, 0), N, D)
    assert fp["pool_set_hash"] == fp2["pool_set_hash"] and fp["pool_hash"] != fp2["pool_hash"]
    changed = Xz.copy()
    changed[2999, 4] += 1e-6
    fp3 = fingerprint_from_digest(pool_digest_block(changed, 0), N, D)
    assert fp3["pool_hash"] != fp["pool_hash"] and fp3["pool_set_hash"] != fp["pool_set_hash"]
