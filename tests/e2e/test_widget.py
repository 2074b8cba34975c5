"""The Explorer in a real JupyterLab: map drawn, batch highlighted, labeling by clicks and by keyboard,
the kernel's learner holding exactly those labels, the curve gaining points, user text shown as text."""
from __future__ import annotations

import json

import pytest

from .harness import notebook

pytestmark = pytest.mark.e2e

XSS = "<img src=x onerror=alert(1)>"

SETUP = f'''
import json
import numpy as np
from sklearn.datasets import make_classification
from sklearn.linear_model import LogisticRegression
from activelens import ActiveLearner, Explorer

X, y = make_classification(n_samples=400, n_features=6, n_informative=4, n_redundant=0, n_classes=3,
                           n_clusters_per_class=1, random_state=0)
Xp, yp, Xt, yt = X[:300], y[:300], X[300:], y[300:]
seed = [int(np.flatnonzero(yp == c)[k]) for k in range(2) for c in range(3)]   # the first batch: 2 per class
texts = [f"item {{i}}: {{Xp[i, :2].round(2).tolist()}}" for i in range(300)]
texts[seed[0]] = {XSS!r}                                                       # markup must stay text
learner = ActiveLearner(LogisticRegression(max_iter=500), Xp, batch_size=6, classes=[0, 1, 2],
                        X_test=Xt, y_test=yt, cold_start=np.array(seed), random_state=0)
w = Explorer(learner, items=texts, labels=["alpha", "beta", "gamma"], projection="pca")
w
'''

ROOT = ".activelens"
TRUTH = "print(json.dumps({str(i): int(yp[i]) for i in w.batch_indices}))"
LEARNER_LABELS = "print(json.dumps(sorted([int(i), int(v)] for i, v in zip(learner.labeled_indices, learner.labels))))"

# Counts canvas pixels that are not transparent and the distinct colours among them.
PIXELS_JS = """
() => {
  const c = document.querySelector('.activelens canvas.al-canvas');
  const g = c.getContext('2d');
  const d = g.getImageData(0, 0, c.width, c.height).data;
  let painted = 0; const colours = new Set();
  for (let i = 0; i < d.length; i += 4) {
    if (d[i + 3] > 0) { painted++; colours.add((d[i] >> 4) * 256 + (d[i + 1] >> 4) * 16 + (d[i + 2] >> 4)); }
  }
  return {painted, colours: colours.size, width: c.width, height: c.height};
}
"""


def _attr(lab, name):
    return lab.page.locator(ROOT).first.get_attribute(name)


def _wait_attr(lab, timeout=None, **attrs):
    sel = ROOT + "".join(f'[data-{k.replace("_", "-")}="{v}"]' for k, v in attrs.items())
    return lab.wait_for(sel, timeout=timeout)


def test_explorer_label_by_clicks_and_keyboard(lab):
    dialogs = []
    lab.page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    lab.open_notebook(notebook(SETUP))
    lab.run_all()

    root = _wait_attr(lab, ready="true", points="300")
    # the 2-D canvas showed the points before the WebGL renderer was up
    assert 0 <= int(_attr(lab, "data-first-paint-ms")) <= int(_attr(lab, "data-paint-ms"))
    assert _attr(lab, "data-batch") == "6"
    assert _attr(lab, "data-highlighted") == "6"
    assert _attr(lab, "data-round") == "0"
    assert _attr(lab, "data-curve-points") == "0"
    lab.screenshot("explorer-0-first-paint")

    # the batch ring overlay: one ring per batch item, on top of the points
    assert lab.page.locator(f"{ROOT} svg.al-rings circle").count() == 6

    # the map really drew points: painted pixels in several colours (points + batch ring)
    px = lab.page.evaluate(PIXELS_JS)
    assert px["painted"] > 300, px
    assert px["colours"] >= 2, px

    # user text is text: shown verbatim, no <img> element created, nothing ran
    assert lab.page.locator(f"{ROOT} .al-text", has_text=XSS).count() == 1
    assert lab.page.locator(f'{ROOT} img[src="x"]').count() == 0
    assert dialogs == []

    # cold start: no probabilities yet, so the buttons come in class order without a %
    first = lab.page.locator(f"{ROOT} .al-card").first
    assert first.locator("button.al-label").all_text_contents()[0].startswith("alpha")
    assert first.locator(".al-pct").count() == 0

    # --- batch 1 by clicks
    truth = {int(k): v for k, v in json.loads(lab.run_probe(TRUTH)).items()}
    assert len(truth) == 6
    for index, label in truth.items():
        lab.page.locator(f'{ROOT} .al-card[data-index="{index}"] button.al-label[data-label="{label}"]').click()
    _wait_attr(lab, picked="6")
    assert lab.run_probe("print(learner.n_labeled)") == "0"   # picks are not labels until submitted
    lab.screenshot("explorer-1-picked-by-click")
    lab.page.locator(f"{ROOT} button.al-submit").click()
    _wait_attr(lab, round="1", busy="false", curve_points="1")
    expected = sorted([i, v] for i, v in truth.items())
    assert json.loads(lab.run_probe(LEARNER_LABELS)) == expected
    assert _attr(lab, "data-highlighted") == "6"
    lab.screenshot("explorer-2-after-first-submit")

    # after a model exists the buttons carry probabilities and one is marked suggested
    card = lab.page.locator(f"{ROOT} .al-card").first
    assert card.locator(".al-pct").count() == 3
    assert card.locator("button.al-suggested").count() == 1
    assert card.locator("button.al-label").first.get_attribute("class").find("al-suggested") >= 0

    # hover a batch point: the tooltip shows the item, its predicted class and entropy (asked from the kernel)
    ring = lab.page.locator(f"{ROOT} svg.al-rings circle").first
    box = ring.bounding_box()
    lab.page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    tip = lab.wait_for(f"{ROOT} .al-tooltip")
    assert "predicted:" in tip.text_content() and "entropy:" in tip.text_content()
    lab.page.mouse.move(5, 5)

    # colour switch: the kernel recolours, the page redraws (only the colour buffer crosses)
    lab.page.locator(f"{ROOT} select.al-select").select_option("predicted")
    lab.page.wait_for_function("() => document.querySelector('.activelens .al-legend-title').textContent === 'predicted class'")
    assert lab.run_probe("print(w.color_by)") == "predicted"
    lab.screenshot("explorer-2b-colour-by-predicted")

    # --- batch 2 by keyboard (keys are class positions + 1), with an undo on the way
    truth2 = {int(k): v for k, v in json.loads(lab.run_probe(TRUTH)).items()}
    assert not set(truth2) & set(truth)
    n_cells = len(lab.cells())
    root.focus()
    order = [int(x) for x in lab.page.locator(f"{ROOT} .al-card").evaluate_all(
        "els => els.map(e => e.getAttribute('data-index'))")]
    lab.page.keyboard.press(str(truth2[order[0]] + 1))
    _wait_attr(lab, picked="1")
    lab.page.keyboard.press("Backspace")
    _wait_attr(lab, picked="0")
    for index in order:
        lab.page.keyboard.press(str(truth2[index] + 1))
    _wait_attr(lab, picked="6")
    lab.screenshot("explorer-3-picked-by-keyboard")
    lab.page.keyboard.press("Enter")
    _wait_attr(lab, round="2", busy="false", curve_points="2")
    # the keys went to the widget, not to the notebook: no cell was added, deleted or turned into markdown
    cells = lab.cells()
    assert len(cells) == n_cells and all(c["type"] == "code" for c in cells)
    expected += [[i, v] for i, v in truth2.items()]
    assert json.loads(lab.run_probe(LEARNER_LABELS)) == sorted(expected)
    lab.screenshot("explorer-4-after-keyboard-submit")
    lab.screenshot("explorer-4-widget", locator=lab.page.locator(ROOT).first)

    # lasso: draw a loop around the middle of the map; the points inside join the batch as hand-picked cards
    lab.page.locator(f"{ROOT} button.al-lasso").click()
    box = lab.page.locator(f"{ROOT} canvas.al-canvas").bounding_box()
    cx, cy, r = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2, min(box["width"], box["height"]) / 5
    import math
    lab.page.mouse.move(cx + r, cy)
    lab.page.mouse.down()
    for k in range(1, 41):
        a = 2 * math.pi * k / 40
        lab.page.mouse.move(cx + r * math.cos(a), cy + r * math.sin(a), steps=2)
    lab.page.mouse.up()
    lab.page.wait_for_function("() => Number(document.querySelector('.activelens').getAttribute('data-batch')) > 6")
    n_batch = int(_attr(lab, "data-batch"))
    assert len(json.loads(lab.run_probe("print(json.dumps(w.batch_indices))"))) == n_batch
    assert lab.page.locator(f"{ROOT} .al-card.al-hand").count() == n_batch - 6
    _wait_attr(lab, highlighted=str(n_batch))
    lab.screenshot("explorer-5-lasso", locator=lab.page.locator(ROOT).first)

    # Esc gives the keys back to the notebook
    root.focus()
    lab.page.keyboard.press("Escape")
    assert not lab.page.evaluate("() => document.querySelector('.activelens').contains(document.activeElement)")

    assert dialogs == []
    lab.assert_no_console_errors()


def test_quickstart_notebook_digits(lab):
    """The quickstart as a user runs it: digit images on the cards, keyboard labels, UMAP swapped in."""
    from pathlib import Path

    path = Path(__file__).resolve().parents[2] / "notebooks" / "quickstart.ipynb"
    lab.open_notebook(str(path))
    lab.run_all()
    _wait_attr(lab, ready="true", points="1257", batch="10", highlighted="10")
    # the digit images decoded (PNG from the kernel's tiny encoder)
    widths = lab.page.locator(f"{ROOT} img.al-img").evaluate_all("els => els.map(e => e.naturalWidth)")
    assert widths == [8] * 10
    lab.screenshot("quickstart-0-first-paint")
    truth = json.loads(lab.run_probe("import json; print(json.dumps([int(y_pool[i]) for i in explorer.batch_indices]))"))
    lab.page.locator(ROOT).first.focus()
    for label in truth:
        lab.page.keyboard.press(str((label + 1) % 10))
    _wait_attr(lab, picked="10")
    lab.page.keyboard.press("Enter")
    _wait_attr(lab, round="1", busy="false", curve_points="1")
    assert lab.run_probe("print(sorted(map(int, learner.labels)) == sorted(" + repr(truth) + "))") == "True"
    # UMAP is fitted in a background thread and swapped in (the kernel answered everything above meanwhile)
    # (a fresh venv has no numba cache: UMAP's first fit compiles for ~25 s on an idle 2-core machine)
    _wait_attr(lab, projection="umap", timeout=300)
    lab.screenshot("quickstart-1-umap", locator=lab.page.locator(ROOT).first)
    lab.assert_no_console_errors()


NO_WEBGL = """
const original = HTMLCanvasElement.prototype.getContext;
HTMLCanvasElement.prototype.getContext = function (kind, ...rest) {
  if (String(kind).includes('webgl')) return null;
  return original.call(this, kind, ...rest);
};
"""


def test_canvas_fallback_without_webgl_and_click_to_add(lab):
    """No WebGL: the map falls back to a 2-D canvas, still draws, and a click on a point adds it to the batch."""
    lab.context.add_init_script(NO_WEBGL)
    lab.open_notebook(notebook(SETUP))
    lab.run_all()
    _wait_attr(lab, ready="true", points="300", renderer="canvas", highlighted="6")
    px = lab.page.evaluate(PIXELS_JS)
    assert px["painted"] > 300, px
    # a point that is not in the batch, far from the batch points: its pixel on our canvas
    target = json.loads(lab.run_probe(
        "xy = w.coordinates(); b = w.batch_indices\n"
        "d = ((xy[:, None, :] - xy[None, :, :]) ** 2).sum(-1) ** 0.5; np.fill_diagonal(d, 9)\n"
        "cand = [i for i in np.argsort(-d[:, b].min(1)) if i not in b and d[i].min() > 0.03][0]\n"
        "print(json.dumps([int(cand), float(xy[cand, 0]), float(xy[cand, 1])]))"))
    index, x, y = target
    canvas = lab.page.locator(f"{ROOT} canvas.al-canvas")
    size = canvas.evaluate("c => [c.width, c.height]")
    half = min(size) / 2
    canvas.click(position={"x": size[0] / 2 + x * half, "y": size[1] / 2 - y * half})
    _wait_attr(lab, batch="7", highlighted="7")
    assert json.loads(lab.run_probe("print(json.dumps(w.batch_indices))"))[-1] == index
    lab.page.locator(f'{ROOT} .al-card[data-index="{index}"]').wait_for()
    assert _attr(lab, "data-focused") == str(index)          # the new card is opened (focused)
    lab.screenshot("explorer-canvas-fallback", locator=lab.page.locator(ROOT).first)
    lab.assert_no_console_errors()
