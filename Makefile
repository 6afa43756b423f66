# One entry point for people and CI. Everything installs from pyproject.toml.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: setup run test lint browser postgres serve bench clean

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

## Headless Chromium for the browser test (Debian packages, never a downloaded driver).
## CI runs as root on a fresh machine; elsewhere, without root, the test is skipped.
CHROMEDRIVER := /usr/bin/chromedriver
browser:
	@if [ ! -x $(CHROMEDRIVER) ]; then \
		if [ "$$(id -u)" = 0 ]; then \
			apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium chromium-driver; \
		else \
			echo "$(CHROMEDRIVER) missing: run 'sudo make browser' or the browser test is skipped"; \
		fi; \
	fi

## PostgreSQL server binaries for the store tests (Debian's package; the tests start and
## stop their own server in a temporary folder). Without root, those tests are skipped.
postgres:
	@if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 && ! command -v initdb >/dev/null 2>&1; then \
		if [ "$$(id -u)" = 0 ]; then \
			apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends postgresql; \
		else \
			echo "PostgreSQL missing: run 'sudo make postgres' or the PostgreSQL store tests are skipped"; \
		fi; \
	fi

## The HTTP service and the coordinator page on http://127.0.0.1:8000/.
serve: setup
	$(BIN)/cohort-match serve

## Lint, type-check and run the test suite (what CI runs).
test: lint browser postgres
	$(BIN)/pytest

## The end-to-end benchmark (10,000 mentees x 2,000 mentors); writes benchmarks/RESULTS.md.
bench: setup
	$(BIN)/python -m benchmarks.run

clean:
	rm -rf $(VENV) results .pytest_cache .ruff_cache .mypy_cache .hypothesis
