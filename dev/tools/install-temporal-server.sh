#!/usr/bin/env bash
# Builds Temporal's own server and its schema tool from the Go module proxy into
# .tools/temporal-server-v<version>/ (dev/stack/productionStack.ts runs them on PostgreSQL):
#   bin/temporal-server      go.temporal.io/server/cmd/server
#   bin/temporal-sql-tool    go.temporal.io/server/cmd/tools/sql
#   schema/postgresql/v12/   the module's SQL schemas, copied out of the Go module cache so the
#                            stack does not depend on that cache surviving (`go clean -modcache`)
# Cached by version: a second run checks three paths and exits (well under a second). A build from
# empty Go caches takes about 6 minutes on 2 cores and 1.6 GB of memory (2.8 GB of caches).
# Prints nothing but errors; `--print` prints TEMPORAL_SERVER=, TEMPORAL_SQL_TOOL=, TEMPORAL_SCHEMA_DIR=.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
tools="$root/.tools"
# shellcheck source=dev/tools/versions.env
source "$root/dev/tools/versions.env"
# What go.temporal.io/server@v1.29.1's go.mod asks for.
GO_MINIMUM=1.25

dest="$tools/temporal-server-v$TEMPORAL_SERVER_VERSION"
log="$tools/temporal-server-install.log"

print_paths() {
  [ "${1:-}" = --print ] || return 0
  echo "TEMPORAL_SERVER=$dest/bin/temporal-server"
  echo "TEMPORAL_SQL_TOOL=$dest/bin/temporal-sql-tool"
  echo "TEMPORAL_SCHEMA_DIR=$dest/schema/postgresql/v12"
}

complete() { [ -x "$dest/bin/temporal-server" ] && [ -x "$dest/bin/temporal-sql-tool" ] && [ -d "$dest/schema/postgresql/v12/visibility/versioned" ]; }

if complete; then
  print_paths "${1:-}"
  exit 0
fi

fail() { # step [hint]
  echo "install-temporal-server.sh: $1 failed${2:+: $2}" >&2
  exit 1
}

command -v go >/dev/null 2>&1 || fail "step 1/4 'find go'" "no 'go' on PATH (Temporal's server is built from source with Go >= $GO_MINIMUM)"
# GOTOOLCHAIN=local: an older go must fail here, not go looking for a newer toolchain to download.
export GOTOOLCHAIN=local CGO_ENABLED=0
go_version=$(go env GOVERSION) # go1.26.8
version_at_least() { [ "$(printf '%s\n%s\n' "$2" "$1" | sort -V | head -n1)" = "$2" ]; }
version_at_least "${go_version#go}" "$GO_MINIMUM" ||
  fail "step 1/4 'find go'" "$(command -v go) is $go_version; go.temporal.io/server@v$TEMPORAL_SERVER_VERSION needs Go >= $GO_MINIMUM"

mkdir -p "$tools"
: >"$log"
# Built beside its final place and renamed when complete: an interrupted build never looks cached.
staging=$(mktemp -d "$dest.partial.XXXXXX")
chmod 755 "$staging"
trap 'rm -rf "$staging"' EXIT
echo "install-temporal-server.sh: building Temporal server v$TEMPORAL_SERVER_VERSION with $go_version (about 6 min from empty Go caches; log: $log)" >&2
if ! GOBIN="$staging/bin" go install -ldflags='-s -w' \
  "go.temporal.io/server/cmd/server@v$TEMPORAL_SERVER_VERSION" \
  "go.temporal.io/server/cmd/tools/sql@v$TEMPORAL_SERVER_VERSION" >>"$log" 2>&1; then
  tail -n 5 "$log" >&2
  if grep -Eq 'reading https?://|dial tcp|no such host|connection refused|TLS handshake|i/o timeout|(404|410) Not Found|403 Forbidden|proxyconnect' "$log"; then
    fail "step 2/4 'go install go.temporal.io/server/cmd/server@v$TEMPORAL_SERVER_VERSION .../cmd/tools/sql'" \
      "the Go module proxy ($(go env GOPROXY)) refused or could not be reached (see $log)"
  fi
  fail "step 2/4 'go install go.temporal.io/server/cmd/server@v$TEMPORAL_SERVER_VERSION .../cmd/tools/sql'" "see $log"
fi
mv "$staging/bin/server" "$staging/bin/temporal-server"
mv "$staging/bin/sql" "$staging/bin/temporal-sql-tool"

module_schema="$(go env GOMODCACHE)/go.temporal.io/server@v$TEMPORAL_SERVER_VERSION/schema/postgresql/v12"
[ -d "$module_schema/temporal/versioned" ] && [ -d "$module_schema/visibility/versioned" ] ||
  fail "step 3/4 'copy the PostgreSQL schemas'" "$module_schema has no temporal/ and visibility/ schema dirs"
mkdir -p "$staging/schema/postgresql"
cp -R "$module_schema" "$staging/schema/postgresql/v12"
# The module cache is read-only; the copy must not be, or a later `rm -rf .tools` fails for a non-root user.
chmod -R u+w "$staging/schema"

"$staging/bin/temporal-server" --version >>"$log" 2>&1 || fail "step 4/4 'temporal-server --version'" "the built server does not start (see $log)"
rm -rf "$dest"
# -T: rename the folder itself (never into an existing one); a concurrent install that won the race is as good.
mv -T "$staging" "$dest" 2>/dev/null || complete || fail "step 4/4 'rename $staging to $dest'"
print_paths "${1:-}"
