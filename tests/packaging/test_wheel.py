"""The package installs like its peers: a built wheel carries the widget bundle and the licence, installs into a
fresh environment with no Node.js on PATH, and an Explorer constructs there.

CI runs this through ``make test``. Building the wheel uses pip's ordinary build isolation (hatchling and
hatch-jupyter-builder from the package index); the bundle is the one ``make setup`` built (``skip-if-exists``), so
npm is never called. The fresh venv gets only the wheel (``--no-deps``); its dependencies are made visible through a
``.pth`` line pointing at the project's environment, after the venv's own site-packages, so the wheel's copy of
activelens is the one imported and the project's editable install is not.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import venv
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BUNDLE = ROOT / "src" / "activelens" / "static" / "widget.js"

pytestmark = pytest.mark.skipif(not BUNDLE.exists(), reason="the widget bundle is built by `make setup`")


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    env = dict(os.environ, PIP_DISABLE_PIP_VERSION_CHECK="1")
    proc = subprocess.run([sys.executable, "-m", "pip", "wheel", str(ROOT), "--no-deps", "-q", "-w", str(out)],
                          capture_output=True, text=True, env=env, timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    wheels = list(out.glob("activelens-*.whl"))
    assert len(wheels) == 1, wheels
    return wheels[0]


def test_wheel_ships_bundle_licence_and_metadata(wheel):
    with zipfile.ZipFile(wheel) as z:
        names = z.namelist()
        assert "activelens/static/widget.js" in names
        assert "activelens/static/widget.css" in names
        assert "activelens/py.typed" in names   # PEP 561: type checkers read the package's annotations
        assert any(n.endswith("LICENSE") for n in names), names
        meta = z.read(next(n for n in names if n.endswith(".dist-info/METADATA"))).decode()
    assert "Classifier: License :: OSI Approved :: BSD License" in meta
    assert "Project-URL:" in meta
    for extra in ("postgres", "scale", "text"):
        assert f"Provides-Extra: {extra}" in meta
    # no dev-only dependency is needed at run time
    required = [line for line in meta.splitlines() if line.startswith("Requires-Dist:") and "extra ==" not in line]
    for dev_only in ("pytest", "playwright", "jupyterlab", "psycopg", "dask", "hypothesis", "import-linter", "mypy",
                     "pandas-stubs"):
        assert not any(dev_only in line for line in required), (dev_only, required)


def test_wheel_installs_without_node_and_constructs_an_explorer(wheel, tmp_path):
    env_dir = tmp_path / "fresh"
    venv.EnvBuilder(with_pip=False).create(env_dir)
    bindir = env_dir / ("Scripts" if os.name == "nt" else "bin")
    python = bindir / ("python.exe" if os.name == "nt" else "python")
    site = Path(subprocess.check_output([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                                        text=True).strip())
    # install the wheel alone (pip from this environment, targeting the fresh one's site-packages) ...
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "--no-compile", "-q", "--target", str(site),
                    str(wheel)], check=True, timeout=300)
    # ... and see its dependencies from the project's environment, after the fresh site-packages
    (site / "zz_project_deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    empty = tmp_path / "nobin"
    empty.mkdir()
    env = {"PATH": f"{bindir}{os.pathsep}{empty}", "HOME": str(tmp_path), "PYTHONNOUSERSITE": "1"}
    script = (
        "import shutil, sys, numpy as np\n"
        "assert shutil.which('node') is None and shutil.which('npm') is None\n"
        "import activelens\n"
        f"assert activelens.__file__.startswith({str(site)!r}), activelens.__file__\n"
        "assert 'sqlalchemy' not in sys.modules and 'plotly' not in sys.modules\n"
        "from sklearn.linear_model import LogisticRegression\n"
        "X = np.random.default_rng(0).normal(size=(60, 4))\n"
        "w = activelens.Explorer(activelens.ActiveLearner(LogisticRegression(), X, classes=[0, 1], random_state=0), projection='pca')\n"
        "from pathlib import Path\n"
        "assert (Path(activelens.__file__).parent / 'static' / 'widget.js').stat().st_size > 1000\n"
        "print('ok', activelens.__file__)\n"
    )
    proc = subprocess.run([str(python), "-c", script], capture_output=True, text=True, env=env, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.startswith("ok")
    assert shutil.which("node", path=env["PATH"]) is None
