# Two commands do all set-up on a fresh clone: `make demo` and `make test`.
# Each creates or reuses .venv and installs the project (with its dev extra) when pyproject.toml changes.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

SDK_VENV := .venv-sdk
SDK_STAMP := $(SDK_VENV)/.installed

.PHONY: demo test lint typecheck unit sdk-check bench bench-hostile bench-partition bench-memory diagram clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/simlife demo

test: lint typecheck unit sdk-check

lint: $(STAMP)
	$(BIN)/ruff check lifecycle simulator tests benchmarks examples sdk-check

typecheck: $(STAMP)
	$(BIN)/mypy lifecycle simulator

unit: $(STAMP)
	$(BIN)/pytest

# The official emnify SDK (pydantic 1: a virtual environment of its own) against simlife serve.
$(SDK_STAMP): sdk-check/requirements.txt
	$(PYTHON) -m venv $(SDK_VENV)
	$(SDK_VENV)/bin/python -m pip install --quiet --disable-pip-version-check -r sdk-check/requirements.txt
	touch $(SDK_STAMP)

sdk-check: $(STAMP) $(SDK_STAMP)
	$(BIN)/python sdk-check/run.py --sdk-python $(SDK_VENV)/bin/python

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_generate.py --sims 20000 --seed 1 --repeat 7
	$(BIN)/python benchmarks/bench_validate.py --sims 20000 --seed 1 --repeat 7

bench-hostile: $(STAMP)
	$(BIN)/python benchmarks/bench_hostile.py --uncapped

bench-partition: $(STAMP)
	$(BIN)/python benchmarks/bench_partition.py --events 1000000 --repeat 3 --memory

bench-memory: $(STAMP)
	$(BIN)/python benchmarks/bench_memory.py --repeat 3 --detail

clean:
	rm -rf $(VENV) $(SDK_VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis
