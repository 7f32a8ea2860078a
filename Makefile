# The two commands of the quick start: `make run` and `make test`. Each installs what it needs.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test test-loaded lint audit-dependencies bench bench-fanout bench-scaling protocol-doc

$(STAMP): requirements.lock pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --require-hashes -r requirements.lock
	$(BIN)/pip install --quiet --no-deps --no-build-isolation -e .
	touch $(STAMP)

run: $(STAMP)
	scripts/ensure-system-libs
	$(BIN)/sosboard serve

# bandit: a medium or high finding in app/ or realtime/ fails, unless its line says `# nosec B### # why`.
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/bandit --quiet --recursive app realtime --severity-level medium

# Known-vulnerable pinned dependencies (pip-audit): a finding fails; an unreachable service is said, not passed quietly.
audit-dependencies: $(STAMP)
	scripts/audit-dependencies

# pytest in two workers (pytest-xdist): most of a test's time is spent waiting on a server, a browser or a socket.
test: $(STAMP)
	scripts/ensure-system-libs
	scripts/ensure-test-services
	$(MAKE) lint
	$(MAKE) audit-dependencies
	$(BIN)/python -m realtime.protocol_doc --check
	$(BIN)/python -m app.exports.schema --check
	$(BIN)/pytest -n 2 --dist worksteal

# The whole suite with one more process spinning on the two cores, as on a slower machine than this: finds the tests
# that pass only on a quiet one (about 12-20 minutes, by the machine; not part of CI).
test-loaded: $(STAMP)
	scripts/ensure-system-libs
	scripts/ensure-test-services
	$(BIN)/python -c "while True: pass" & spinner=$$!; \
	  $(BIN)/pytest -n 2 --dist worksteal -p no:cacheprovider; status=$$?; kill $$spinner; exit $$status

# The app (SQLite; two processes on PostgreSQL + Redis) side by side with Hocuspocus, one node load generator
# (bench/peer/, installed by npm ci on first use): about 10 minutes; results into BENCHMARKS.md.
bench: $(STAMP)
	$(BIN)/python -m bench.compare

bench-fanout: $(STAMP)
	$(BIN)/python -m bench.fanout

# 1, 2 and 4 processes on PostgreSQL + Redis: the edits/s each carries at one p99 (about 15 minutes).
bench-scaling: $(STAMP)
	$(BIN)/python -m bench.scaling

protocol-doc: $(STAMP)
	$(BIN)/python -m realtime.protocol_doc
