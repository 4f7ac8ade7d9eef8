#!/usr/bin/env bash
# `npm test`: installs what the tests need when it is missing (node_modules, Mailpit,
# Chromium),
# builds (the end-to-end tests run the real `mailcode` process), then runs tap.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -d node_modules ] || npm ci
bash scripts/install-mailpit.sh
bash scripts/install-chromium.sh
npm run build --silent
npm run typecheck --silent   # the tests too: tap runs them without type checks
exec npx tap "$@"
