#!/usr/bin/env bash
# Installs Schemathesis (a contract-driven API fuzzer, from PyPI) into its own virtualenv
# under ~/.cache/mailcode when it is missing: the contract test drives the real server with
# the valid and invalid requests it generates from openapi.yaml.
set -euo pipefail
version=4.32.5
venv="${MAILCODE_SCHEMATHESIS_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/mailcode/schemathesis}"
if [ -x "$venv/bin/schemathesis" ] && "$venv/bin/schemathesis" --version 2>/dev/null | grep -q "$version"; then exit 0; fi
if ! command -v python3 >/dev/null 2>&1; then
  echo "mailcode: Schemathesis is ABSENT: python3 (3.10 or newer) is needed to install it from PyPI." >&2
  exit 1
fi
echo "mailcode: installing Schemathesis $version from PyPI into $venv (about a minute; quiet until it is done)…" >&2
rm -rf "$venv"
# pip's temporary files in a folder of their own, removed with it (not the caller's TMPDIR).
pip_tmp=$(mktemp -d)
trap 'rm -rf "$pip_tmp"' EXIT
export TMPDIR="$pip_tmp"
if ! python3 -m venv "$venv" >/dev/null; then
  echo "mailcode: Schemathesis is ABSENT: python3 cannot make a virtualenv (Debian: apt-get install python3-venv)." >&2
  exit 1
fi
"$venv/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$version"
