"""Smoke tests of the e2e harness itself: a real JupyterLab, a real browser, a tiny inline anywidget."""

from __future__ import annotations

import pytest

from .harness import CellError, notebook, webgl2_info

pytestmark = pytest.mark.e2e

CLICKER = r'''
import anywidget
import traitlets


class Clicker(anywidget.AnyWidget):
    _esm = """
    function render({ model, el }) {
      const btn = document.createElement("button");
      btn.className = "e2e-clicker";
      const sync = () => {
        btn.textContent = `clicked ${model.get("count")} (kernel saw ${model.get("kernel_seen")})`;
        btn.dataset.count = String(model.get("count"));
        btn.dataset.kernelSeen = String(model.get("kernel_seen"));
      };
      btn.addEventListener("click", () => {
        model.set("count", model.get("count") + 1);
        model.save_changes();
      });
      model.on("change:count", sync);
      model.on("change:kernel_seen", sync);
      sync();
      el.appendChild(btn);
      btn.dataset.ready = "1";
    }
    export default { render };
    """
    count = traitlets.Int(0).tag(sync=True)
    kernel_seen = traitlets.Int(-1).tag(sync=True)

    @traitlets.observe("count")
    def _echo(self, change):
        # Round trip: the kernel answers every click, so the page can wait for data-kernel-seen.
        self.kernel_seen = change["new"]


w = Clicker()
w
'''


def test_inline_anywidget_click_reaches_kernel(lab):
    lab.open_notebook(notebook(CLICKER))
    lab.run_all()

    button = lab.wait_for('button.e2e-clicker[data-ready="1"]')
    # Negative control: before any click the kernel holds 0 (so the probe below can fail).
    assert lab.run_probe("print(w.count)") == "0"

    button.click()
    lab.wait_for('button.e2e-clicker[data-kernel-seen="1"]')
    assert lab.run_probe("print(w.count)") == "1"

    button.click()
    lab.wait_for('button.e2e-clicker[data-kernel-seen="2"]')
    assert lab.run_probe("print(w.count, w.kernel_seen)") == "2 2"

    lab.screenshot("harness-clicker")
    lab.assert_no_console_errors()


def test_probe_reports_results_and_errors(lab):
    lab.open_notebook(["x = 41", ""])  # an empty cell must not block run_all
    lab.run_all()
    # Brackets/quotes that would trip auto-closing or autocompletion if typed.
    assert lab.run_probe("x + 1") == "42"
    assert lab.run_probe('print({"a": [1, (2, 3)]}["a"][1]);\nprint("two\\nlines")') == "(2, 3)\ntwo\nlines"
    import sys

    assert lab.run_probe("import sys; print(sys.prefix)") == sys.prefix  # the kernel runs in our venv
    with pytest.raises(CellError, match="ZeroDivisionError"):
        lab.run_probe("1 / 0")


def test_run_all_raises_cell_error(lab):
    lab.open_notebook(["raise ValueError('boom from cell')", "y = 1"])
    with pytest.raises(CellError, match="boom from cell"):
        lab.run_all()


def test_webgl2_context_exists(browser_page):
    info = webgl2_info(browser_page)
    print(f"\n[e2e] WebGL2: {info}")
    assert info is not None, "canvas.getContext('webgl2') returned null in headless Chromium"
    assert info["version"].startswith("WebGL 2.0")
    assert not browser_page.console_log.relevant_errors()
