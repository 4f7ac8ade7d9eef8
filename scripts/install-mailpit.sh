#!/usr/bin/env bash
# Installs Mailpit (the SMTP server + REST API the end-to-end tests use) when it is missing.
# One already there is used first: MAILPIT_BIN, a mailpit on PATH, or one `go install` made.
# Otherwise it is built from the Go module proxy, which needs Go 1.24.3 or newer.
set -euo pipefail
version=v1.27.11
need_go=1.24.3
if [ -n "${MAILPIT_BIN:-}" ]; then
  if [ -x "$MAILPIT_BIN" ]; then exit 0; fi
  echo "mailcode: MAILPIT_BIN=$MAILPIT_BIN is not an executable file." >&2
  exit 1
fi
if command -v mailpit >/dev/null 2>&1; then exit 0; fi
if command -v go >/dev/null 2>&1 && [ -x "$(go env GOPATH)/bin/mailpit" ]; then exit 0; fi
if [ -x "$HOME/go/bin/mailpit" ]; then exit 0; fi

if ! command -v go >/dev/null 2>&1; then
  echo "mailcode: Mailpit is missing, and Go (needed to build it) is not installed." >&2
  echo "          Install Go $need_go or newer (https://go.dev/doc/install, or Debian's golang-go)," >&2
  echo "          or download a Mailpit binary and set MAILPIT_BIN to it." >&2
  exit 1
fi
have_go=$(go env GOVERSION | sed 's/^go//')
if [ "$(printf '%s\n%s\n' "$need_go" "$have_go" | sort -V | head -1)" != "$need_go" ]; then
  echo "mailcode: Mailpit $version needs Go $need_go or newer to build; this Go is $have_go." >&2
  echo "          Install a newer Go (https://go.dev/doc/install), or set MAILPIT_BIN to a Mailpit binary." >&2
  exit 1
fi
echo "mailcode: installing Mailpit $version with go install (about a minute the first time; quiet until it is done)…" >&2
# go prints a line per module it downloads: kept aside, and shown only if the build fails.
source "$(dirname "$0")/quietly.sh"
if ! quietly go install "github.com/axllent/mailpit@$version"; then
  echo "mailcode: go install of Mailpit $version failed (above)." >&2
  exit 1
fi
