#!/usr/bin/env bash
# `npm test`: installs what the tests need when it is missing (node_modules, Mailpit,
# Chromium, PostgreSQL + Redis on loopback), builds (the end-to-end tests run the real
# `mailcode` process), then runs tap twice: the whole suite on SQLite (with coverage), then
# the HTTP suite and the multi-process tests on PostgreSQL + Redis.
# Arguments go to the first tap run only (e.g. `npm test -- test/routes`).
set -euo pipefail
cd "$(dirname "$0")/.."
[ -d node_modules ] || npm ci
bash scripts/install-mailpit.sh
bash scripts/install-chromium.sh
postgres=yes
if ! bash scripts/start-postgres-redis.sh; then
  [ "${CI:-}" = true ] && exit 1
  postgres=no
fi
npm run build --silent
npm run typecheck --silent   # the tests too: tap runs them without type checks

status=0
npx tap "$@" || status=$?
if [ "$postgres" = yes ] && [ $# -eq 0 ]; then
  echo "# The HTTP suite again, on PostgreSQL + Redis"
  MAILCODE_TEST_DATABASE=postgres npx tap --disable-coverage \
    test/routes test/security test/races.test.ts test/secrecy.test.ts test/purge.test.ts test/metrics.test.ts \
    test/openapi.test.ts test/mail/worker.test.ts test/assertions test/client/client.test.ts test/totp test/scale || status=$?
elif [ "$postgres" = no ]; then
  echo "mailcode: PostgreSQL/Redis are ABSENT here (see above): the PostgreSQL + Redis pass did not run." >&2
fi
exit "$status"
