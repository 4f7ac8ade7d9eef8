# Sourced by the install scripts: `quietly CMD…` runs a command whose output is a wall of
# progress lines (apt-get, go install), keeps that output aside and shows it only when the
# command fails; its exit status is the command's.
quietly() {
  local log status=0
  log=$(mktemp)
  "$@" >"$log" 2>&1 || status=$?
  [ "$status" = 0 ] || cat "$log" >&2
  rm -f "$log"
  return "$status"
}
