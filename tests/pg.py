"""A throwaway PostgreSQL cluster for the store tests: initdb + pg_ctl in a temp dir, on loopback, on a free port.

Debian's postgresql package puts the binaries in /usr/lib/postgresql/<version>/bin (``.ci/run`` installs it). PostgreSQL
refuses to run as root, so as root the cluster runs as the ``postgres`` system user (created by the package).
"""
from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import uuid


def find_bin_dir():
    env = os.environ.get("ACTIVELENS_PG_BIN")
    candidates = [env] if env else []
    candidates += sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)
    which = shutil.which("pg_ctl")
    if which:
        candidates.append(os.path.dirname(which))
    for d in candidates:
        if d and all(os.path.exists(os.path.join(d, b)) for b in ("initdb", "pg_ctl", "postgres")):
            return d
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PgCluster:
    def __init__(self, bin_dir: str):
        self.bin_dir = bin_dir
        self.root = tempfile.mkdtemp(prefix="activelens-pg-")
        self.data = os.path.join(self.root, "data")
        self.port = _free_port()
        self.user = None
        if os.geteuid() == 0:
            try:
                pw = pwd.getpwnam("postgres")
            except KeyError:
                raise RuntimeError("running as root and there is no 'postgres' system user to run PostgreSQL as") from None
            self.user = "postgres"
            os.chown(self.root, pw.pw_uid, pw.pw_gid)
        os.chmod(self.root, 0o700)

    def _run(self, *args, check=True):
        cmd = [os.path.join(self.bin_dir, args[0]), *args[1:]]
        if self.user:
            cmd = ["runuser", "-u", self.user, "--", *cmd]
        return subprocess.run(cmd, check=check, capture_output=True, text=True, timeout=120)

    def start(self):
        self._run("initdb", "-D", self.data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-locale", "--no-sync")
        opts = (f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off "
                "-c full_page_writes=off -c max_connections=60 -c shared_buffers=32MB")
        try:
            self._run("pg_ctl", "-D", self.data, "-o", opts, "-l", os.path.join(self.root, "log"), "-w", "-t", "60", "start")
        except subprocess.CalledProcessError as exc:
            log = ""
            try:
                log = open(os.path.join(self.root, "log")).read()[-2000:]
            except OSError:
                pass
            raise RuntimeError(f"pg_ctl start failed: {exc.stderr}\n{log}") from None
        return self

    def url(self, db="postgres") -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{db}"

    def new_database(self) -> str:
        import sqlalchemy as sa

        name = "t_" + uuid.uuid4().hex[:12]
        eng = sa.create_engine(self.url(), isolation_level="AUTOCOMMIT")
        with eng.connect() as c:
            c.exec_driver_sql(f'CREATE DATABASE "{name}" TEMPLATE template0 STRATEGY FILE_COPY')
        eng.dispose()
        return self.url(name)

    def stop(self):
        try:
            self._run("pg_ctl", "-D", self.data, "-m", "immediate", "-w", "stop", check=False)
        finally:
            shutil.rmtree(self.root, ignore_errors=True)
