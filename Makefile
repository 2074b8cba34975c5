# The README's two commands: `make lab` and `make test`. Everything installs into .venv.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
JS_SOURCES := $(wildcard js/*.js js/*/*.js js/*.css) src/activelens/widgets/messages.json package.json package-lock.json
BUNDLE := src/activelens/static/widget.js
# JupyterLab refuses to run as root unless told; add the flag only when we are root.
ROOT_FLAG := $(shell [ "$$(id -u)" = "0" ] && echo --allow-root)

.PHONY: setup lab test test-fast test-js e2e bench clean docs test-min typecheck

$(STAMP): pyproject.toml package.json package-lock.json
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $(STAMP)

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

$(BUNDLE): $(JS_SOURCES) node_modules/.package-lock.json
	npm run build

setup: $(STAMP) $(BUNDLE)

lab: setup
	$(BIN)/jupyter lab $(ROOT_FLAG) notebooks/quickstart.ipynb

# The front end: eslint (eslint.config.js) and the unit tests of its pure modules (node's test runner, js/test/).
test-js: node_modules/.package-lock.json
	npx eslint --max-warnings 0 js eslint.config.js
	node --test js/test/

test: setup test-js
	$(BIN)/lint-imports
	$(BIN)/vulture
	$(BIN)/mypy
	$(BIN)/python -m pytest -p no:cacheprovider

test-fast: setup test-js
	$(BIN)/lint-imports
	$(BIN)/vulture
	$(BIN)/python -m pytest -p no:cacheprovider -m "not e2e and not slow"

e2e: setup
	$(BIN)/python -m pytest -p no:cacheprovider -m e2e

# Each script prints its tables; BENCHMARKS.md records the results and the commands that made them.
bench: setup
	$(BIN)/python benchmarks/label_efficiency.py
	$(BIN)/python benchmarks/selection_speed.py
	$(BIN)/python benchmarks/store_speed.py
	$(BIN)/python benchmarks/widget_speed.py --browser
	$(BIN)/python benchmarks/scale_speed.py --quick

# The documentation site (docs/README.md): the guide, the ten lessons executed (their outputs cached in
# docs/_build/.jupyter_cache until a lesson or the package changes), the API reference. Warnings are errors (-W),
# every cross-reference must resolve (-n); the lessons' outputs and links are checked in the same pass.
DOCS_STAMP := $(VENV)/.docs-installed
$(DOCS_STAMP): $(STAMP)
	$(BIN)/pip install --quiet -e ".[dev,docs]"
	touch $@

docs: setup $(DOCS_STAMP)
	$(BIN)/sphinx-build -b html -W --keep-going -n -q docs docs/_build/html
	@echo "docs: open docs/_build/html/index.html"

# The lowest versions pyproject.toml declares, in their own venv (.venv-min): uv resolves every direct dependency
# (the package's and the dev extra's test tools) to its floor; then the fast suite, the lessons included, runs there.
# The dev extra's peer libraries for the benchmarks (modAL, scikit-activeml, cleanlab) are left out: they would lift
# scikit-learn above its floor and no test imports them; so is the type check (mypy, pandas-stubs: `make test` runs
# it, against the newest releases). The newest releases are `make test`'s .venv.
MIN_VENV := .venv-min
MIN_STAMP := $(MIN_VENV)/.installed
MIN_SKIP := modal-python scikit-activeml cleanlab mypy pandas-stubs
# Lessons whose stated numbers hold only at the newest versions: 08 and 09 label scipy's own docstrings (another scipy,
# another corpus), 04's Cluster-Margin AUBC moves 0.003 with scikit-learn 1.4. They run at the floors, without error
# or warning; their numbers are checked by `make test`.
MIN_NUMBERS_VARY := 04 08 09
$(MIN_STAMP): pyproject.toml
	$(PY) -m venv $(MIN_VENV)
	$(MIN_VENV)/bin/pip install --quiet uv
	python3 -c 'import sys, tomllib; p = tomllib.load(open("pyproject.toml", "rb"))["project"]; \
	  print(*p["dependencies"], *(r for r in p["optional-dependencies"]["dev"] \
	        if not r.lower().startswith(tuple(sys.argv[1:]))), sep="\n")' $(MIN_SKIP) > $(MIN_VENV)/requirements.txt
	$(MIN_VENV)/bin/uv pip install --quiet --python $(MIN_VENV)/bin/python --resolution lowest-direct \
	  -e . -r $(MIN_VENV)/requirements.txt
	touch $@

test-min: $(MIN_STAMP) $(BUNDLE)
	$(MIN_VENV)/bin/uv pip list --python $(MIN_VENV)/bin/python 2>/dev/null | grep -iE \
	  "^(numpy|scipy|scikit-learn|pandas|joblib|tqdm|plotly|anywidget|ipywidgets|traitlets|umap-learn|sqlalchemy|skops) "
	ACTIVELENS_LESSON_NUMBERS_VARY="$(MIN_NUMBERS_VARY)" \
	  $(MIN_VENV)/bin/python -m pytest -p no:cacheprovider -m "not e2e and not slow" -q

# mypy on src/activelens with the configuration in pyproject.toml ([tool.mypy]), alone; `make test` runs it too
# (mypy and pandas-stubs are in the dev extra).
typecheck: setup
	$(BIN)/mypy

clean:
	rm -rf $(VENV) $(MIN_VENV) node_modules src/activelens/static docs/_build docs/api/generated .mypy_cache
