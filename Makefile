# Shale: the two set-up commands (make demo, make test) install what they need themselves.
SHELL := /bin/bash
.DEFAULT_GOAL := help
NPM_CI_STAMP := node_modules/.package-lock.json

help:
	@echo "make demo   - run the local stack (Temporal dev server + UI, two simulated Livy clusters, a worker) and sample jobs"
	@echo "              KEEP=1 leaves the stack up afterwards"
	@echo "              LIVY=real runs the jobs on a real Apache Livy 0.7.1 with Spark 3.5 (dev/tools/install-livy.sh installs them into .tools/ the first time, ~2 min)"
	@echo "              AIRFLOW=1 also runs an Airflow DAG through the provider against the demo's HTTP API (installs Airflow into .tools/ once)"
	@echo "make test   - install what is missing, then typecheck, lint and run every test suite"
	@echo "make bench  - measure Shale against its targets and baselines (about 10 min); QUICK=1 for a small run"
	@echo "make chaos  - the chaos suite: worker/server kills, flaky and restarting Livy, unreachable clusters, cancel races, hostile input, secrets scan (about 26 min); QUICK=1 for the CI size"
	@echo "make check  - typecheck, ESLint and ShellCheck (a pinned ShellCheck is installed into .tools/ if missing)"
	@echo "make build  - compile the shale CLI to dist/ (the other targets do it when a source changed)"
	@echo "make stack  - the production-shaped stack without Docker: PostgreSQL 15, two Temporal 1.29.1 servers, two workers, the HTTP API, two Livy simulators; prints addresses; Ctrl-C stops all"
	@echo "make tools  - install the local stack's binaries into .tools/ (only those not on PATH)"
	@echo "make airflow-test - the Airflow provider's tests: Airflow 3.3.2 (pinned, into .tools/airflow-venv) against the local stack"

$(NPM_CI_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

deps: $(NPM_CI_STAMP)

# The CLI compiled to JavaScript (esbuild, into dist/, ignored by git) so `shale` starts fast from any
# directory. Rebuilt when a source it bundles changes; until then bin/shale runs the sources with tsx.
CLI_SOURCES := $(shell find client contract worker activities api -name "*.ts" 2>/dev/null) dev/build/buildCli.ts
dist/cli.js: $(NPM_CI_STAMP) $(CLI_SOURCES)
	npm run -s build

build: dist/cli.js

tools:
	@bash dev/tools/install.sh

# The real parts (issue 11), each cached in .tools/ by version: PostgreSQL (apt, as root), Temporal's server
# built with Go (~6 min from empty caches), Apache Livy 0.7.1 from Maven Central and pyspark 3.5.9 from PyPI.
real-tools:
	@bash dev/tools/install-postgres.sh
	@bash dev/tools/install-temporal-server.sh
	@bash dev/tools/install-livy.sh

stack: deps build real-tools
	node --import tsx dev/stack/productionStack.ts

browser:
	@bash dev/tools/install-browser.sh

# Every shell script, with a pinned ShellCheck from PyPI (installed into .tools/ when absent).
lint-shell:
	@bash dev/tools/lint-shell.sh

check: deps lint-shell
	npx tsc --noEmit
	npx eslint .

# Every install make test needs, cached in .tools/ (dev/tools/provision.sh says how long each took).
provision:
	@bash dev/tools/provision.sh

# lint-shell first: the install steps below are shell scripts.
test: lint-shell deps build provision check
	npx vitest run
	# Real parts (issue 11), each suite on its own stack after the main run: Shale against a real Apache Livy 0.7.1
	# with Spark 3.5 (one Livy per file, files in turn: ~0.5 GiB per Spark app) ...
	npx vitest run --config test/livy-real/vitest.config.ts
	# ... and on the production shape: PostgreSQL, two Temporal 1.29.1 servers, two workers, with parts killed.
	npx vitest run --config test/production/vitest.config.ts
	# The contract's e2e files against a production stack's Temporal server 1 (SHALE_TEST_TEMPORAL_ADDRESS).
	npx tsx test/production/e2eOnStack.ts
	# schemathesis against /openapi.json, alone: it loads the API for minutes and judges response times.
	SHALE_SCHEMATHESIS=1 npx vitest run test/e2e/apiSchemathesis.test.ts
	# The quick bench, so the harness cannot rot: it fails if a figure is not produced (not on the values).
	npx tsx bench/main.ts --quick --check
	# 1,000 submits through the HTTP API from 20 clients: one job and one Livy batch per key (fails on any violation).
	npx tsx bench/apiSubmits.ts --check
	# The Airflow provider: real Airflow 3.3.2 (installed into .tools/ once) against the local stack.
	$(MAKE) --no-print-directory airflow-test

bench: deps build tools
	npx tsx bench/main.ts $(if $(QUICK),--quick,)

# Worker/server kills, flaky and unreachable Livy, cancel races, hostile input: one table (QUICK=1: the size CI runs).
chaos: deps build tools
	npx tsx bench/chaos/main.ts $(if $(QUICK),--quick,)

# This release's replay corpus (test/replay/histories/<version>/), every path, from a pinned worker of this build.
record-histories: deps tools
	npx vitest run --config test/replay/vitest.record.config.ts

# The Airflow provider (integrations/airflow): real Airflow from a pinned set, against the local stack.
airflow-test: deps build tools
	@venv=$$(bash dev/tools/install-airflow.sh) && cd integrations/airflow && "$$venv/bin/ruff" check && "$$venv/bin/python" -m pytest

demo: deps build tools
	npx tsx dev/demo/main.ts $(if $(KEEP),--keep,) $(if $(AIRFLOW),--airflow,) $(if $(LIVY),--livy $(LIVY),)

.PHONY: help deps build tools provision real-tools stack browser lint-shell check test bench chaos record-histories demo airflow-test
