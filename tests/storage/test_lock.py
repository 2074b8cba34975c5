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


def test_a_lock_file_owned_by_another_user_names_its_owner_and_the_fix(shared_dir, run_unprivileged):
    """Issue 14: a teammate's lock file raised a raw PermissionError."""
    import os

    if os.geteuid() != 0:
        pytest.skip("making a file of another user needs root")
    path = shared_dir / "labels.db"
    q = AnnotationQueue(LabelStore(path))
    q.put([1, 2])
    q.store.close()
    os.chown(f"{path}-lock", 65534, 65534)   # the lock file belongs to someone else, mode 644
    rc, out, err = run_unprivileged(
        "from activelens.storage import AnnotationQueue, StoreReadOnlyError\n"
        f"q = AnnotationQueue({str(path)!r})\n"
        "try:\n    q.claim('ana')\nexcept StoreReadOnlyError as exc:\n    print(exc)\n"
        "print('leased', q.status()['leased'])\n")
    assert rc == 0, err
    import pwd
    owner = pwd.getpwuid(65534).pw_name
    assert f"its writer lock file {str(path) + '-lock'!r} belongs to {owner}" in out
    assert "nothing was written" in out and "chmod g+w" in out and "leased 0" in out
