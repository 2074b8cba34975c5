import subprocess
import sys

import numpy as np
import pandas as pd


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


def test_unknown_dataset_and_strategy_are_clear_errors():
    out = _run("simulate", "--dataset", "mnist_from_the_internet", "--quiet")
    assert out.returncode == 2 and "neither one of" in out.stderr
    out = _run("simulate", "--strategies", "psychic", "--quiet")
    assert out.returncode == 2 and "unknown strategy 'psychic'" in out.stderr
    out = _run("simulate", "--cold-start", "telepathy", "--quiet")
    assert out.returncode == 2 and "unknown cold start 'telepathy'" in out.stderr
