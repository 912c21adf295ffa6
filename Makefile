# The README's two commands: `make run` and `make test`. Both bootstrap .venv themselves.
PYTHON ?= python3
VENV := .venv
UV_VERSION := 0.13.8
BIN := $(VENV)/bin
STAMP := $(VENV)/.synced

.PHONY: run test lint typecheck openapi openapi-check contract-check alembic-check check bench clean

$(BIN)/uv:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

$(STAMP): $(BIN)/uv pyproject.toml uv.lock
	UV_PROJECT_ENVIRONMENT=$(VENV) $(BIN)/uv sync --frozen --inexact --all-groups --quiet
	touch $(STAMP)

## Install and run the service with demo data on the embedded PostgreSQL.
run: $(STAMP)
	$(BIN)/python -m app

## Install and run the whole test suite against a real PostgreSQL, one process per core (each
## test file whole in one process; each process its own embedded server). PYTEST_ARGS= runs it
## in one process.
PYTEST_ARGS ?= -n auto --maxprocesses=4 --dist loadfile
test: $(STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

openapi: $(STAMP)
	$(BIN)/python -m app.openapi_export --write

openapi-check: $(STAMP)
	$(BIN)/python -m app.openapi_export --check

## Is openapi/openapi.json usable by a partner (lint + a generated TypeScript client)?
contract-check: $(STAMP)
	.ci/check-openapi-contract

alembic-check: $(STAMP)
	$(BIN)/python -m app.manage alembic-check

check: lint typecheck alembic-check openapi-check

bench: $(STAMP)
	$(BIN)/python -m bench.run --small

clean:
	rm -rf $(VENV) .data
