import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from sklearn.datasets import make_blobs


@pytest.fixture(scope="module")
def pool():
    """A small pool of three blobs (X, y) for the store tests (test_queue.py has its own)."""
    X, y = make_blobs(n_samples=200, centers=3, cluster_std=2.0, random_state=1)
    return X, y


@pytest.fixture
def shared_dir():
    """A folder other users (and a root without its override powers) may enter: under /tmp, mode 755."""
    path = Path(tempfile.mkdtemp(prefix="activelens-perm-"))
    path.chmod(0o755)
    try:
        yield path
    finally:
        for p in [path, *path.rglob("*")]:
            if p.is_dir():
                p.chmod(0o755)
        shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def run_unprivileged():
    """Run Python code in a child process that file permissions bind: as root, through ``setpriv`` without the
    capabilities that bypass them (root then acts as the files' owner, like any user); else as this user.
    Returns (exit status, stdout, stderr)."""
    cmd = [sys.executable, "-c"]
    if os.geteuid() == 0:
        setpriv = shutil.which("setpriv")
        if setpriv is None:
            pytest.skip("running as root without setpriv: permissions cannot be enforced")
        cmd = [setpriv, "--bounding-set", "-dac_override,-dac_read_search,-fowner", *cmd]

    def run(code: str):
        out = subprocess.run([*cmd, code], capture_output=True, text=True, timeout=300)
        return out.returncode, out.stdout, out.stderr

    return run


OLD_READ_ONLY_PROBE = """
from activelens import LabelStore
from activelens.storage import StoreFormatError
try:
    LabelStore({path!r})
except StoreFormatError as exc:
    print("refused", exc)
"""


@pytest.fixture
def open_old_store_read_only(run_unprivileged):
    """Open the store at ``path`` with LabelStore in a child process that file permissions bind (the caller makes
    its folder read-only); prints "refused <message>" when the store is refused. Returns (exit status, stdout,
    stderr)."""
    def run(path):
        return run_unprivileged(OLD_READ_ONLY_PROBE.format(path=str(path)))

    return run
