# Duban: the two set-up commands of README.md, and a few maintenance targets.
#   make run    create the virtual environment, upgrade the database, import the bundled
#               2020 document on first start, start polling (needs TELEGRAM_BOT_TOKEN)
#   make test   create the virtual environment with the dev extra and run every test
#   make check  the gates CI runs next to the tests: ruff (lint, format) and mypy
#   make lock   regenerate the hashed lock files from pyproject.toml (pip-tools)
#   make audit  check the locked versions against published advisories (pip-audit, by hand)
#
# Installs are reproducible (issue 18): the hashed lock file first, in pip's hash-checking
# mode, then the project itself without dependencies (hash mode refuses an editable
# install in the same call). The lock files are for Python 3.11, as README says.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   ?= .venv
BIN     = $(VENV)/bin
LOCK     = requirements.lock
DEV_LOCK = requirements-dev.lock
COMPILE  = $(BIN)/pip-compile --quiet --generate-hashes --strip-extras --allow-unsafe \
           --no-emit-index-url --no-emit-find-links

.PHONY: run test check lint arch typecheck format i18n bench clean lock audit

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml $(LOCK) | $(BIN)/python
	$(BIN)/python -m pip install --quiet --require-hashes -r $(LOCK)
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml $(DEV_LOCK) | $(BIN)/python
	$(BIN)/python -m pip install --quiet --require-hashes -r $(DEV_LOCK)
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $@ $(VENV)/.installed

# After changing dependencies in pyproject.toml: both lock files, with every hash.
lock: $(VENV)/.installed-dev
	$(COMPILE) --output-file $(LOCK) pyproject.toml
	$(COMPILE) --extra dev --output-file $(DEV_LOCK) pyproject.toml

# Published advisories against the locked versions. Run by hand (advisories change
# daily, and it needs the network): not a gate of CI.
audit: $(VENV)/.installed-dev
	$(BIN)/pip-audit --no-deps --disable-pip --requirement $(DEV_LOCK)

run: $(VENV)/.installed
	$(BIN)/python -m bot db upgrade
	$(BIN)/python -m bot

test: $(VENV)/.installed-dev
	$(BIN)/python -m pytest

# The gates CI runs beside the tests: lint, format, types.
check: lint typecheck

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

# The architecture's import contracts alone (pyproject.toml, [tool.importlinter]).
arch: $(VENV)/.installed-dev
	$(BIN)/lint-imports

typecheck: $(VENV)/.installed-dev
	$(BIN)/mypy --strict bot core handlers runtime storage

format: $(VENV)/.installed-dev
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# Extract every _() / N_() message into the catalogues (then translate the new zh entries).
i18n: $(VENV)/.installed-dev
	$(BIN)/pybabel extract -F babel.cfg -k N_ --no-location --sort-output -o locales/duban.pot .
	$(BIN)/pybabel update -i locales/duban.pot -d locales -D duban --no-fuzzy-matching --ignore-obsolete

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
