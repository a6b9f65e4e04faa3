#!/usr/bin/env bash
# The Web UI test drives Debian's Chromium (playwright-core never downloads a browser).
# Installs the `chromium` package if it is missing; SHALE_CHROMIUM overrides the path.
# test/unit/installScripts.test.ts runs this with stub apt-get/sudo/id, as root and not.
set -euo pipefail
path=${SHALE_CHROMIUM:-/usr/bin/chromium}
[ -x "$path" ] && exit 0
# As root (CI) there is no sudo to call; elsewhere sudo runs apt-get. Either way apt-get is run
# through `env`, because `$sudo VAR=value cmd` with an empty $sudo makes VAR=value the command.
sudo=()
[ "$(id -u)" = 0 ] || sudo=(sudo)
log="${TMPDIR:-/tmp}/shale-apt.log"
echo "install-browser.sh: installing Debian's chromium for the Web UI test" >&2
if ! { "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq &&
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; } >"$log" 2>&1; then
  echo "install-browser.sh: could not install chromium (see $log); the Web UI test needs it" >&2
  exit 1
fi
if [ ! -x "$path" ]; then
  echo "install-browser.sh: apt-get installed chromium but $path is still missing (set SHALE_CHROMIUM to its path)" >&2
  exit 1
fi
