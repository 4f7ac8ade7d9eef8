# Sourced by the install scripts of tools the tests take from Debian (Chromium, SpamAssassin):
# `debian_package NAME PROGRAM PACKAGE PURPOSE HINT` installs PACKAGE when PROGRAM is missing
# and we may (root with apt-get); otherwise it says what is absent and returns 1 (test.sh then
# skips those tests outside CI, and fails in CI).
debian_package() {
  local name=$1 program=$2 package=$3 purpose=$4 hint=$5
  if [ -x "$program" ]; then return 0; fi
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "mailcode: installing Debian's $package for $purpose with apt-get (a minute or more; quiet until it is done)…" >&2
    source "$(dirname "${BASH_SOURCE[0]}")/quietly.sh"
    if ! { quietly apt-get update -qq && quietly env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$package"; }; then
      echo "mailcode: $name is ABSENT: apt-get could not install it (above)." >&2
      return 1
    fi
    return 0
  fi
  echo "mailcode: $name is ABSENT at $program and cannot be installed here (needs apt-get as root);" >&2
  echo "          $hint" >&2
  return 1
}
