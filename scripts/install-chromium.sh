#!/usr/bin/env bash
# The browser tests drive Debian's Chromium through playwright-core (no browser download).
set -euo pipefail
source "$(dirname "$0")/debian-package.sh"
debian_package Chromium "${CHROMIUM_PATH:-/usr/bin/chromium}" chromium "the browser tests" "install Debian's 'chromium' package or set CHROMIUM_PATH."
