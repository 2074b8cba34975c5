"""Screenshots of the widgets for the README and the docs: the Explorer and a Race, in a real JupyterLab.

    .venv/bin/python docs/widget_screenshots.py          # writes docs/_static/explorer.png and docs/_static/race.png

Uses the e2e harness (tests/e2e/harness.py: a JupyterLab on a free loopback port, the system Chromium, never a
downloaded browser). The pictures are committed; run this again when the widget's look changes. The docs build
shows them in place of the lessons' live widgets (docs/conf.py), which need a running kernel.
"""
from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from playwright.sync_api import sync_playwright  # noqa: E402

from tests.e2e.harness import JupyterServer, Lab, launch_chromium, notebook  # noqa: E402

OUT = ROOT / "docs" / "_static"

SETUP = """
from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from activelens import ActiveLearner, Explorer, Race

digits = load_digits()
X_pool, X_test, y_pool, y_test, img_pool, img_test = train_test_split(
    digits.data / 16.0, digits.target, digits.images, test_size=0.3, random_state=0)
learner = ActiveLearner(LogisticRegression(max_iter=1000), X_pool, batch_size=10, classes=list(range(10)),
                        X_test=X_test, y_test=y_test, random_state=0)
for _ in range(6):                        # six rounds answered from y_pool, so the curve and the map have labels
    batch = learner.query()
    learner.teach(batch.indices, y_pool[batch.indices])
    learner.fit()
"""
EXPLORER = """
explorer = Explorer(learner, items=img_pool, labels=[str(d) for d in range(10)])
explorer
"""
RACE = """
race = Race(LogisticRegression(max_iter=500), X_pool, y_pool, X_test=X_test, y_test=y_test,
            strategies=["margin", "k_center"], initial=20, batch_size=10, random_state=0)
race.run(6)
race
"""
EXPLORER_ROOT = '.activelens:not(.al-race)'
RACE_ROOT = ".activelens.al-race"


def _wait(lab: Lab, root: str, **attrs: str) -> None:
    lab.wait_for(root + "".join(f'[data-{k.replace("_", "-")}="{v}"]' for k, v in attrs.items()))


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    server = JupyterServer(frontend="lab")
    server.start()
    pw = sync_playwright().start()
    browser = launch_chromium(pw)
    try:
        context = browser.new_context(viewport={"width": 1400, "height": 1500}, device_scale_factor=1)
        lab = Lab(server, context, name="docs-screenshots", timeout=600)
        lab.open_notebook(notebook(SETUP, EXPLORER, RACE))
        lab.run_all(timeout=600)
        _wait(lab, EXPLORER_ROOT, ready="true", batch="10", busy="false")
        lab.page.wait_for_function("() => document.querySelector('.activelens .al-projection').textContent"
                                   " === 'map: umap'", timeout=600_000)
        _wait(lab, RACE_ROOT, ready="true", busy="false")
        explorer = lab.page.locator(EXPLORER_ROOT).first
        explorer.scroll_into_view_if_needed()
        explorer.screenshot(path=str(OUT / "explorer.png"))
        race = lab.page.locator(RACE_ROOT).first
        race.scroll_into_view_if_needed()
        race.screenshot(path=str(OUT / "race.png"))
        lab.shutdown_kernels()
        context.close()
    finally:
        browser.close()
        pw.stop()
        server.cleanup()
    print(f"wrote {OUT / 'explorer.png'} and {OUT / 'race.png'}")


if __name__ == "__main__":
    main()
