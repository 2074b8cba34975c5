"""Teaching mode and the race in a real JupyterLab: the oracle button, Run N rounds, the step view, the live
strategy and noise settings, the race's Run; the kernel's learners hold what the page shows; no console errors."""
from __future__ import annotations

import json

import pytest

from .harness import notebook

pytestmark = pytest.mark.e2e

SETUP = '''
import json
import numpy as np
from sklearn.datasets import make_classification
from sklearn.linear_model import LogisticRegression
from activelens import Explorer, Race

X, y = make_classification(n_samples=400, n_features=6, n_informative=4, n_redundant=0, n_classes=3,
                           n_clusters_per_class=1, random_state=0)
Xp, yp, Xt, yt = X[:300], y[:300], X[300:], y[300:]
w = Explorer.teach(LogisticRegression(max_iter=500), Xp, yp, X_test=Xt, y_test=yt, initial=12, batch_size=6,
                   labels=["alpha", "beta", "gamma"], projection="pca")
w
'''
RACE = '''
race = Race(LogisticRegression(max_iter=500), Xp, yp, X_test=Xt, y_test=yt, strategies=["margin", "k_center"],
            initial=12, batch_size=6, random_state=0)
race
'''
T = '.activelens[data-teaching="true"]'
R = ".activelens.al-race"
LABELS_OK = "print(all(int(v) == int(yp[i]) for i, v in zip(w.learner.labeled_indices, w.learner.labels)))"


def _wait(lab, root, **attrs):
    return lab.wait_for(root + "".join(f'[data-{k.replace("_", "-")}="{v}"]' for k, v in attrs.items()))


def test_teaching_mode_and_race(lab):
    lab.open_notebook(notebook(SETUP, RACE))
    lab.run_all()
    _wait(lab, T, ready="true", points="300", round="1", labeled="12", step="0")
    _wait(lab, R, ready="true", racers="3", curve_points="3")
    assert lab.page.locator(f"{T} svg.al-rings circle").count() == 6
    lab.screenshot("teaching-0-first-paint", locator=lab.page.locator(T).first)

    # "Label batch with oracle": the oracle answers the six cards, the learner is taught and retrains
    lab.page.locator(f"{T} button.al-oracle").click()
    _wait(lab, T, round="2", busy="false", labeled="18", answered="6", rounds_run="1", curve_points="2")
    assert lab.run_probe("print(w.learner.n_labeled, len(w.learner.rounds))") == "18 2"
    assert lab.run_probe(LABELS_OK) == "True"

    # the step view: 1 scores (no rings, coloured by uncertainty), 2 selection (the batch ringed)
    lab.page.locator(f"{T} button.al-step").click()
    _wait(lab, T, step="1", highlighted="0")
    assert lab.page.locator(f"{T} svg.al-rings circle").count() == 0
    assert "1/4 scores" in lab.page.locator(f"{T} .al-step-text").text_content()
    lab.screenshot("teaching-1-step-scores", locator=lab.page.locator(T).first)
    lab.page.locator(f"{T} button.al-step").click()
    _wait(lab, T, step="2", highlighted="6")
    assert lab.page.locator(f"{T} .al-step-now").text_content() == "selection"
    lab.screenshot("teaching-2-step-selection", locator=lab.page.locator(T).first)

    # "Run N rounds" with N = 3 picked in the menu
    lab.page.locator(f"{T} select.al-rounds").select_option("3")
    lab.page.locator(f"{T} button.al-run").click()
    _wait(lab, T, rounds_run="4", running="false", busy="false", round="5", labeled="36", curve_points="5")
    assert lab.run_probe("print(w.learner.n_labeled, len(w.learner.rounds))") == "36 5"
    assert lab.run_probe(LABELS_OK) == "True"

    # the strategy switches live; the noisy annotator is set in the kernel
    lab.page.locator(f"{T} select.al-strategy").select_option("k_center")
    _wait(lab, T, strategy="k_center")
    assert lab.run_probe("print(w.learner.strategy, w.batch[0]['why']['strategy'])") == "k_center k_center"
    lab.page.locator(f"{T} select.al-noise").select_option("0.5")
    lab.page.wait_for_function(
        "() => document.querySelector('.activelens[data-teaching] .al-noise').value === '0.5'")
    assert lab.run_probe("print(w.oracle.noise)") == "0.5"
    lab.page.locator(f"{T} button.al-oracle").click()
    _wait(lab, T, round="6", busy="false", answered="30")
    flipped = int(lab.page.locator(T).first.get_attribute("data-flipped"))
    assert lab.run_probe("print(int(w.oracle.log.flipped.sum()))") == str(flipped)
    assert f"{flipped} flipped" in lab.page.locator(f"{T} .al-teach-counts").text_content()
    lab.screenshot("teaching-3-after-rounds", locator=lab.page.locator(T).first)

    # the race: Run 3 rounds; each racer's curve gains three points, the small maps show the picks
    lab.page.locator(f"{R} select.al-race-rounds").select_option("3")
    lab.page.locator(f"{R} button.al-race-run").click()
    _wait(lab, R, curve_points="12", busy="false", round="3")
    pts = lab.page.locator(f"{R} svg polyline").evaluate_all("els => els.map(e => e.getAttribute('data-points'))")
    assert pts == ["4", "4", "4"]
    chosen = lab.page.locator(f"{R} canvas").evaluate_all("els => els.map(e => e.getAttribute('data-chosen'))")
    assert chosen == ["18", "18", "18"]
    frame = json.loads(lab.run_probe("print(race.curves_frame().groupby('strategy').n_labels.max().to_json())"))
    assert frame == {"margin": 30, "k_center": 30, "random": 30}
    rows = lab.page.locator(f"{R} table.al-race-reach tr[data-strategy]").count()
    assert rows == 3
    lab.screenshot("race-after-3-rounds", locator=lab.page.locator(R).first)
    assert lab.page.locator(f"{T} .al-error").text_content() == ""
    lab.assert_no_console_errors()


@pytest.mark.frontends("lab")   # the same page in either front end: run once (CI time); the Explorer's own
                                # tests run in JupyterLab and Notebook 7
def test_selection_lesson_notebook(lab):
    """notebooks/03_selection_on_the_map.ipynb as a class runs it: the teaching Explorer (one round stepped through,
    then switched to k-center) and the race render, respond, and agree with the kernel."""
    from pathlib import Path

    lab.open_notebook(str(Path(__file__).resolve().parents[2] / "notebooks" / "03_selection_on_the_map.ipynb"))
    lab.run_all(timeout=600)     # the lesson also runs its 10-seed checks
    _wait(lab, T, ready="true", points="1257", rounds_run="1", running="false", busy="false", round="2")
    _wait(lab, R, ready="true", racers="3", curve_points="27", busy="false")   # 3 racers: starting set + 8 rounds each
    lab.page.locator(f"{R} select.al-race-rounds").select_option("1")
    lab.page.locator(f"{R} button.al-race-run").click()
    _wait(lab, R, curve_points="30", busy="false", round="9")
    assert lab.run_probe("print(len(race.curves_frame()))") == "30"
    lab.page.locator(f"{T} button.al-oracle").click()
    _wait(lab, T, rounds_run="2", busy="false", round="3")
    assert lab.run_probe("print(explorer.learner.n_labeled, explorer.learner.strategy)") == "40 k_center"
    lab.screenshot("selection-lesson-teach", locator=lab.page.locator(T).first)
    lab.screenshot("selection-lesson-race", locator=lab.page.locator(R).first)
    assert lab.page.locator(f"{T} .al-error").text_content() == ""   # e.g. no refused map draw
    lab.assert_no_console_errors()
