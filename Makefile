# The README's two commands: `make lab` and `make test`. Everything installs into .venv.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
JS_SOURCES := $(wildcard js/*.js js/*/*.js js/*.css) src/activelens/widgets/messages.json package.json package-lock.json
BUNDLE := src/activelens/static/widget.js
# JupyterLab refuses to run as root unless told; add the flag only when we are root.
ROOT_FLAG := $(shell [ "$$(id -u)" = "0" ] && echo --allow-root)

.PHONY: setup lab test test-fast test-js e2e bench clean

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

clean:
	rm -rf $(VENV) node_modules src/activelens/static
