"""Monitoring: kappa statistics against known values, per-annotator quality, disagreements, resolution, the four monitors
and learner.report()."""
import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import make_blobs
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import cohen_kappa_score

from activelens import ActiveLearner
from activelens.analysis.monitor import (agreement, annotator_table, cohen_kappa, cost_per_point, disagreements, fleiss_kappa,
                                gold_accuracy, improvement_per_batch, labels_per_hour, resolve)
from activelens.storage.queue import AnnotationQueue

# Fleiss (1971) as worked on Wikipedia: 10 items, 14 raters, 5 categories -> kappa 0.210
FLEISS_TABLE = [[0, 0, 0, 0, 14], [0, 2, 6, 4, 2], [0, 0, 3, 5, 6], [0, 3, 9, 2, 0], [2, 2, 8, 1, 1],
                [7, 7, 0, 0, 0], [3, 2, 6, 3, 0], [2, 5, 3, 2, 2], [6, 5, 2, 1, 0], [0, 2, 2, 3, 7]]


def ann_frame(rows):
    df = pd.DataFrame(rows, columns=["index", "annotator", "label", "timestamp", "seconds", "gold", "gold_label"])
    df["label"] = df["label"].astype(object)
    return df


def test_kappas_match_known_values():
    assert fleiss_kappa(FLEISS_TABLE) == pytest.approx(0.2099, abs=1e-3)
    rng = np.random.default_rng(0)
    a = rng.integers(0, 3, 200)
    b = np.where(rng.random(200) < 0.7, a, rng.integers(0, 3, 200))
    assert cohen_kappa(a, b) == pytest.approx(cohen_kappa_score(a, b))
    assert cohen_kappa(["x", "y"], ["x", "y"]) == 1.0
    with pytest.raises(ValueError, match="same number of raters"):
        fleiss_kappa([[2, 0], [1, 1, ], [3, 0]])


def test_quality_from_annotations():
    rows = []
    t = 1000.0
    # gold: 100 is "a", 101 is "b"; ana right on both, bo right on one
    for name, g100, g101 in [("ana", "a", "b"), ("bo", "a", "a"), ("cy", "a", "b")]:
        rows += [(100, name, g100, t, 5.0, True, "a"), (101, name, g101, t + 1, 5.0, True, "b")]
    # work items, each by all three; item 3 split
    for idx, labs in {1: "aaa", 2: "bbb", 3: "abb", 4: "aab"}.items():
        for name, lab in zip(["ana", "bo", "cy"], labs):
            rows.append((idx, name, lab, t + idx * 10, 10.0, False, None))
    ann = ann_frame(rows)
    gold = gold_accuracy(ann)
    assert gold.loc["ana", "gold_accuracy"] == 1.0 and gold.loc["bo", "gold_accuracy"] == 0.5
    agr = agreement(ann)
    assert agr["method"] == "fleiss" and agr["n_items"] == 4 and agr["n_annotators"] == 3
    counts = [[3, 0], [0, 3], [1, 2], [2, 1]]
    assert agr["kappa"] == pytest.approx(fleiss_kappa(counts))
    two = agreement(ann[ann["annotator"] != "cy"])
    assert two["method"] == "cohen"
    assert two["kappa"] == pytest.approx(cohen_kappa_score(list("abaa"), list("abba")))
    dis = disagreements(ann)
    assert dis["index"].tolist() == [3, 4]
    assert dis.iloc[0]["labels"] == ["a", "b", "b"]
    lph = labels_per_hour(ann)
    assert lph["ana"] == pytest.approx(6 / (50 / 3600))
    table = annotator_table(ann)
    assert list(table.index) == ["ana", "bo", "cy"] and table.loc["bo", "gold_n"] == 2
    res = resolve(ann, "majority").set_index("index")["label"]
    assert res.to_dict() == {1: "a", 2: "b", 3: "b", 4: "a"}


def test_gold_weighted_resolution_overrules_a_bad_majority():
    rows = [(100, "good", "a", 0, None, True, "a"), (101, "good", "b", 1, None, True, "b"),
            (102, "good", "a", 2, None, True, "a")]
    for bad in ["bad1", "bad2"]:
        rows += [(100, bad, "b", 0, None, True, "a"), (101, bad, "a", 1, None, True, "b"),
                 (102, bad, "b", 2, None, True, "a")]
    rows += [(7, "good", "a", 5, None, False, None), (7, "bad1", "b", 6, None, False, None),
             (7, "bad2", "b", 7, None, False, None)]
    ann = ann_frame(rows)
    assert resolve(ann, "majority")["label"].tolist() == ["b"]
    assert resolve(ann, "gold_weighted")["label"].tolist() == ["a"]  # 0.8 vs 0.2 + 0.2
    with pytest.raises(ValueError, match="method"):
        resolve(ann, "vote")


def test_improvement_and_cost_per_point():
    h = pd.DataFrame({"round": [1, 2, 3], "n_labels": [10, 20, 40], "score": [0.5, 0.6, 0.65]})
    imp = improvement_per_batch(h)
    assert imp["batch"].tolist() == [10, 10, 20]
    np.testing.assert_allclose(imp["gain_per_label"].to_numpy()[1:], [0.01, 0.0025])
    c = cost_per_point(h, cost_per_label=2.0)
    np.testing.assert_allclose(c["cost_per_point"].to_numpy()[1:], [20 / 10, 60 / 15])
    labels = pd.DataFrame({"seconds": [36.0] * 40})
    c = cost_per_point(h, labels, rate_per_hour=100.0)  # 1 per label
    np.testing.assert_allclose(c["cost"], [10, 20, 40])
    with pytest.raises(ValueError, match="needs measured seconds"):
        cost_per_point(h, pd.DataFrame({"seconds": [None] * 40}), rate_per_hour=10)


def test_learner_report_with_queue(tmp_path):
    X, y = make_blobs(n_samples=150, centers=3, cluster_std=2.0, random_state=3)
    learner = ActiveLearner(LogisticRegression(), X, store=tmp_path / "l.db", random_state=0)
    q = AnnotationQueue(learner.store, overlap=1.0, gold_share=0.2)
    q.add_gold([140, 141], [int(y[140]), int(y[141])])
    for rnd in range(3):
        b = learner.query(9)
        q.put(b.indices, scores=b.scores, strategy=b.strategy)
        for name in ["ana", "bo"]:
            for i in q.claim(name, n=12):
                q.submit(name, i, int(y[i]) if name == "ana" or i % 4 else int((y[i] + 1) % 3), seconds=3.0)
        assert q.sync(learner) == 9
        learner.fit()
    rep = learner.report(rate_per_hour=60.0)
    figs, frame = rep
    assert set(figs) == {"selection", "quality", "improvement", "cost"}
    assert frame["n_labels"].tolist() == [9, 18, 27]
    assert {"score", "gain", "gain_per_label", "cost", "cost_per_point"} <= set(frame.columns)
    assert frame["cost"].tolist() == pytest.approx([9 * 6 / 60, 18 * 6 / 60, 27 * 6 / 60])  # two 3 s annotations each
    assert set(rep.annotators.index) == {"ana", "bo"}
    assert rep.annotators.loc["ana", "gold_accuracy"] == 1.0
    assert rep.agreement["method"] == "cohen" and rep.agreement["n_items"] == 27
    assert 0 < rep.coverage <= 1
    assert rep.selection["selected"].sum() == pytest.approx(1.0)
    for fig in figs.values():
        fig.to_dict()  # valid plotly figures


def test_report_without_store(blobs):
    X, y = blobs
    learner = ActiveLearner(LogisticRegression(), X, random_state=0)
    b = learner.query(20)
    learner.teach(b.indices, y[b.indices])
    learner.fit()
    rep = learner.report()
    assert len(rep.frame) == 1 and rep.agreement["method"] is None
    assert rep.frame["cost"].tolist() == [20.0]
