# The two commands: `make run` and `make test`. Everything else is a step they use.
SHELL := /bin/bash
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
WEB_SOURCES := $(shell find web/src web/public web/index.html web/package.json web/package-lock.json web/tsconfig.json web/vite.config.ts -type f 2>/dev/null)
PG_URL ?= postgresql+asyncpg://postgres@127.0.0.1:5432/test
# Every test has its own database, files and ports, so the suite runs on every core.
TEST_WORKERS ?= $(shell nproc 2>/dev/null || echo 2)

.PHONY: run test lint typecheck unit cluster webtest e2e web bench services install install-dev clean

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

.stamp-install: $(BIN)/python pyproject.toml
	$(BIN)/pip install --quiet -e .
	touch $@

.stamp-install-dev: .stamp-install
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

install: .stamp-install
install-dev: .stamp-install-dev

# The web UI is built into the package only when its sources changed.
llmcouncil/static/index.html: $(WEB_SOURCES)
	@if [ -f web/package.json ]; then \
		cd web && (npm ci --no-audit --no-fund --loglevel=error || npm install --no-audit --no-fund --loglevel=error) && npm run build; \
	else echo "no web/ sources; the API runs without the UI"; fi

web: llmcouncil/static/index.html

run: .stamp-install web
	$(BIN)/council db upgrade
	$(BIN)/council serve

services:
	@pg_isready -q -h 127.0.0.1 -p 5432 || pg_ctlcluster --skip-systemctl-redirect $$(ls /etc/postgresql) main start
	@for i in $$(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
	@redis-cli -h 127.0.0.1 ping >/dev/null 2>&1 || redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no --dir /var/lib/redis --logfile /var/log/redis/ci.log
	@command -v haproxy >/dev/null || (apt-get update -qq && apt-get install -y -qq haproxy)

PY_DIRS := llmcouncil tests $(wildcard bench)

lint: .stamp-install-dev
	$(BIN)/ruff check $(PY_DIRS)
	$(BIN)/ruff format --check $(PY_DIRS)

typecheck: .stamp-install-dev
	$(BIN)/mypy

unit: .stamp-install-dev services
	COUNCIL_TEST_POSTGRES_URL=$(PG_URL) $(BIN)/pytest -q -m "not e2e and not cluster" -p no:cacheprovider -n $(TEST_WORKERS) --durations=15

# Three servers, a worker and HAProxy on loopback (tests/cluster, deploy/haproxy.cfg): one
# cluster for the suite, so one pytest process.
cluster: .stamp-install-dev services
	COUNCIL_TEST_POSTGRES_URL=$(PG_URL) $(BIN)/pytest -q -m cluster -p no:cacheprovider -p no:xdist tests/cluster

webtest: web
	cd web && npm test

# Browser tests on every core, one test file per worker: each worker starts its own servers
# and browser (session fixtures), and a file's tests stay together in their order.
e2e: .stamp-install-dev web
	@command -v chromium >/dev/null || (apt-get update -qq && apt-get install -y -qq chromium)
	@if [ -d tests/e2e ] && ls tests/e2e/test_*.py >/dev/null 2>&1; then \
		$(BIN)/pytest -q -m e2e -p no:cacheprovider -n $(TEST_WORKERS) --dist loadfile tests/e2e; fi

# Every stage runs even when an earlier one fails, so one failure never hides another; the
# target fails at the end, naming the stages that failed.
TEST_STAGES := lint typecheck unit cluster webtest e2e

test:
	@failed=""; \
	for stage in $(TEST_STAGES); do \
		echo "=== make $$stage"; \
		$(MAKE) --no-print-directory $$stage || failed="$$failed $$stage"; \
	done; \
	if [ -n "$$failed" ]; then echo "=== make test FAILED:$$failed"; exit 1; fi; \
	echo "=== make test passed: $(TEST_STAGES)"

bench: .stamp-install-dev
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) .stamp-* .mypy_cache .ruff_cache .pytest_cache llmcouncil/static/assets llmcouncil/static/index.html
