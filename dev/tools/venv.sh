# shellcheck shell=bash
# Sourced by the dev/tools scripts: the project venv in .tools/ that holds pinned tools from PyPI.
# The caller sets `tools` (the .tools/ folder) before sourcing.
venv="${tools:?set tools (the .tools/ folder) before sourcing venv.sh}/venv"

need_venv() {
  [ -x "$venv/bin/pip" ] && return 0
  mkdir -p "$tools"
  # Debian's own python3 needs python3-venv for this; say so rather than fail later with a pip error.
  if ! python3 -m venv "$venv" >"$tools/venv.log" 2>&1; then
    echo "dev/tools: 'python3 -m venv' failed (see $tools/venv.log; on Debian: apt-get install python3-venv)" >&2
    return 1
  fi
  "$venv/bin/pip" install --quiet --disable-pip-version-check --upgrade pip >/dev/null 2>&1 || true
}

pip_install() { # package==version
  need_venv || return 1
  if ! "$venv/bin/pip" install --quiet --disable-pip-version-check "$1" >"$tools/pip.log" 2>&1; then
    echo "dev/tools: pip could not install $1 from PyPI (see $tools/pip.log)" >&2
    return 1
  fi
}
