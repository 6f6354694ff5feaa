# TIG Partenaires — `make run` to serve the site, `make test` to run every test.
# Installs are stamped: a second `make run` skips what is already up to date.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
FLASK := $(VENV)/bin/flask --app wsgi
PORT ?= 5000
HOST ?= 127.0.0.1

.PHONY: install run test bench lint lock migrate seed worker clean

install: $(VENV)/.installed node_modules/.installed

# requirements-dev.txt is the lock of pyproject.toml's runtime and dev dependencies (`make lock`);
# production installs requirements.txt, the runtime lock alone.
$(VENV)/.installed: requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

# Re-resolve both locks after a change of pyproject.toml's dependencies.
lock: $(VENV)/.installed
	$(VENV)/bin/pip-compile --quiet --strip-extras --no-emit-index-url --no-emit-find-links -o requirements.txt pyproject.toml
	$(VENV)/bin/pip-compile --quiet --strip-extras --no-emit-index-url --no-emit-find-links --extra dev -o requirements-dev.txt pyproject.toml

# DSFR_ACCEPT_LICENSE: the DSFR's install script asks for its terms of use to be accepted (.dsfr.yml too).
node_modules/.installed: package.json package-lock.json
	DSFR_ACCEPT_LICENSE=1 npm ci --no-audit --no-fund --loglevel=error
	touch $@

migrate: install
	$(FLASK) db upgrade

# Links printed by the demo data and written in emails point at the address actually served.
seed run: export SITE_URL ?= http://$(HOST):$(PORT)

seed: migrate
	$(FLASK) seed-demo --if-empty

# The site and, beside it, the mail worker (outbox + due jobs every 5 s), so that with MAIL_SERVER set
# the emails really leave; both stop together on Ctrl+C.
run: seed
	@$(FLASK) worker --interval 5 & worker=$$!; \
	trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	$(FLASK) run --host $(HOST) --port $(PORT)

worker: migrate
	$(FLASK) worker

# The suite runs twice: SQLite, then a real PostgreSQL that the harness starts itself (tests/database.py;
# TEST_DATABASE_URL to use an existing server). The browser tests drive a live server that stays on
# SQLite whatever TEST_DB says, so the second pass leaves them out instead of repeating them.
test: install lint
	TEST_DB=sqlite $(PY) -m pytest $(PYTEST_ARGS)
	TEST_DB=postgresql $(PY) -m pytest --ignore=tests/browser -m "not browser" $(PYTEST_ARGS)

# Lint and format check (ruff) and types (mypy), configured in pyproject.toml.
lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

bench: install
	$(PY) bench/run.py

clean:
	rm -rf $(VENV) node_modules .pytest_cache
