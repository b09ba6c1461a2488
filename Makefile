# Quick start: `make chapter` (reproduce the chapter) and `make test` (lint + tests).
# Each target creates the virtualenv it needs.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
BENCH_VENV := .venv-bench
BENCH_GPU_VENV := .venv-bench-gpu
STAMP := $(VENV)/.installed-stamp

.PHONY: all test lint format chapter chapter-quick bench bench-quick bench-forecast bench-gpu clean

all: test

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

# Test files run in parallel, one process per core (at most 4); each file stays in one
# process so its module-scoped compiled models are built once.
test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m pytest -q -n auto --maxprocesses 4 --dist loadfile

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

chapter: $(STAMP)
	$(BIN)/rnnlab chapter --out reports/chapter

chapter-quick: $(STAMP)
	$(BIN)/rnnlab chapter --quick --out reports/chapter-quick

$(BENCH_VENV)/.installed-stamp: pyproject.toml
	$(PYTHON) -m venv $(BENCH_VENV)
	$(BENCH_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(BENCH_VENV)/bin/python -m pip install --quiet -e '.[bench]'
	touch $@

bench: $(BENCH_VENV)/.installed-stamp
	$(BENCH_VENV)/bin/python -m benchmarks.run --workload all
	$(BENCH_VENV)/bin/python -m benchmarks.remat
	$(BENCH_VENV)/bin/python -m benchmarks.saving
	$(BENCH_VENV)/bin/python -m benchmarks.functional
	$(BENCH_VENV)/bin/python -m benchmarks.distribution

bench-quick: $(BENCH_VENV)/.installed-stamp
	$(BENCH_VENV)/bin/python -m benchmarks.run --workload chapter --quick

# rnnlab's Forecaster against Darts and NeuralForecast on the bundled series (issue 13).
bench-forecast: $(BENCH_VENV)/.installed-stamp
	$(BENCH_VENV)/bin/python -m benchmarks.forecast.run

# GPU rows: the CUDA builds of JAX, TensorFlow and PyTorch in their own environment;
# results go to benchmarks/results/gpu/ so the CPU figures stay as they are.
$(BENCH_GPU_VENV)/.installed-stamp: pyproject.toml
	$(PYTHON) -m venv $(BENCH_GPU_VENV)
	$(BENCH_GPU_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(BENCH_GPU_VENV)/bin/python -m pip install --quiet -e '.[bench-gpu]'
	touch $@

bench-gpu: $(BENCH_GPU_VENV)/.installed-stamp
	$(BENCH_GPU_VENV)/bin/python -m benchmarks.run --workload all --require-gpu \
		--out benchmarks/results/gpu

clean:
	rm -rf $(VENV) $(BENCH_VENV) $(BENCH_GPU_VENV) .pytest_cache .ruff_cache reports
