# The two commands of the README: `make demo` and `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := help
UV := uv run --frozen

.PHONY: help setup demo test lint pytest bench docs

help:
	@echo "make demo   - set up and run the demo (CI=true: exits instead of serving)"
	@echo "make test   - set up and run lint, types and the whole test suite"
	@echo "make bench  - run the benchmarks and rewrite docs/benchmarks.md"

setup:
	@bash scripts/setup.sh

demo: setup
	$(UV) tierwise demo $(if $(filter true,$(CI)),--no-serve,)

lint: setup
	$(UV) ruff check src tests bench
	$(UV) ruff format --check src tests bench
	$(UV) mypy

pytest: setup
	bash scripts/test.sh

test: lint pytest

bench: setup
	$(UV) python -m bench.run_all

docs: setup
	$(UV) tierwise docs
