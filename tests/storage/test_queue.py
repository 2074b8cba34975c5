"""Annotation queue: leases, claim/submit/release, never twice to an annotator, overlap, gold, resolution; 8 annotator
processes never double-serve. SQLite and PostgreSQL."""
import multiprocessing as mp
import time

import numpy as np
import pytest
from sklearn.datasets import make_blobs
from sklearn.linear_model import LogisticRegression

from activelens import ActiveLearner
from activelens.storage import LabelStore
from activelens.storage.queue import AnnotationQueue, QueueError


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
        from activelens.storage.schema import T_QUEUE
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


# ----- one bad annotation must not block the queue (issue 14) -----
def _store_unchecked(store, index, annotator, label_json):
    """An annotation stored the way an older client could, before submit checked labels."""
    with store.write() as conn:
        conn.exec_driver_sql("INSERT INTO activelens_annotations (idx, annotator, label, ts, seconds, gold) "
                             "VALUES (?, ?, ?, 0, NULL, 0)", (index, annotator, label_json))
        conn.exec_driver_sql("UPDATE activelens_queue SET n_done = n_done + 1 WHERE idx = ?", (index,))


@pytest.mark.parametrize("classes", [[0, 1, 2], None])
def test_a_wrong_label_is_refused_at_submit_and_a_stored_one_no_longer_blocks_sync(pool, tmp_path, capsys, classes):
    from activelens.__main__ import main

    X, y = pool
    path = str(tmp_path / "labels.db")
    learner = ActiveLearner(LogisticRegression(max_iter=300), X, store=path, classes=classes, random_state=0)
    if classes is None:   # no declared classes: the int labels already stored decide
        learner.teach([100, 101, 102], [0, 1, 2])
    q = AnnotationQueue(path)
    q.put(range(6))
    got = q.claim("ana", n=6)
    with pytest.raises((ValueError, TypeError), match="'2'") as info:
        q.submit("ana", got[5], "2")
    assert "Nothing was written" in str(info.value) or "the store's classes are [0, 1, 2]" in str(info.value)
    assert q.status()["annotations"] == 0
    for i in got[:5]:
        q.submit("ana", i, int(y[i]))
    _store_unchecked(q.store, got[5], "ana", '"2"')
    learner.store.close()
    # the selection service: the five valid labels reach the learner, the bad one is skipped and named
    assert main(["select", "--store", path, "--n", "3"]) == 0
    out, err = capsys.readouterr()
    assert "labels taught from finished annotations: 5" in out
    assert f"skipped item {got[5]}: label '2' by ana" in err
    assert f"activelens reject --store {path} --index {got[5]}" in err
    assert main(["reject", "--store", path, "--index", str(got[5])]) == 0
    assert "removed 1 annotation" in capsys.readouterr().out
    assert got[5] in q.claim("ana", n=1)     # back in the queue, and ana may answer it again
    q.submit("ana", got[5], int(y[got[5]]))
    assert main(["select", "--store", path, "--n", "3"]) == 0
    out, err = capsys.readouterr()
    assert "labels taught from finished annotations: 1" in out and "skipped" not in err
    with pytest.raises(QueueError, match="labeled already"):
        q.reject(got[5])


# ----- several annotator processes at once (the figures printed here (-s) go in BENCHMARKS.md's "Label store" section) -----
N_WORKERS, ABANDON_EVERY = 8, 50
# SQLite: the full 8 × 500. PostgreSQL: 8 × 150 keeps the suite's runtime in budget on a 2-core machine (the
# server-side locking is the same at any count; benchmarks/store_speed.py runs PostgreSQL at 8 × 500).
CLAIMS = {"sqlite": 500, "postgresql": 150}


def _annotator(name, target, barrier, clock, out, claims_each):
    try:
        # durability="normal": the claims' correctness does not depend on fsync, and the test stays fast
        store = LabelStore(target, timeout=30, durability="normal")
        q = AnnotationQueue(store, lease_seconds=60, clock=lambda: clock.value)
        barrier.wait()
        claims, abandoned, lat = [], [], []
        while len(claims) < claims_each:
            t0 = time.perf_counter()
            got = q.claim(name, n=1)
            lat.append(time.perf_counter() - t0)
            if not got:
                break
            i = got[0]
            claims.append(i)
            if len(claims) % ABANDON_EVERY == 0:
                abandoned.append(i)  # walk away: the lease must expire and the item go to someone else
            else:
                q.submit(name, i, i % 2)
        barrier.wait()  # everyone is done with phase 1
        barrier.wait()  # the parent moved the clock past the lease
        second = []
        while True:
            got = q.claim(name, n=1)
            if not got:
                break
            second.append(got[0])
            q.submit(name, got[0], got[0] % 2)
        out.put((name, claims, abandoned, second, lat, None))
    except BaseException as exc:  # report instead of hanging the barrier
        barrier.abort()
        out.put((name, [], [], [], [], repr(exc)))


def test_eight_annotator_processes_never_double_serve(store_target):
    q = AnnotationQueue(store_target, lease_seconds=60)
    claims_each = CLAIMS[q.store.backend]
    n_items = N_WORKERS * claims_each
    q.store.bind_pool(np.arange(n_items, dtype=np.float64).reshape(-1, 1))
    assert q.put(range(n_items)) == n_items
    q.store.close()
    ctx = mp.get_context("fork")
    barrier, clock, out = ctx.Barrier(N_WORKERS + 1), ctx.Value("d", 1000.0), ctx.Queue()
    procs = [ctx.Process(target=_annotator, args=(f"ann{k}", store_target, barrier, clock, out, claims_each)) for k in range(N_WORKERS)]
    for p in procs:
        p.start()
    t0 = time.perf_counter()
    barrier.wait(timeout=120)
    barrier.wait(timeout=300)
    phase1 = time.perf_counter() - t0
    clock.value += 61
    barrier.wait(timeout=60)
    results = [out.get(timeout=300) for _ in procs]
    for p in procs:
        p.join(timeout=60)
    errors = [r[5] for r in results if r[5]]
    assert not errors, errors
    owner = {}
    for name, claims, abandoned, second, lat, _ in results:
        assert len(claims) == claims_each
        for i in claims:
            assert i not in owner, f"item {i} served to {owner[i]} and {name}"
            owner[i] = name
    assert sorted(owner) == list(range(n_items))  # zero double-serves, nothing lost
    abandoned = {i for r in results for i in r[2]}
    resecond = [(r[0], i) for r in results for i in r[3]]
    assert sorted(i for _, i in resecond) == sorted(abandoned)  # every expired lease re-served, once
    assert all(owner[i] != name for name, i in resecond)  # and never to the annotator who had it
    lat = np.concatenate([r[4] for r in results]) * 1e3
    st = AnnotationQueue(store_target).status()
    assert st["done"] == n_items and st["leased"] == 0 and st["annotations"] == n_items
    print(f"\n{q.store.backend}: {N_WORKERS} processes × {claims_each} claims in {phase1:.1f} s, 0 double-serves, "
          f"{len(abandoned)} expired leases re-served; claim latency p50 {np.percentile(lat, 50):.2f} ms, "
          f"p99 {np.percentile(lat, 99):.2f} ms")


def test_refill_queues_the_learners_next_picks_skipping_what_is_queued(tmp_path):
    """The one refill of the CLI's select and an annotator's widget: n new items, none queued twice, and the learner's
    selection it came from; None once every item is labeled."""
    X, y = make_blobs(n_samples=40, centers=2, random_state=0)
    learner = ActiveLearner(LogisticRegression(), X, store=tmp_path / "labels.db", random_state=0)
    q = AnnotationQueue(learner.store)
    added, batch = q.refill(learner, 15)
    assert added == 15 and batch is not None and batch.strategy
    first = set(q.queued_indices().tolist())
    added, _ = q.refill(learner, 15)
    assert added == 15 and len(set(q.queued_indices().tolist())) == 30 and first <= set(q.queued_indices().tolist())
    assert q.refill(learner, 15)[0] == 10          # the pool runs out
    learner.teach(np.arange(40), y)
    assert q.refill(learner, 5) == (0, None)       # everything labeled: nothing asked
    with pytest.raises(ValueError, match="n must be a positive int"):
        q.refill(learner, 0)
