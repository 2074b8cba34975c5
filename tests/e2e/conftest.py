"""Fixtures for browser end-to-end tests. Usage and an example: see tests/e2e/harness.py (module docstring).

* ``jupyter_servers``    (session): {front end: :class:`harness.JupyterServer`}, each started on first use
* ``jupyter_lab_server`` (session): the JupyterLab one
* ``chromium_browser``   (session): Playwright ``Browser`` on the system Chromium
* ``lab``                (function, per front end): :class:`harness.Lab`, a fresh page per test, in JupyterLab
                         (``[lab]``) and in Jupyter Notebook 7 (``[notebook]``): every test that takes ``lab`` runs in
                         both. ``ACTIVELENS_E2E_FRONTENDS=lab`` (comma-separated) runs only those.
* ``browser_page``       (function): a blank Playwright ``Page`` (``page.console_log`` collects errors)

Every test collected under tests/e2e gets the ``e2e`` marker automatically.
"""

from __future__ import annotations

import json
import os
import re
import time
from pathlib import Path

import pytest

from .harness import (
    ARTIFACTS_DIR,
    DEFAULT_TIMEOUT,
    FRONTENDS,
    ConsoleLog,
    JupyterServer,
    Lab,
    chromium_executable,
    launch_chromium,
)

_HERE = Path(__file__).resolve().parent


def pytest_collection_modifyitems(config, items):
    for item in items:
        if _HERE in Path(item.path).resolve().parents:
            item.add_marker(pytest.mark.e2e)


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    """Keep each phase's report on the item (item.rep_setup / rep_call / rep_teardown) so fixtures
    can tell in their teardown whether the test failed."""
    outcome = yield
    rep = outcome.get_result()
    setattr(item, f"rep_{rep.when}", rep)


def _test_failed(item) -> bool:
    return any(getattr(getattr(item, f"rep_{w}", None), "failed", False) for w in ("setup", "call"))


def _artifact_name(item) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", item.nodeid.split("::", 1)[-1])[:120]


def _frontends() -> list[str]:
    wanted = os.environ.get("ACTIVELENS_E2E_FRONTENDS", "")
    names = [f.strip() for f in wanted.split(",") if f.strip()] or list(FRONTENDS)
    bad = [f for f in names if f not in FRONTENDS]
    if bad:
        raise ValueError(f"ACTIVELENS_E2E_FRONTENDS: {bad} not among {FRONTENDS}")
    return names


@pytest.fixture(scope="session")
def jupyter_servers():
    """One real server per front end for the whole session, started when a test first needs it (logs:
    test-artifacts/jupyterlab.log, test-artifacts/notebook.log)."""
    servers: dict[str, JupyterServer] = {}

    def get(frontend: str) -> JupyterServer:
        if frontend not in servers:
            name = "jupyterlab" if frontend == "lab" else frontend
            server = JupyterServer(log_path=ARTIFACTS_DIR / f"{name}.log", frontend=frontend)
            server.start()
            print(f"\n[e2e] {name} on {server.base_url} ready in {server.startup_seconds:.1f}s")
            servers[frontend] = server
        return servers[frontend]

    try:
        yield get
    finally:
        for server in servers.values():
            server.cleanup()


@pytest.fixture(scope="session")
def jupyter_lab_server(jupyter_servers):
    """The session's JupyterLab."""
    return jupyter_servers("lab")


def pytest_generate_tests(metafunc):
    """Every ``lab`` test runs in each front end; ``@pytest.mark.frontends("lab")`` keeps a test whose page does not
    depend on the front end (a backend, a data path) to the ones named, which keeps CI's time down."""
    if "lab" in metafunc.fixturenames:
        marker = metafunc.definition.get_closest_marker("frontends")
        names = [f for f in _frontends() if marker is None or f in marker.args]
        metafunc.parametrize("frontend", names, scope="session")


@pytest.fixture(scope="session")
def frontend(request):
    """The front end a ``lab`` test runs in: "lab" (JupyterLab) or "notebook" (Notebook 7)."""
    return request.param


@pytest.fixture(scope="session")
def _playwright():
    sync_api = pytest.importorskip("playwright.sync_api")
    pw = sync_api.sync_playwright().start()
    try:
        yield pw
    finally:
        pw.stop()


@pytest.fixture(scope="session")
def chromium_browser(_playwright):
    """One headless system Chromium for the whole session (never downloads a browser)."""
    exe = chromium_executable()
    if exe is None:
        pytest.skip("no Chromium found (set ACTIVELENS_CHROMIUM or install the distro 'chromium' package)")
    t0 = time.monotonic()
    browser = launch_chromium(_playwright, exe)
    print(f"\n[e2e] Chromium {browser.version} launched in {time.monotonic() - t0:.1f}s")
    try:
        yield browser
    finally:
        browser.close()


def _new_context(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 900}, device_scale_factor=1)
    context.set_default_timeout(DEFAULT_TIMEOUT * 1000)
    return context


def _finish_page(request, page, console: ConsoleLog, lab: Lab | None = None) -> None:
    name = _artifact_name(request.node)
    ARTIFACTS_DIR.mkdir(parents=True, exist_ok=True)
    if _test_failed(request.node):
        try:
            page.screenshot(path=str(ARTIFACTS_DIR / f"{name}.png"))
        except Exception as exc:  # the page may have crashed
            print(f"[e2e] failure screenshot not saved: {exc}")
        if lab is not None and lab.path is not None:
            try:  # what the notebook showed: sources, execution counts, outputs (tracebacks included)
                (ARTIFACTS_DIR / f"{name}.cells.json").write_text(json.dumps(lab.cells(), indent=1))
            except Exception as exc:
                print(f"[e2e] cells not saved: {exc}")
    (ARTIFACTS_DIR / f"{name}.console.txt").write_text("\n".join(console.messages) + "\n")


@pytest.fixture
def lab(request, frontend, jupyter_servers, chromium_browser):
    """A fresh browser context + page on the shared JupyterLab or Notebook 7; see :class:`harness.Lab`."""
    context = _new_context(chromium_browser)
    helper = Lab(jupyter_servers(frontend), context, name=_artifact_name(request.node))
    try:
        yield helper
    finally:
        try:
            _finish_page(request, helper.page, helper.console, helper)
        finally:
            context.close()
            helper.shutdown_kernels()


@pytest.fixture
def browser_page(request, chromium_browser):
    """A blank page in a fresh context, no Jupyter; ``page.console_log`` is a :class:`harness.ConsoleLog`."""
    context = _new_context(chromium_browser)
    page = context.new_page()
    page.console_log = ConsoleLog(page)
    try:
        yield page
    finally:
        try:
            _finish_page(request, page, page.console_log)
        finally:
            context.close()
