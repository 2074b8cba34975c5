"""The label store with a dask pool: the same hashes, fingerprint and rows as the numpy pool of the same data."""
from __future__ import annotations

import numpy as np
import pytest

da = pytest.importorskip("dask.array")
pytest.importorskip("distributed")

from sklearn.linear_model import LogisticRegression  # noqa: E402

from activelens import ActiveLearner, make_pool  # noqa: E402
from activelens.backends.dask.hashing import dask_row_hashes  # noqa: E402
from activelens.backends.dask.rows import check_dask_pool  # noqa: E402

from .helpers import CHUNK, D  # noqa: E402


# ----- the label store with a dask pool: the same hashes, fingerprint and rows as the numpy pool of the same data -----
def test_store_row_hashes_match_numpy(client, data):
    from activelens.core.fingerprint import pool_fingerprint, row_hashes

    X, _ = data
    Xz = X.copy()
    Xz[5, 2] = -0.0  # signed zero hashes as zero on both paths
    for arr in (Xz, (Xz * 10).astype(np.int32)):
        got = dask_row_hashes(check_dask_pool(da.from_array(arr, chunks=(CHUNK, D))), client)
        want = row_hashes(arr)
        assert got == want
        assert pool_fingerprint(got, D) == pool_fingerprint(want, D)


def _taught_with_store(pool, y, path, client=None):
    learner = ActiveLearner(LogisticRegression(max_iter=300), make_pool(pool, client=client, random_state=11),
                            batch_size=15, random_state=11, store=path)
    for _ in range(2):
        b = learner.query()
        learner.teach(b.indices, y[b.indices], annotator="ann", seconds=2.0)
        learner.fit()
    return learner


def test_store_with_a_dask_pool(client, data, tmp_path):
    from activelens.core.fingerprint import row_hashes
    from activelens.storage import LabelStore, PoolMismatchError, StoreError

    X, y = data
    pool = da.from_array(X, chunks=(CHUNK, D))
    path, mem_path = tmp_path / "dask.db", tmp_path / "mem.db"
    dsk = _taught_with_store(pool, y, path, client)
    _taught_with_store(X, y, mem_path)
    st, mem = LabelStore(path), LabelStore(mem_path)
    a, b = st.labels(), mem.labels()
    hashes = row_hashes(X)
    assert len(a) == 30 and a["item_hash"].tolist() == [hashes[i] for i in a["index"]]
    # the defaults on both backends: a TypiClust cold start, then strategy="auto"
    assert (a["annotator"] == "ann").all() and (a["strategy"].iloc[:15] == "typiclust").all()
    assert (a["strategy"].iloc[15:] == "auto").all()
    cols = ["index", "label", "annotator", "seconds", "round", "model_version", "strategy", "item_hash", "source"]
    assert a[cols].equals(b[cols])
    np.testing.assert_allclose(a["score"], b["score"], rtol=1e-5)
    fp = ("n_rows", "n_features", "pool_hash", "pool_set_hash", "settings")
    assert {k: st.meta()[k] for k in fp} == {k: mem.meta()[k] for k in fp}
    same = ("round", "n_labels", "strategy", "model_version", "batch_class_mix")
    assert [{k: r[k] for k in same} for r in st.rounds()] == [{k: r[k] for k in same} for r in mem.rounds()]
    with pytest.raises(StoreError, match="dask pool.*--pool"):  # select needs the pool in memory
        st.load_pool()
    assert mem.load_pool() is not None

    again = ActiveLearner(LogisticRegression(max_iter=300), make_pool(pool, client=client, random_state=11),
                          batch_size=15, random_state=11, store=path)
    np.testing.assert_array_equal(again.labeled_indices, dsk.labeled_indices)
    assert again.labels.tolist() == dsk.labels.tolist()
    assert len(again.rounds) == 2 and again.model_version == dsk.model_version and again.model_ is not None
    numpy_again = ActiveLearner(LogisticRegression(max_iter=300), X, store=path)  # select --pool X.npy works too
    np.testing.assert_array_equal(numpy_again.labeled_indices, dsk.labeled_indices)

    with pytest.raises(PoolMismatchError, match="different order"):
        ActiveLearner(LogisticRegression(), make_pool(da.from_array(X[::-1], chunks=(CHUNK, D)), client=client),
                      store=path)
    changed = X.copy()
    changed[int(dsk.labeled_indices[0])] += 1.0
    with pytest.raises(PoolMismatchError, match="different pool"):
        ActiveLearner(LogisticRegression(), make_pool(da.from_array(changed, chunks=(CHUNK, D)), client=client),
                      store=path)
    st.close()
    mem.close()

