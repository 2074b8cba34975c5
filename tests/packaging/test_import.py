"""``import activelens`` is cheap: the public names load on first use, and the learner alone loads neither the
label store (SQLAlchemy) nor the monitors and widgets (plotly, anywidget)."""
from __future__ import annotations

import subprocess
import sys

import pytest

HEAVY = ("sqlalchemy", "plotly", "anywidget", "pandas", "sklearn", "umap", "dask")


def loaded_after(statement: str) -> set[str]:
    code = f"import sys\n{statement}\nprint(' '.join(sorted(m for m in {HEAVY!r} if m in sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=300)
    return set(out.stdout.split())


def test_import_activelens_loads_nothing_heavy():
    assert loaded_after("import activelens") == set()


def test_the_learner_loads_no_store_plots_or_widgets():
    loaded = loaded_after("from activelens import ActiveLearner")
    assert not loaded & {"sqlalchemy", "plotly", "anywidget", "umap", "dask"}, loaded


def test_public_names_resolve_and_unknown_names_raise():
    import activelens

    for name in activelens.__all__:
        assert getattr(activelens, name) is not None
    assert set(activelens.__all__) <= set(dir(activelens))
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        activelens.nope


def test_version_comes_from_the_package_metadata():
    from importlib.metadata import version

    import activelens

    assert activelens.__version__ == version("activelens")
    assert "__version__" in activelens.__all__


def test_what_a_user_annotates_or_catches_is_exported():
    import activelens
    from activelens.analysis.stopping import StopDecision, StoppingCriterion
    from activelens.core.pool import PoolError
    from activelens.core.records import LearnerState
    from activelens.storage import QueueError, StoreError

    assert activelens.StoppingCriterion is StoppingCriterion and activelens.StopDecision is StopDecision
    assert activelens.LearnerState is LearnerState
    assert activelens.QueueError is QueueError and issubclass(activelens.QueueError, StoreError)
    assert activelens.PoolError is PoolError
    assert callable(activelens.make_pool)
