"""The Explorer on a Dask pool in a real JupyterLab: the map draws a sample (every batch item on it), a click on a
batch point opens that item's card and a hover shows that item — the page maps points to pool positions — and
labels clicked on the cards reach the kernel's learner."""
from __future__ import annotations

import json

import pytest

from .harness import notebook
from .test_widget import PIXELS_JS

pytestmark = pytest.mark.e2e

ROOT = ".activelens"

SETUP = '''
import json
import numpy as np
import dask.array as da
from distributed import Client, LocalCluster
from sklearn.linear_model import LogisticRegression
from activelens import ActiveLearner, Explorer, make_pool

cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None)
client = Client(cluster)
rng = np.random.default_rng(0)
X = rng.normal(size=(40_000, 8)).astype(np.float32)
y = (X[:, 0] + X[:, 1] > 0).astype(int)
rare = rng.choice(40_000, 100, replace=False)
X[rare] += 7.0
y[rare] = 2
seed = np.concatenate([np.flatnonzero(y == c)[:2] for c in range(3)])
pool = da.from_array(X, chunks=(7_000, 8))
learner = ActiveLearner(LogisticRegression(max_iter=300), make_pool(pool, client=client, random_state=0), batch_size=6,
                        classes=[0, 1, 2], cold_start=seed, random_state=0)
w = Explorer(learner, labels=["left", "right", "rare"], projection="pca", max_points=3000)
w
'''

TRUTH = "print(json.dumps({str(i): int(y[i]) for i in w.batch_indices}))"
ON_MAP = "print(json.dumps([w.n_points, bool(np.isin(w.batch_indices, w.point_positions()).all()), " \
         "bool(np.isin(learner.labeled_indices, w.point_positions()).all())]))"


def _attr(lab, name):
    return lab.page.locator(ROOT).first.get_attribute(name)


def _wait_attr(lab, timeout=None, **attrs):
    sel = ROOT + "".join(f'[data-{k.replace("_", "-")}="{v}"]' for k, v in attrs.items())
    return lab.wait_for(sel, timeout=timeout)


def _ring_centre(lab, k):
    box = lab.page.locator(f"{ROOT} svg.al-rings circle").nth(k).bounding_box()
    return box["x"] + box["width"] / 2, box["y"] + box["height"] / 2


@pytest.mark.frontends("lab")   # the same page in either front end: run once (CI time); the Explorer's own
                                # tests run in JupyterLab and Notebook 7
def test_dask_pool_sample_on_the_map(lab):
    lab.open_notebook(notebook(SETUP))
    lab.run_all(timeout=240)
    _wait_attr(lab, ready="true", batch="6", highlighted="6")
    n_points, batch_on, labeled_on = json.loads(lab.run_probe(ON_MAP))
    assert 2500 < n_points < 3500 and batch_on and labeled_on        # a sample of the 40,000
    assert _attr(lab, "data-points") == str(n_points)
    assert lab.page.locator(f"{ROOT} svg.al-rings circle").count() == 6
    px = lab.page.evaluate(PIXELS_JS)   # the sample really was drawn: painted pixels in several colours
    assert px["painted"] > 1000 and px["colours"] >= 2, px
    assert f"{n_points - 6:,} of 40,000 items" in lab.page.locator(f"{ROOT} .al-projection").text_content() or \
        "of 40,000 items" in lab.page.locator(f"{ROOT} .al-projection").text_content()
    lab.screenshot("scale-0-first-paint", locator=lab.page.locator(ROOT).first)

    # --- batch 1 (the expert seed) by clicks; then the model's batch
    truth = {int(k): v for k, v in json.loads(lab.run_probe(TRUTH)).items()}
    for index, label in truth.items():
        lab.page.locator(f'{ROOT} .al-card[data-index="{index}"] button.al-label[data-label="{label}"]').click()
    _wait_attr(lab, picked="6")
    lab.page.locator(f"{ROOT} button.al-submit").click()
    _wait_attr(lab, round="1", busy="false", highlighted="6")
    got = json.loads(lab.run_probe(
        "print(json.dumps(sorted([int(i), int(v)] for i, v in zip(learner.labeled_indices, learner.labels))))"))
    assert got == sorted([i, v] for i, v in truth.items())
    n_points, batch_on, labeled_on = json.loads(lab.run_probe(ON_MAP))
    assert batch_on and labeled_on and _attr(lab, "data-points") == str(n_points)

    # a click on a batch point opens that pool item's card (point number -> pool position in the page)
    order = json.loads(lab.run_probe("print(json.dumps(w.batch_indices))"))
    rings = lab.page.locator(f"{ROOT} svg.al-rings circle").count()
    assert rings == 6
    # click rings that no other ring overlaps (the default's batch sits along the decision boundary, where two rings
    # can cover the same pixels and a click there opens whichever point is nearest): the two most isolated ones
    # the probe cells above scrolled the notebook: bring the map into view first, as a user would, or a ring near
    # its top edge sits under JupyterLab's toolbar and the click lands there
    lab.page.locator(f"{ROOT} svg.al-rings").first.evaluate("el => el.scrollIntoView({block: 'center'})")
    centres = [_ring_centre(lab, k) for k in range(rings)]
    radius = lab.page.locator(f"{ROOT} svg.al-rings circle").first.bounding_box()["width"] / 2

    def room(k):
        return min(((centres[k][0] - cx) ** 2 + (centres[k][1] - cy) ** 2) ** 0.5
                   for j, (cx, cy) in enumerate(centres) if j != k)

    isolated = sorted(range(rings), key=room, reverse=True)[:2]
    assert room(isolated[0]) > radius, f"every batch ring overlaps another: {centres}"
    for k in isolated:
        x, y_ = centres[k]
        lab.page.mouse.click(x, y_)
        lab.page.wait_for_function(
            f"() => document.querySelector('.activelens').getAttribute('data-focused') === '{order[k]}'")
    # a hover asks the kernel about that pool item, by its pool position
    k = isolated[0]
    x, y_ = centres[k]
    lab.page.mouse.move(x, y_)
    lab.page.wait_for_function(   # the tooltip may still show the item under the last click until the reply comes
        f"() => (document.querySelector('.activelens .al-tip-title') || {{}}).textContent === '#{order[k]}'")
    assert "predicted:" in lab.wait_for(f"{ROOT} .al-tooltip").text_content()
    lab.page.mouse.move(5, 5)
    lab.screenshot("scale-1-after-first-round", locator=lab.page.locator(ROOT).first)
    assert int(_attr(lab, "data-batch")) == 6     # clicks on batch points added nothing
    lab.run_probe("client.close(); cluster.close(); print('closed')")
    lab.assert_no_console_errors()
