# The two commands of the README: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000

.PHONY: run test lint format check bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Reinstall only when the dependencies change.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --editable .
	@touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --editable '.[test]'
	@touch $@ $(VENV)/.installed

# The Mozilla HTTP Observatory scanner, for tests/trafficwatch/test_observatory.py. Its
# install scripts download certificate and HSTS preload lists from the internet, which is
# out of reach here: they are skipped, and the preload list is empty (the test's host,
# localhost, is on no preload list anyway).
node_modules/.installed: package.json package-lock.json
	npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	echo '{}' > node_modules/@mdn/mdn-http-observatory/conf/hsts-preload.json
	@touch $@

run: export DJANGO_DEBUG ?= 1
run: $(VENV)/.installed
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py loaddemo
	$(BIN)/python manage.py ensurestaff
	@# The task worker sends the emails (confirmations, issues). No --reload: the
	@# reloader's parent would SIGKILL its child on exit, skipping the atexit hook that
	@# lets the last process stop the embedded PostgreSQL. Ctrl-C reaches both processes;
	@# the trap also stops the worker when runserver exits on its own, and waits for it.
	$(BIN)/python manage.py db_worker --no-reload & worker=$$!; \
	trap 'kill -TERM $$worker 2>/dev/null; wait $$worker' EXIT; \
	$(BIN)/python manage.py runserver 127.0.0.1:$(PORT)

lint: $(VENV)/.installed-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(VENV)/.installed-test
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# Development settings: the production ones are checked by tests (check --deploy).
check: export DJANGO_DEBUG ?= 1
check: $(VENV)/.installed-test
	$(BIN)/python manage.py check --fail-level WARNING
	$(BIN)/python manage.py makemigrations --check --dry-run

test: lint check node_modules/.installed
	$(BIN)/python -m pytest

bench: $(VENV)/.installed-test
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) staticfiles node_modules
