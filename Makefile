# The two set-up commands of the README, `make run` and `make test`, and `make dev`.
# Each creates .venv and installs the pinned versions (constraints.txt) when needed.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run dev test install install-dev lint lock

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip>=24"

$(VENV)/.installed: $(BIN)/python pyproject.toml constraints.txt
	$(BIN)/pip install --quiet -c constraints.txt -e .
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed
	$(BIN)/pip install --quiet -c constraints.txt -e '.[dev]'
	touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

# `make run` and `make dev` serve http://127.0.0.1:8000 on the embedded defaults unless the
# environment says otherwise; the Procfile's commands are found in the virtualenv. honcho hands
# PORT (web first: this one) to the processes; tracker/gunicorn.py binds 127.0.0.1:$PORT.
PORT ?= 8000
SITE_URL ?= http://127.0.0.1:$(PORT)
STACK_ENV := PATH="$(CURDIR)/$(BIN):$$PATH" SITE_URL="$(SITE_URL)"

## run: migrate, load the 2006 report, ensure an admin, then the production process set
## (Procfile: gunicorn, a Celery worker and beat, through honcho) with DEBUG off. Ctrl-C stops all.
run: install
	$(STACK_ENV) DEBUG=false $(BIN)/python manage.py bootstrap
	$(STACK_ENV) DEBUG=false $(BIN)/honcho --procfile Procfile start --port $(PORT)

## dev: the same with DEBUG on and reloading on code changes (Procfile.dev: runserver, and the
## worker and beat restarted by watchfiles).
dev: install-dev
	$(STACK_ENV) DEBUG=true $(BIN)/python manage.py bootstrap
	$(STACK_ENV) DEBUG=true $(BIN)/honcho --procfile Procfile.dev start --port $(PORT)

## test: the whole suite (SQLite and file broker unless DATABASE_URL / REDIS_URL are set),
## in TEST_WORKERS parallel processes (pytest-xdist; 0 runs it in this one process).
TEST_WORKERS ?= 2
test: install-dev
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadgroup

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy .
	$(BIN)/python manage.py makemigrations --check --dry-run

## lock: re-pin every dependency after changing pyproject.toml.
lock: $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'
	$(BIN)/pip freeze --exclude-editable | grep -v '^-e' | sed -E 's/^([A-Za-z0-9_.-]+) @ file:.*-([0-9][^-]*)-(py|cp).*/\1==\2/' > constraints.txt
