#!/usr/bin/env bash
# Runs a Node program of the project (the server, the CLI, the bench) on a maintained Node,
# after compiling the TypeScript when a source is newer than the last build: a current
# build starts at once.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/node-env.sh
stamp=dist/.built
sources=$(ls -d src db bench tsconfig.json package-lock.json 2>/dev/null || true)
# shellcheck disable=SC2086 # the paths are the project's own, without spaces
if [ ! -f "$stamp" ] || [ -n "$(find $sources -newer "$stamp" -print -quit)" ]; then
  echo "mailcode: compiling TypeScript (sources changed since the last build)…" >&2
  npx tsc -p tsconfig.json
  touch "$stamp"
fi
exec node "$@"
