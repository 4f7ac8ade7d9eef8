#!/usr/bin/env bash
# `npm test`: on a maintained Node (see node-env.sh), lints (Biome), installs what the tests need when it is
# missing (node_modules, Mailpit, Chromium, SpamAssassin, Schemathesis, PostgreSQL + Redis on loopback), builds (the
# end-to-end tests run the real `mailcode` process) when the build is missing or stale, then
# runs tap: every file that touches a database runs on SQLite and again on PostgreSQL +
# Redis (test/helpers/databases.ts), test/scale/ on PostgreSQL + Redis only, in one run with
# one coverage report. What cannot be installed is named; outside CI its tests are skipped
# saying why, in CI they fail.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/node-env.sh
# The tools' compile caches (Node's own, and the one tap's TypeScript loader keeps) belong
# with the other caches, not in the temporary folder the tests clean up after themselves.
export NODE_COMPILE_CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/mailcode/node-compile-cache"
export V8_COMPILE_CACHE_CACHE_DIR="${XDG_CACHE_HOME:-$HOME/.cache}/mailcode/v8-compile-cache"
[ -d node_modules ] || npm ci
# Formatting and lint findings fail the run before anything is installed or started.
npm run lint --silent
absent() {
  if [ "${CI:-}" = true ]; then echo "mailcode: $1 is required in CI." >&2; exit 1; fi
  echo "mailcode: $1 is ABSENT: $2" >&2
}
# Mailpit is the real SMTP server of a dozen end-to-end tests: without it there is no run.
# The same build `npm run qa` uses, with its web UI (the QA test opens it in Chromium).
if ! MAILPIT_BIN=$(bash scripts/install-mailpit.sh); then
  echo "mailcode: Mailpit is ABSENT (see above): no test was run." >&2
  exit 1
fi
export MAILPIT_BIN
bash scripts/install-chromium.sh || absent Chromium "the browser test is skipped."
bash scripts/install-spamassassin.sh || absent SpamAssassin "the spam-score test is skipped."
bash scripts/install-schemathesis.sh || absent Schemathesis "the contract test is skipped."
bash scripts/start-postgres-redis.sh || absent "PostgreSQL/Redis" "the PostgreSQL half of the suite and test/scale/ are skipped."
source scripts/build-if-stale.sh
npm run typecheck --silent   # the tests too: tap runs them without type checks
exec npx tap "$@"
