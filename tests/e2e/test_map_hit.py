"""The map answers the mouse everywhere after "Run All" on a fresh quickstart store: the PCA map is swapped for UMAP
while Run All scrolls the widget away, and then every batch ring still answers a hover (the tooltip shows its item)
and a click (its card is focused), and a hover sweep over the map finds as many items as after a page reload."""
from __future__ import annotations

import json
import secrets
from pathlib import Path

import pytest

from .test_widget import RING_CENTRES_JS, ROOT, _attr

pytestmark = pytest.mark.e2e

QUICKSTART = Path(__file__).resolve().parents[2] / "notebooks" / "quickstart.ipynb"
STEP = 20   # px between the sweep's spots (each move redraws the map: software WebGL takes a while)

# every item the map reports under the mouse (the debug attribute data-hovered), from now on
WATCH_HOVER_JS = """
() => {
  const root = document.querySelector('.activelens');
  window.__alHovered = new Set();
  window.__alHoverEvents = 0;
  if (window.__alHoverObserver) window.__alHoverObserver.disconnect();
  window.__alHoverObserver = new MutationObserver(() => {
    const v = root.getAttribute('data-hovered');
    if (v !== null && v !== '-1') { window.__alHovered.add(v); window.__alHoverEvents++; }
  });
  window.__alHoverObserver.observe(root, {attributes: true, attributeFilter: ['data-hovered']});
}
"""


def _map_box(lab):
    wrap = lab.page.locator(f"{ROOT} .al-canvas-wrap").first
    wrap.scroll_into_view_if_needed()
    return wrap.bounding_box()


def _sweep(lab):
    """Move the real mouse over the map on a STEP-px grid; returns (distinct items hovered, hover events, spots)."""
    box = _map_box(lab)
    lab.page.mouse.move(box["x"] - 20, box["y"] - 20)   # start outside the map
    lab.page.evaluate(WATCH_HOVER_JS)
    spots = 0
    for y in range(int(box["y"]) + STEP // 2, int(box["y"] + box["height"]) - 2, STEP):
        for x in range(int(box["x"]) + STEP // 2, int(box["x"] + box["width"]) - 2, STEP):
            lab.page.mouse.move(x, y)
            spots += 1
    # the renderer publishes hover events asynchronously: two frames after the last move every one has landed
    lab.page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
    found = lab.page.evaluate("() => [window.__alHovered.size, window.__alHoverEvents]")
    lab.page.mouse.move(box["x"] - 20, box["y"] - 20)
    return found[0], found[1], spots


def _rings_answer(lab, batch):
    """Hover each batch ring (the tooltip must name a batch item), then click it (that item's card is focused).
    Returns (rings hovered with the right tooltip, rings whose click focused their card, rings found)."""
    box = _map_box(lab)
    centres = lab.page.evaluate(RING_CENTRES_JS)
    hovered = clicked = 0
    seen = set()
    for k in range(len(centres)):
        box = _map_box(lab)
        x, y = lab.page.evaluate(RING_CENTRES_JS)[k]
        lab.page.mouse.move(box["x"] - 20, box["y"] - 20)
        lab.page.wait_for_function(f"() => document.querySelector('{ROOT} .al-tooltip').hidden")
        lab.page.mouse.move(x, y)
        try:   # the tooltip shows Python's answer for the item under the mouse
            lab.page.wait_for_function(f"() => !document.querySelector('{ROOT} .al-tooltip').hidden", timeout=5000)
            title = lab.page.locator(f"{ROOT} .al-tooltip .al-tip-title").text_content()
        except Exception:
            title = ""
        item = int(title[1:]) if title.startswith("#") else -1
        if item in batch and item not in seen:
            hovered += 1
        seen.add(item)
        before = _attr(lab, "data-focus-count")
        lab.page.mouse.click(x, y)
        try:
            lab.page.wait_for_function(
                f"b => document.querySelector('{ROOT}').getAttribute('data-focus-count') !== b", arg=before,
                timeout=5000)
            if item >= 0 and _attr(lab, "data-focused") == str(item):
                clicked += 1
        except Exception:
            pass
    return hovered, clicked, len(centres)


def _wait_umap(lab):
    lab.page.wait_for_function(f"() => document.querySelector('{ROOT} .al-projection')?.textContent === 'map: umap'"
                               f" && document.querySelector('{ROOT}').getAttribute('data-ready') === 'true'",
                               timeout=600_000)


def test_map_answers_the_mouse_after_run_all(lab):
    name = f"maphit-{secrets.token_hex(3)}/quickstart.ipynb"     # its own folder: a fresh quickstart.db
    lab.open_notebook(str(QUICKSTART), name=name)
    lab.run_all()
    _wait_umap(lab)
    batch = set(json.loads(lab.run_probe("print(list(map(int, explorer.batch_indices)))")))
    assert len(batch) == 10
    lab.page.wait_for_function(f"() => document.querySelector('{ROOT}').getAttribute('data-highlighted') === '10'")
    hovered, clicked, rings = _rings_answer(lab, batch)
    items, events, spots = _sweep(lab)
    lab.console.messages.append(f"[e2e] after Run All: rings {rings}, hovered {hovered}, clicked {clicked}; "
                                f"sweep {items} items, {events} hover events, {spots} spots")
    lab.screenshot(f"maphit-run-all-{lab.frontend}")

    lab.execute_command("docmanager:save")   # what autosave does: the reloaded page finds the widget's output
    lab.page.reload()   # the reference: the same sweep after a page reload
    _wait_umap(lab)
    lab.page.wait_for_function(f"() => document.querySelector('{ROOT}').getAttribute('data-highlighted') === '10'")
    items2, events2, spots2 = _sweep(lab)
    lab.console.messages.append(f"[e2e] after reload: sweep {items2} items, {events2} hover events, {spots2} spots")
    print(f"\n[e2e] {lab.frontend}: Run All: rings {rings} hovered {hovered} clicked {clicked}; sweep {items}/{spots} "
          f"items ({events} events); reload: sweep {items2}/{spots2} items ({events2} events)")
    assert rings == 10 and hovered == 10 and clicked == 10, (rings, hovered, clicked)
    assert items2 >= 25, items2                        # the reference sweep finds points at all
    assert abs(items - items2) <= 0.2 * items2, (items, items2)
    lab.assert_no_console_errors()


# New colours, and at once a new layout: the page starts a recolour of the old layout and the new positions come
# while it is in flight (a draw is on its way until the next frame). The kernel's traits are set as if they came
# from the page (set_state: nothing sent), then both go out, colours first.
SWAP = """
xy = w.coordinates().copy()
xy[:, 0] *= -1
colours = (np.frombuffer(w.color_values, dtype=np.uint8) == 0).astype(np.uint8)   # other colours
w.set_state({"coords": xy.astype(np.float32).tobytes(), "color_values": colours.tobytes()})
w.send_state("color_values")
w.send_state("coords")
"""


def test_map_answers_the_mouse_after_a_layout_swap(lab):
    from .test_widget import SETUP, _wait_attr
    from .harness import notebook

    lab.open_notebook(notebook(SETUP))
    lab.run_all()
    _wait_attr(lab, ready="true", points="300", highlighted="6")
    batch = set(json.loads(lab.run_probe("print(json.dumps(w.batch_indices))")))
    before, _, _ = _sweep(lab)
    xs = lab.page.evaluate(f"""() => Array.from(document.querySelectorAll('{ROOT} svg.al-rings circle'),
                                c => {{ const b = c.getBoundingClientRect(); return b.left + b.width / 2; }})""")
    lab.run_probe(SWAP)
    _map_box(lab)
    # the rings follow the mirrored layout once it is drawn
    lab.page.wait_for_function(
        f"""xs => {{ const now = Array.from(document.querySelectorAll('{ROOT} svg.al-rings circle'),
                     c => {{ const b = c.getBoundingClientRect(); return b.left + b.width / 2; }});
            return now.length === xs.length && now.reduce((s, x, k) => s + Math.abs(x - xs[k]), 0) > 20; }}""",
        arg=xs)
    hovered, clicked, rings = _rings_answer(lab, batch)
    after, events, spots = _sweep(lab)
    print(f"\n[e2e] {lab.frontend}: swap: rings {rings} hovered {hovered} clicked {clicked}; sweep {before} items before,"
          f" {after} after ({events} events, {spots} spots)")
    assert rings == 6 and hovered == 6 and clicked == 6, (rings, hovered, clicked)
    assert before > 30 and abs(after - before) <= 0.2 * before, (before, after)
    lab.assert_no_console_errors()
