# Every target makes its own virtualenv (.venv) from the system Python 3.11+.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
RUN    := $(VENV)/.installed-run
TEST   := $(VENV)/.installed-test

.PHONY: demo test test-slow test-browser lint bench clean help

help:
	@echo "make demo   - install and download the bundled fake server's catalog into ./slooh-demo"
	@echo "make test   - install test tools, run lint and the suite (all but the slow tests)"
	@echo "make test-slow - the slow tests only (@pytest.mark.slow: the rate budget in real time)"
	@echo "make lint   - ruff, mypy --strict (package, tests and bench; the package for Linux, Windows and macOS), import contract"
	@echo "make bench  - performance figures (ratios against a baseline in the same run)"
	@echo "make test-browser - the gallery of a demo library in headless Chromium (installs it)"

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
	$(BIN)/mypy slooh_async tests bench
	$(BIN)/mypy --platform win32 --cache-dir .mypy_cache/win32 slooh_async
	$(BIN)/mypy --platform darwin --cache-dir .mypy_cache/darwin slooh_async
	$(BIN)/lint-imports

test: lint
	$(BIN)/python -m pytest -q -m "not slow"

test-slow: $(TEST)
	$(BIN)/python -m pytest -q -m slow

# Not part of `make test`: it needs a browser. Chromium comes from the system's packages.
test-browser: $(TEST)
	@command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || \
		{ apt-get install -y chromium || { apt-get update && apt-get install -y chromium; }; }
	$(BIN)/python tests/browser_check.py --out browser-check

bench: $(TEST)
	$(BIN)/python bench/run_all.py

clean:
	rm -rf $(VENV) slooh-demo browser-check .mypy_cache .ruff_cache .pytest_cache build dist *.egg-info
