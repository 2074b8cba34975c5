"""Undo after a submit, as a user does it: label the batch with the label keys, Enter submits and the model
retrains; Backspace with no pick on the cards takes the labels just submitted back (the status says so, the items
are the first cards again, marked "label taken back (Undo)"; the kernel's label history keeps them as "undo"); a
second Backspace has nothing left to undo and says so. In JupyterLab and Notebook 7."""
from __future__ import annotations

import json

import pytest

from .harness import notebook
from .test_widget import ROOT, SETUP, TRUTH, _attr, _wait_attr

pytestmark = pytest.mark.e2e

UNDONE = ("h = learner.label_history(); print(json.dumps({'undo': sorted(map(int, h[h['source'] == 'undo']"
          "['position'])), 'labeled': sorted(map(int, learner.labeled_indices))}))")
CARDS_JS = "els => els.map(e => [Number(e.getAttribute('data-index')), e.querySelector('.al-why').textContent])"


def _status(lab):
    return lab.page.locator(f"{ROOT} .al-status-text").first.text_content()


def _wait_status(lab, text):
    lab.page.wait_for_function(
        "t => (document.querySelector('.activelens .al-status-text') || {}).textContent?.includes(t)", arg=text)


def _keys_to_widget(lab):
    """A real click on a card's id gives the widget the keys (it picks nothing)."""
    lab.page.locator(f"{ROOT} .al-card .al-card-id").first.click()


def _label_batch_by_keys(lab, n_labeled, round_):
    """Label the batch with the label keys (the key of "alpha" is 1) and submit it with Enter; the model retrains
    and the next batch is shown. Returns the card positions in their order on the page."""
    truth = {int(k): v for k, v in json.loads(lab.run_probe(TRUTH)).items()}
    _keys_to_widget(lab)
    order = [int(x) for x in lab.page.locator(f"{ROOT} .al-card").evaluate_all(
        "els => els.map(e => e.getAttribute('data-index'))")]
    assert sorted(order) == sorted(truth)
    for index in order:
        lab.page.keyboard.press(str(truth[index] + 1))
    _wait_attr(lab, picked=str(len(order)))
    lab.page.keyboard.press("Enter")
    _wait_attr(lab, labeled=str(n_labeled), round=str(round_), busy="false", picked="0",
               labeled_marks=str(n_labeled))
    assert f"saved {len(order)} labels" in _status(lab)
    return order


def _shots(lab, name):
    """The widget at 1600 px and at 1100 px wide (a window tall enough for all of it under the front end's bars)."""
    root = lab.page.locator(ROOT).first
    for width, height in ((1600, 1200), (1100, 1200)):
        lab.set_width(width, height)
        root.scroll_into_view_if_needed()
        lab.screenshot(f"{name}-{width}-{lab.frontend}", locator=root)


def test_backspace_after_submit_takes_the_labels_back(lab):
    lab.set_width(1600)
    lab.open_notebook(notebook(SETUP))
    lab.run_all()
    _wait_attr(lab, ready="true", points="300", batch="6")
    _label_batch_by_keys(lab, 6, 1)                                   # the seed batch: round 1
    order = _label_batch_by_keys(lab, 12, 2)                          # the batch Undo takes back: round 2

    # Backspace with no pick on the cards: the labels just submitted are taken back, and the model retrains
    _keys_to_widget(lab)
    assert _attr(lab, "data-picked") == "0"
    lab.page.keyboard.press("Backspace")
    _wait_attr(lab, labeled="6", round="3", busy="false", state="idle", labeled_marks="6")
    _wait_status(lab, "took back 6 label(s)")
    cards = lab.page.locator(f"{ROOT} .al-card").evaluate_all(CARDS_JS)
    assert [i for i, _ in cards[:6]] == order, (cards, order)          # back as the first cards, in their order
    assert all("label taken back (Undo)" in why for _, why in cards[:6]), cards
    assert all(lab.page.locator(f'{ROOT} .al-card[data-index="{i}"]').get_attribute("data-state") != "picked"
               for i in order)
    kernel = json.loads(lab.run_probe(UNDONE))
    assert kernel["undo"] == sorted(order), kernel                    # N rows with source "undo"
    assert not set(kernel["labeled"]) & set(order), kernel
    assert len(kernel["labeled"]) == 6, kernel
    _shots(lab, "undo-taken-back")

    # a second Backspace: nothing left to undo, said on the status line; nothing changes
    _keys_to_widget(lab)
    lab.page.keyboard.press("Backspace")
    _wait_status(lab, "nothing to undo")
    assert _attr(lab, "data-labeled") == "6" and _attr(lab, "data-error") == "false"
    assert json.loads(lab.run_probe(UNDONE)) == kernel
    _shots(lab, "undo-nothing")
    lab.assert_no_console_errors()
