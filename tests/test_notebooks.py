"""The notebooks: every one runs top to bottom in a fresh kernel, and every number a lesson's text states matches
the number its notebook computed.

How a lesson states a number:

* a code cell tagged ``claims`` ends with ``show_numbers(name=value, ...)``, which displays the numbers as
  ``application/vnd.activelens.numbers+json`` (plus a plain-text copy for the reader);
* the markdown below it writes the number and right after it an HTML comment naming it, invisible when rendered:
  ``margin needs 323<!--claim margin_labels--> labels``. The forms are

  - ``<!--claim NAME-->``: the written number equals the computed one to the written precision (one unit of its
    last digit: "3.1" matches 3.04..3.16, "323" matches 322..324);
  - ``<!--claim NAME ±TOL-->``: within TOL (the margin a statistical statement needs to stay true);
  - ``<!--claim NAME >=-->`` / ``<!--claim NAME <=-->``: the computed number is at least / at most the written one;
  - ``<!--check NAME-->``: a yes/no fact (e.g. "entropy needs more labels than random") that must be true.

  A number may be written in percent ("63%") when the computed value is in percent too.

Every name a markdown cell cites must have been shown by a ``claims`` cell above it, and every number a ``claims``
cell shows must be cited somewhere, so text and output cannot drift apart unseen. The README's lesson list cites
lesson numbers the same way (``<!--claim 02:NAME-->``) and is checked against the executed lesson; the list lives
in the docs' lessons page, docs/lessons/index.md.

Lessons are the notebooks named ``NN_*.ipynb``; ``quickstart.ipynb`` only has to run.
"""
from __future__ import annotations

import ast
import json
import math
import os
import re
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
LESSONS = [p for p in NOTEBOOKS if re.match(r"\d\d_", p.name)]
MIME = "application/vnd.activelens.numbers+json"
README = ROOT / "docs" / "lessons" / "index.md"   # the lesson list (the README links to it)
README_BEGIN, README_END = "<!-- lessons:begin -->", "<!-- lessons:end -->"
# `make test-min` (the lowest declared versions) names the lessons whose numbers depend on the versions installed:
# they still run there and must not fail or warn, but their numbers are the newest versions' (docs/development.md)
NUMBERS_VARY = set(os.environ.get("ACTIVELENS_LESSON_NUMBERS_VARY", "").split())

NUMBER = r"(?P<num>[-+−]?\d+(?:\.\d+)?)(?P<unit>\s?%|x|×)?[*_`]*\s*"
CLAIM = re.compile(NUMBER + r"<!--\s*claim\s+(?P<key>[\w:]+)\s*(?P<op>±\s*[\d.]+|>=|<=)?\s*-->")
CHECK = re.compile(r"<!--\s*check\s+(?P<key>[\w:]+)\s*-->")
ANY_MARKER = re.compile(r"<!--\s*(claim|check)\b[^>]*-->")


def claims_in(text: str):
    """(key, kind, written number or None, op) for every marker in a markdown text; raises on a malformed one."""
    found = []
    spans = []
    for m in CLAIM.finditer(text):
        found.append((m["key"], "claim", m["num"], (m["op"] or "").replace(" ", "")))
        spans.append(m.span("key"))
    for m in CHECK.finditer(text):
        found.append((m["key"], "check", None, ""))
        spans.append(m.span("key"))
    for m in ANY_MARKER.finditer(text):
        if not any(m.start() <= s < m.end() for s, _ in spans):
            raise AssertionError(f"marker {m.group(0)!r} has no number right before it, or is malformed")
    return found


def check_claim(key, kind, written, op, value, where):
    """One stated claim against its computed value; returns an error message or None."""
    if kind == "check":
        return None if value is True else f"{where}: {key} is {value!r}, the text says it holds"
    if not isinstance(value, (int, float)) or isinstance(value, bool) or not math.isfinite(value):
        return f"{where}: {key} = {value!r} is not a finite number, the text writes {written}"
    w = float(written.replace("−", "-"))
    if op == ">=":
        ok = value >= w - 1e-9
    elif op == "<=":
        ok = value <= w + 1e-9
    else:
        tol = float(op[1:]) if op.startswith("±") else 10.0 ** -(len(written.split(".")[1]) if "." in written else 0)
        ok = abs(value - w) <= tol + 1e-9
    return None if ok else f"{where}: the text writes {written}{(' ' + op) if op else ''} for {key}, computed {value!r}"


def shown_numbers(cell) -> dict | None:
    for out in cell.get("outputs", []):
        if out.get("output_type") in ("display_data", "execute_result") and MIME in out.get("data", {}):
            data = out["data"][MIME]
            return json.loads(data) if isinstance(data, str) else dict(data)
    return None


def check_lesson_claims(nb, name: str) -> list[str]:
    """Walk the executed lesson top to bottom: numbers shown so far, then every marker against them."""
    errors, shown, cited = [], {}, set()
    for i, cell in enumerate(nb.cells):
        tags = cell.metadata.get("tags", [])
        if cell.cell_type == "code":
            numbers = shown_numbers(cell)
            if "claims" in tags and numbers is None:
                errors.append(f"{name} cell {i}: tagged claims but shows no numbers (show_numbers(...))")
            if numbers is not None and "claims" not in tags:
                errors.append(f"{name} cell {i}: shows numbers but is not tagged claims")
            for k, v in (numbers or {}).items():
                shown[k] = (v, i)
        elif cell.cell_type == "markdown":
            for key, kind, written, op in claims_in(cell.source):
                cited.add(key)
                if key not in shown:
                    errors.append(f"{name} cell {i}: cites {key!r}, which no claims cell above it computes")
                    continue
                err = check_claim(key, kind, written, op, shown[key][0], f"{name} cell {i}")
                if err:
                    errors.append(err)
    for k, (_, i) in shown.items():
        if k not in cited:
            errors.append(f"{name} cell {i}: computes {k!r} but no text cites it")
    return errors, {k: v for k, (v, _) in shown.items()}


def readme_lessons() -> str:
    text = README.read_text()
    assert README_BEGIN in text and README_END in text, "docs/lessons/index.md has no delimited lesson list"
    return text.split(README_BEGIN, 1)[1].split(README_END, 1)[0]


def check_readme_claims(lesson: str, numbers: dict) -> list[str]:
    errors = []
    for key, kind, written, op in claims_in(readme_lessons()):
        prefix, _, name = key.partition(":")
        if prefix != lesson:
            continue
        if name not in numbers:
            errors.append(f"README cites {key!r}, which lesson {lesson} does not compute")
            continue
        err = check_claim(name, kind, written, op, numbers[name], f"README ({key})")
        if err:
            errors.append(err)
    return errors


def execute(path: Path, tmp_path: Path):
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}})
    client.execute()  # raises CellExecutionError with the failing cell's traceback
    return nb


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs_and_its_text_matches_its_numbers(path, tmp_path):
    nb = execute(path, tmp_path)
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    assert not [o for o in outputs if o.output_type == "error"]
    if path not in LESSONS:
        return
    warnings = [o.text for o in outputs if o.output_type == "stream" and o.name == "stderr"]
    assert not warnings, f"{path.name} writes to stderr (a warning?): {warnings[:3]}"
    errors, numbers = check_lesson_claims(nb, path.name)
    errors += check_readme_claims(path.name[:2], numbers)
    if errors and path.name[:2] in NUMBERS_VARY:   # it ran without error; its numbers are the newest versions'
        pytest.xfail(f"{path.name}: {len(errors)} numbers differ at these versions, e.g. {errors[0]}")
    assert not errors, "\n".join(errors)


# ---------------------------------------------------------------------------------------------- without running


@pytest.mark.parametrize("path", LESSONS, ids=[p.stem for p in LESSONS])
def test_lesson_structure(path):
    nb = nbformat.read(path, as_version=4)
    md = [c.source for c in nb.cells if c.cell_type == "markdown"]
    code = [c for c in nb.cells if c.cell_type == "code"]
    # an exercise, and its answer hidden with its outputs: Run All does not print the answer under the question
    assert any("## Exercise" in s for s in md), path.name
    answers = [c for c in nb.cells if "answer" in c.metadata.get("tags", [])]
    assert answers, f"{path.name}: no answer cell"
    first_exercise = next(i for i, c in enumerate(nb.cells) if c.cell_type == "markdown" and "## Exercise" in c.source)
    for c in answers:
        hidden = c.metadata.get("jupyter", {})
        assert hidden.get("source_hidden"), f"{path.name}: an answer cell shows its source"
        if c.cell_type == "code":
            assert hidden.get("outputs_hidden"), f"{path.name}: an answer cell shows its outputs"
        assert nb.cells.index(c) > first_exercise, f"{path.name}: an answer comes before the exercise"
    # nothing in a lesson breaks when a student changes a setting
    for c in code:
        tree = ast.parse("\n".join(line for line in c.source.splitlines() if not line.lstrip().startswith(("%", "!"))))
        assert not any(isinstance(n, ast.Assert) for n in ast.walk(tree)), f"{path.name}: assert in a lesson cell"
    # markers are well formed
    for s in md:
        claims_in(s)
    # "seed" is the random seed only: the initial labels are the starting set
    for s in md:
        assert not re.search(r"\bseed (set|labels?)\b|\bseed article\b|\bthe seed's (claim|article)\b", s, re.I), \
            f"{path.name}: 'seed' used for something other than the random seed: {s[:80]!r}"


def test_readme_lists_every_lesson_in_order():
    listed = re.findall(r"`notebooks/(\d\d_\w+\.ipynb)`", readme_lessons())
    assert listed == [p.name for p in LESSONS]


def test_claim_markers_are_parsed_as_written():
    text = ("margin needs **323**<!--claim need--> labels, 3.1x<!--claim ratio ±0.2--> fewer, on 9<!--claim wins >=--> "
            "of 10 seeds (63%<!--claim share-->); entropy is slower<!--check slower-->.")
    got = claims_in(text)
    assert [(k, kind, n, op) for k, kind, n, op in got] == [
        ("need", "claim", "323", ""), ("ratio", "claim", "3.1", "±0.2"), ("wins", "claim", "9", ">="),
        ("share", "claim", "63", ""), ("slower", "check", None, "")]
    assert check_claim("need", "claim", "323", "", 323.6, "t") is None
    assert check_claim("need", "claim", "323", "", 325.0, "t")
    assert check_claim("ratio", "claim", "3.1", "±0.2", 2.95, "t") is None
    assert check_claim("wins", "claim", "9", ">=", 8, "t")
    assert check_claim("slower", "check", None, "", False, "t")
    with pytest.raises(AssertionError):
        claims_in("margin needs many<!--claim need--> labels")
