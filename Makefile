# binwatch: two commands set everything up on a fresh machine.
#   make run    render a demo clip and run the bundled detector over it
#   make test   lint, type-check and run the test suite
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
export BINWATCH_CACHE ?= $(CURDIR)/.cache

.PHONY: run test lint clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --upgrade pip
	$(BIN)/pip install -e '.[dev]'
	touch $@

run: $(STAMP)
	$(BIN)/binwatch sim --scenario littering --seed 42 --out out/demo
	$(BIN)/binwatch detect out/demo/video.mp4

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy .

test: lint
	$(BIN)/python -m pytest

clean:
	rm -rf $(VENV) .cache out .pytest_cache .mypy_cache .ruff_cache
