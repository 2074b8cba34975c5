import os
import subprocess
import sys

import io
import json

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import make_blobs
from sklearn.linear_model import LogisticRegression

from activelens import ActiveLearner, AnnotationQueue
from activelens.__main__ import main


def _run(*args):
    return subprocess.run([sys.executable, "-m", "activelens", *args], capture_output=True, text=True, timeout=300)


def test_simulate_prints_labels_to_targets_and_ratio_to_random(tmp_path):
    plot = tmp_path / "curve.html"
    out = _run("simulate", "--dataset", "iris", "--strategies", "margin,entropy", "--seeds", "2", "--budget", "40",
               "--initial", "6", "--batch-size", "6", "--quiet", "--plot", str(plot))
    assert out.returncode == 0, out.stderr
    text = out.stdout
    for needle in ("full-pool logreg accuracy", "labels_to_90%", "labels_to_95%", "labels_to_99%", "aubc_vs_random"):
        assert needle in text
    rows = {line.split()[0] for line in text.splitlines() if line.split()}
    assert {"random", "margin", "entropy"} <= rows  # random is always added as the baseline
    assert plot.exists() and "plotly" in plot.read_text()[:100000].lower()


def test_simulate_from_a_csv_file(tmp_path):
    rng = np.random.default_rng(0)
    X = np.vstack([rng.normal(0, 1, (60, 3)), rng.normal(4, 1, (60, 3))])
    frame = pd.DataFrame(X, columns=["a", "b", "c"])
    frame["kind"] = ["x"] * 60 + ["y"] * 60
    path = tmp_path / "pool.csv"
    frame.to_csv(path, index=False)
    out = _run("simulate", "--dataset", str(path), "--seeds", "1", "--budget", "30", "--initial", "6", "--quiet")
    assert out.returncode == 0, out.stderr
    assert "pool=84" in out.stdout and "cold_start=auto" in out.stdout
    rows = {line.split()[0] for line in out.stdout.splitlines() if line.split()}
    assert {"random", "auto", "margin", "entropy", "combined"} <= rows    # the default race, auto first


# ----- the store commands: select (the headless selection service) and export -----
@pytest.fixture(scope="module")
def store_pool():
    X, y = make_blobs(n_samples=200, centers=3, cluster_std=2.0, random_state=1)
    return X, y


def _learner(X, store, **kw):
    return ActiveLearner(LogisticRegression(max_iter=300), X, store=store, random_state=0, **kw)


def test_cli_select_and_export(store_pool, tmp_path, capsys):
    X, y = store_pool
    path = str(tmp_path / "labels.db")
    _learner(X, path, batch_size=5)
    assert main(["select", "--store", path, "--count", "12"]) == 0
    assert "queued 12 items by typiclust" in capsys.readouterr().out   # the default cold start (auto)
    q = AnnotationQueue(path)
    got = q.claim("ann <i>", n=12)
    for i in got:
        q.submit("ann <i>", i, int(y[i]), seconds=1.5)
    assert main(["select", "--store", path, "--n", "7"]) == 0
    out = capsys.readouterr().out
    assert "taught from finished annotations: 12" in out and "retrained: round 1" in out and "queued 7 items by auto" in out
    assert q.status()["pending"] == 7
    learner = _learner(X, path)
    assert sorted(learner.labeled_indices.tolist()) == sorted(got)
    df = learner.store.labels()
    assert set(df["strategy"]) == {"typiclust"} and set(df["annotator"]) == {"ann <i>"}
    assert main(["export", "--store", path, "--out", str(tmp_path / "l.jsonl")]) == 0
    recs = [json.loads(x) for x in (tmp_path / "l.jsonl").read_text().splitlines()]
    assert sorted(r["index"] for r in recs) == sorted(got)
    capsys.readouterr()
    assert main(["export", "--store", path, "--what", "annotations"]) == 0
    assert capsys.readouterr().out.count("ann <i>") == 12
    assert main(["select", "--store", str(tmp_path / "missing.db")]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_unknown_dataset_and_strategy_are_clear_errors():
    out = _run("simulate", "--dataset", "mnist_from_the_internet", "--quiet")
    assert out.returncode == 2 and "neither one of" in out.stderr
    out = _run("simulate", "--strategies", "psychic", "--quiet")
    assert out.returncode == 2 and "unknown strategy 'psychic'" in out.stderr
    out = _run("simulate", "--cold-start", "telepathy", "--quiet")
    assert out.returncode == 2 and "unknown cold start 'telepathy'" in out.stderr


def test_the_program_is_named_as_installed_and_count_keeps_n_as_a_hidden_alias(capsys):
    from activelens.__main__ import build_parser

    parser = build_parser()
    assert parser.prog == "activelens"
    with pytest.raises(SystemExit):
        parser.parse_args(["select", "--help"])
    text = capsys.readouterr().out
    assert "usage: activelens select" in text and "--count" in text and "--n " not in text   # --n: hidden
    assert parser.parse_args(["select", "--store", "s.db", "--n", "7"]).count == 7
    assert parser.parse_args(["select", "--store", "s.db", "--count", "8"]).count == 8
    assert parser.parse_args(["select", "--store", "s.db"]).count == 100


def test_select_fills_the_queue_to_count_and_the_pool_running_out_is_said(store_pool, tmp_path, capsys):
    X, y = store_pool
    path = str(tmp_path / "labels.db")
    _learner(X[:30], path, batch_size=5).store.close()
    assert main(["select", "--store", path, "--count", "25"]) == 0
    assert "queued 25 items" in capsys.readouterr().out
    assert main(["select", "--store", path, "--n", "10"]) == 0     # the old name: the 5 left of the pool
    assert "queued 5 items" in capsys.readouterr().out
    assert AnnotationQueue(path).status()["pending"] == 30


@pytest.mark.parametrize("argv, words", [
    (["select", "--store", "{tmp}/labels.db", "--count", "0"], "--count must be a positive int"),
    (["select", "--store", "{tmp}/labels.db", "--n", "-3"], "--count must be a positive int"),
    (["select", "--store", "{tmp}/none.db"], "does not exist"),
    (["select", "--store", "{tmp}/labels.db", "--strategy", "psychic"], "unknown --strategy 'psychic'"),
    (["reject", "--store", "{tmp}/none.db", "--index", "3"], "does not exist"),
    (["export", "--store", "{tmp}/labels.db", "--format", "parquet"], "--format parquet writes a binary file"),
    (["simulate", "--seeds", "0", "--quiet"], "--seeds must be a positive int"),
    (["simulate", "--jobs", "0", "--quiet"], "--jobs must be a positive int"),
    (["simulate", "--budget", "0", "--quiet"], "--budget must be a positive int"),
    (["simulate", "--test-size", "1.5", "--quiet"], "--test-size must be a number with 0 < value < 1"),
])
def test_every_command_fails_the_same_way(store_pool, tmp_path, capsys, argv, words):
    X, _ = store_pool
    _learner(X[:30], str(tmp_path / "labels.db")).store.close()
    assert main([a.format(tmp=tmp_path) for a in argv]) == 2
    out, err = capsys.readouterr()
    assert err.startswith("error: ") and words in err and err.count("\n") == 1
    assert out == ""


def test_cli_relabel_unlabel_and_history(store_pool, tmp_path, capsys):
    X, y = store_pool
    path = str(tmp_path / "labels.db")
    learner = _learner(X, path)
    learner.teach([0, 1, 2], [0, 1, 2])
    learner.store.close()
    assert main(["relabel", "--store", path, "--index", "1", "--label", "2", "--index", "2", "--label", "0",
                 "--annotator", "rev"]) == 0
    assert "relabeled 2 item(s): 1 -> 2, 2 -> 0" in capsys.readouterr().out
    assert main(["unlabel", "--store", path, "--index", "0"]) == 0
    assert "took back the labels of 1 item(s) (0)" in capsys.readouterr().out
    assert main(["history", "--store", path, "--index", "1"]) == 0
    rows = pd.read_csv(io.StringIO(capsys.readouterr().out))
    assert rows["label"].tolist() == [1, 2] and rows["source"].tolist() == ["teach", "cli:relabel"]
    assert rows["superseded_by"].tolist()[0] == "cli:relabel" and rows["annotator"].tolist()[1] == "rev"
    assert main(["export", "--store", path, "--what", "history", "--out", str(tmp_path / "h.jsonl")]) == 0
    assert "wrote 6 history" in capsys.readouterr().err
    again = _learner(X, path)
    assert dict(zip(again.labeled_indices.tolist(), again.labels.tolist())) == {1: 2, 2: 0}
    assert again.label_history()["source"].tolist() == ["teach"] * 3 + ["cli:relabel"] * 2 + ["cli:unlabel"]
    again.store.close()
    # string labels without declared classes are taken as text; an unknown item is one clear error
    assert main(["relabel", "--store", path, "--index", "0", "--label", "1"]) == 2
    assert "holds no label for item 0" in capsys.readouterr().err


def test_cli_reject_no_longer_says_a_label_is_final(store_pool, tmp_path, capsys):
    X, y = store_pool
    path = str(tmp_path / "labels.db")
    learner = _learner(X, path)
    learner.teach([0, 1], [0, 1])
    q = AnnotationQueue(learner.store)
    q.put([5])
    q.claim("ana")
    q.submit("ana", 5, 2)
    q.sync(learner)
    learner.store.close()
    assert main(["reject", "--store", path, "--index", "5"]) == 2
    err = capsys.readouterr().err
    assert "final" not in err and "activelens relabel" in err and "activelens unlabel" in err
    assert main(["unlabel", "--store", path, "--index", "5"]) == 0
    assert main(["reject", "--store", path, "--index", "5"]) == 0
    assert "removed 1 annotation(s)" in capsys.readouterr().out


# ----- OS errors and an empty strategy list: one line, exit 2, before any long work (issue 21) -----
def _fail(argv, capsys):
    """Run ``main(argv)`` in this process; return its standard error after checking the one-line exit-2 form."""
    assert main(argv) == 2
    out, err = capsys.readouterr()
    assert err.startswith("error: ") and err.count("\n") == 1 and "Traceback" not in err, err
    return err


def test_an_empty_strategies_list_is_refused(capsys):
    for given in ("", ",", " , "):
        err = _fail(["simulate", "--strategies", given, "--quiet"], capsys)
        assert "--strategies names no strategy" in err and "margin" in err


def test_simulate_checks_its_paths_before_the_simulation(tmp_path, capsys, monkeypatch):
    import activelens.loop.simulate as sim

    def never(*a, **k):
        raise AssertionError("the simulation ran before the paths were checked")
    monkeypatch.setattr(sim, "compare", never)
    err = _fail(["simulate", "--dataset", "iris", "--plot", str(tmp_path), "--quiet"], capsys)
    assert "--plot" in err and "is a directory" in err
    err = _fail(["simulate", "--dataset", str(tmp_path), "--quiet"], capsys)   # a folder as the dataset
    assert "--dataset" in err and "is a directory" in err
    data = tmp_path / "pool.csv"
    data.write_text("a,b\n1,0\n")
    real_access = os.access
    monkeypatch.setattr(os, "access", lambda p, mode: False if str(p) == str(data) else real_access(p, mode))
    err = _fail(["simulate", "--dataset", str(data), "--quiet"], capsys)      # a file that cannot be read
    assert "--dataset" in err and "cannot be read" in err and "permissions" in err
    monkeypatch.setattr(os, "access", lambda p, mode: False if str(p) == str(tmp_path) else real_access(p, mode))
    err = _fail(["simulate", "--dataset", "iris", "--plot", str(tmp_path / "c.html"), "--quiet"], capsys)
    assert "--plot" in err and "cannot be written" in err


def test_store_commands_refuse_folders_and_unreadable_files(store_pool, tmp_path, capsys, monkeypatch):
    X, _ = store_pool
    path = str(tmp_path / "labels.db")
    _learner(X[:30], path).store.close()
    err = _fail(["export", "--store", path, "--out", str(tmp_path)], capsys)             # --out is a folder
    assert "--out" in err and "is a directory" in err
    err = _fail(["export", "--store", path, "--out", str(tmp_path / "no" / "l.csv")], capsys)
    assert "--out" in err and "does not exist" in err
    err = _fail(["select", "--store", str(tmp_path)], capsys)                             # --store is a folder
    assert "is a directory" in err
    err = _fail(["select", "--store", path, "--pool", str(tmp_path)], capsys)            # --pool is a folder
    assert "--pool" in err and "is a directory" in err
    real_access = os.access
    monkeypatch.setattr(os, "access", lambda p, mode: False if str(p) == path else real_access(p, mode))
    err = _fail(["select", "--store", path], capsys)
    assert "--store" in err and "cannot be read" in err


def test_a_raw_os_error_gets_the_file_and_the_fix(capsys):
    from activelens.cli_store import error_exit

    assert error_exit(PermissionError(13, "Permission denied", "/srv/labels.db")) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: /srv/labels.db: permission denied; check") and "(Permission denied)" in err
    assert error_exit(IsADirectoryError(21, "Is a directory", "/srv")) == 2
    assert "that is a folder; give a file in it" in capsys.readouterr().err
