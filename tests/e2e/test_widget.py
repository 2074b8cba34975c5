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
                        holdout=(Xt, yt), cold_start=np.array(seed), random_state=0)
w = Explorer(learner, items=texts, labels=["alpha", "beta", "gamma"], projection="pca")
import ipywidgets
ipywidgets.VBox([ipywidgets.HTML("<b>Label the batch</b>"), w])
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


RING_CENTRES_JS = """
() => Array.from(document.querySelectorAll('.activelens svg.al-rings circle')).map(c => {
  const b = c.getBoundingClientRect();
  return [b.left + b.width / 2, b.top + b.height / 2];
}).filter(([x, y]) => x >= 0 && y >= 0 && x < window.innerWidth && y < window.innerHeight)
"""

# every row of the legend's class swatches holds at least two of them (none alone on its own line)
LEGEND_ROWS_JS = """
() => {
  const rows = {};
  for (const e of document.querySelectorAll('.activelens .al-legend-class')) {
    const top = Math.round(e.getBoundingClientRect().top);
    rows[top] = (rows[top] || 0) + 1;
  }
  return Object.values(rows);
}
"""

# the marks overlay (labeled points and the selection): painted pixels
MARKS_JS = """
() => {
  const c = document.querySelector('.activelens canvas.al-marks');
  if (!c || !c.width) return 0;
  const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
  let painted = 0;
  for (let i = 3; i < d.length; i += 4) if (d[i] > 0) painted++;
  return painted;
}
"""

# the map fits its box: the canvas is as wide as its frame, and the frame ends inside the widget
FITS_JS = """
() => {
  const root = document.querySelector('.activelens').getBoundingClientRect();
  const wrap = document.querySelector('.activelens .al-canvas-wrap').getBoundingClientRect();
  const canvas = document.querySelector('.activelens canvas.al-canvas').getBoundingClientRect();
  return {wrapRight: wrap.right, rootRight: root.right, canvasW: canvas.width, wrapW: wrap.width};
}
"""


def _painted(rgb):
    """Not the map's white background."""
    return sum(rgb) < 3 * 235


def _rings_on_points(lab):
    centres = lab.page.evaluate(RING_CENTRES_JS)
    colours = lab.pixels(centres)
    return sum(_painted(c) for c in colours), len(centres), colours


def test_explorer_label_by_clicks_and_keyboard(lab):
    """Clicks and keys, an empty submit, unpicked cards, hover, the label colouring, a real shift+drag lasso,
    "add to batch", a window resize — in an ipywidgets VBox, in JupyterLab and in Notebook 7."""
    dialogs = []
    lab.page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    lab.open_notebook(notebook(SETUP))
    lab.run_all()

    root = _wait_attr(lab, ready="true", points="300")
    assert lab.page.locator(".widget-vbox .activelens").count() == 1          # composed inside an ipywidgets VBox
    assert 0 <= int(_attr(lab, "data-first-paint-ms")) <= int(_attr(lab, "data-paint-ms"))
    assert _attr(lab, "data-batch") == "6"
    assert _attr(lab, "data-highlighted") == "6"
    assert _attr(lab, "data-round") == "0"
    assert _attr(lab, "data-curve-points") == "0"
    assert "memory only" in lab.page.locator(f"{ROOT} .al-saved-to").text_content()
    lab.screenshot(f"explorer-0-first-paint-{lab.frontend}")
    assert lab.page.locator(f"{ROOT} svg.al-rings circle").count() == 6
    px = lab.page.evaluate(PIXELS_JS)
    assert px["painted"] > 300, px
    assert px["colours"] >= 2, px

    # user text is text
    assert lab.page.locator(f"{ROOT} .al-text", has_text=XSS).count() == 1
    assert lab.page.locator(f'{ROOT} img[src="x"]').count() == 0
    assert dialogs == []

    # cold start: the buttons in the order of labels=, keys 1, 2, 3 (the names are not single characters)
    first = lab.page.locator(f"{ROOT} .al-card").first
    assert first.locator("button.al-label .al-name").all_text_contents() == ["alpha", "beta", "gamma"]
    assert [first.locator("button.al-label").nth(j).get_attribute("data-key") for j in range(3)] == ["1", "2", "3"]
    assert first.locator(".al-pct").count() == 0

    # an empty submit says so and draws nothing new
    batch_id = _attr(lab, "data-batch-id")
    lab.page.locator(f"{ROOT} button.al-submit").click()
    lab.wait_for(f"{ROOT} .al-error:has-text('nothing picked')")
    assert _attr(lab, "data-batch-id") == batch_id

    # --- batch 1 by clicks, two cards left unpicked: they stay in the next batch, and the status says so
    truth = {int(k): v for k, v in json.loads(lab.run_probe(TRUTH)).items()}
    order = list(truth)
    picked = order[:4]
    for index in picked:
        lab.page.locator(f'{ROOT} .al-card[data-index="{index}"] button.al-label[data-label="{truth[index]}"]').click()
    _wait_attr(lab, picked="4")
    assert lab.run_probe("print(learner.n_labeled)") == "0"   # picks are not labels until submitted
    lab.page.locator(f"{ROOT} button.al-submit").click()
    _wait_attr(lab, round="1", busy="false", curve_points="1")
    assert "2 unpicked stay in the batch" in lab.page.locator(f"{ROOT} .al-status-text").text_content()
    now = json.loads(lab.run_probe("print(json.dumps(w.batch_indices))"))
    assert now[:2] == order[4:] and len(now) == 6
    assert json.loads(lab.run_probe(LEARNER_LABELS)) == sorted([i, truth[i]] for i in order[:4])
    lab.screenshot(f"explorer-2-after-first-submit-{lab.frontend}")
    # the curve: both axes titled, rounded ticks that include every point, a caption naming only what is drawn
    titles = lab.page.locator(f"{ROOT} .al-curve-svg .al-axis-title").all_text_contents()
    assert titles == ["labels", "accuracy (holdout)"]
    ticks = lab.page.locator(f"{ROOT} .al-curve-svg text.al-tick").all_text_contents()
    score = float(json.loads(lab.run_probe("print(json.dumps(learner.rounds[-1].score))")))
    ys = [float(t) for t in ticks if "." in t]
    assert min(ys) <= score <= max(ys), (ticks, score)
    _wait_attr(lab, baseline_points="1")
    caption = lab.page.locator(f"{ROOT} .al-curve-caption").text_content()
    assert "blue dot: your labels" in caption and "grey dot: random baseline" in caption and "dashed" not in caption

    # with a model: every card keeps the buttons in the order of labels=, each with its probability, one suggested
    for card in lab.page.locator(f"{ROOT} .al-card").all():
        assert card.locator("button.al-label .al-name").all_text_contents() == ["alpha", "beta", "gamma"]
        assert card.locator(".al-pct").count() == 3 and card.locator(".al-pbar").count() == 3
        assert card.locator("button.al-suggested").count() == 1

    # hover a batch point: the item itself, its predicted class and the normalised entropy of the legend (0-1)
    ring = lab.page.locator(f"{ROOT} svg.al-rings circle").first
    ring.scroll_into_view_if_needed()
    box = ring.bounding_box()
    lab.page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    tip = lab.wait_for(f"{ROOT} .al-tooltip")
    text = tip.text_content()
    assert "predicted:" in text and "uncertainty:" in text and "0 sure – 1 unsure" in text
    assert 0 <= float(text.split("uncertainty: ")[1].split(" ")[0]) <= 1
    assert tip.locator(".al-text").count() == 1                     # the item's text excerpt, not "item 3"
    lab.page.mouse.move(5, 5)                                        # leave the map: the tooltip hides
    _wait_attr(lab, tooltip="hidden")

    # label colouring: the labeled points are drawn on top, larger and outlined
    lab.page.locator(f"{ROOT} .al-map select.al-select").select_option("label")
    lab.page.wait_for_function("() => document.querySelector('.activelens .al-legend-title').textContent === 'label'")
    assert lab.page.evaluate(MARKS_JS) >= 4 * 25, "labeled points are not drawn on top"
    lab.screenshot(f"explorer-2b-colour-by-label-{lab.frontend}", locator=lab.page.locator(ROOT).first)

    # --- batch 2 by keyboard: a real click on a card gives the widget the keys; the key of "beta" is 2
    truth2 = {int(k): v for k, v in json.loads(lab.run_probe(TRUTH)).items()}
    n_cells = len(lab.cells())
    lab.page.locator(f"{ROOT} .al-card .al-card-id").first.click()
    order = [int(x) for x in lab.page.locator(f"{ROOT} .al-card").evaluate_all(
        "els => els.map(e => e.getAttribute('data-index'))")]
    lab.page.keyboard.press(str(truth2[order[0]] + 1))
    _wait_attr(lab, picked="1")
    lab.page.keyboard.press("Backspace")
    _wait_attr(lab, picked="0")
    for index in order:
        lab.page.keyboard.press(str(truth2[index] + 1))
    _wait_attr(lab, picked="6")
    lab.page.keyboard.press("Enter")
    _wait_attr(lab, round="2", busy="false", curve_points="2")
    cells = lab.cells()      # the keys went to the widget, not to the notebook
    assert len(cells) == n_cells and all(c["type"] == "code" for c in cells)
    expected = sorted([[i, truth[i]] for i in picked] + [[i, v] for i, v in truth2.items()])
    assert json.loads(lab.run_probe(LEARNER_LABELS)) == expected

    # --- a real shift+drag lasso selects (labeling work only through "Add to batch")
    canvas = lab.page.locator(f"{ROOT} canvas.al-canvas")
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    cx, cy, r = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2, min(box["width"], box["height"]) / 14
    import math
    lab.page.keyboard.down("Shift")
    lab.page.mouse.move(cx + r, cy)
    lab.page.mouse.down()
    for k in range(1, 41):
        a = 2 * math.pi * k / 40
        lab.page.mouse.move(cx + r * math.cos(a), cy + r * math.sin(a), steps=2)
    lab.page.mouse.up()
    lab.page.keyboard.up("Shift")
    lab.page.wait_for_function("() => Number(document.querySelector('.activelens').getAttribute('data-selected')) > 0")
    n_sel = int(_attr(lab, "data-selected"))
    assert len(json.loads(lab.run_probe("print(json.dumps(w.selected))"))) == n_sel
    assert _attr(lab, "data-batch") == "6"                        # the selection is not labeling work
    lab.screenshot(f"explorer-5-lasso-selection-{lab.frontend}", locator=lab.page.locator(ROOT).first)
    lab.page.locator(f"{ROOT} button.al-add").click()
    lab.page.wait_for_function("() => Number(document.querySelector('.activelens').getAttribute('data-batch')) > 6")
    n_batch = int(_attr(lab, "data-batch"))
    assert len(json.loads(lab.run_probe("print(json.dumps(w.batch_indices))"))) == n_batch
    assert lab.page.locator(f"{ROOT} .al-card.al-hand").count() == n_batch - 6
    assert "added" in lab.page.locator(f"{ROOT} .al-status-text").text_content()
    _wait_attr(lab, highlighted=str(n_batch))

    # --- the map follows its box: after a real window resize the rings sit on their points, nothing is cut off
    for width in (1100, 1600):      # from 1400: narrower, then wider (Notebook 7 centres a page of fixed width)
        before = _attr(lab, "data-map-size")
        lab.set_width(width)
        lab.page.wait_for_function(
            "b => document.querySelector('.activelens').getAttribute('data-map-size') !== b", arg=before)
        lab.page.locator(f"{ROOT} .al-canvas-wrap").first.scroll_into_view_if_needed()
        on_points, rings, colours = _rings_on_points(lab)
        assert rings >= n_batch - 1 and on_points >= rings - 1, (width, on_points, rings, colours)
        fits = lab.page.evaluate(FITS_JS)
        assert fits["wrapRight"] <= fits["rootRight"] + 1 and abs(fits["canvasW"] - fits["wrapW"]) <= 2, fits
        lab.screenshot(f"explorer-6-{width}px-{lab.frontend}")
        lab.screenshot(f"explorer-6-{width}px-widget-{lab.frontend}", locator=lab.page.locator(ROOT).first)

    # Esc gives the keys back to the notebook
    root.focus()
    lab.page.keyboard.press("Escape")
    assert not lab.page.evaluate("() => document.querySelector('.activelens').contains(document.activeElement)")

    assert dialogs == []
    lab.assert_no_console_errors()


def test_quickstart_digits_keys_focus_restart(lab):
    """The quickstart as a user runs it: the key 2 labels a 2, a new batch opens at its first card, UMAP arrives,
    and "Restart Kernel and Run All" brings the same labels, batch, curve and map back from the store."""
    import time
    from pathlib import Path

    path = Path(__file__).resolve().parents[2] / "notebooks" / "quickstart.ipynb"
    lab.open_notebook(str(path))
    lab.run_all()
    _wait_attr(lab, ready="true", points="1257", batch="10", highlighted="10")
    widths = lab.page.locator(f"{ROOT} img.al-img").evaluate_all("els => els.map(e => e.naturalWidth)")
    assert widths == [8] * 10
    assert "quickstart.db" in lab.page.locator(f"{ROOT} .al-saved-to").text_content()
    first = lab.page.locator(f"{ROOT} .al-card").first
    assert first.locator("button.al-label .al-name").all_text_contents() == [str(d) for d in range(10)]
    assert first.locator(".al-key").count() == 0                   # the key is the name: no second badge
    lab.screenshot(f"quickstart-0-first-paint-{lab.frontend}")

    # label the batch with the digits' own keys (a real click on a card first); focus moves down the list
    truth = json.loads(lab.run_probe(
        "import json; print(json.dumps([int(y_pool[i]) for i in explorer.batch_indices]))"))
    lab.page.locator(f"{ROOT} .al-card .al-card-id").first.click()
    for label in truth:
        lab.page.keyboard.press(str(label))
    _wait_attr(lab, picked="10")
    scrolled = lab.page.evaluate("() => document.querySelector('.activelens .al-card-list').scrollTop")
    assert scrolled > 0                                             # the last card was scrolled into view
    lab.page.keyboard.press("Enter")
    _wait_attr(lab, round="1", busy="false", curve_points="1")
    assert lab.run_probe("print(sorted(map(int, learner.labels)) == sorted(" + repr(truth) + "))") == "True"
    # the new batch opens at its first card, scrolled to the top, focused: the next key labels it
    assert lab.page.evaluate("() => document.querySelector('.activelens .al-card-list').scrollTop") == 0
    first_index = lab.page.locator(f"{ROOT} .al-card").first.get_attribute("data-index")
    assert _attr(lab, "data-focused") == first_index
    nxt = json.loads(lab.run_probe(f"print(int(y_pool[{first_index}]))"))
    lab.page.locator(f"{ROOT} .al-card .al-card-id").first.click()   # the probe cell took the focus
    lab.page.keyboard.press(str(nxt))
    _wait_attr(lab, picked="1")
    assert lab.page.locator(f'{ROOT} .al-card[data-index="{first_index}"]').get_attribute("data-state") == "picked"

    # UMAP is fitted in the background and swapped in; the status line said which map it showed meanwhile
    _wait_attr(lab, projection="umap", timeout=600)
    assert "umap" in lab.page.locator(f"{ROOT} .al-projection").text_content().lower()
    # a quick layout first, then the full one (the one kept in the store), said on the status line
    lab.page.wait_for_function("() => document.querySelector('.activelens .al-projection').textContent"
                               " === 'map: umap'", timeout=600_000)
    lab.page.locator(f"{ROOT} .al-map select.al-select").select_option("predicted")
    lab.page.wait_for_function(
        "() => document.querySelector('.activelens .al-legend-title').textContent === 'predicted class'")
    for width in (1100, 1600):
        lab.set_width(width)
        lab.page.wait_for_function(f"() => document.querySelector('.activelens').getAttribute('data-map-size')"
                                   f" && document.querySelector('.activelens').getBoundingClientRect().width < {width}")
        rows = lab.page.evaluate(LEGEND_ROWS_JS)
        assert len(rows) == 1 or min(rows) >= 2, rows             # no swatch alone on its own line
        lab.screenshot(f"quickstart-1-umap-{width}px-{lab.frontend}", locator=lab.page.locator(ROOT).first)

    labels = lab.run_probe("print(sorted(zip(map(int, learner.labeled_indices), map(int, learner.labels))))")
    batch = lab.run_probe("print(explorer.batch_indices)")
    t0 = time.monotonic()
    lab.restart_and_run_all()
    ran = time.monotonic() - t0
    t1 = time.monotonic()
    _wait_attr(lab, ready="true", projection="umap", labeled="10", curve_points="1", batch="10", baseline_points="1",
               timeout=60)
    back = time.monotonic() - t1
    lab.console.messages.append(f"[e2e] restart and run all {ran:.1f}s; widget back {back:.2f}s after")
    assert lab.run_probe("print(sorted(zip(map(int, learner.labeled_indices), map(int, learner.labels))))") == labels
    assert lab.run_probe("print(explorer.batch_indices)") == batch
    assert back <= 15, f"the widget took {back:.1f}s to come back after the cells ran"
    lab.screenshot(f"quickstart-2-after-restart-{lab.frontend}", locator=lab.page.locator(ROOT).first)
    lab.assert_no_console_errors()


NO_WEBGL = """
const original = HTMLCanvasElement.prototype.getContext;
HTMLCanvasElement.prototype.getContext = function (kind, ...rest) {
  if (String(kind).includes('webgl')) return null;
  return original.call(this, kind, ...rest);
};
"""


def test_canvas_fallback_without_webgl_click_selects(lab):
    """No WebGL: the map falls back to a 2-D canvas, still draws; a click on a point selects it, and "Add to batch"
    makes it a card."""
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
    _wait_attr(lab, selected="1")
    assert json.loads(lab.run_probe("print(json.dumps(w.selected))")) == [index]
    assert _attr(lab, "data-batch") == "6"
    lab.page.locator(f"{ROOT} button.al-add").click()
    _wait_attr(lab, batch="7", highlighted="7")
    assert json.loads(lab.run_probe("print(json.dumps(w.batch_indices))"))[-1] == index
    lab.page.locator(f'{ROOT} .al-card[data-index="{index}"]').wait_for()
    assert _attr(lab, "data-focused") == str(index)          # the new card is opened (focused)
    lab.screenshot("explorer-canvas-fallback", locator=lab.page.locator(ROOT).first)
    lab.assert_no_console_errors()
