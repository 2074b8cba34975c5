"""Annotator mode in a real JupyterLab: the batch is claimed from the shared queue, submitting goes through it,
and the annotation-quality panel shows the annotator's name as text (markup in a name is never HTML)."""
from __future__ import annotations

import pytest

from .harness import notebook

pytestmark = pytest.mark.e2e

NAME = '<b>"x"</b>'

SETUP = f'''
import json, tempfile, os
import numpy as np
from sklearn.datasets import make_classification
from sklearn.linear_model import LogisticRegression
from activelens import ActiveLearner, AnnotationQueue, Explorer

X, y = make_classification(n_samples=300, n_features=6, n_informative=4, n_redundant=0, n_classes=3,
                           n_clusters_per_class=1, random_state=0)
Xp, yp, Xt, yt = X[:240], y[:240], X[240:], y[240:]
seed = [int(np.flatnonzero(yp == c)[k]) for k in range(2) for c in range(3)]
path = os.path.join(tempfile.mkdtemp(), "labels.db")
learner = ActiveLearner(LogisticRegression(max_iter=500), Xp, batch_size=6, classes=[0, 1, 2], holdout=(Xt, yt),
                        cold_start=np.array(seed), random_state=0, store=path)
w = Explorer(learner, labels=["alpha", "beta", "gamma"], projection="pca", annotator={NAME!r})
w
'''
ROOT = ".activelens"
PANEL = f"{ROOT} .al-monitor"


@pytest.mark.frontends("lab")   # the same page in either front end: run once (CI time); the Explorer's own
                                # tests run in JupyterLab and Notebook 7
def test_annotator_mode_panel_shows_names_as_text(lab):
    lab.open_notebook(notebook(SETUP))
    lab.run_all()
    lab.wait_for(f'{ROOT}[data-ready="true"][data-batch="6"]')
    lab.wait_for(f'{PANEL}[data-annotators="0"]')
    assert lab.page.locator(f"{PANEL} .al-monitor-me").text_content() == NAME
    assert lab.run_probe("print(sorted(w.queue.leases()['index'].tolist()) == sorted(w.batch_indices))") == "True"

    truth = {int(k): v for k, v in __import__("json").loads(
        lab.run_probe("print(json.dumps({str(i): int(yp[i]) for i in w.batch_indices}))")).items()}
    for index, label in truth.items():
        lab.page.locator(f'{ROOT} .al-card[data-index="{index}"] button.al-label[data-label="{label}"]').click()
    lab.wait_for(f'{ROOT}[data-picked="6"]')
    lab.page.locator(f"{ROOT} button.al-submit").click()
    lab.wait_for(f'{ROOT}[data-round="1"][data-busy="false"][data-labeled="6"]')
    lab.wait_for(f'{PANEL}[data-annotators="1"][data-labels="6"]')

    # the name is shown exactly, as text: no <b> element was made from it
    cell = lab.page.locator(f"{PANEL} td.al-col-name").first
    assert cell.text_content() == NAME
    assert lab.page.locator(f"{PANEL} b").count() == 0
    assert "queue:" in lab.page.locator(f"{PANEL} .al-monitor-summary").text_content()
    out = lab.run_probe("a = learner.store.annotations(); print(sorted(set(a['annotator'])), len(a))")
    assert out == f"[{NAME!r}] 6"
    lab.screenshot("explorer-queue-monitor", locator=lab.page.locator(ROOT).first)
    lab.assert_no_console_errors()
