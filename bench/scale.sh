#!/usr/bin/env bash
# Provincial scale (issue #19, `make bench-scale`): seed SCALE_EVENTS (100,000) events with their
# history into PostgreSQL and time every page and job at a tenth of that and at the full size.
#
# SCALE_DATABASE_URL: an empty PostgreSQL database on 127.0.0.1 to use; without it a private
# PostgreSQL cluster is started in a temporary folder on a free loopback port and removed afterwards.
# Further arguments go to `python -m bench` (e.g. --scale-repeats 10).
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=${VENV:-.venv}
EVENTS=${SCALE_EVENTS:-100000}
WORK=$(mktemp -d /tmp/tanzhong-scale.XXXXXX)
PG_STARTED=""
cleanup() {
  if [ -n "$PG_STARTED" ]; then
    $AS_PG "$PGBIN/pg_ctl" -D "$WORK/pg" -m fast stop >/dev/null 2>&1 || true
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT

if [ -z "${SCALE_DATABASE_URL:-}" ]; then
  PGBIN=$(dirname "$(ls -d /usr/lib/postgresql/*/bin/pg_ctl 2>/dev/null | sort -V | tail -n 1)")
  [ -x "$PGBIN/pg_ctl" ] || { echo "PostgreSQL is not installed (apt-get install postgresql), or set SCALE_DATABASE_URL"; exit 1; }
  PGPORT=$("$VENV/bin/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  mkdir -p "$WORK/pg"
  if [ "$(id -u)" = 0 ]; then
    id postgres >/dev/null 2>&1 || useradd -r postgres
    chown postgres "$WORK" "$WORK/pg"
    AS_PG="runuser -u postgres --"
  else
    AS_PG=""
  fi
  $AS_PG "$PGBIN/initdb" -D "$WORK/pg" -U postgres -A trust -E UTF8 --locale=C.UTF-8 >/dev/null
  # Durable enough for a benchmark (no fsync); shared_buffers as a small production server would have.
  $AS_PG "$PGBIN/pg_ctl" -D "$WORK/pg" -l "$WORK/pg/server.log" -w \
    -o "-h 127.0.0.1 -p $PGPORT -k $WORK/pg -c fsync=off -c synchronous_commit=off -c shared_buffers=512MB" start >/dev/null
  PG_STARTED=1
  $AS_PG "$PGBIN/createdb" -h 127.0.0.1 -p "$PGPORT" -U postgres tanzhong_scale
  SCALE_DATABASE_URL="postgresql+psycopg://postgres@127.0.0.1:$PGPORT/tanzhong_scale"
fi
case "$SCALE_DATABASE_URL" in
  postgresql*@127.0.0.1:*|postgresql*@localhost:*|postgresql*@localhost/*|postgresql*@127.0.0.1/*) ;;
  *) echo "SCALE_DATABASE_URL must be a PostgreSQL database on 127.0.0.1"; exit 1 ;;
esac
UPLOAD_DIR="$WORK/uploads" "$VENV/bin/python" -m bench --scale "$EVENTS" --database-url "$SCALE_DATABASE_URL" "$@"
