"""Helpers shared by the benchmark scripts: thread limits, the machine description, table printing."""
from __future__ import annotations

import os
import platform
import subprocess


def limit_threads(n: int = 1) -> None:
    """Pin BLAS/OpenMP pools before numpy is imported, so parallel workers do not oversubscribe the cores.

    Values already set in the environment win (OPENBLAS_CORETYPE and friends are left alone).
    """
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(var, str(n))


def machine() -> dict:
    """What the numbers were measured on."""
    import numpy as np
    import sklearn

    cpu = "unknown"
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True, timeout=10).stdout
        for line in out.splitlines():
            if line.lower().startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except (OSError, subprocess.SubprocessError):
        pass
    blas = "unknown"
    try:
        from threadpoolctl import threadpool_info

        blas = "; ".join(f"{i['internal_api']} {i.get('version')} {i.get('architecture')} kernels, {i['num_threads']} threads"
                         for i in threadpool_info() if i.get("user_api") == "blas") or "unknown"
    except ImportError:
        pass
    env = {k: os.environ[k] for k in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_CORETYPE")
           if k in os.environ}
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "sklearn": sklearn.__version__,
        "env": env,
        "blas": blas,
    }


def print_machine() -> None:
    m = machine()
    env = " ".join(f"{k}={v}" for k, v in m["env"].items()) or "(no thread variables set)"
    print(f"# machine: {m['cpu']}, {m['cores']} cores, python {m['python']}, numpy {m['numpy']}, "
          f"scikit-learn {m['sklearn']}; BLAS: {m['blas']}; {env}")


def markdown_table(rows: list[dict], columns: list[str] | None = None) -> str:
    """A GitHub markdown table from a list of dicts (values printed with str())."""
    if not rows:
        return "(no rows)"
    columns = columns or list(rows[0])
    cells = [[str(r.get(c, "")) for c in columns] for r in rows]
    widths = [max(len(c), *(len(row[i]) for row in cells)) for i, c in enumerate(columns)]
    line = lambda vals: "| " + " | ".join(v.ljust(w) for v, w in zip(vals, widths)) + " |"  # noqa: E731
    out = [line(columns), "|" + "|".join("-" * (w + 2) for w in widths) + "|"]
    out += [line(row) for row in cells]
    return "\n".join(out)


class PeakRSS:
    """Largest RSS of this process (the client; a LocalCluster's scheduler lives here too) and of each Dask worker
    while a block runs, polled every ``every`` seconds (``client.run`` on the workers)."""

    def __init__(self, client, every=0.2):
        self.client, self.every = client, every

    def __enter__(self):
        import threading

        import psutil

        self._me = psutil.Process()
        self.client_peak, self.peak, self._stop = self._me.memory_info().rss, {}, threading.Event()
        self._thread = threading.Thread(target=self._poll, daemon=True)
        self._thread.start()
        return self

    def _poll(self):
        def rss():
            import psutil

            return psutil.Process().memory_info().rss

        while not self._stop.is_set():
            self.client_peak = max(self.client_peak, self._me.memory_info().rss)
            try:
                for w, v in self.client.run(rss).items():
                    self.peak[w] = max(self.peak.get(w, 0), v)
            except Exception:  # noqa: BLE001 - a poll racing a shutdown
                pass
            self._stop.wait(self.every)

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self.client_peak = max(self.client_peak, self._me.memory_info().rss)

    @property
    def max_mb(self):
        """The largest worker's peak, MB."""
        return max(self.peak.values()) / 2**20 if self.peak else float("nan")

    def row(self):
        return {"peak RSS client": f"{self.client_peak / 2**20:,.0f} MB", "peak RSS / worker": f"{self.max_mb:,.0f} MB"}

