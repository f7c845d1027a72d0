# digitrec: the two commands of the quick start are `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
PIP_INSTALL := $(BIN)/python -m pip install --disable-pip-version-check -q -c constraints.txt

.PHONY: install run test test-fast train ship data bench evaluate clean

# A local virtual environment with the pinned, tested versions (constraints.txt).
$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(PIP_INSTALL) -e ".[test,postgres]"
	@touch $(STAMP)

install: $(STAMP)

# Until the web service exists: evaluate the shipped model, then show what to try next.
run: install
	$(BIN)/digitrec models
	$(BIN)/digitrec evaluate --out evaluation/shipped
	@echo
	@echo "Next steps:"
	@echo "  $(BIN)/digitrec train --preset fast        # 99% in seconds"
	@echo "  $(BIN)/digitrec train --preset best        # the shipped model's recipe"
	@echo "  $(BIN)/digitrec evaluate runs/<run>/best.pt --tta"

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
	$(BIN)/digitrec train --preset best --seed 0 --out runs/best

ship: install
	$(BIN)/digitrec pack runs/best --out src/digitrec/weights

evaluate: install
	$(BIN)/digitrec evaluate --out evaluation/shipped

bench: install
	$(BIN)/python benchmarks/run_all.py

clean:
	rm -rf evaluation benchmarks/out .pytest_cache
