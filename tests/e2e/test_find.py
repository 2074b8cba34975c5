"""Find and bulk-label, and the round replay, as a user does them: typing in the search box (Enter) states the count
and selects the points; "Label N selected as [label]" labels them in the kernel with source "bulk"; a large
selection asks for a second click; the round slider under the map selects that round's items; colour by round
reads as rounds. The find bar keeps its size and the map does not move. In JupyterLab and Notebook 7."""
from __future__ import annotations

import json

import pytest

from .harness import notebook
from .test_widget import ROOT, SETUP, _attr, _wait_attr

pytestmark = pytest.mark.e2e

BULK = ("print(json.dumps(learner.labeled_frame().query('source == \"bulk\"')"
        "[['position', 'label']].values.tolist()))")


def _boxes(lab):
    return {k: lab.page.locator(f"{ROOT} {sel}").bounding_box()
            for k, sel in (("bar", ".al-map-bar"), ("find", ".al-find-bar"), ("map", ".al-canvas-wrap"))}


def _search(lab, text, regex):
    box = lab.page.locator(f"{ROOT} input.al-search")
    box.fill(text)
    check = lab.page.locator(f"{ROOT} .al-regex input")
    if check.is_checked() != regex:
        check.click()
    box.press("Enter")   # the form's submit: Python searches


def _bulk(lab, label, n, labeled_after):
    lab.page.locator(f"{ROOT} select.al-bulk-choice").select_option(label)
    assert lab.page.locator(f"{ROOT} .al-bulk-count").text_content() == f"Label {n} selected as"
    lab.page.locator(f"{ROOT} button.al-bulk-label").click()
    _wait_attr(lab, labeled=str(labeled_after), bulk="0", state="idle")   # taught, retrained, next batch shown


def test_search_then_bulk_label_then_replay(lab):
    lab.set_width(1600)
    lab.open_notebook(notebook(SETUP))
    lab.run_all()
    _wait_attr(lab, ready="true", points="300", highlighted="6")
    lab.page.locator(f"{ROOT} .al-canvas-wrap").scroll_into_view_if_needed()
    before = _boxes(lab)
    assert not lab.page.locator(f"{ROOT} .al-bulk").is_visible() or \
        "al-none" in lab.page.locator(f"{ROOT} .al-bulk").get_attribute("class")

    _search(lab, r"^item 1\d:", regex=True)
    _wait_attr(lab, selected="10", bulk="10")
    assert lab.page.locator(f"{ROOT} .al-find-note").text_content() == "10 found for '^item 1\\\\d:'"
    after = _boxes(lab)   # the count and the bulk control appear in their kept place: nothing moves
    for k in before:
        assert all(abs(after[k][c] - before[k][c]) < 0.5 for c in ("x", "y", "width", "height")), (k, before, after)
    lab.screenshot(f"find-search-1600-{lab.frontend}", locator=lab.page.locator(ROOT).first)
    lab.set_width(1100)
    lab.page.locator(f"{ROOT} .al-find-bar").scroll_into_view_if_needed()
    narrow = _boxes(lab)
    row = lab.page.locator(f"{ROOT} input.al-search").bounding_box()
    btn = lab.page.locator(f"{ROOT} button.al-bulk-label").bounding_box()
    # a narrow map: the bulk control may take a second row, but stays inside the map's column, and its button
    # does not overlap the search box
    assert btn["x"] + btn["width"] <= narrow["find"]["x"] + narrow["find"]["width"] + 1, (btn, narrow)
    assert btn["y"] >= row["y"] + row["height"] - 1 or btn["x"] >= row["x"] + row["width"], (row, btn)
    assert narrow["find"]["y"] + narrow["find"]["height"] <= narrow["map"]["y"] + 0.5, narrow
    lab.screenshot(f"find-search-1100-{lab.frontend}", locator=lab.page.locator(ROOT).first)

    _bulk(lab, "beta", 10, 10)
    got = json.loads(lab.run_probe(BULK))
    assert sorted(got) == [[i, 1] for i in range(10, 20)], got

    # a large selection asks for a second click; nothing is labeled by the first
    lab.page.locator(f"{ROOT} .al-canvas-wrap").scroll_into_view_if_needed()
    _search(lab, "ITEM", regex=False)        # every text but the one holding markup
    _wait_attr(lab, selected="299", bulk="289")
    assert lab.page.locator(f"{ROOT} .al-find-note").text_content() == "299 found for 'ITEM'"
    lab.page.locator(f"{ROOT} button.al-bulk-label").click()
    assert lab.page.locator(f"{ROOT} button.al-bulk-label").text_content() == "Confirm labeling 289"
    lab.screenshot(f"find-confirm-{lab.frontend}", locator=lab.page.locator(ROOT).first)
    assert _attr(lab, "data-labeled") == "10"
    lab.page.locator(f"{ROOT} button.al-clear").click()
    _wait_attr(lab, selected="0", bulk="0")

    # two more bulk labels: another class (the first fit), then a label of round 1
    _search(lab, r"^item 2\d:", regex=True)
    _wait_attr(lab, bulk="10")
    _bulk(lab, "alpha", 10, 20)
    _wait_attr(lab, round="1")
    assert json.loads(lab.run_probe("print(json.dumps(len(learner.rounds)))")) == 1
    lab.page.locator(f"{ROOT} .al-canvas-wrap").scroll_into_view_if_needed()
    _search(lab, r"^item 3\d:", regex=True)
    _wait_attr(lab, bulk="10")
    _bulk(lab, "gamma", 10, 30)

    # the replay: the slider at round 1 selects the items labeled in round 1
    slider = lab.page.locator(f"{ROOT} input.al-round")
    slider.scroll_into_view_if_needed()
    assert slider.get_attribute("max") == "1"
    box = slider.bounding_box()
    slider.click(position={"x": box["width"] - 3, "y": box["height"] / 2})   # the mouse on the slider's last round
    _wait_attr(lab, replay="1", selected="10")
    assert lab.page.locator(f"{ROOT} .al-replay-note").text_content().startswith("round 1: 10 labeled")
    assert json.loads(lab.run_probe("print(json.dumps(w.selected))")) == list(range(30, 40))

    # colour by round: the legend reads as rounds
    lab.page.locator(f"{ROOT} .al-map-bar select").select_option("round")
    lab.page.wait_for_function(f"() => document.querySelector('{ROOT} .al-legend').textContent.includes('round 1')")
    legend = lab.page.locator(f"{ROOT} .al-legend").text_content()
    assert "round labeled in" in legend and "round 0" in legend, legend
    lab.page.locator(f"{ROOT} .al-canvas-wrap").scroll_into_view_if_needed()
    lab.screenshot(f"find-rounds-1100-{lab.frontend}", locator=lab.page.locator(ROOT).first)
    lab.assert_no_console_errors()
