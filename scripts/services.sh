#!/usr/bin/env bash
# Start / stop the throw-away servers the tests use (PostgreSQL today; Redis and Chromium later).
# Idempotent: `start` on a running server does nothing, `stop` on a stopped one does nothing.
# Usage: scripts/services.sh start|stop|status|env
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
SVC_DIR=${TIERWISE_SERVICES_DIR:-$ROOT/var/services}
PGPORT=${TIERWISE_PG_PORT:-55432}
PGVER=15
PGBIN=/usr/lib/postgresql/$PGVER/bin
PGROOT=$SVC_DIR/pg

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

case "${1:-}" in
  start) pg_start; echo "TIERWISE_TEST_PG_URL=$(pg_url)" ;;
  stop) pg_stop ;;
  status) if pg_running; then echo "postgres: running on $PGPORT"; else echo "postgres: stopped"; fi ;;
  env) echo "TIERWISE_TEST_PG_URL=$(pg_url)" ;;
  *) echo "usage: $0 start|stop|status|env" >&2; exit 2 ;;
esac
