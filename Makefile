# The two set-up commands of the README: `make run` and `make test`.
# Each creates .venv and installs the pinned versions (constraints.txt) when needed.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test install install-dev lint lock

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

## run: migrate, load the 2006 report, ensure an admin, serve on :8000 with a worker and beat.
run: install
	$(BIN)/python manage.py bootstrap
	$(BIN)/python manage.py runstack

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
