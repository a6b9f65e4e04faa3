#!/usr/bin/env bash
# Everything `make test` runs against that npm does not install, each cached in .tools/ by version:
# the local stack's tools, Chromium, PostgreSQL, Temporal's own server, Apache Livy with Spark, the
# Airflow venv and schemathesis. Doing it all here, before any suite, keeps minutes of downloads and
# builds out of the suites' hook timeouts.
#
# Order, for a fresh CI machine (2 cores): Temporal's server is built with Go in the background
# (CPU-bound, about 6 minutes from empty caches), while the other installs, which mostly wait on
# the registries, run one after another beside it (two use apt, which takes one caller at a time).
# Each step's time is printed, so a slow registry or build shows in the CI log. Cached, the whole
# script takes a few seconds.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
tools="$root/.tools"
mkdir -p "$tools"
cd "$root"

start=$SECONDS
server_log="$tools/provision-temporal-server.out"
bash dev/tools/install-temporal-server.sh >"$server_log" 2>&1 &
server_build=$!
# A failure below must not leave the Go build running on its own.
trap 'kill "$server_build" 2>/dev/null || true' EXIT

step() { # label command...
  local label=$1 began=$SECONDS
  shift
  "$@" >/dev/null
  echo "provision: $label ready in $((SECONDS - began)) s" >&2
}

step "Temporal CLI, test server and moto" bash dev/tools/install.sh
step "Chromium" bash dev/tools/install-browser.sh
step "PostgreSQL" bash dev/tools/install-postgres.sh
step "Apache Livy 0.7.1 and pyspark 3.5.9" bash dev/tools/install-livy.sh
step "the Airflow venv" bash dev/tools/install-airflow.sh
step "schemathesis" bash dev/tools/install-schemathesis.sh

waited=$SECONDS
if ! wait "$server_build"; then
  cat "$server_log" >&2
  echo "provision: building Temporal's server failed (above)" >&2
  exit 1
fi
trap - EXIT
echo "provision: Temporal's server ready ($((SECONDS - waited)) s waited for its build after the rest)" >&2
echo "provision: everything ready in $((SECONDS - start)) s" >&2
