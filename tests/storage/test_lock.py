"""Writers' turns on the sidecar lock file: a turn held by another store times out with one clear error, and the
give-up leaves the lock free."""
import pytest

from activelens.storage import AnnotationQueue, LabelStore, StoreLockedError


def test_writer_held_by_another_store_times_out_then_proceeds(tmp_path):
    path = tmp_path / "labels.db"
    holder = LabelStore(path)
    waiter = AnnotationQueue(LabelStore(path, timeout=0.3))
    waiter.put([1, 2])
    with holder.write():  # another activelens process in the middle of a transaction
        with pytest.raises(StoreLockedError, match="stayed locked for 0.3 s"):
            waiter.claim("ana")
        with pytest.raises(StoreLockedError):
            waiter.submit("ana", 1, "x")
    assert waiter.status()["leased"] == 0
    assert waiter.claim("ana") == [1]  # the lock is free again: the give-up did not leave it held
    waiter.submit("ana", 1, "x")
    assert waiter.status()["done"] == 1
