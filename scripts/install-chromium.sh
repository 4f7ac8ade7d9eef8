#!/usr/bin/env bash
# The browser test drives Debian's Chromium through playwright-core (no browser download).
# Installs it when missing and we may (root with apt-get); otherwise says what is absent and
# exits 1 (test.sh then skips the browser test outside CI, and fails in CI).
set -euo pipefail
chromium="${CHROMIUM_PATH:-/usr/bin/chromium}"
if [ -x "$chromium" ]; then exit 0; fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "mailcode: installing Debian's chromium for the browser test with apt-get (a minute or more; quiet until it is done)…" >&2
  source "$(dirname "$0")/quietly.sh"
  if ! { quietly apt-get update -qq && quietly env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; }; then
    echo "mailcode: Chromium is ABSENT: apt-get could not install it (above)." >&2
    exit 1
  fi
  exit 0
fi
echo "mailcode: Chromium is ABSENT at $chromium and cannot be installed here (needs apt-get as root);" >&2
echo "          install Debian's 'chromium' package or set CHROMIUM_PATH." >&2
exit 1
