"""Binding a store to its pool: a different pool is one clear error and nothing is overwritten; reopening checks the
labeled rows and a seeded sample without a pass over the pool; the whole-pool fingerprint is computed once; numpy and
dask pools of the same data share one store."""
from __future__ import annotations

import json
import sqlite3

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

from activelens import ActiveLearner, make_pool
from activelens.core.fingerprint import FINGERPRINT_VERSION, pool_fingerprint, row_hashes
from activelens.storage import LabelStore, PoolMismatchError, pool_check
from activelens.storage.pool_check import PoolHashes

N, D, CHUNK, SAMPLE = 3000, 5, 450, 40


@pytest.fixture
def small_sample(monkeypatch):
    monkeypatch.setattr(pool_check, "SAMPLE_ROWS", SAMPLE)  # far fewer sampled rows than pool rows


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(3)
    X = rng.normal(size=(N, D)).astype(np.float32)
    y = (X[:, 0] + X[:, 1] > 0).astype(int)
    return X, y


def make(X, store, client=None, **kw):
    pool = X if client is None else make_pool(X, client=client, random_state=0)
    return ActiveLearner(LogisticRegression(max_iter=300), pool, store=store, random_state=0, batch_size=10, **kw)


def labeled_store(X, y, path, **kw):
    a = make(X, path, **kw)
    a.teach(np.arange(0, 300, 10), y[0:300:10], annotator="ana")
    a.fit()
    a.store.close()
    return a


def meta(path):
    st = LabelStore(path)
    try:
        return st.meta()
    finally:
        st.close()


def other_row(path, labeled):
    """A row neither labeled nor in the store's sample."""
    sampled = set(json.loads(meta(path)["pool_sample"])["rows"])
    return next(i for i in range(N - 1, 0, -1) if i not in sampled and i not in labeled)


def test_pool_mismatch_is_one_clear_error_and_nothing_overwritten(pool, tmp_path):
    X, y = pool
    path = tmp_path / "labels.db"
    a = make(X, path)
    a.teach([5, 6, 7], [0, 1, 2])
    before = path.read_bytes()
    with pytest.raises(PoolMismatchError, match="different order"):
        make(X[::-1], path)
    with pytest.raises(PoolMismatchError, match="200 rows × 2 features, but X has 150 rows"):
        make(X[:150], path)
    X2 = X.copy()
    X2[6] += 0.5
    with pytest.raises(PoolMismatchError, match="1 of the 3 labeled rows .*row 6"):
        make(X2, path)
    assert path.read_bytes() == before
    assert make(X, path).labeled_indices.tolist() == [5, 6, 7]


def test_reopen_checks_labeled_and_sampled_rows_without_a_pass(data, tmp_path, small_sample, monkeypatch):
    X, y = data
    path = tmp_path / "labels.db"
    a = labeled_store(X, y, path)
    m = meta(path)
    sample = json.loads(m["pool_sample"])
    assert m["pool_fingerprint"] == FINGERPRINT_VERSION and len(sample["rows"]) == SAMPLE
    assert sample["hashes"] == [row_hashes(X)[i] for i in sample["rows"]]
    labeled = set(a.labeled_indices.tolist())
    sampled_only = next(i for i in sample["rows"] if i not in labeled)
    before = path.read_bytes()

    X1 = X.copy()
    X1[20, 3] += 1.0  # a labeled row
    with pytest.raises(PoolMismatchError, match="different pool.*1 of the 30 labeled rows .*row 20"):
        make(X1, path)
    X2 = X.copy()
    X2[sampled_only, 0] += 1.0  # an unlabeled row the check samples
    with pytest.raises(PoolMismatchError, match="labeled rows are unchanged but other rows differ"):
        make(X2, path)
    perm = np.random.default_rng(0).permutation(N)
    with pytest.raises(PoolMismatchError, match="different order"):
        make(X[perm], path)
    assert path.read_bytes() == before  # nothing written by a refused open

    def no_pass(*_a, **_k):
        raise AssertionError("reopening passed over the whole pool")

    monkeypatch.setattr(PoolHashes, "fingerprint", no_pass)
    monkeypatch.setattr(PoolHashes, "all_hashes", no_pass)
    b = make(X, path)  # the same pool: accepted without a pass
    assert b.labeled_indices.tolist() == a.labeled_indices.tolist() and b.model_ is not None
    b.teach([1, 2], y[[1, 2]])
    assert b.store.labels()["item_hash"].tolist()[-2:] == [row_hashes(X[[1]])[0], row_hashes(X[[2]])[0]]
    b.store.close()


def test_unsampled_change_needs_verify_full(data, tmp_path, small_sample):
    X, y = data
    path = tmp_path / "labels.db"
    a = labeled_store(X, y, path)
    r = other_row(path, set(a.labeled_indices.tolist()))
    X3 = X.copy()
    X3[r, 1] -= 2.0
    b = make(X3, path)  # the documented limit of the default check: such a row is not looked at
    assert b.n_labeled == 30
    b.store.close()
    with pytest.raises(PoolMismatchError, match="labeled rows are unchanged but other rows differ"):
        make(X3, LabelStore(path, verify_pool="full"))
    make(X, LabelStore(path, verify_pool="full")).store.close()
    with pytest.raises(ValueError, match="verify_pool must be 'sample' .* or 'full'"):
        LabelStore(path, verify_pool="all")


def test_a_store_from_an_older_activelens_is_checked_in_full(data, tmp_path, small_sample):
    X, y = data
    path = tmp_path / "labels.db"
    a = labeled_store(X, y, path)
    legacy = pool_fingerprint(row_hashes(X), D)  # what stores made before fingerprint version 2 hold
    con = sqlite3.connect(path)
    with con:
        con.execute("DELETE FROM activelens_meta WHERE key IN ('pool_fingerprint', 'pool_sample')")
        for k in ("pool_hash", "pool_set_hash"):
            con.execute("UPDATE activelens_meta SET value = ? WHERE key = ?", (legacy[k], k))
    con.close()
    b = make(X, path)
    assert b.labeled_indices.tolist() == a.labeled_indices.tolist()
    b.store.close()
    X3 = X.copy()
    X3[N - 1, 0] += 1.0  # neither labeled nor sampled: the old fingerprint covers every row
    with pytest.raises(PoolMismatchError, match="other rows differ"):
        make(X3, path)


# ----- the same store from a dask pool on a real 2-process LocalCluster (the client fixture: tests/conftest.py) -----
def test_numpy_and_dask_pools_share_a_store_and_its_checks(client, data, tmp_path, small_sample):
    da = pytest.importorskip("dask.array")
    X, y = data
    path = tmp_path / "labels.db"
    mem_path = tmp_path / "mem.db"
    dsk = labeled_store(da.from_array(X, chunks=(CHUNK, D)), y, path, client=client)
    labeled_store(X, y, mem_path)
    keys = ("n_rows", "n_features", "pool_hash", "pool_set_hash", "pool_fingerprint", "pool_sample")
    m1, m2 = meta(path), meta(mem_path)
    assert {k: m1[k] for k in keys} == {k: m2[k] for k in keys}
    st = LabelStore(path)
    assert st.labels()["item_hash"].tolist() == [row_hashes(X)[i] for i in dsk.labeled_indices]
    st.close()

    # other chunking, or the numpy pool: the same store opens
    again = make(da.from_array(X, chunks=(1000, D)), path, client=client)
    assert again.labeled_indices.tolist() == dsk.labeled_indices.tolist() and again.model_ is not None
    again.store.close()
    make(X, path).store.close()

    before = path.read_bytes()
    sampled = json.loads(m1["pool_sample"])["rows"]
    X2 = X.copy()
    X2[next(i for i in sampled if i not in set(dsk.labeled_indices.tolist())), 4] *= -1.5
    with pytest.raises(PoolMismatchError, match="other rows differ"):
        make(da.from_array(X2, chunks=(CHUNK, D)), path, client=client)
    r = other_row(path, set(dsk.labeled_indices.tolist()))
    X3 = X.copy()
    X3[r, 0] += 3.0
    with pytest.raises(PoolMismatchError, match="other rows differ"):
        make(da.from_array(X3, chunks=(CHUNK, D)), LabelStore(path, verify_pool="full"), client=client)
    assert path.read_bytes() == before
