#!/usr/bin/env bash
# Finds a PostgreSQL server (initdb, pg_ctl, postgres) for dev/stack/productionStack.ts, which makes
# a cluster of its own with them on a free loopback port. Looks in /usr/lib/postgresql/<major>/bin
# (Debian's layout: the server's programs are not on PATH), preferring the pinned major
# (dev/tools/versions.env), then on PATH; else, as root, installs it from Debian's packages.
# Prints nothing but errors; `--print` prints PG_BIN=<dir> and PG_MAJOR=<major>.
#
# Debian's package creates and starts a system cluster ("main", port 5432) on install. We never use
# it: when this script installed the package, it stops that cluster again, so nothing of ours holds
# port 5432 or memory (the cluster's files stay, and `pg_ctlcluster <major> main start` brings it back).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=dev/tools/versions.env
source "$root/dev/tools/versions.env"

has_server() { [ -x "$1/initdb" ] && [ -x "$1/pg_ctl" ] && [ -x "$1/postgres" ]; }

find_server() {
  local dir
  if has_server "/usr/lib/postgresql/$POSTGRES_MAJOR/bin"; then
    echo "/usr/lib/postgresql/$POSTGRES_MAJOR/bin"
    return 0
  fi
  # Another major: the newest one installed.
  while IFS= read -r dir; do
    if has_server "$dir"; then
      echo "install-postgres.sh: using $dir, not PostgreSQL $POSTGRES_MAJOR (docker-compose.yml runs $POSTGRES_MAJOR)" >&2
      echo "$dir"
      return 0
    fi
  done < <(find /usr/lib/postgresql -mindepth 2 -maxdepth 2 -name bin -type d 2>/dev/null | sort -rV)
  if command -v initdb >/dev/null 2>&1; then
    dir=$(dirname "$(command -v initdb)")
    if has_server "$dir"; then
      echo "$dir"
      return 0
    fi
  fi
  return 1
}

fail() { # step [hint]
  echo "install-postgres.sh: $1 failed${2:+: $2}" >&2
  exit 1
}

if ! pg_bin=$(find_server); then
  package="postgresql-$POSTGRES_MAJOR"
  if [ "$(id -u)" != 0 ]; then
    fail "step 1/3 'find a PostgreSQL server'" "none installed, and installing one needs root: run 'apt-get update && apt-get install -y $package' as root"
  fi
  command -v apt-get >/dev/null 2>&1 || fail "step 1/3 'find a PostgreSQL server'" "none installed, and there is no apt-get to install $package with"
  export DEBIAN_FRONTEND=noninteractive
  log=$(mktemp -t install-postgres.XXXXXX.log)
  # An image whose package lists were never fetched (or are stale) does not know the package yet.
  if ! apt-cache show "$package" >/dev/null 2>&1; then
    apt-get update >>"$log" 2>&1 || fail "step 2/3 'apt-get update'" "Debian's package archive refused or could not be reached (see $log)"
  fi
  if ! apt-cache show "$package" >/dev/null 2>&1; then
    # Another Debian release: its default major (the tested stack then differs from docker-compose.yml).
    apt-cache show postgresql >/dev/null 2>&1 || fail "step 2/3 'apt-cache show $package'" "Debian's package lists have neither $package nor postgresql"
    echo "install-postgres.sh: this Debian release has no $package; installing its default, 'postgresql' (docker-compose.yml runs $POSTGRES_MAJOR)" >&2
    package=postgresql
  fi
  main_running() { pg_lsclusters --no-header 2>/dev/null | awk '$2 == "main" && $4 == "online" { print $1 }' || true; }
  main_was_running=$(main_running)
  echo "install-postgres.sh: installing $package from Debian's packages (about 30 s; log: $log)" >&2
  apt-get install -y --no-install-recommends "$package" >>"$log" 2>&1 ||
    fail "step 3/3 'apt-get install -y $package'" "Debian's package archive refused or could not be reached (see $log)"
  # Debian starts a "main" cluster on 5432 on install (not where policy-rc.d forbids starting services,
  # as in containers); stop the one this install started.
  for major in $(main_running); do
    grep -qx "$major" <<<"$main_was_running" && continue
    pg_ctlcluster "$major" main stop >>"$log" 2>&1 || echo "install-postgres.sh: could not stop the system cluster $major/main (unused by Shale)" >&2
  done
  pg_bin=$(find_server) || fail "step 3/3 'apt-get install -y $package'" "installed, but no initdb/pg_ctl/postgres under /usr/lib/postgresql (see $log)"
  rm -f "$log"
fi

if [ "${1:-}" = --print ]; then
  echo "PG_BIN=$pg_bin"
  # "postgres (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)" -> 15
  echo "PG_MAJOR=$("$pg_bin/postgres" --version | awk '{ split($3, v, "."); print v[1] }')"
fi
