#!/usr/bin/env bash
# `npm test`: installs what the tests need when it is missing (node_modules, Mailpit,
# Chromium, PostgreSQL + Redis on loopback), builds (the end-to-end tests run the real
# `mailcode` process), then runs tap: the whole suite on SQLite, and test/postgres/ — the
# HTTP suite again and the multi-process tests — on PostgreSQL + Redis, in one run with one
# coverage report.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -d node_modules ] || npm ci
bash scripts/install-mailpit.sh
bash scripts/install-chromium.sh
if ! bash scripts/start-postgres-redis.sh; then
  # In CI the PostgreSQL files fail without them; elsewhere they are skipped, saying why.
  [ "${CI:-}" = true ] && exit 1
  echo "mailcode: PostgreSQL/Redis are ABSENT: the files in test/postgres/ will be skipped." >&2
fi
npm run build --silent
npm run typecheck --silent   # the tests too: tap runs them without type checks
exec npx tap "$@"
