"""The production DOM: without the debug flag (js/debug.js) the Explorer writes none of its test-only data-*
attributes, and keeps the ones that serve the page (Lumino's shortcut opt-out, a card's state that CSS styles)."""
from __future__ import annotations

import pytest

from .harness import notebook
from .test_widget import ROOT, SETUP

pytestmark = pytest.mark.e2e

ATTRS_JS = """
() => {
  const root = document.querySelector('.activelens');
  const names = (el) => [...el.attributes].map(a => a.name).filter(n => n.startsWith('data-'));
  return {root: names(root), card: names(root.querySelector('.al-card')),
          label: names(root.querySelector('.al-label'))};
}
"""


@pytest.mark.frontends("lab")
def test_no_debug_attributes_without_the_flag(lab):
    lab.open_notebook(notebook(SETUP))
    lab.page.evaluate("() => { globalThis.activelensDebug = false; }")   # the harness set it before the page loaded
    lab.run_all()
    lab.wait_for(f"{ROOT} .al-card:nth-child(6)")
    lab.wait_for(f"{ROOT} svg.al-rings circle")   # the map is drawn, its batch ringed
    attrs = lab.page.evaluate(ATTRS_JS)
    assert attrs["root"] == ["data-lm-suppress-shortcuts"], attrs
    assert attrs["card"] == ["data-pos", "data-state"], attrs
    assert attrs["label"] == ["data-label"], attrs
    lab.assert_no_console_errors()
