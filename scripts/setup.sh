#!/usr/bin/env bash
# The set-up command: a maintained Node (installed from the npm registry when the machine's
# is too old), then the exact dependencies of package-lock.json.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/node-env.sh
echo "mailcode: Node $(node --version), npm $(npm --version)" >&2
npm ci
