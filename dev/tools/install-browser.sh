#!/usr/bin/env bash
# The Web UI test drives Debian's Chromium (playwright-core never downloads a browser).
# Installs the `chromium` package if it is missing; SHALE_CHROMIUM overrides the path.
set -euo pipefail
path=${SHALE_CHROMIUM:-/usr/bin/chromium}
[ -x "$path" ] && exit 0
sudo=""
[ "$(id -u)" = 0 ] || sudo="sudo"
echo "install-browser.sh: installing Debian's chromium for the Web UI test" >&2
if ! { $sudo apt-get update -qq && $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; } >/tmp/shale-apt.log 2>&1; then
  echo "install-browser.sh: could not install chromium (see /tmp/shale-apt.log); the Web UI test needs it" >&2
  exit 1
fi
