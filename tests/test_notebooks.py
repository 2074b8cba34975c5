"""Every notebook in notebooks/ runs top to bottom in a fresh kernel; any error fails the suite."""
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOKS = sorted((Path(__file__).parent.parent / "notebooks").glob("*.ipynb"))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs(path, tmp_path):
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}})
    client.execute()  # raises CellExecutionError with the failing cell's traceback
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []) if o.output_type == "error"]
    assert not errors


def test_every_lesson_has_an_exercise_with_a_collapsed_answer():
    for path in NOTEBOOKS:
        if path.stem == "quickstart":
            continue
        nb = nbformat.read(path, as_version=4)
        assert any("## Exercise" in c.source for c in nb.cells if c.cell_type == "markdown"), path.name
        answers = [c for c in nb.cells if "answer" in c.metadata.get("tags", [])]
        assert answers and all(c.metadata["jupyter"]["source_hidden"] for c in answers), path.name
