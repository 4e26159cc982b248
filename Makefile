# The two commands of the README: `make demo` and `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := help
UV := uv run --frozen

.PHONY: help setup demo test lint pytest bench docs

help:
	@echo "make demo   - set up and run the demo (CI=true: exits instead of serving)"
	@echo "make test   - set up and run lint, types and the whole test suite"
	@echo "make bench  - run the benchmarks and rewrite docs/benchmarks.md (about 40 min;"
	@echo "              BENCH_ARGS='--only api,console' or '--quick'; BENCH_LOCK=file to flock it)"

setup:
	@bash scripts/setup.sh

demo: setup
	$(UV) tierwise demo $(if $(filter true,$(CI)),--no-serve,)

lint: setup
	$(UV) ruff check src tests bench
	$(UV) ruff format --check src tests bench
	$(UV) mypy
	$(UV) lint-imports

# pytest-xdist: one worker per core; a test file stays on one worker (its module fixtures are
# built once). The suite is CPU-bound: 2 workers on 2 cores take about half the time of one.
pytest: setup
	bash scripts/test.sh -n auto --dist loadfile

test: lint pytest

# BENCH_ARGS: e.g. --quick, --only NAME[,NAME], --skip NAME, --list (bench/run_all.py).
# BENCH_LOCK: a lock file shared by everyone benchmarking on this machine, so that no two
# benchmarks run at once (e.g. BENCH_LOCK=/work/bench.lock).
BENCH_ARGS ?=
BENCH_LOCK ?=
bench: setup
	$(if $(BENCH_LOCK),flock $(BENCH_LOCK) ,)$(UV) python -m bench.run_all $(BENCH_ARGS)

docs: setup
	$(UV) tierwise docs
