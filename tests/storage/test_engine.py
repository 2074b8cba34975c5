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


# ----- a store this user may read but not write (issue 14: it was reported as "corrupted") -----
READ_ONLY_PROBE = """
import numpy as np
from sklearn.linear_model import LogisticRegression
from activelens import ActiveLearner, LabelStore
from activelens.storage import StoreReadOnlyError
path = {path!r}
st = LabelStore(path)
print("export", len(st.export()))
learner = ActiveLearner(LogisticRegression(max_iter=300), np.load({pool!r}), store=path, random_state=0)
print("restored", learner.n_labeled)
try:
    learner.teach([50], [1])
except StoreReadOnlyError as exc:
    print("refused", learner.n_labeled, exc)
"""


def test_a_store_in_a_read_only_folder_opens_for_reading_and_says_it_is_read_only(pool, shared_dir, run_unprivileged):
    import numpy as np

    X, y = pool
    path = shared_dir / "labels.db"
    a = make(X, path)
    a.teach([0, 1, 2], y[:3])
    a.store.close()
    np.save(shared_dir / "X.npy", X)
    before = path.read_bytes()
    shared_dir.chmod(0o555)   # a teammate's folder: readable, not writable
    rc, out, err = run_unprivileged(READ_ONLY_PROBE.format(path=str(path), pool=str(shared_dir / "X.npy")))
    assert rc == 0, err
    assert "export 3" in out and "restored 3" in out
    refused = out.split("refused ", 1)[1]
    assert refused.startswith("3 store ") and "is read-only: its folder" in refused and "not writable" in refused
    assert "corrupted" not in out and "Nothing was written" in refused
    assert path.read_bytes() == before


def test_a_postgresql_user_without_write_rights_is_told_so(pool, pg_cluster):
    import sqlalchemy as sa

    from activelens.storage import StoreReadOnlyError

    X, y = pool
    url = pg_cluster.new_database()
    a = make(X, url)
    a.teach([0, 1], y[:2])
    a.store.close()
    reader = "reader_" + url.rsplit("/", 1)[1]    # roles are cluster-wide: one per database
    eng = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with eng.connect() as c:
        c.exec_driver_sql(f"CREATE ROLE {reader} LOGIN")
        c.exec_driver_sql(f"GRANT SELECT ON ALL TABLES IN SCHEMA public TO {reader}")
    eng.dispose()
    b = make(X, url.replace("postgres@", f"{reader}@"))   # a teammate who may only read: restored all the same
    assert b.n_labeled == 2
    with pytest.raises(StoreReadOnlyError, match=r"the database user may not write here .*nothing was written.*GRANT"):
        b.teach([2], [y[2]])
    assert b.n_labeled == 2 and LabelStore(url).n_labels() == 2
