#!/usr/bin/env bash
# Installs Mailpit — the SMTP server, REST API and web UI that `npm run qa` and the
# end-to-end tests use — when it is missing, and prints the path of the binary on stdout.
# MAILPIT_BIN, when set, is used as it is. Otherwise Mailpit is built once, with its web UI,
# into ~/.cache/mailcode/mailpit-<version>/ and reused from there. `go install` alone leaves
# the UI out (the page loads, /dist/app.js answers 404), so the UI's sources that the Go
# module carries are bundled first (npm, from the npm registry), then `go build` embeds them.
# Needs Go 1.24.3 or newer and npm; the version is package.json's config.mailpit.
set -euo pipefail
cd "$(dirname "$0")/.."
version=$(sed -n 's/^ *"mailpit": *"\(v[0-9.]*\)".*/\1/p' package.json | head -1)
need_go=1.24.3
cache="${XDG_CACHE_HOME:-$HOME/.cache}/mailcode/mailpit-$version"
bin="$cache/mailpit"
if [ -n "${MAILPIT_BIN:-}" ]; then
  if [ -x "$MAILPIT_BIN" ]; then echo "$MAILPIT_BIN"; exit 0; fi
  echo "mailcode: MAILPIT_BIN=$MAILPIT_BIN is not an executable file." >&2
  exit 1
fi
if [ -x "$bin" ]; then echo "$bin"; exit 0; fi

if ! command -v go >/dev/null 2>&1; then
  echo "mailcode: Mailpit is missing, and Go (needed to build it) is not installed." >&2
  echo "          Install Go $need_go or newer (https://go.dev/doc/install, or Debian's golang-go)," >&2
  echo "          or download a Mailpit release binary and set MAILPIT_BIN to it." >&2
  exit 1
fi
have_go=$(go env GOVERSION | sed 's/^go//')
if [ "$(printf '%s\n%s\n' "$need_go" "$have_go" | sort -V | head -1)" != "$need_go" ]; then
  echo "mailcode: Mailpit $version needs Go $need_go or newer to build; this Go is $have_go." >&2
  echo "          Install a newer Go (https://go.dev/doc/install), or set MAILPIT_BIN to a Mailpit binary." >&2
  exit 1
fi
echo "mailcode: building Mailpit $version with its web UI into $cache (a minute or two, once; quiet until it is done)…" >&2
source scripts/quietly.sh
work=$(mktemp -d)
trap 'chmod -R u+w "$work" 2>/dev/null; rm -rf "$work"' EXIT
# Every temporary file of the build stays in its own folder, removed with it: the UI's npm
# install runs a dependency's install-time analytics, which writes a log into TMPDIR — the
# tests' temporary folder, say, when `npm test` builds Mailpit on a fresh machine. And no
# install-time analytics at all (Scarf honours both variables).
mkdir "$work/tmp"
export TMPDIR="$work/tmp" SCARF_ANALYTICS=false DO_NOT_TRACK=1
# The module's sources (read-only in Go's module cache) are copied to build the UI beside them.
quietly go mod download "github.com/axllent/mailpit@$version"
module=$(go mod download -json "github.com/axllent/mailpit@$version" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
cp -R "$module" "$work/mailpit"
chmod -R u+w "$work/mailpit"
cd "$work/mailpit"
if ! quietly npm ci --no-audit --no-fund --loglevel=error || ! quietly npm run package; then
  echo "mailcode: bundling Mailpit's web UI failed (above)." >&2
  exit 1
fi
if ! quietly go build -trimpath -ldflags "-s -w -X github.com/axllent/mailpit/config.Version=$version" -o "$work/mailpit.bin" .; then
  echo "mailcode: go build of Mailpit $version failed (above)." >&2
  exit 1
fi
mkdir -p "$cache"
mv "$work/mailpit.bin" "$bin"
echo "mailcode: Mailpit $version with its web UI is $bin" >&2
echo "$bin"
