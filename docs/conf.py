"""Sphinx configuration of the activelens documentation (`make docs`; why Sphinx: docs/development.md)."""
from __future__ import annotations

import os
import re
import shutil
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT / "src"))

import activelens  # noqa: E402

project = "activelens"
author = "the activelens developers"
copyright = "the activelens developers"
release = version = activelens.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.intersphinx",
    "numpydoc",
    "myst_nb",
]
exclude_patterns = ["_build", "**.ipynb_checkpoints", "widget_screenshots.py"]
templates_path = ["_templates"]
html_static_path = ["_static"]
html_theme = "pydata_sphinx_theme"
html_title = "activelens"
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
    "footer_start": ["copyright"],
    "footer_end": [],
}
html_css_files = ["activelens.css"]
html_last_updated_fmt = None

# -- the lessons: docs/lessons/NN_*.ipynb are links to notebooks/ (the one source), executed at build; their outputs
#    are cached (jupyter-cache) until a lesson's code changes
nb_execution_mode = os.environ.get("ACTIVELENS_DOCS_EXECUTE", "cache")   # "off" for a quick look at the prose
nb_execution_cache_path = str(HERE / "_build" / ".jupyter_cache")
nb_execution_timeout = 900           # one cell; lesson 02's 10-seed comparison is the longest
nb_execution_in_temp = True          # a lesson's stores and files go to a temporary folder
nb_execution_raise_on_error = True   # a lesson that fails fails the build
nb_execution_show_tb = True
nb_ipywidgets_js = {}                # no widget JavaScript from a CDN: the widgets are shown as screenshots (below)
# The lessons' plotly figures: the kernels that run them (they inherit this environment) load plotly.js once per
# lesson from plotly's CDN ("notebook_connected"); the built page takes it from _static instead (below), so the
# figures draw offline and plotly.js is in the site once.
os.environ["PLOTLY_RENDERER"] = "notebook_connected"
nb_merge_streams = True
# the lessons' numbers for tests/test_notebooks.py (application/vnd.activelens.numbers+json): the page shows their
# plain-text copy; myst-nb reads every mime type of an output before it picks one, and says it has no renderer for
# this one (mystnb.unknown_mime_type, silenced below); a bundle with nothing to show still fails (mystnb.mime_priority)
nb_mime_priority_overrides = [("*", "application/vnd.activelens.numbers+json", None)]
myst_enable_extensions = ["colon_fence", "deflist"]
myst_heading_anchors = 3

# -- the API reference: one page per public name, from the numpydoc docstrings ---------------------------------------
autosummary_generate = True
autosummary_imported_members = True
autodoc_default_options = {"members": True}
autodoc_typehints = "none"           # numpydoc's Parameters sections carry the types
numpydoc_show_class_members = False  # the class template lists methods and attributes itself
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False
numpydoc_validation_checks: set[str] = set()

intersphinx_mapping: dict[str, tuple[str, str | None]] = {}   # no network at build time
nitpicky = True
nitpick_ignore_regex = [
    # types named in docstrings and signatures that live in other projects (no intersphinx: the build is offline)
    (r"py:.*", r"(numpy|np|pandas|pd|scipy|sklearn|sqlalchemy|dask|distributed|plotly|traitlets|ipywidgets|anywidget)"
               r"(\..*)?"),
    (r"py:.*", r"(array-like|ndarray|DataFrame|Series|Generator|RandomState|optional|default|callable|Callable)"),
]
suppress_warnings = ["myst.header", "mystnb.unknown_mime_type"]   # BENCHMARKS.md skips heading levels

# -- the widgets: a lesson's live Explorer or Race needs a kernel; the built page shows a screenshot instead -------
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def _snapshot_for(cell_source: str) -> str:
    """race.png for a cell that ends by showing a Race, explorer.png for any other widget (the Explorer, teaching)."""
    last = cell_source.strip().splitlines()[-1] if cell_source.strip() else ""
    return "race.png" if "race" in last.lower() else "explorer.png"


def _cell_source(node) -> str:
    from docutils import nodes

    while node is not None and "cell" not in node.get("classes", []):
        node = node.parent
    if node is None:
        return ""
    for inp in node.findall(nodes.container):
        if "cell_input" in inp.get("classes", []):
            return inp.astext()
    return ""


def _widgets_as_snapshots(app, doctree, docname):
    """Replace each widget view myst-nb rendered (a widget-state script) with the widget's screenshot."""
    from docutils import nodes

    depth = "../" * docname.count("/")
    for node in list(doctree.findall(nodes.raw)):
        if WIDGET_VIEW not in node.astext():
            continue
        image = _snapshot_for(_cell_source(node))
        what = "Race" if image == "race.png" else "Explorer"
        html = (f'<figure class="al-widget-snapshot"><img src="{depth}_static/{image}" alt="the widget">'
                f"<figcaption>The widget needs a running kernel: this is a snapshot of the {what} from "
                f"docs/widget_screenshots.py, not of this cell. Run the notebook in Jupyter to use it.</figcaption>"
                f"</figure>")
        node.replace_self(nodes.raw("", html, format="html"))


PLOTLY_IMPORT = re.compile(r'<script type="module">\s*import\s+"https://cdn\.plot\.ly/[^"]*"\s*</script>')
PLOTLY_SRC = re.compile(r'<script[^>]*\ssrc="https://cdn\.plot\.ly/[^"]*"[^>]*></script>')   # a figure's own HTML
MATHJAX_CDN = re.compile(r'<script src="https://cdnjs\.cloudflare\.com/ajax/libs/mathjax/[^"]*"></script>')


def _plotly_from_static(app, doctree, docname):
    """plotly.js from the site's _static (copied from the installed plotly), not the CDN; no MathJax (unused)."""
    from docutils import nodes

    depth = "../" * docname.count("/")
    for node in list(doctree.findall(nodes.raw)):
        text = node.astext()
        if "cdn.plot.ly" not in text and "ajax/libs/mathjax" not in text:
            continue
        text = PLOTLY_IMPORT.sub(f'<script src="{depth}_static/plotly.min.js"></script>', text)
        text = PLOTLY_SRC.sub(f'<script src="{depth}_static/plotly.min.js"></script>', text)
        text = MATHJAX_CDN.sub("", text)
        node.replace_self(nodes.raw("", text, format=node.get("format", "html")))


def _copy_plotly_js(app, exception):
    if exception is None and app.builder.format == "html":
        import plotly

        shutil.copyfile(Path(plotly.__file__).parent / "package_data" / "plotly.min.js",
                        Path(app.outdir) / "_static" / "plotly.min.js")


def setup(app):
    app.connect("doctree-resolved", _widgets_as_snapshots)
    app.connect("doctree-resolved", _plotly_from_static)
    app.connect("build-finished", _copy_plotly_js)
