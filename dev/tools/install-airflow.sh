#!/usr/bin/env bash
# Makes .tools/airflow-venv: Apache Airflow 3.3.2, its HTTP and common-compat providers, pytest,
# and the Shale provider (editable), from the pinned set integrations/airflow/requirements-test.txt.
# The venv is keyed by the hash of that file and the provider's pyproject.toml: a second run with
# the same files does nothing. Prints the venv's path on success; errors name the failed step.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
tools="$root/.tools"
venv="$tools/airflow-venv"
pkg="$root/integrations/airflow"
lock="$pkg/requirements-test.txt"
log="$tools/airflow-install.log"

fail() { # step
  { echo "install-airflow.sh: $1 failed; the end of $log:"; tail -n 5 "$log" | sed 's/^/  /'; echo; } >&2
  exit 1
}

pick_python() {
  local candidate
  for candidate in "${AIRFLOW_PYTHON:-}" python3.11 python3.12 python3.10 python3; do
    [ -n "$candidate" ] || continue
    command -v "$candidate" >/dev/null 2>&1 || continue
    # Airflow 3.3 runs on Python 3.10-3.13.
    if "$candidate" -c 'import sys; sys.exit(0 if (3, 10) <= sys.version_info[:2] <= (3, 13) else 1)' 2>/dev/null; then
      echo "$candidate"; return 0
    fi
  done
  return 1
}

python=$(pick_python) || { echo "install-airflow.sh: no Python 3.10-3.13 found (set AIRFLOW_PYTHON)" >&2; exit 1; }
key=$( { cat "$lock" "$pkg/pyproject.toml"; "$python" -c 'import sys; print(sys.version_info[:2])'; } | sha256sum | cut -c1-16)
stamp="$venv/.installed-$key"
if [ -f "$stamp" ]; then echo "$venv"; exit 0; fi

mkdir -p "$tools"
: >"$log"
# A venv from another lock is replaced whole, so nothing of an old pin lingers.
rm -rf "$venv"
"$python" -m venv "$venv" >>"$log" 2>&1 || fail "creating the venv with $python -m venv (on Debian: apt-get install python3-venv)"
pip=("$venv/bin/python" -m pip --disable-pip-version-check --no-input)
# --no-deps: the lock is the complete resolved set, so pip neither resolves nor fetches anything else.
"${pip[@]}" install --no-deps -r "$lock" >>"$log" 2>&1 || fail "installing the pinned set from PyPI (pip install --no-deps -r $lock)"
"${pip[@]}" install --no-deps --no-build-isolation -e "$pkg" >>"$log" 2>&1 || fail "installing the Shale provider (pip install -e $pkg)"
"${pip[@]}" check >>"$log" 2>&1 || fail "checking the installed set is consistent (pip check)"
touch "$stamp"
echo "$venv"
