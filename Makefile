# Two set-up commands: `make run` and `make test`. Both create .venv if it is
# missing and install from the lock file; a second run does not reinstall.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: install run test lint typecheck pytest bench lock data clean

install: $(STAMP)

$(STAMP): requirements.lock pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	@touch $(STAMP)

run: install
	$(BIN)/gunicorn --config gunicorn.conf.py app.wsgi:server

lint: install
	$(BIN)/ruff check .

typecheck: install
	$(BIN)/mypy

pytest: install
	$(BIN)/pytest -q

test: install
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/pytest -q

bench: install
	$(BIN)/python -m bench.run --out bench/results.json

# Regenerate the bundled synthetic cohort (deterministic for the seed).
data: install
	$(BIN)/ppx synth --n 513 --seed 2022 --out data/synthetic_klc.csv

# Re-pin every dependency (needs the registries). Commit the result.
lock:
	$(BIN)/python -m pip freeze --all --exclude-editable --exclude post-progression-explorer --exclude pip > requirements.lock

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
