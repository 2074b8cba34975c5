"""Annotation queue: leases, claim/submit/release, never twice to an annotator, overlap, gold, resolution. SQLite and
PostgreSQL."""
import numpy as np
import pytest
from sklearn.datasets import make_blobs
from sklearn.linear_model import LogisticRegression

from activelens import ActiveLearner
from activelens.storage.queue import AnnotationQueue, QueueError, resolve_votes


class Clock:
    def __init__(self, t=1000.0):
        self.t = t

    def __call__(self):
        return self.t


@pytest.fixture(scope="module")
def pool():
    return make_blobs(n_samples=120, centers=3, cluster_std=2.0, random_state=2)


def test_claim_submit_release_and_lease_expiry(store_target):
    clock = Clock()
    q = AnnotationQueue(store_target, lease_seconds=10, clock=clock)
    assert q.put([5, 3, 9]) == 3
    assert q.put([3, 7]) == 1  # 3 is already queued
    assert q.claim("ana", n=2) == [5, 3]
    assert q.claim("bo", n=5) == [9, 7]  # never an item ana holds
    assert q.claim("cy") == []
    assert q.status() == {"queued": 4, "pending": 0, "leased": 4, "done": 0, "gold": 0, "annotations": 0}
    q.submit("ana", 5, "cat", seconds=4.0)
    q.release("ana", 3)
    assert q.claim("ana") == []  # ana never gets 3 again, nor 5
    assert q.claim("cy") == [3]
    clock.t += 11  # bo's leases on 9 and 7 expire: served again, to someone else
    assert q.claim("cy", n=5) == [9, 7]
    assert q.claim("bo", n=5) == [3]  # cy's lease on 3 expired too; bo never had 3
    q.submit("bo", 9, "dog")  # a late submit is recorded, not thrown away
    with pytest.raises(QueueError, match="does not hold item 7"):
        q.release("bo", 7)
    with pytest.raises(QueueError, match="was not served"):
        q.submit("ana", 7, "cat")
    with pytest.raises(QueueError, match="already submitted 'cat'"):
        q.submit("ana", 5, "dog")
    q.submit("ana", 5, "cat")  # the same answer again is a no-op
    st = q.status()
    assert st["done"] == 2 and st["annotations"] == 2 and st["leased"] == 2  # 7 (cy), 3 (bo)


def test_overlap_items_go_to_distinct_annotators(store_target):
    q = AnnotationQueue(store_target, overlap=1.0, overlap_annotators=3)
    q.put(range(4))
    seen = {}
    for name in ["a", "b", "c", "d"]:
        for i in q.claim(name, n=10):
            assert i not in seen.get(name, set())
            seen.setdefault(name, set()).add(i)
            q.submit(name, i, i % 2)
    served = sorted(i for s in seen.values() for i in s)
    assert served == sorted(list(range(4)) * 3)
    assert q.status()["done"] == 4
    assert q.claim("e", n=10) == []


def test_overlap_share_is_about_right(store_target):
    q = AnnotationQueue(store_target, overlap=0.25, random_state=0)
    q.put(range(400))
    needed = []
    with q.store.read() as conn:
        from activelens.storage.store import T_QUEUE
        needed = [r[0] for r in conn.execute(T_QUEUE.select().with_only_columns(T_QUEUE.c.needed))]
    share = np.mean(np.asarray(needed) == 2)
    assert 0.18 < share < 0.32


def test_gold_items_mixed_at_share(store_target):
    q = AnnotationQueue(store_target, gold_share=0.2)
    q.put(range(100))
    q.add_gold([200, 201, 202], ["x", "y", "x"])
    got = q.claim("ana", n=10)
    gold = [i for i in got if i >= 200]
    assert len(got) == 10 and len(gold) == 2
    got2 = q.claim("ana", n=10)
    assert len([i for i in got2 if i >= 200]) == 1  # only one gold item left that ana has not seen
    assert q.claim("bo", n=5).count(200) == 1  # gold items are shared, not leased exclusively
    with pytest.raises(ValueError, match="already queued"):
        q.add_gold([5], ["x"])


def test_resolution_majority_and_gold_weighted(store_target):
    q = AnnotationQueue(store_target, overlap=1.0, overlap_annotators=3, gold_share=0.5)
    q.add_gold([100, 101], ["a", "b"])
    q.put([1, 2])
    answers = {"good1": {100: "a", 101: "b", 1: "a", 2: "b"},
               "good2": {100: "a", 101: "b", 1: "b", 2: "b"},
               "bad": {100: "b", 101: "a", 1: "b", 2: "a"}}
    for name, ans in answers.items():
        for i in q.claim(name, n=4):
            q.submit(name, i, ans[i])
    idx, labels, detail = q.resolved("majority")
    assert idx.tolist() == [1, 2] and labels == ["b", "b"]
    idx, labels, _ = q.resolved("gold_weighted")
    # item 1: good1 says a (w 0.75), good2 b (0.75), bad b (0.25) -> b; item 2: b (1.5) vs a (0.25) -> b
    assert labels == ["b", "b"]
    assert resolve_votes([("good1", "a"), ("bad", "b")], {"good1": 0.75, "bad": 0.25}, "majority") == "a"
    assert resolve_votes([("bad", "b"), ("bad2", "b"), ("good", "a")], {"good": 0.9, "bad": 0.1, "bad2": 0.1},
                         "gold_weighted") == "a"


def test_sync_teaches_learner_with_provenance(pool, store_target):
    X, y = pool
    learner = ActiveLearner(LogisticRegression(), X, store=store_target, random_state=0)
    q = AnnotationQueue(learner.store)
    batch = learner.query(6)
    q.put(batch.indices, scores=batch.scores, strategy=batch.strategy)
    got = q.claim("ana <b>&", n=6)
    for i in got[:4]:
        q.submit("ana <b>&", i, int(y[i]), seconds=2.0)
    assert q.sync(learner) == 4
    assert q.sync(learner) == 0
    assert sorted(learner.labeled_indices.tolist()) == sorted(got[:4])
    df = learner.store.labels()
    assert set(df["annotator"]) == {"ana <b>&"} and set(df["source"]) == {"queue:majority"}
    assert (df["seconds"] == 2.0).all()
    assert q.put(got[:4]) == 0  # labeled items are not queued again


def test_argument_errors(store_target):
    q = AnnotationQueue(store_target, labels=["a", "b"])
    q.put([1])
    with pytest.raises(TypeError, match="annotator"):
        q.claim("")
    with pytest.raises(ValueError, match="n must be"):
        q.claim("x", n=0)
    with pytest.raises(ValueError, match="unknown label 'c'"):
        q.submit("x", 1, "c")
    with pytest.raises(ValueError, match="overlap"):
        AnnotationQueue(store_target, overlap=2)
    with pytest.raises(ValueError, match="duplicates"):
        q.put([2, 2])


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
