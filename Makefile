# airflow-async: the two commands are `make test` and `make demo`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install lint test unit integration docs docs-serve demo bench bench-quick test-matrix clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

lint: install
	$(BIN)/ruff check airflow_async tests benchmarks examples
	$(BIN)/ruff format --check airflow_async tests benchmarks examples
	$(BIN)/mypy --strict airflow_async

# The unit tests and the integration suite against real Airflow 2.11.2 and 3.3.2 that the harness
# installs (into .cache/, their own virtualenvs), starts on 127.0.0.1 and stops.
# tests/unit/test_docs_build.py builds the docs site strictly (a broken link or a missing reference
# fails) and checks its reference pages; tests/packaging/ builds and installs the wheel.
test: lint
	$(BIN)/python -m pytest -p no:cacheprovider -q

unit: install
	$(BIN)/python -m pytest -q tests/unit tests/fakes

integration: install
	$(BIN)/python -m pytest -q tests/integration

# The compatibility matrix (before a release, not in CI): each Airflow release in turn, installed
# into its own venv under .cache/, started, seeded, tested and stopped; writes docs/compatibility.md.
# `make test-matrix VERSIONS="3.0.6 3.3.2"` runs a subset.
VERSIONS ?=
test-matrix: install
	$(BIN)/python -m tests.harness.matrix $(VERSIONS)

# The documentation site into site/ (mkdocs.yml; nothing fetched but packages), and a local preview.
export NO_MKDOCS_2_WARNING := 1
docs: install
	$(BIN)/mkdocs build --strict --clean --site-dir site

docs-serve: install
	$(BIN)/mkdocs serve --strict --dev-addr 127.0.0.1:8000

demo: install
	$(BIN)/python -m tests.harness.demo

bench: install
	$(BIN)/python -m benchmarks.run

bench-quick: install
	$(BIN)/python -m benchmarks.run --quick

clean:
	rm -rf $(VENV) .cache .mypy_cache .pytest_cache .ruff_cache
