"""The store's database: a corrupted, foreign or damaged file is one clear error and is never written; a lock held past
the timeout is one clear error."""
import sqlite3
import time

import pytest
from sklearn.linear_model import LogisticRegression

from activelens import ActiveLearner
from activelens.storage import AnnotationQueue, LabelStore, StoreFormatError, StoreLockedError


def make(X, store, **kw):
    return ActiveLearner(LogisticRegression(max_iter=300), X, store=store, random_state=0, **kw)


def test_corrupted_and_foreign_files(pool, tmp_path):
    X, _ = pool
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"this is not a database at all" * 100)
    before = junk.read_bytes()
    with pytest.raises(StoreFormatError, match="not an SQLite database"):
        make(X, junk)
    assert junk.read_bytes() == before

    foreign = tmp_path / "foreign.db"
    c = sqlite3.connect(foreign)
    c.execute("create table customers(id integer primary key, name text)")
    c.execute("insert into customers(name) values ('x')")
    c.commit(), c.close()
    before = foreign.read_bytes()
    with pytest.raises(StoreFormatError, match="something else .*customers"):
        make(X, foreign)
    assert foreign.read_bytes() == before

    # a real store whose pages were damaged
    path = tmp_path / "damaged.db"
    a = make(X, path)
    a.teach(list(range(50)), [0] * 50)
    a.store.close()
    data = bytearray(path.read_bytes())
    data[4096:8192 * 2] = b"\xff" * (8192 * 2 - 4096)
    path.write_bytes(bytes(data))
    with pytest.raises(StoreFormatError):
        make(X, path)


def test_locked_store_past_timeout_is_one_clear_error(tmp_path):
    path = tmp_path / "labels.db"
    q = AnnotationQueue(LabelStore(path, timeout=0.3))
    q.put([1, 2, 3])
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        t0 = time.perf_counter()
        with pytest.raises(StoreLockedError, match=r"locked by another process and stayed locked for 0.3 s; nothing "
                                                    r"was written.*timeout="):
            q.claim("ana", n=2)
        assert time.perf_counter() - t0 < 5
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert q.status()["leased"] == 0
    assert q.claim("ana", n=2) == [1, 2]
