#!/usr/bin/env bash
# Runs a Node program of the project (the server, the CLI, the bench) on a maintained Node,
# after compiling the TypeScript when a source is newer than the last build: a current
# build starts at once.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/node-env.sh
source scripts/build-if-stale.sh
exec node "$@"
