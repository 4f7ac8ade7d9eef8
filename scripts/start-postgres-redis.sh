#!/usr/bin/env bash
# PostgreSQL and Redis on loopback for the scale-out tests (and for trying mailcode with
# several processes): installs Debian's postgresql and redis-server when missing, starts
# them, and makes the role the tests use (mailcode/mailcode, allowed to create databases).
# Idempotent: run it as often as you like. Exits non-zero, saying what is absent, when it
# cannot (not root and no sudo, no apt-get).
set -euo pipefail

sudo_() { if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else return 1; fi; }

need=()
command -v pg_ctlcluster >/dev/null || need+=(postgresql)
command -v redis-server >/dev/null || need+=(redis-server)
if [ ${#need[@]} -gt 0 ]; then
  echo "mailcode: installing ${need[*]} with apt-get (a minute or two; quiet until it is done)…" >&2
  source "$(dirname "$0")/quietly.sh"
  if ! { quietly sudo_ apt-get update -qq && quietly sudo_ env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}"; }; then
    echo "mailcode: ${need[*]} ABSENT: could not be installed (needs apt-get as root); the PostgreSQL + Redis tests cannot run" >&2
    exit 1
  fi
fi

# PostgreSQL: Debian's cluster listens on localhost only by default.
cluster=$(pg_lsclusters -h | head -1 || true)
if [ -z "$cluster" ]; then
  version=$(ls /usr/lib/postgresql | sort -n | tail -1)
  sudo_ pg_createcluster "$version" main >/dev/null
  cluster=$(pg_lsclusters -h | head -1)
fi
read -r version name port status _ <<<"$cluster"
[ "$status" = online ] || sudo_ pg_ctlcluster "$version" "$name" start
for _ in $(seq 1 50); do pg_isready -q -h 127.0.0.1 -p "$port" && break; sleep 0.2; done
sudo_ runuser -u postgres -- psql -q -p "$port" -c "DO \$\$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'mailcode') THEN
    CREATE ROLE mailcode LOGIN PASSWORD 'mailcode' CREATEDB;
  END IF; END \$\$;" >/dev/null
sudo_ runuser -u postgres -- psql -q -p "$port" -tc "SELECT 1 FROM pg_database WHERE datname = 'mailcode'" | grep -q 1 ||
  sudo_ runuser -u postgres -- createdb -p "$port" -O mailcode mailcode

# Redis: in memory only (the counters it holds are short-lived by design).
if ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save '' --appendonly no >/dev/null
  for _ in $(seq 1 50); do redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 && break; sleep 0.1; done
fi
echo "PostgreSQL $version on 127.0.0.1:$port (postgres://mailcode:mailcode@127.0.0.1:$port/mailcode), Redis on 127.0.0.1:6379"
