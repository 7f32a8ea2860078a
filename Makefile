# The two commands of the quick start: `make run` and `make test`. Each installs what it needs.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint bench protocol-doc

$(STAMP): requirements.lock pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --require-hashes -r requirements.lock
	$(BIN)/pip install --quiet --no-deps --no-build-isolation -e .
	touch $(STAMP)

run: $(STAMP)
	scripts/ensure-system-libs
	$(BIN)/sosboard serve

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

test: $(STAMP)
	scripts/ensure-system-libs
	scripts/ensure-test-services
	$(MAKE) lint
	$(BIN)/python -m realtime.protocol_doc --check
	$(BIN)/python -m app.exports.schema --check
	$(BIN)/pytest

bench: $(STAMP)
	$(BIN)/python -m bench.fanout

protocol-doc: $(STAMP)
	$(BIN)/python -m realtime.protocol_doc
