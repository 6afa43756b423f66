# One entry point for people and CI. Everything installs from pyproject.toml.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: setup run test lint bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

setup: $(STAMP)

## Match the bundled sample survey; results land in results/.
run: setup
	$(BIN)/cohort-match run data/sample_survey.csv --config data/sample_program.toml --out results

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

## Lint, type-check and run the test suite (what CI runs).
test: lint
	$(BIN)/pytest

## The end-to-end benchmark (10,000 mentees x 2,000 mentors); writes benchmarks/RESULTS.md.
bench: setup
	$(BIN)/python -m benchmarks.run

clean:
	rm -rf $(VENV) results .pytest_cache .ruff_cache .mypy_cache .hypothesis
