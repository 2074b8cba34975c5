"""Creating the schema: several processes opening one new store at once all succeed. SQLite and PostgreSQL."""
from activelens.storage import AnnotationQueue


def test_processes_creating_one_store_at_once(store_target):
    import multiprocessing as mp

    ctx = mp.get_context("fork")
    barrier, out = ctx.Barrier(4), ctx.Queue()

    def create(k):
        try:
            barrier.wait()
            AnnotationQueue(store_target).put([k])
            out.put(None)
        except BaseException as exc:
            out.put(repr(exc))

    procs = [ctx.Process(target=create, args=(k,)) for k in range(4)]
    for p in procs:
        p.start()
    errors = [out.get(timeout=120) for _ in procs]
    for p in procs:
        p.join(timeout=60)
    assert errors == [None] * 4
    assert sorted(AnnotationQueue(store_target).queued_indices().tolist()) == [0, 1, 2, 3]
