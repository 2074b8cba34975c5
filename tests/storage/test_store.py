"""LabelStore: labels round-trip exactly, export, the saved estimator (skops, never a pickle). SQLite and PostgreSQL."""
import json
import os
import pickle

import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

from activelens import ActiveLearner
from activelens.__main__ import main
from activelens.storage import LabelStore
from activelens.storage.errors import UntrustedEstimatorError
from activelens.storage.store import ESTIMATOR_BLOB, LEGACY_ESTIMATOR_BLOB


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


# ----- the saved estimator: skops with trusted types, a pickle never loaded (issue 14) -----
class WritesAFile:
    """Unpickling this runs ``touch <marker>``: what anyone who can write one row of a shared database could store."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return os.system, (f"touch {self.marker}",)


class Sneaky(LogisticRegression):
    """A classifier of the user's own: skops can save it, but loading it builds a type nobody trusted yet."""

    def __setstate__(self, state):
        open(state.pop("_marker"), "w").close()   # what building an untrusted type may do
        self.__dict__.update(state)


def _blobs(st):
    with st.read() as conn:
        return sorted(r[0] for r in conn.exec_driver_sql("SELECT name FROM activelens_blobs"))


def test_the_estimator_is_saved_in_skops_format_and_loads_back(pool, store_target):
    X, _ = pool
    a = make(X, store_target)
    assert ESTIMATOR_BLOB in _blobs(a.store) and LEGACY_ESTIMATOR_BLOB not in _blobs(a.store)
    assert a.store.get_blob(ESTIMATOR_BLOB)[:2] == b"PK"   # a zip archive, not a pickle
    est = a.store.load_estimator()
    assert type(est) is LogisticRegression and est.get_params() == LogisticRegression(max_iter=300).get_params()


@pytest.mark.parametrize("slot", [LEGACY_ESTIMATOR_BLOB, ESTIMATOR_BLOB])
def test_a_pickle_that_would_run_code_is_refused_and_runs_nothing(pool, tmp_path, capsys, slot):
    X, _ = pool
    path = tmp_path / "labels.db"
    marker = tmp_path / "PWNED"
    payload = pickle.dumps(WritesAFile(marker))
    a = make(X, path)
    with a.store.write() as conn:   # someone with write access to the database replaces the estimator
        conn.exec_driver_sql("DELETE FROM activelens_blobs WHERE name LIKE 'estimator%'")
        a.store.put_blob(conn, slot, payload)
    with pytest.raises(UntrustedEstimatorError, match="nothing was loaded|Nothing was loaded") as info:
        a.store.load_estimator()
    assert "pickle" in str(info.value) or "not a skops file" in str(info.value)
    a.store.close()
    assert main(["select", "--store", str(path)]) == 2   # the headless select refuses it too
    err = capsys.readouterr().err
    assert err.startswith("error: store ") and ("never unpickles" in err or "not a skops file" in err)
    assert not marker.exists()                           # and nothing ran, anywhere
    st = LabelStore(path)
    assert st.get_blob(slot) == payload                  # nothing was changed either


def test_a_skops_blob_with_untrusted_types_is_refused_unless_trusted_by_name(pool, tmp_path):
    X, _ = pool
    marker = tmp_path / "built"
    st = make(X, tmp_path / "labels.db").store
    est = Sneaky(C=0.5)
    est._marker = str(marker)
    st.save_estimator(est)
    with pytest.raises(UntrustedEstimatorError, match=r"not trusted: .*Sneaky.*trusted=\[\.\.\.\]"):
        st.load_estimator()
    assert not marker.exists()
    name = f"{Sneaky.__module__}.Sneaky"
    loaded = st.load_estimator(trusted=[name])             # the user vouches for the type, by name
    assert type(loaded).__name__ == "Sneaky" and loaded.C == 0.5
    with pytest.raises(TypeError, match="trusted must be a list of type names"):
        st.load_estimator(trusted=name)


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
