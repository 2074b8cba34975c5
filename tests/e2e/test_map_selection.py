"""The map as a user handles it: a box dragged with the real mouse (the Box button, or alt+drag) selects the points
inside it — `explorer.selected` in the kernel, rings on those points on screen — and in JupyterLab a sidebar
toggled with its shortcut (Ctrl+B) leaves the batch rings on their points."""
from __future__ import annotations

import json

import pytest

from .harness import notebook
from .test_widget import ROOT, SETUP, _attr, _rings_on_points, _wait_attr

pytestmark = pytest.mark.e2e

# page positions of the batch rings' centres, in the batch's order (the rings are drawn in that order)
RING_PAGE_JS = """
() => Array.from(document.querySelectorAll('.activelens svg.al-rings circle')).map(c => {
  const b = c.getBoundingClientRect();
  return [b.left + b.width / 2, b.top + b.height / 2];
})
"""

# painted pixels of the marks overlay (the selection's rings: nothing is labeled yet) inside and outside a
# page rectangle [x0, y0, x1, y1]
MARKS_IN_OUT_JS = """
([x0, y0, x1, y1]) => {
  const c = document.querySelector('.activelens canvas.al-marks');
  const r = c.getBoundingClientRect();
  const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
  let inside = 0, outside = 0;
  for (let i = 3, p = 0; i < d.length; i += 4, p++) {
    if (d[i] === 0) continue;
    const px = r.left + (p % c.width), py = r.top + Math.floor(p / c.width);
    if (px >= x0 - 8 && px <= x1 + 8 && py >= y0 - 8 && py <= y1 + 8) inside++; else outside++;
  }
  return [inside, outside];
}
"""


def _screen_map(lab):
    """(page position of every point, the map's box), the map scrolled into view: the positions from the batch
    rings (where the user sees 6 known points) and the coordinates in the kernel — the camera only scales and
    moves, so a least-squares fit per axis gives them. No probe cell runs after this (it would scroll the page)."""
    import numpy as np

    xy = np.array(json.loads(lab.run_probe("print(json.dumps(w.coordinates().tolist()))")))
    batch = json.loads(lab.run_probe("print(json.dumps(w.batch_indices))"))
    lab.page.locator(f"{ROOT} .al-canvas-wrap").scroll_into_view_if_needed()
    centres = np.array(lab.page.evaluate(RING_PAGE_JS))
    assert len(centres) == len(batch) == 6
    fit = [np.polyfit(xy[batch, a], centres[:, a], 1) for a in (0, 1)]
    for a in (0, 1):
        assert np.abs(np.polyval(fit[a], xy[batch, a]) - centres[:, a]).max() < 1.5   # a scale and a shift
    pos = np.stack([np.polyval(fit[0], xy[:, 0]), np.polyval(fit[1], xy[:, 1])], axis=1)
    return pos, lab.page.locator(f"{ROOT} .al-canvas-wrap").bounding_box()


def _drag_box(lab, x0, y0, x1, y1, alt=False):
    """A real mouse drag from (x0, y0) to (x1, y1); half way, the rectangle is drawn where the pointer is."""
    mouse = lab.page.mouse
    if alt:
        lab.page.keyboard.down("Alt")
    mouse.move(x0, y0)
    mouse.down()
    mouse.move((x0 + x1) / 2, (y0 + y1) / 2, steps=5)
    _wait_attr(lab, box="drawing")
    rect = lab.page.locator(f"{ROOT} svg.al-rings rect.al-box-path").bounding_box()
    assert abs(rect["width"] - (x1 - x0) / 2) <= 2 and abs(rect["height"] - (y1 - y0) / 2) <= 2, rect
    mouse.move(x1, y1, steps=5)
    mouse.up()
    if alt:
        lab.page.keyboard.up("Alt")
    _wait_attr(lab, box="done")
    assert lab.page.locator(f"{ROOT} svg.al-rings rect.al-box-path").count() == 0   # gone once released


def _expected(pos, x0, y0, x1, y1, margin=2.0):
    """(points surely inside, points surely outside) the page rectangle; those within ``margin`` px of its edge
    are left out (the fit is good to about a pixel)."""
    inside = (pos[:, 0] > x0 + margin) & (pos[:, 0] < x1 - margin) & (pos[:, 1] > y0 + margin) & (pos[:, 1] < y1 - margin)
    outside = (pos[:, 0] < x0 - margin) | (pos[:, 0] > x1 + margin) | (pos[:, 1] < y0 - margin) | (pos[:, 1] > y1 + margin)
    return set(map(int, inside.nonzero()[0])), set(map(int, outside.nonzero()[0]))


def _marks(lab, n_selected, wrap, rect):
    """(painted pixels of the marks overlay inside the page rectangle ``rect`` given for the map's box ``wrap``,
    outside it), once the page shows ``n_selected`` selected, the map scrolled back into view."""
    _wait_attr(lab, selected=str(n_selected))
    lab.page.locator(f"{ROOT} .al-canvas-wrap").scroll_into_view_if_needed()
    now = lab.page.locator(f"{ROOT} .al-canvas-wrap").bounding_box()
    dx, dy = now["x"] - wrap["x"], now["y"] - wrap["y"]     # where the probe cells scrolled the map to
    x0, y0, x1, y1 = rect
    return lab.page.evaluate(MARKS_IN_OUT_JS, [x0 + dx, y0 + dy, x1 + dx, y1 + dy])


def _selected(lab):
    return set(json.loads(lab.run_probe("print(json.dumps(w.selected))")))


def test_box_selection_with_the_mouse(lab):
    """The Box button, then a plain drag: the points in the rectangle are `explorer.selected` and show as rings;
    alt+drag does the same without the button; neither touches the batch."""
    lab.open_notebook(notebook(SETUP))
    lab.run_all()
    _wait_attr(lab, ready="true", points="300", highlighted="6")
    pos, wrap = _screen_map(lab)
    cx, cy = wrap["x"] + wrap["width"] / 2, wrap["y"] + wrap["height"] / 2

    # the Box button: pressed, it turns a plain drag into a box (and releases the lasso)
    box_btn = lab.page.locator(f"{ROOT} button.al-box")
    assert box_btn.text_content() == "Box"
    box_btn.click()
    assert box_btn.get_attribute("aria-pressed") == "true"
    assert lab.page.locator(f"{ROOT} button.al-lasso").get_attribute("aria-pressed") == "false"
    x0, y0, x1, y1 = cx - wrap["width"] / 4, cy - wrap["height"] / 3, cx + 10, cy + wrap["height"] / 3
    bar = lab.page.locator(f"{ROOT} .al-map-bar").bounding_box()
    _drag_box(lab, x0, y0, x1, y1)
    # the selection's count and buttons appear in the place kept for them: the toolbar keeps its height and the
    # map does not move (it jumped 23 px when the toolbar wrapped, and a box drawn next landed 23 px lower)
    lab.page.wait_for_function(f"() => !document.querySelector('{ROOT} .al-selection').classList.contains('al-none')")
    assert lab.page.locator(f"{ROOT} .al-sel-count").is_visible()
    moved = lab.page.locator(f"{ROOT} .al-canvas-wrap").bounding_box()
    assert all(abs(moved[k] - wrap[k]) < 0.5 for k in ("x", "y", "width", "height")), (wrap, moved)
    assert abs(lab.page.locator(f"{ROOT} .al-map-bar").bounding_box()["height"] - bar["height"]) < 0.5
    want, not_want = _expected(pos, x0, y0, x1, y1)
    assert len(want) >= 10 and len(not_want) >= 10, (len(want), len(not_want))
    got = _selected(lab)     # the kernel took the drag's command before this cell
    assert want <= got and not (got & not_want), (sorted(want - got), sorted(got & not_want))
    assert _attr(lab, "data-selected") == str(len(got))
    assert lab.page.locator(f"{ROOT} .al-sel-count").text_content() == f"{len(got)} selected"
    inside, outside = _marks(lab, len(got), wrap, [x0, y0, x1, y1])
    assert inside >= 20 * len(want) and outside == 0, (inside, outside)      # a ring on each selected point
    assert _attr(lab, "data-batch") == "6"                                 # a selection is not labeling work
    lab.screenshot(f"map-box-selection-{lab.frontend}", locator=lab.page.locator(ROOT).first)

    # alt+drag with the button released: a box all the same, a new selection in place of the old one
    box_btn.click()
    assert box_btn.get_attribute("aria-pressed") == "false"
    pos, wrap = _screen_map(lab)
    cx, cy = wrap["x"] + wrap["width"] / 2, wrap["y"] + wrap["height"] / 2
    x0, y0, x1, y1 = cx + 20, cy - wrap["height"] / 4, cx + wrap["width"] / 3, cy + wrap["height"] / 4
    _drag_box(lab, x0, y0, x1, y1, alt=True)
    want, not_want = _expected(pos, x0, y0, x1, y1)
    got = _selected(lab)
    assert want and want <= got and not (got & not_want), (sorted(want - got), sorted(got & not_want))
    inside, outside = _marks(lab, len(got), wrap, [x0, y0, x1, y1])
    assert inside > 0 and outside == 0, (inside, outside)
    assert _attr(lab, "data-batch") == "6"

    # a narrow window (JupyterLab: the file browser open too): the map's box is taller than wide, and every point
    # is still inside it (the renderer's default view showed [-1, 1] vertically only and cut the sides off)
    before = _attr(lab, "data-map-size")
    lab.set_width(1100)
    lab.page.wait_for_function(
        "b => document.querySelector('.activelens').getAttribute('data-map-size') !== b", arg=before)
    pos, wrap = _screen_map(lab)
    inside = ((pos[:, 0] >= wrap["x"] + 2) & (pos[:, 0] <= wrap["x"] + wrap["width"] - 2)
              & (pos[:, 1] >= wrap["y"] + 2) & (pos[:, 1] <= wrap["y"] + wrap["height"] - 2))
    assert inside.all(), (int((~inside).sum()), wrap, pos[~inside][:5].tolist())
    lab.screenshot(f"map-1100px-{lab.frontend}", locator=lab.page.locator(ROOT).first)
    lab.assert_no_console_errors()


@pytest.mark.frontends("lab")
def test_sidebar_toggle_keeps_rings_on_points(lab):
    """JupyterLab's left sidebar toggled with Ctrl+B (the notebook's box changes width): the map takes the new
    size and the batch rings still sit on their points, read from the screen's pixels; and again when it closes."""
    lab.open_notebook(notebook(SETUP))
    lab.run_all()
    _wait_attr(lab, ready="true", points="300", highlighted="6")
    lab.page.locator(f"{ROOT} .al-canvas-wrap").scroll_into_view_if_needed()
    on_points, rings, colours = _rings_on_points(lab)
    assert rings == 6 and on_points >= 5, (on_points, rings, colours)
    for step in ("toggled", "toggled back"):
        before = _attr(lab, "data-map-size")
        width = lab.page.locator(f"{ROOT} .al-canvas-wrap").bounding_box()["width"]
        lab.page.locator(".jp-NotebookPanel-toolbar").first.click(position={"x": 5, "y": 5})   # keys to the app
        lab.page.keyboard.press("Control+b")
        lab.page.wait_for_function(
            "b => document.querySelector('.activelens').getAttribute('data-map-size') !== b", arg=before)
        now = lab.page.locator(f"{ROOT} .al-canvas-wrap").bounding_box()["width"]
        assert abs(now - width) > 100, (step, width, now)                   # the sidebar took (or gave) room
        lab.page.locator(f"{ROOT} .al-canvas-wrap").scroll_into_view_if_needed()
        on_points, rings, colours = _rings_on_points(lab)
        assert rings == 6 and on_points >= 5, (step, on_points, rings, colours)
        lab.screenshot(f"map-sidebar-{step.replace(' ', '-')}-lab")
    lab.assert_no_console_errors()
