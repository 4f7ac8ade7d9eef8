#!/usr/bin/env bash
# `npm run qa`: Mailpit with its web UI (built once by install-mailpit.sh, reused after),
# then `mailcode qa`, which starts mailcode and Mailpit wired to each other and stops both
# on Ctrl-C. Options go to `mailcode qa`: --port, --mailpit-port, --smtp-port, --dir.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/node-env.sh
MAILPIT_BIN=$(bash scripts/install-mailpit.sh)
export MAILPIT_BIN
exec bash scripts/run.sh dist/src/cli/main.js qa "$@"
