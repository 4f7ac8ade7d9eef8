#!/usr/bin/env bash
# Installs Mailpit (the SMTP server + REST API the end-to-end tests use) when it is missing.
# It is one Go program: `go install` builds it from the Go module proxy.
set -euo pipefail
version=v1.27.11
gobin="$(go env GOPATH 2>/dev/null)/bin"
if [ -n "${MAILPIT_BIN:-}" ] && [ -x "$MAILPIT_BIN" ]; then exit 0; fi
if command -v mailpit >/dev/null 2>&1 || [ -x "$gobin/mailpit" ]; then exit 0; fi
if ! command -v go >/dev/null 2>&1; then
  echo "mailcode: Mailpit is missing and Go is not installed to build it." >&2
  echo "          Install Go (https://go.dev/doc/install) or set MAILPIT_BIN to a mailpit binary." >&2
  exit 1
fi
echo "mailcode: installing Mailpit $version with go install (about a minute the first time)…" >&2
go install "github.com/axllent/mailpit@$version"
