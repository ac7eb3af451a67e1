# Two commands do all set-up on a fresh clone: `make demo` and `make test`.
# Each creates or reuses .venv and installs the project (with its dev extra) when pyproject.toml changes.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test lint typecheck unit bench bench-hostile diagram clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/simlife demo

test: lint typecheck unit

lint: $(STAMP)
	$(BIN)/ruff check lifecycle simulator tests benchmarks examples

typecheck: $(STAMP)
	$(BIN)/mypy lifecycle simulator

unit: $(STAMP)
	$(BIN)/pytest

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_generate.py --sims 20000 --seed 1 --repeat 7
	$(BIN)/python benchmarks/bench_validate.py --sims 20000 --seed 1 --repeat 7

bench-hostile: $(STAMP)
	$(BIN)/python benchmarks/bench_hostile.py --uncapped

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis
