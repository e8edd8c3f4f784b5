# Every target makes its own virtualenv (.venv) from the system Python 3.11+.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
RUN    := $(VENV)/.installed-run
TEST   := $(VENV)/.installed-test

.PHONY: demo test test-slow lint bench clean help

help:
	@echo "make demo   - install and download the bundled fake server's catalog into ./slooh-demo"
	@echo "make test   - install test tools, run lint and the suite (all but the slow tests)"
	@echo "make test-slow - the slow tests only (@pytest.mark.slow: real-time soaks)"
	@echo "make lint   - ruff, mypy (strict) and the import contract (layers, no cycles)"
	@echo "make bench  - performance figures (ratios against a baseline in the same run)"

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "slooh-async needs Python 3.11 or newer (set PYTHON=python3.11)")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(RUN): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e .
	@touch $@

$(TEST): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e '.[test]'
	@touch $@ $(RUN)

demo: $(RUN)
	$(BIN)/slooh demo

lint: $(TEST)
	$(BIN)/ruff check slooh_async tests bench
	$(BIN)/mypy slooh_async tests
	$(BIN)/lint-imports

test: lint
	$(BIN)/python -m pytest -q -m "not slow"

test-slow: $(TEST)
	$(BIN)/python -m pytest -q -m slow

bench: $(TEST)
	$(BIN)/python bench/run_all.py

clean:
	rm -rf $(VENV) slooh-demo .mypy_cache .ruff_cache .pytest_cache build dist *.egg-info
