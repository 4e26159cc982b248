#!/usr/bin/env bash
# Start / stop the throw-away servers the tests use: PostgreSQL and Redis, on loopback ports.
# Installs them from Debian's packages when they are missing (Debian's policy here does not
# auto-start services, so nothing else runs them).
# Idempotent: `start` on a running server does nothing, `stop` on a stopped one does nothing.
# Usage: scripts/services.sh start|stop|status|env
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
SVC_DIR=${TIERWISE_SERVICES_DIR:-$ROOT/var/services}
# Ports default to a number derived from this checkout's path, so that two checkouts on one
# machine (worktrees, a fresh clone beside a working copy) never share a server.
OFFSET=$(( $(printf '%s' "$ROOT" | cksum | cut -d' ' -f1) % 400 ))
PGPORT=${TIERWISE_PG_PORT:-$((55000 + OFFSET))}
PGVER=15
PGBIN=/usr/lib/postgresql/$PGVER/bin
PGROOT=$SVC_DIR/pg

REDIS_PORT=${TIERWISE_REDIS_PORT:-$((56000 + OFFSET))}
REDIS_DIR=$SVC_DIR/redis

redis_url() { echo "redis://127.0.0.1:$REDIS_PORT/0"; }

redis_running() { [ -f "$REDIS_DIR/redis.pid" ] && kill -0 "$(cat "$REDIS_DIR/redis.pid")" 2>/dev/null; }

redis_start() {
  if ! command -v redis-server >/dev/null 2>&1; then
    echo "installing redis-server ..." >&2
    apt_install redis-server
  fi
  mkdir -p "$REDIS_DIR"
  if ! redis_running; then
    redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no --daemonize yes \
      --dir "$REDIS_DIR" --pidfile "$REDIS_DIR/redis.pid" --logfile "$REDIS_DIR/redis.log"
    for _ in $(seq 1 50); do redis_running && break; sleep 0.1; done
  fi
}

redis_stop() {
  if redis_running; then kill "$(cat "$REDIS_DIR/redis.pid")"; fi
  for _ in $(seq 1 50); do redis_running || break; sleep 0.1; done
}

pg_url() { echo "postgresql+psycopg://postgres@127.0.0.1:$PGPORT/tierwise"; }

apt_updated=""
apt_install() {
  if [ -z "$apt_updated" ]; then apt-get update -qq >/dev/null; apt_updated=1; fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

pg_running() { [ -f "$PGROOT/data/postmaster.pid" ] && runuser -u postgres -- "$PGBIN/pg_ctl" -D "$PGROOT/data" status >/dev/null 2>&1; }

pg_start() {
  if [ ! -x "$PGBIN/initdb" ]; then
    echo "installing postgresql-$PGVER ..." >&2
    apt_install "postgresql-$PGVER"
  fi
  id postgres >/dev/null 2>&1 || { echo "no postgres user after install" >&2; exit 1; }
  mkdir -p "$PGROOT"
  chown postgres:postgres "$PGROOT"
  # initdb refuses to run as root: run it as postgres, in a folder postgres owns.
  if [ ! -f "$PGROOT/data/PG_VERSION" ]; then
    runuser -u postgres -- "$PGBIN/initdb" -D "$PGROOT/data" -U postgres -A trust --no-sync \
      -E UTF8 --locale=C.UTF-8 >/dev/null
  fi
  if ! pg_running; then
    touch "$PGROOT/pg.log"; chown postgres:postgres "$PGROOT/pg.log"
    runuser -u postgres -- "$PGBIN/pg_ctl" -D "$PGROOT/data" -l "$PGROOT/pg.log" -w -t 30 \
      -o "-p $PGPORT -c listen_addresses=127.0.0.1 -k $PGROOT -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c shared_buffers=512MB -c max_wal_size=8GB -c wal_level=minimal -c max_wal_senders=0 -c maintenance_work_mem=256MB" \
      start >/dev/null
  fi
  if ! runuser -u postgres -- psql -h 127.0.0.1 -p "$PGPORT" -U postgres -tAc \
      "SELECT 1 FROM pg_database WHERE datname='tierwise'" | grep -q 1; then
    runuser -u postgres -- "$PGBIN/createdb" -h 127.0.0.1 -p "$PGPORT" -U postgres tierwise
  fi
}

pg_stop() {
  if pg_running; then
    runuser -u postgres -- "$PGBIN/pg_ctl" -D "$PGROOT/data" -m fast -w stop >/dev/null
  fi
}

envline() { echo "TIERWISE_TEST_PG_URL=$(pg_url) TIERWISE_TEST_REDIS_URL=$(redis_url)"; }

# The console's browser tests drive Debian's Chromium (Playwright needs no download of its
# own); fonts-noto-cjk so that Chinese renders as text, not boxes, in the screenshots.
browser_install() {
  local want=()
  [ -x /usr/bin/chromium ] || want+=(chromium)
  [ -d /usr/share/fonts/opentype/noto ] || want+=(fonts-noto-cjk)
  if [ ${#want[@]} -gt 0 ]; then
    echo "installing ${want[*]} ..." >&2
    apt_install "${want[@]}"
  fi
}

case "${1:-}" in
  start) pg_start; redis_start; browser_install; envline ;;
  stop) pg_stop; redis_stop ;;
  status)
    if pg_running; then echo "postgres: running on $PGPORT"; else echo "postgres: stopped"; fi
    if redis_running; then echo "redis: running on $REDIS_PORT"; else echo "redis: stopped"; fi ;;
  env) envline ;;
  *) echo "usage: $0 start|stop|status|env" >&2; exit 2 ;;
esac
