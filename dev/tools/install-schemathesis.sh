#!/usr/bin/env bash
# Installs schemathesis (the HTTP API's property-based check, test/e2e/apiSchemathesis.test.ts) into
# its own venv, .tools/schemathesis-venv, from PyPI: its own, because its dependency set (hypothesis,
# jsonschema, ...) has nothing to do with the stack's tools in .tools/venv. Pinned with every
# dependency (the set below, resolved once), so a run next year installs what ran today.
# Cached: a second run with the same pins does nothing. Works as root (CI) and as a user.
# Prints nothing but errors; `--print` prints SCHEMATHESIS=<path to the binary>.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
tools="$root/.tools"
venv="$tools/schemathesis-venv"
log="$tools/schemathesis-install.log"

# schemathesis 4.32.5 and what it resolved to on Python 3.11 (`pip freeze` of a fresh `pip install schemathesis==4.32.5`).
REQUIREMENTS=$(
  cat <<'PINS'
anyio==4.16.0
certifi==2026.10.19.post1
charset-normalizer==3.5.3
click==8.5.1
graphql-core==3.3.2
harfile==0.6.0
hypothesis==6.170.17
hypothesis-graphql==0.13.5
idna==3.20
iniconfig==2.3.1
jsonschema_rs==0.60.3
markdown-it-py==4.3.0
MarkupSafe==3.0.4
mdurl==0.1.2
packaging==26.4
pluggy==1.7.0
Pygments==2.21.0
pyrate-limiter==4.5.1
pytest==9.2.0
PyYAML==6.0.4
requests==2.34.2
rich==15.0.0
schemathesis==4.32.5
sortedcontainers==2.4.0
typing_extensions==4.16.0
urllib3==2.8.0
Werkzeug==3.1.9
PINS
)

# The venv is complete only once this stamp holds the pins it was built from.
stamp="$venv/.shale-requirements"
if [ -x "$venv/bin/schemathesis" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$REQUIREMENTS" ]; then
  [ "${1:-}" = --print ] && echo "SCHEMATHESIS=$venv/bin/schemathesis"
  exit 0
fi

fail() { # step [hint]
  echo "install-schemathesis.sh: $1 failed (see $log)${2:+; $2}" >&2
  exit 1
}

mkdir -p "$tools"
: >"$log"
# A half-built venv (an interrupted run, other pins) is rebuilt from scratch.
rm -rf "$venv"
# Debian's own python3 needs python3-venv for this.
python3 -m venv "$venv" >>"$log" 2>&1 || fail "step 1/3 'python3 -m venv $venv'" "on Debian: apt-get install python3-venv"
requirements_file="$venv/requirements.txt"
printf '%s\n' "$REQUIREMENTS" >"$requirements_file"
"$venv/bin/pip" install --disable-pip-version-check --no-input --requirement "$requirements_file" >>"$log" 2>&1 ||
  fail "step 2/3 'pip install' of the pinned schemathesis set from PyPI" "is PyPI reachable, and does it still serve these versions?"
"$venv/bin/schemathesis" --version >>"$log" 2>&1 || fail "step 3/3 'schemathesis --version'" "the installed schemathesis does not start"
printf '%s' "$REQUIREMENTS" >"$stamp"
[ "${1:-}" = --print ] && echo "SCHEMATHESIS=$venv/bin/schemathesis"
exit 0
