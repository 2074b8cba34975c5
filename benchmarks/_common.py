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
