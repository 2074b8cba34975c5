"""LabelStore: labels round-trip exactly, export, argument checks. SQLite and PostgreSQL."""
import json

import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

from activelens import ActiveLearner
from activelens.storage import LabelStore, StoreError


def make(X, store, **kw):
    return ActiveLearner(LogisticRegression(max_iter=300), X, store=store, random_state=0, **kw)


def test_string_labels_and_names_round_trip_exactly(pool, store_target):
    X, _ = pool
    names = ["Robert'); DROP TABLE activelens_labels;--", 'say "hi"', "<script>alert(1)</script>", "日本語 ✓ é", "a\nb\tc"]
    a = make(X, store_target)
    for k, name in enumerate(names):
        a.teach([k], [name], annotator=name)
    df = make(X, store_target).store.labels()
    assert df["label"].tolist() == names
    assert df["annotator"].tolist() == names
    jl = a.store.export(format="jsonl")
    assert [json.loads(line)["label"] for line in jl.splitlines()] == names


def test_export_formats(pool, store_target, tmp_path):
    X, y = pool
    a = make(X, store_target)
    a.teach([3, 1, 2], [2, 0, 1], annotator="ann", seconds=1.0)
    df = a.store.export()
    assert list(df["index"]) == [3, 1, 2]
    csv = a.store.export(tmp_path / "out.csv")
    back = pd.read_csv(csv)
    assert back["label"].tolist() == [2, 0, 1] and back["annotator"].tolist() == ["ann"] * 3
    lines = (tmp_path / "out.jsonl").read_text() if a.store.export(tmp_path / "out.jsonl") else ""
    recs = [json.loads(x) for x in lines.splitlines()]
    assert [r["index"] for r in recs] == [3, 1, 2] and [r["label"] for r in recs] == [2, 0, 1]
    assert {"timestamp", "seconds", "round", "model_version", "strategy", "score", "item_hash"} <= set(recs[0])
    with pytest.raises(ValueError, match="format"):
        a.store.export(tmp_path / "out.xlsx")


def test_store_argument_validation(pool, tmp_path):
    X, _ = pool
    with pytest.raises(TypeError, match="store must be a file path"):
        make(X, 42)
    with pytest.raises(StoreError, match="does not exist"):
        make(X, tmp_path / "no" / "such" / "dir" / "labels.db")
    with pytest.raises(ValueError, match="timeout"):
        LabelStore(tmp_path / "x.db", timeout=0)


def test_map_coords_are_kept_by_fingerprint(tmp_path):
    import numpy as np

    store = LabelStore(tmp_path / "maps.db")
    assert store.get_map_coords("umap-2-abc") is None
    xy = np.random.default_rng(0).normal(size=(50, 2))
    store.put_map_coords("umap-2-abc", xy)
    store.put_map_coords("umap-2-abc", xy * 2)                    # replaced, not added
    again = LabelStore(tmp_path / "maps.db").get_map_coords("umap-2-abc")
    assert again.dtype == np.float32 and np.allclose(again, xy * 2)
    with pytest.raises(ValueError, match="shape"):
        store.put_map_coords("k", np.zeros(5))
    with pytest.raises(ValueError, match="fingerprint"):
        store.get_map_coords("bad key; drop table")
