"""Labeling text documents in the browser: a sparse TF-IDF pool of scipy's own docstrings (shipped inside scipy, no
download), ids on the cards, the label keys, the "more" control, and the words that drove a suggestion highlighted —
in JupyterLab and in Notebook 7."""
from __future__ import annotations

import json
import re

import pytest

from .harness import notebook

pytestmark = pytest.mark.e2e

SETUP = '''
import json
import re
import numpy as np
import pandas as pd
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from activelens import ActiveLearner, Explorer
from activelens.datasets import load_scipy_docstrings

texts, topics = load_scipy_docstrings(max_chars=1200)
keep = np.isin(topics, ["stats", "signal", "linalg"])
df = pd.DataFrame({"text": np.asarray(texts, dtype=object)[keep], "topic": topics[keep]})
df.index = pd.Index([f"doc-{k:04d}" for k in range(len(df))], name="doc_id")
vec = TfidfVectorizer(sublinear_tf=True, min_df=2, stop_words="english").fit(df.text)
X = vec.transform(df.text)                                   # sparse: never densified
seed = np.array([int(np.flatnonzero(df.topic.to_numpy() == c)[k]) for k in range(2) for c in ["stats", "signal", "linalg"]])
learner = ActiveLearner(LogisticRegression(C=10, max_iter=1000), X, batch_size=6, classes=["stats", "signal", "linalg"],
                        cold_start=seed, ids=df.index, random_state=0)
w = Explorer(learner, items=df.text.tolist(), labels=["stats", "signal", "linalg"], feature_names=vec,
             projection="pca")
w
'''

ROOT = ".activelens"
BATCH = "print(json.dumps([[i, learner.ids[i], df.topic.iloc[i]] for i in w.batch_indices]))"
KEYS = {"stats": "1", "signal": "2", "linalg": "3"}

# every card's box inside the widget, and its text box within its card (nothing spills or overlaps)
LAYOUT_JS = """
() => {
  const root = document.querySelector('.activelens').getBoundingClientRect();
  const cards = [...document.querySelectorAll('.activelens .al-card')].map((c) => {
    const r = c.getBoundingClientRect();
    const t = c.querySelector('.al-text').getBoundingClientRect();
    const b = c.querySelector('.al-buttons').getBoundingClientRect();
    return {left: r.left, right: r.right, top: r.top, bottom: r.bottom, height: r.height,
            textInside: t.left >= r.left - 1 && t.right <= r.right + 1, textAboveButtons: t.bottom <= b.top + 1,
            buttonsInside: b.right <= r.right + 1};
  });
  return {rootLeft: root.left, rootRight: root.right, cards};
}
"""


def _attr(lab, name):
    return lab.page.locator(ROOT).first.get_attribute(name)


def _check_layout(lab, where):
    layout = lab.page.evaluate(LAYOUT_JS)
    for c in layout["cards"]:
        assert c["left"] >= layout["rootLeft"] - 1 and c["right"] <= layout["rootRight"] + 1, (where, c, layout)
        assert c["textInside"] and c["textAboveButtons"] and c["buttonsInside"], (where, c)
    return layout


def test_label_text_documents_in_the_browser(lab):
    dialogs = []
    lab.page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    lab.open_notebook(notebook(SETUP))
    lab.run_all()
    lab.wait_for(f'{ROOT}[data-ready="true"][data-batch="6"]')

    # the cards name their documents by id
    batch = json.loads(lab.run_probe(BATCH))
    for index, doc_id, _ in batch:
        card = lab.page.locator(f'{ROOT} .al-card[data-index="{index}"]')
        assert card.locator(".al-card-id").text_content() == doc_id
        assert card.get_attribute("data-id") == doc_id

    # long documents show their first lines; "more" opens the rest in a bounded, scrolling box
    card = lab.page.locator(f"{ROOT} .al-card:has(button.al-more)").first
    more = card.locator("button.al-more")
    more.wait_for()
    text = card.locator(".al-text")
    closed = text.bounding_box()["height"]
    assert text.evaluate("t => t.scrollHeight > t.clientHeight + 2")       # there is more to read
    more.click()
    assert more.get_attribute("aria-expanded") == "true" and more.text_content() == "less"
    opened = text.bounding_box()["height"]
    assert opened > closed and opened <= 16 * 20                             # taller, never the whole page
    _check_layout(lab, "more opened")
    lab.screenshot(f"text-0-more-opened-{lab.frontend}", locator=lab.page.locator(ROOT).first)
    more.click()
    assert more.get_attribute("aria-expanded") == "false"

    # label the batch with the keys: a real click on the first card gives the widget the keys, focus moves down
    lab.page.locator(f"{ROOT} .al-card .al-card-id").first.click()
    for _, _, topic in batch:
        lab.page.keyboard.press(KEYS[topic])
    lab.wait_for(f'{ROOT}[data-picked="6"]')
    lab.page.keyboard.press("Enter")
    lab.wait_for(f'{ROOT}[data-round="1"][data-busy="false"]')
    got = json.loads(lab.run_probe("print(json.dumps(sorted(learner.labeled_frame().label.items())))"))
    assert got == sorted([doc_id, topic] for _, doc_id, topic in batch)

    # the next batch has a model: the words that weigh for each suggestion are highlighted, as text
    term = lab.page.locator(f"{ROOT} .al-card .al-term").first
    term.wait_for()
    assert term.is_visible()
    word = term.text_content().lower()
    vocab = json.loads(lab.run_probe("print(json.dumps(list(vec.get_feature_names_out())))"))
    assert word in vocab
    assert lab.page.locator(f"{ROOT} .al-text script, {ROOT} .al-text img").count() == 0

    # the map's hover names the document by its id and shows an excerpt of its text
    ring = lab.page.locator(f"{ROOT} svg.al-rings circle").first
    ring.scroll_into_view_if_needed()
    box = ring.bounding_box()
    lab.page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    tip = lab.wait_for(f"{ROOT} .al-tooltip .al-text")
    title = lab.page.locator(f"{ROOT} .al-tooltip .al-tip-title").text_content()
    assert re.fullmatch(r"doc-\d{4}", title), title
    assert 40 <= len(tip.text_content()) <= 240
    lab.screenshot(f"text-2-hover-{lab.frontend}", locator=lab.page.locator(ROOT).first)
    lab.page.mouse.move(5, 5)

    for width in (1100, 1600):
        lab.set_width(width)
        lab.page.wait_for_function(
            "w => document.querySelector('.activelens').getBoundingClientRect().width < w", arg=width)
        _check_layout(lab, f"{width}px")
        lab.page.locator(f"{ROOT} .al-card").first.scroll_into_view_if_needed()
        lab.screenshot(f"text-1-{width}px-{lab.frontend}")
        lab.screenshot(f"text-1-{width}px-widget-{lab.frontend}", locator=lab.page.locator(ROOT).first)

    assert dialogs == []
    lab.assert_no_console_errors()
