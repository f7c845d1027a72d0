# digitrec: the two commands of the quick start are `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
PIP_INSTALL := $(BIN)/python -m pip install --disable-pip-version-check -q -c constraints.txt

.PHONY: install run test test-fast train ship data bench evaluate docs-figures notebooks clean

# A local virtual environment with the pinned, tested versions (constraints.txt).
$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(PIP_INSTALL) -e ".[test,train,postgres]"
	@touch $(STAMP)

install: $(STAMP)

# The service and drawing page with the shipped model on http://127.0.0.1:8000 (Ctrl+C stops it).
run: install
	$(BIN)/digitrec serve

test: install
	$(BIN)/python -m pytest -q

# Everything but the slow tests (multi-process runs, full test-set evaluation).
test-fast: install
	$(BIN)/python -m pytest -q -m "not slow"

data: install
	$(BIN)/digitrec data fetch --dataset mnist
	$(BIN)/digitrec data fetch --dataset fashion-mnist

# Train the shipped model's recipe, then pack it into the package (see its card).
train: install
	$(BIN)/digitrec train --preset real --seed 0 --out runs/real

ship: install
	$(BIN)/digitrec pack runs/real --out src/digitrec/weights

evaluate: install
	$(BIN)/digitrec evaluate --out evaluation/shipped

bench: install
	$(BIN)/python benchmarks/run_all.py

# Every picture in README.md and docs/, made by docs/figures.py (page screenshots need Debian's chromium).
docs-figures: install
	$(BIN)/python docs/figures.py --out docs/figures

# Re-run both tutorial notebooks in place with full training (a few minutes), keeping their outputs.
notebooks: install
	$(BIN)/python docs/run_notebooks.py

clean:
	rm -rf evaluation benchmarks/out .pytest_cache
