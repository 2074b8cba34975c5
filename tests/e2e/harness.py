"""Browser end-to-end harness: a real JupyterLab or Jupyter Notebook 7 + headless Chromium (Playwright).

The same tests run in both front ends: the ``lab`` fixture is parametrized over ``FRONTENDS`` ("lab": JupyterLab,
"notebook": Jupyter Notebook 7), one server of each per session. ``lab.frontend`` says which one a test is in.

How a widget test uses it (fixtures come from tests/e2e/conftest.py)::

    import pytest
    from .harness import notebook          # relative import: tests/e2e is a package

    @pytest.mark.e2e
    def test_explorer_click(lab):
        lab.open_notebook(notebook(
            "from activelens.widgets.explorer import Explorer\\nw = Explorer(...)\\nw",
        ))                                    # writes it to the server root, opens it, waits for idle kernel
        lab.run_all()                         # "Run All Cells"; raises CellError on a traceback
        lab.page.locator('.al-root[data-ready="1"]').wait_for()   # wait on attributes, never sleep
        lab.page.locator("button.al-label").first.click()
        assert lab.run_probe("print(w.n_labeled)") == "1"        # new cell at the end, returns its output
        lab.screenshot("explorer-after-click")                   # -> test-artifacts/explorer-after-click.png
        lab.assert_no_console_errors()

Fixtures (all in conftest.py):
  * ``jupyter_server`` (session, per front end) -> :class:`JupyterServer`; ``jupyter_lab_server`` is the
    JupyterLab one. One server per front end per session on
    127.0.0.1:<free port> with a random token, temp root dir and isolated config/data/runtime/settings/
    workspace dirs; news, update checks and the extension manager are off; log in
    test-artifacts/jupyterlab.log.
  * ``chromium_browser`` (session) -> Playwright ``Browser`` (system /usr/bin/chromium, headless).
  * ``lab`` (function) -> :class:`Lab`: fresh browser context + page per test; on failure a screenshot
    test-artifacts/<test>.png, and always test-artifacts/<test>.console.txt; kernels it started are shut down.
  * ``browser_page`` (function) -> a blank Playwright ``Page`` (with console capture) for non-Jupyter checks.

The :class:`Lab` API (``lab.``):
  open_notebook(nb | path | [code, ...], name=None)  write + open in a fresh workspace, wait for idle kernel
  run_all(allow_errors=False) -> cells                 Run All Cells, wait for every count + idle kernel
  run_probe(code) -> str                               append a cell, run it, return its output text
  wait_kernel_idle()    wait_for(selector)    cells()    output(i)    execute_command(id, args)
  screenshot(name, locator=None)    console_errors    assert_no_console_errors(ignore=[regex, ...])
  page (the Playwright Page), server (JupyterLabServer: root_dir, url(), api())
Notebook builders: notebook(*cells, **metadata), code_cell(src), markdown_cell(src) -- plain dicts.
Waits poll real signals (JupyterLab's models, the toolbar's data-status, execution counts, your
widget's data-* attributes); nothing sleeps for a fixed time. The widget writes its test-only data-* attributes
only under a debug flag: every Lab page sets ``globalThis.activelensDebug = true`` (``DEBUG_JS``) before it loads.
Errors: CellError (an AssertionError).

Environment knobs: ACTIVELENS_CHROMIUM (browser executable), ACTIVELENS_E2E_ARTIFACTS (artifact dir),
ACTIVELENS_E2E_TIMEOUT (seconds for one wait, default 90), ACTIVELENS_E2E_HEADED=1 (show the browser).
"""

from __future__ import annotations

import ctypes
import itertools
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from urllib.parse import quote
from pathlib import Path
from typing import Any, Iterable


REPO_ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS_DIR = Path(os.environ.get("ACTIVELENS_E2E_ARTIFACTS", REPO_ROOT / "test-artifacts"))

#: Seconds allowed for one wait (server start, kernel idle, run-all, ...). Generous: 2 shared cores.
DEFAULT_TIMEOUT = float(os.environ.get("ACTIVELENS_E2E_TIMEOUT", "90"))

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    # WebGL2 works via SwiftShader with just the flags above (checked on Chromium 156). No extra
    # flag such as --use-angle=swiftshader / --enable-unsafe-swiftshader is needed.
]

#: JupyterLab user settings written into the isolated settings dir (JUPYTERLAB_SETTINGS_DIR).
LAB_SETTINGS: dict[str, dict[str, Any]] = {
    # No "receive official Jupyter news?" toast, no update check (there is no network anyway).
    "@jupyterlab/apputils-extension/notification": {"fetchNews": "false", "checkForUpdates": False},
    # Render every cell eagerly: with windowing / content-visibility, off-screen widgets may not be laid
    # out (zero sizes, missing DOM), which makes widget tests flaky.
    "@jupyterlab/notebook-extension/tracker": {"windowingMode": "none"},
    # Nothing pops up over the cells while the harness edits them.
    "@jupyterlab/completer-extension/manager": {"autoCompletion": False},
}

PYTHON3_KERNELSPEC = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}

_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


class CellError(AssertionError):
    """A cell raised in the kernel. ``str()`` holds the cell source and the (ANSI-free) traceback."""


def strip_ansi(text: str) -> str:
    return _ANSI.sub("", text)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def code_cell(source: str, **metadata: Any) -> dict:
    return {"cell_type": "code", "id": secrets.token_hex(4), "metadata": metadata, "source": source,
            "outputs": [], "execution_count": None}


def markdown_cell(source: str, **metadata: Any) -> dict:
    return {"cell_type": "markdown", "id": secrets.token_hex(4), "metadata": metadata, "source": source}


def notebook(*cells: str | dict, **metadata: Any) -> dict:
    """Build a python3 nbformat-4 notebook (a plain dict) from code strings or cell dicts
    (:func:`code_cell`, :func:`markdown_cell`, ``nbformat.v4.new_*_cell``).

    Plain JSON on purpose: importing nbformat costs seconds (jsonschema format checkers)."""
    return {
        "nbformat": 4,
        "nbformat_minor": 5,
        "metadata": {"kernelspec": dict(PYTHON3_KERNELSPEC), "language_info": {"name": "python"}, **metadata},
        "cells": [code_cell(c) if isinstance(c, str) else dict(c) for c in cells],
    }


def _die_with_parent() -> None:  # pragma: no cover - runs in the child between fork and exec
    """Linux: SIGTERM the server if pytest dies without running fixture teardown (e.g. SIGKILL)."""
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except Exception:
        pass


# --------------------------------------------------------------------------------------------------
# JupyterLab server
# --------------------------------------------------------------------------------------------------


#: the front ends the e2e tests run in
FRONTENDS = ("lab", "notebook")


class JupyterServer:
    """A real ``jupyter lab`` (``frontend="lab"``) or ``jupyter notebook`` (Notebook 7, ``frontend="notebook"``)
    subprocess on 127.0.0.1 with a random token and isolated dirs."""

    def __init__(self, log_path: Path | None = None, timeout: float = DEFAULT_TIMEOUT, frontend: str = "lab") -> None:
        if frontend not in FRONTENDS:
            raise ValueError(f"frontend must be one of {FRONTENDS}, got {frontend!r}")
        self.frontend = frontend
        self.timeout = timeout
        self.token = secrets.token_hex(16)
        self.port = 0
        self.proc: subprocess.Popen | None = None
        self._tmp = Path(tempfile.mkdtemp(prefix="activelens-e2e-"))
        self.root_dir = self._tmp / "root"
        self.log_path = Path(log_path) if log_path else ARTIFACTS_DIR / "jupyterlab.log"
        self._log_file = None
        self.startup_seconds: float | None = None

    # -- lifecycle ---------------------------------------------------------------------------------
    def _env(self) -> dict[str, str]:
        dirs = {
            "JUPYTER_CONFIG_DIR": "config",
            "JUPYTER_DATA_DIR": "data",
            "JUPYTER_RUNTIME_DIR": "runtime",
            "JUPYTERLAB_SETTINGS_DIR": "lab-settings",
            "JUPYTERLAB_WORKSPACES_DIR": "lab-workspaces",
            "IPYTHONDIR": "ipython",
        }
        env = dict(os.environ)
        for var, sub in dirs.items():
            (self._tmp / sub).mkdir(parents=True, exist_ok=True)
            env[var] = str(self._tmp / sub)
        env["JUPYTER_PLATFORM_DIRS"] = "1"
        env["PYTHONUNBUFFERED"] = "1"
        env.pop("JUPYTER_TOKEN", None)
        return env

    def _write_settings(self) -> None:
        # No "build recommended" check: it spawns node on every page load (and there is nothing to build).
        labconfig = self._tmp / "config" / "labconfig"
        labconfig.mkdir(parents=True, exist_ok=True)
        (labconfig / "page_config.json").write_text(json.dumps({"buildCheck": False, "buildAvailable": False}))
        for plugin, values in LAB_SETTINGS.items():
            path = self._tmp / "lab-settings" / f"{plugin}.jupyterlab-settings"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(values, indent=2))

    @property
    def app_path(self) -> str:
        """The front end's page: /lab or /tree (Notebook 7)."""
        return "/lab" if self.frontend == "lab" else "/tree"

    def notebook_url(self, name: str, workspace: str) -> str:
        """The page that opens notebook ``name`` (server path) in this front end."""
        if self.frontend == "lab":  # a fresh workspace: nothing from earlier tests is restored next to it
            return self.url(f"/lab/workspaces/{workspace}/tree/{quote(name)}", reset="")
        return self.url(f"/notebooks/{quote(name)}")

    def command(self) -> list[str]:
        common = [
            "--no-browser",
            "--ServerApp.ip=127.0.0.1",
            f"--ServerApp.port={self.port}",
            "--ServerApp.port_retries=0",
            f"--IdentityProvider.token={self.token}",
            f"--ServerApp.root_dir={self.root_dir}",
            "--ServerApp.terminals_enabled=False",
        ]
        if self.frontend == "lab":
            cmd = [sys.executable, "-m", "jupyterlab", *common,
                   "--LabApp.expose_app_in_browser=True",  # window.jupyterapp: commands + models for the helpers
                   "--LabApp.news_url=None",
                   "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
                   "--LabApp.extension_manager=readonly"]
        else:
            cmd = [sys.executable, "-m", "notebook", *common,
                   "--JupyterNotebookApp.expose_app_in_browser=True"]   # news: off by the user settings
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            cmd.append("--allow-root")
        return cmd

    def start(self) -> "JupyterLabServer":
        t0 = time.monotonic()
        self.root_dir.mkdir(parents=True, exist_ok=True)
        self._write_settings()
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        env = self._env()
        last_error = None
        for _attempt in range(3):  # the free port can be taken between bind-probe and server start
            self.port = free_port()
            self._log_file = self._open_log()
            self._log_file.write("$ " + " ".join(self.command()) + "\n")
            self.proc = subprocess.Popen(
                self.command(), cwd=self.root_dir, env=env, stdin=subprocess.DEVNULL,
                stdout=self._log_file, stderr=subprocess.STDOUT, start_new_session=True,
                preexec_fn=_die_with_parent,
            )
            try:
                self._wait_ready()
                self.startup_seconds = time.monotonic() - t0
                return self
            except RuntimeError as exc:
                last_error = exc
                self.stop()
                if not re.search(r"already in use|no available port", self.log_tail(), re.I):
                    break
        raise last_error  # type: ignore[misc]

    def _open_log(self):
        """Open (truncate) the log; if another session's server holds it, use NAME-<pid>.log instead."""
        import fcntl

        f = open(self.log_path, "a", buffering=1)
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)  # inherited by the server: held while it runs
        except OSError:
            f.close()
            self.log_path = self.log_path.with_name(f"{self.log_path.stem}-{os.getpid()}{self.log_path.suffix}")
            f = open(self.log_path, "a", buffering=1)
        f.truncate(0)
        return f

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(
                    f"jupyter {self.frontend} exited with {self.proc.returncode} before answering; "
                    f"log {self.log_path}:\n{self.log_tail()}")
            try:
                status = self.api("GET", "/api/status", timeout=2)
                if isinstance(status, dict):
                    # /api/status answers as soon as the server listens; /lab must be servable too.
                    with urllib.request.urlopen(self.url(self.app_path), timeout=5) as r:
                        if r.status == 200:
                            return
            except (OSError, urllib.error.URLError):
                pass
            time.sleep(0.1)  # polling interval, not a wait-for-something sleep
        raise RuntimeError(f"jupyter {self.frontend} did not answer /api/status within {self.timeout:.0f}s; "
                           f"log {self.log_path}:\n{self.log_tail()}")

    def stop(self) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            try:  # kernels run in their own sessions: ask the server to shut them down first
                for k in self.api("GET", "/api/kernels", timeout=5) or []:
                    self.api("DELETE", f"/api/kernels/{k['id']}", timeout=10)
            except Exception:
                pass
            self.proc.send_signal(signal.SIGTERM)  # jupyter_server shuts down cleanly on SIGTERM
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                try:
                    os.killpg(self.proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                self.proc.wait(timeout=10)
        self.proc = None
        if self._log_file:
            self._log_file.close()
            self._log_file = None

    def cleanup(self) -> None:
        self.stop()
        shutil.rmtree(self._tmp, ignore_errors=True)

    def __enter__(self) -> "JupyterServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.cleanup()

    # -- access ------------------------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def url(self, path: str | None = None, **query: str) -> str:
        """Absolute URL with the token attached, e.g. ``url("/lab/tree/x.ipynb")`` (default: the front end's page)."""
        path = self.app_path if path is None else path
        q = "&".join([f"token={self.token}"] + [f"{k}={v}" if v != "" else k for k, v in query.items()])
        sep = "&" if "?" in path else "?"
        return f"{self.base_url}{path}{sep}{q}"

    def api(self, method: str, path: str, body: Any = None, timeout: float = 10) -> Any:
        """Call the Jupyter REST API (token auth header, so no XSRF needed). Returns parsed JSON or None."""
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(
            self.base_url + path, data=data, method=method,
            headers={"Authorization": f"token {self.token}", "Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=timeout) as r:
            raw = r.read()
        return json.loads(raw) if raw else None

    def sign(self, nb: dict) -> None:
        """Mark ``nb`` trusted for this server (same notebook secret + signature db), in place."""
        import nbformat
        from nbformat.sign import NotebookNotary

        data_dir = str(self._tmp / "data")
        notary = NotebookNotary(data_dir=data_dir, db_file=os.path.join(data_dir, "nbsignatures.db"))
        node = nbformat.from_dict(nb)
        notary.sign(node)
        nb.setdefault("metadata", {})["signature"] = node.metadata["signature"]
        notary.store.close()

    def log_tail(self, n: int = 60) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-n:])
        except OSError:
            return ""


def JupyterLabServer(log_path: Path | None = None, timeout: float = DEFAULT_TIMEOUT) -> JupyterServer:
    """A :class:`JupyterServer` running JupyterLab (the name the benchmarks use)."""
    return JupyterServer(log_path=log_path, timeout=timeout, frontend="lab")


# --------------------------------------------------------------------------------------------------
# Browser
# --------------------------------------------------------------------------------------------------


def chromium_executable() -> str | None:
    exe = os.environ.get("ACTIVELENS_CHROMIUM", "/usr/bin/chromium")
    if os.path.exists(exe):
        return exe
    return shutil.which("chromium") or shutil.which("chromium-browser")


def launch_chromium(playwright, executable: str | None = None):
    """Launch the system Chromium (never a downloaded one)."""
    headed = os.environ.get("ACTIVELENS_E2E_HEADED") == "1"
    return playwright.chromium.launch(
        executable_path=executable or chromium_executable(),
        headless=not headed,
        args=[a for a in CHROMIUM_ARGS if not (headed and a == "--headless")],
    )


_WEBGL2_JS = """() => {
  const gl = document.createElement('canvas').getContext('webgl2');
  if (!gl) return null;
  const dbg = gl.getExtension('WEBGL_debug_renderer_info');
  return {
    version: gl.getParameter(gl.VERSION),
    renderer: dbg ? gl.getParameter(dbg.UNMASKED_RENDERER_WEBGL) : gl.getParameter(gl.RENDERER),
    maxTextureSize: gl.getParameter(gl.MAX_TEXTURE_SIZE),
  };
}"""


def webgl2_info(page) -> dict | None:
    """``None`` if ``canvas.getContext('webgl2')`` is null on this page, else version/renderer info."""
    return page.evaluate(_WEBGL2_JS)


class ConsoleLog:
    """Collects console messages and uncaught page errors of one page."""

    #: Console errors that are not bugs of ours (matched as regexes against the text).
    IGNORED = [
        r"favicon\.ico",
    ]

    def __init__(self, page) -> None:
        self.messages: list[str] = []
        self.errors: list[str] = []
        page.on("console", self._on_console)
        page.on("pageerror", self._on_pageerror)
        page.on("crash", lambda *_: self.errors.append("[crash] page crashed"))

    def _on_console(self, msg) -> None:
        loc = msg.location or {}
        where = f" ({loc.get('url', '')}:{loc.get('lineNumber', '')})" if loc.get("url") else ""
        line = f"[{msg.type}] {msg.text}{where}"
        self.messages.append(line)
        if msg.type == "error":
            self.errors.append(line)

    def _on_pageerror(self, err) -> None:
        line = f"[pageerror] {err}"
        self.messages.append(line)
        self.errors.append(line)

    def relevant_errors(self, ignore: Iterable[str] = ()) -> list[str]:
        pats = [re.compile(p) for p in [*self.IGNORED, *ignore]]
        return [e for e in self.errors if not any(p.search(e) for p in pats)]


# --------------------------------------------------------------------------------------------------
# The per-test helper
# --------------------------------------------------------------------------------------------------

# Installed in every page (add_init_script). Uses window.jupyterapp (expose_app_in_browser) so the
# helpers act on JupyterLab's own models and commands instead of typing into CodeMirror.
_INIT_JS = r"""
window.__alE2E = {
  panel(path) {
    const app = window.jupyterapp;
    if (!app || !app.shell) return null;
    for (const w of app.shell.widgets('main')) {
      if (w && w.context && w.context.path === path && w.content && w.content.model) return w;
    }
    return null;
  },
  kernelId(path) {
    const p = this.panel(path);
    const k = p && p.sessionContext && p.sessionContext.session && p.sessionContext.session.kernel;
    return k ? k.id : null;
  },
  kernelStatus(path) {
    const p = this.panel(path);
    const k = p && p.sessionContext && p.sessionContext.session && p.sessionContext.session.kernel;
    return k ? k.status : null;
  },
  indicatorStatus(path) {
    const p = this.panel(path);
    const el = p && p.node.querySelector('.jp-Notebook-ExecutionIndicator');
    return el ? el.getAttribute('data-status') : null;
  },
  isIdle(path) {
    const p = this.panel(path);
    if (!p || !p.context.isReady || !p.sessionContext.isReady) return false;
    if (this.kernelStatus(path) !== 'idle') return false;
    const ind = this.indicatorStatus(path);
    if (ind !== null && ind !== 'idle') return false;
    return !this.cells(path, false).some(c => c.running);
  },
  cells(path, withOutputs = true) {
    const p = this.panel(path);
    if (!p) return [];
    const out = [];
    const widgets = p.content.widgets;
    for (let i = 0; i < widgets.length; i++) {
      const cell = widgets[i], m = cell.model;
      const info = {index: i, id: m.id, type: m.type, source: m.sharedModel.getSource(),
                    executionCount: null, running: false, outputs: []};
      if (m.type === 'code') {
        info.executionCount = m.executionCount;
        const prompt = cell.node.querySelector('.jp-InputPrompt');
        info.running = (m.executionState === 'running') || !!(prompt && prompt.textContent.includes('*'));
        if (withOutputs) for (let j = 0; j < m.outputs.length; j++) info.outputs.push(m.outputs.get(j).toJSON());
      }
      out.push(info);
    }
    return out;
  },
  activate(path) {
    const p = this.panel(path);
    window.jupyterapp.shell.activateById(p.id);
    return p;
  },
  async runAll(path) {
    this.activate(path);
    this.runAllDone = false; this.runAllResult = undefined;
    // Kick off; Python polls runAllDone so that waits have timeouts and good error messages.
    Promise.resolve(window.jupyterapp.commands.execute('notebook:run-all-cells'))
      .then(r => { this.runAllResult = r; }, e => { this.runAllResult = String(e); })
      .finally(() => { this.runAllDone = true; });
  },
  appendCell(path, source) {
    const p = this.activate(path);
    const nb = p.content, model = nb.model;
    const idx = model.cells.length;
    model.sharedModel.insertCell(idx, {cell_type: 'code', source: source});
    nb.deselectAll();
    nb.activeCellIndex = idx;
    // No scrolling: the widget under test stays in view for screenshots.
    return {index: idx, id: model.cells.get(idx).id};
  },
  runActive(path) {
    this.activate(path);
    window.jupyterapp.commands.execute('notebook:run-cell');
  },
};
"""


#: Before any page script: the widget writes its test-only data-* attributes (data-ready, data-points, data-batch,
#: timings, ...) only under this flag (js/debug.js); the tests and benchmarks wait on them.
DEBUG_JS = "globalThis.activelensDebug = true;"


def _timed(method):
    """Record ``[harness] name Xs`` in the page log (test-artifacts/<test>.console.txt)."""
    import functools

    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        t0 = time.monotonic()
        ok = "failed "
        try:
            result = method(self, *args, **kwargs)
            ok = ""
            return result
        finally:
            detail = f" {args[0]!r}"[:80] if method.__name__ == "run_probe" and args else ""
            self.console.messages.append(f"[harness] {ok}{method.__name__}{detail} {time.monotonic() - t0:.2f}s")

    return wrapper


class Lab:
    """One test's browser page in the shared JupyterLab or Notebook 7 (``frontend``). Created by the ``lab``
    fixture."""

    _names = itertools.count(1)

    def __init__(self, server: JupyterServer, context, name: str = "test",
                 timeout: float = DEFAULT_TIMEOUT) -> None:
        self.server = server
        self.frontend = server.frontend
        self.context = context
        self.timeout = timeout
        self.name = re.sub(r"[^A-Za-z0-9_.-]+", "_", name)[:80] or "test"
        context.add_init_script(_INIT_JS)
        context.add_init_script(DEBUG_JS)
        self.page = context.new_page()
        self.page.set_default_timeout(timeout * 1000)
        self.console = ConsoleLog(self.page)
        self.path: str | None = None
        self.opened: list[str] = []

    # -- opening -----------------------------------------------------------------------------------
    @_timed
    def open_notebook(self, nb: dict | str | os.PathLike | list[str], name: str | None = None,
                      prestart_kernel: bool = True) -> str:
        """Write ``nb`` into the server root and open it in a fresh JupyterLab workspace; returns its
        server path. Waits until the document is loaded and its kernel is idle.

        ``nb``: a notebook dict (:func:`notebook`, or an ``nbformat`` node), a path to an existing
        .ipynb (copied), or a list of code strings. A python3 kernelspec is added if missing (so no
        "Select Kernel" dialog), and notebooks with outputs are signed (trusted). ``prestart_kernel``
        creates the kernel session over REST before the page loads, so kernel start-up overlaps with
        JupyterLab's start-up (JupyterLab attaches to the existing session of that path).
        """
        if isinstance(nb, (list, tuple)):
            nb = notebook(*nb)
        if isinstance(nb, (str, os.PathLike)):
            src = Path(nb)
            nb = json.loads(src.read_text())
            name = name or f"{src.stem}-{next(self._names)}.ipynb"
        else:
            nb = json.loads(json.dumps(nb))  # a plain, private copy (also of nbformat nodes)
        name = name or f"{self.name}-{next(self._names)}.ipynb"
        meta = nb.setdefault("metadata", {})
        if not meta.get("kernelspec"):
            meta["kernelspec"] = dict(PYTHON3_KERNELSPEC)
        if any(c.get("outputs") for c in nb.get("cells", [])):
            self.server.sign(nb)  # trusted: stored HTML/JS outputs render as they would for the author
        target = self.server.root_dir / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(nb, indent=1))
        self.path = name
        self.opened.append(name)
        if prestart_kernel:
            self.server.api("POST", "/api/sessions", {
                "path": name, "name": Path(name).name, "type": "notebook",
                "kernel": {"name": meta["kernelspec"].get("name", "python3")}}, timeout=30)
        workspace = f"e2e-{self.name[:40]}-{secrets.token_hex(3)}"
        self.page.goto(self.server.notebook_url(name, workspace))
        self.page.wait_for_function("() => !!(window.jupyterapp && window.__alE2E)")
        self._wait_js("p => window.__alE2E.panel(p) !== null", f"notebook {name} to open", None, arg=name)
        self.wait_kernel_idle()
        return name

    # -- kernel / execution ------------------------------------------------------------------------
    def wait_kernel_idle(self, timeout: float | None = None) -> None:
        """Wait until the notebook's kernel is idle (session ready, kernel status and toolbar indicator
        both "idle", no cell showing ``[*]``)."""
        self._wait_js("p => window.__alE2E.isIdle(p)", "kernel idle", timeout)

    @_timed
    def run_all(self, timeout: float | None = None, allow_errors: bool = False) -> list[dict]:
        """Run all cells (command ``notebook:run-all-cells``) and wait until every non-empty code cell
        has an execution count and the kernel is idle. Raises :class:`CellError` on a traceback unless
        ``allow_errors``. Returns the cells' info dicts (source, executionCount, outputs)."""
        self._require_notebook()
        self.page.evaluate("p => window.__alE2E.runAll(p)", self.path)
        self._wait_js("() => window.__alE2E.runAllDone", "notebook:run-all-cells", timeout)
        result = self.page.evaluate("() => window.__alE2E.runAllResult")
        if isinstance(result, str):
            raise RuntimeError(f"notebook:run-all-cells failed in the page: {result}")
        cells = self.cells()
        errors = [c for c in cells for o in c["outputs"] if o.get("output_type") == "error"]
        if errors:
            if not allow_errors:
                raise CellError(self._format_error(errors[0]))
            # The kernel aborts the cells queued after a failing one: they never get a count.
            self.wait_kernel_idle(timeout)
            return self.cells()
        self._wait_js(
            """p => window.__alE2E.isIdle(p) && window.__alE2E.cells(p, false).every(
                   c => c.type !== 'code' || !c.source.trim() || c.executionCount !== null)""",
            "all code cells executed", timeout)
        return self.cells()

    @_timed
    def run_probe(self, code: str, timeout: float | None = None) -> str:
        """Append a code cell with ``code`` at the end, run it, wait for idle, return its output text.

        The source is set through the notebook model (no typing, so no autocompletion or
        auto-closing brackets). Output text = stream text + ``text/plain`` of results/displays, with
        surrounding whitespace stripped. Raises :class:`CellError` if the cell raised.
        """
        self._require_notebook()
        self.wait_kernel_idle(timeout)
        cell = self.page.evaluate("([p, s]) => window.__alE2E.appendCell(p, s)", [self.path, code])
        self.page.evaluate("p => window.__alE2E.runActive(p)", self.path)
        self._wait_js(
            """([p, id]) => { const c = window.__alE2E.cells(p, false).find(c => c.id === id);
                              return !!c && c.executionCount !== null && !c.running
                                     && window.__alE2E.isIdle(p); }""",
            f"probe cell to finish: {code!r}", timeout, arg=[self.path, cell["id"]])
        info = next(c for c in self.cells() if c["id"] == cell["id"])
        if any(o.get("output_type") == "error" for o in info["outputs"]):
            raise CellError(self._format_error(info))
        return strip_ansi(output_text(info["outputs"])).strip()

    def cells(self) -> list[dict]:
        """Info for every cell: index, id, type, source, executionCount, running, outputs (nbformat)."""
        self._require_notebook()
        return self.page.evaluate("p => window.__alE2E.cells(p)", self.path)

    @_timed
    def restart_and_run_all(self, timeout: float | None = None) -> list[dict]:
        """What a user does: Kernel > "Restart Kernel and Run All Cells…", then "Restart" in the dialog; waits until
        every code cell ran again in the new kernel (as :meth:`run_all`)."""
        self._require_notebook()
        before = self.page.evaluate("p => window.__alE2E.kernelId(p)", self.path)
        self.page.evaluate("() => { window.__alE2E.restartDone = false;"
                           " Promise.resolve(window.jupyterapp.commands.execute('notebook:restart-run-all'))"
                           ".finally(() => { window.__alE2E.restartDone = true; }); }")
        self.page.locator(".jp-Dialog .jp-mod-accept").click()
        self._wait_js("() => window.__alE2E.restartDone", "restart and run all", timeout)
        self._wait_js(
            """([p, before]) => window.__alE2E.isIdle(p) && window.__alE2E.cells(p, false).every(
                   c => c.type !== 'code' || !c.source.trim() || (c.executionCount !== null && !c.running))""",
            "all code cells executed after the restart", timeout, arg=[self.path, before])
        cells = self.cells()
        errors = [c for c in cells for o in c["outputs"] if o.get("output_type") == "error"]
        if errors:
            raise CellError(self._format_error(errors[0]))
        return cells

    def execute_command(self, command: str, args: dict | None = None) -> Any:
        """Run any JupyterLab command (e.g. ``"notebook:restart-kernel"``) and await it."""
        return self.page.evaluate(
            "async ([c, a]) => { const r = await window.jupyterapp.commands.execute(c, a || {});"
            " try { return JSON.parse(JSON.stringify(r)); } catch (e) { return null; } }",
            [command, args])

    # -- DOM helpers -------------------------------------------------------------------------------
    def output(self, index: int = -1):
        """Locator for the output area of code cell ``index`` (negative indexes from the end)."""
        return self.page.locator(".jp-Notebook .jp-Cell").nth(index).locator(".jp-OutputArea")

    def wait_for(self, selector: str, state: str = "visible", timeout: float | None = None):
        """Wait for ``selector`` (e.g. ``'[data-ready="1"]'``) and return its first locator."""
        from playwright.sync_api import TimeoutError as PWTimeout

        loc = self.page.locator(selector).first
        try:
            loc.wait_for(state=state, timeout=(timeout or self.timeout) * 1000)
        except PWTimeout as exc:
            raise TimeoutError(f"{selector!r} not {state} after {timeout or self.timeout:.0f}s; "
                               f"browser console errors: {self.console.errors[-5:]}") from exc
        return loc

    def pixels(self, points, clip=None) -> list[tuple[int, int, int]]:
        """The RGB colour on screen (a real screenshot: WebGL, SVG and HTML as the user sees them) at each
        page position ``(x, y)`` of ``points``."""
        import io

        from PIL import Image

        img = Image.open(io.BytesIO(self.page.screenshot())).convert("RGB")
        return [img.getpixel((int(round(x)), int(round(y)))) for x, y in points]

    def set_width(self, width: int, height: int = 900) -> None:
        """Resize the browser window (the page's viewport) to ``width`` x ``height`` pixels."""
        self.page.set_viewport_size({"width": width, "height": height})

    # -- artifacts ---------------------------------------------------------------------------------
    def screenshot(self, name: str, locator=None, full_page: bool = False) -> Path:
        """Save test-artifacts/NAME.png (of ``locator`` if given, else the viewport)."""
        path = ARTIFACTS_DIR / f"{name}.png"
        path.parent.mkdir(parents=True, exist_ok=True)
        if locator is not None:
            locator.screenshot(path=str(path))
        else:
            self.page.screenshot(path=str(path), full_page=full_page)
        return path

    @property
    def console_errors(self) -> list[str]:
        return self.console.relevant_errors()

    #: Notebook 7.6's own start-up error (a settings signal before its plugin is registered), not ours
    NOTEBOOK_IGNORED = [r"\[pageerror\] Cannot read properties of undefined \(reading 'schema'\)"]

    def assert_no_console_errors(self, ignore: Iterable[str] = ()) -> None:
        """Fail if the page logged console errors / uncaught exceptions (``ignore``: regexes)."""
        extra = self.NOTEBOOK_IGNORED if self.frontend == "notebook" else []
        errors = self.console.relevant_errors([*ignore, *extra])
        assert not errors, "browser console errors:\n" + "\n".join(errors)

    # -- teardown ----------------------------------------------------------------------------------
    def shutdown_kernels(self) -> None:
        """Shut down the kernels of the notebooks this test opened (frees CPU for the next test)."""
        try:
            sessions = self.server.api("GET", "/api/sessions", timeout=5) or []
        except Exception:
            return
        for s in sessions:
            if s.get("path") in self.opened:
                try:
                    self.server.api("DELETE", f"/api/sessions/{s['id']}", timeout=15)
                except Exception:
                    pass

    # -- internals ---------------------------------------------------------------------------------
    def _require_notebook(self) -> None:
        if self.path is None:
            raise RuntimeError("call lab.open_notebook(...) first")

    def _wait_js(self, expr: str, what: str, timeout: float | None, arg: Any = None) -> None:
        from playwright.sync_api import TimeoutError as PWTimeout

        t = (timeout or self.timeout) * 1000
        try:
            self.page.wait_for_function(expr, arg=self.path if arg is None else arg, timeout=t,
                                        polling=100)
        except PWTimeout as exc:
            state = {}
            try:
                state = self.page.evaluate(
                    "p => ({kernel: window.__alE2E.kernelStatus(p), indicator: window.__alE2E.indicatorStatus(p),"
                    " cells: window.__alE2E.cells(p, false).map(c => [c.index, c.executionCount, c.running])})",
                    self.path)
            except Exception:
                pass
            raise TimeoutError(f"timed out after {t / 1000:.0f}s waiting for {what}; state={state}; "
                               f"console errors={self.console.errors[-5:]}") from exc

    @staticmethod
    def _format_error(cell: dict) -> str:
        tb = [o for o in cell["outputs"] if o.get("output_type") == "error"]
        text = "\n".join(strip_ansi("\n".join(o.get("traceback", []))) or f"{o.get('ename')}: {o.get('evalue')}"
                         for o in tb)
        return f"cell {cell['index']} raised:\n--- source ---\n{cell['source']}\n--- traceback ---\n{text}"


def output_text(outputs: list[dict]) -> str:
    """Concatenate what a user reads: stream text, ``text/plain`` of results and displays."""
    parts = []
    for o in outputs:
        kind = o.get("output_type")
        if kind == "stream":
            t = o.get("text", "")
            parts.append("".join(t) if isinstance(t, list) else t)
        elif kind in ("execute_result", "display_data"):
            t = (o.get("data") or {}).get("text/plain", "")
            parts.append(("".join(t) if isinstance(t, list) else t) + "\n")
        elif kind == "error":
            parts.append(f"{o.get('ename')}: {o.get('evalue')}\n")
    return "".join(parts)
