#!/usr/bin/env bash
# `.ci/run` as a fresh machine meets it: a clean clone of this checkout's HEAD (with
# ../shared beside it when there is one), CI=true, and every cache the install steps use —
# Node 24, the Mailpit build, Schemathesis's virtualenv, npm's, Go's and pip's caches — in
# one empty folder, removed afterwards. A run on the machine's warm caches has hidden a
# failing install step before: run this after touching one. What Debian's packages install
# (Chromium, PostgreSQL, Redis, SpamAssassin) stays as the machine has it.
#   bash scripts/fresh-ci.sh            # about 15 minutes on 2 cores, most of it installs
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'chmod -R u+w "$work" 2>/dev/null; rm -rf "$work"' EXIT
git clone --quiet "$repo" "$work/main"
[ -d "$repo/../shared" ] && cp -R "$repo/../shared" "$work/shared"
cache="$work/cache"
mkdir -p "$cache"
echo "mailcode: .ci/run in a fresh clone of $(git -C "$repo" rev-parse --short HEAD) at $work/main, caches empty in $cache" >&2
cd "$work/main"
env CI=true XDG_CACHE_HOME="$cache" npm_config_cache="$cache/npm" GOPATH="$cache/go" GOMODCACHE="$cache/go/mod" \
  GOCACHE="$cache/go-build" PIP_CACHE_DIR="$cache/pip" bash .ci/run
