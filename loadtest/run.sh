#!/usr/bin/env bash
# Load test: gunicorn with 4 workers on PostgreSQL, all on 127.0.0.1; LOAD_USERS (50) simulated
# people sign in, then browse their inboxes and sign off plans for a working period of SECONDS (60;
# CI runs 15) after LOAD_SETTLE_SECONDS (10) of settling; then the figures are printed and every
# confirmed completion is checked against the database and the audit trail.
#
#   loadtest/run.sh [SECONDS]          (make load = 60 s)
#
# LOAD_DATABASE_URL: an empty PostgreSQL database to use (CI passes one on its server); without
# it a private PostgreSQL cluster is started in a temporary folder and removed afterwards.
# Fails only on request errors or lost updates; latency targets are reported, not enforced.
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${1:-60}
USERS=${LOAD_USERS:-50}
EVENTS=${LOAD_EVENTS:-$(( DURATION * 8 > 120 ? DURATION * 8 : 120 ))}
VENV=${VENV:-.venv}
RESULTS=${LOAD_RESULTS:-loadtest/results}
WORK=$(mktemp -d /tmp/tanzhong-load.XXXXXX)
export LOAD_RESULTS="$RESULTS" LOAD_REVIEWERS=${LOAD_REVIEWERS:-20} LOAD_ORGANIZERS=${LOAD_ORGANIZERS:-10}
export LOAD_MEASURE_SECONDS="$DURATION" LOAD_SETTLE_SECONDS=${LOAD_SETTLE_SECONDS:-10}
log() { printf '\n--- %s ---\n' "$*"; }
free_port() { "$VENV/bin/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

GUNICORN_PID=""
PG_STARTED=""
MEMCACHED_PID=""
cleanup() {
  [ -n "$GUNICORN_PID" ] && kill "$GUNICORN_PID" 2>/dev/null && wait "$GUNICORN_PID" 2>/dev/null || true
  [ -n "$MEMCACHED_PID" ] && kill "$MEMCACHED_PID" 2>/dev/null || true
  if [ -n "$PG_STARTED" ]; then
    $AS_PG "$PGBIN/pg_ctl" -D "$WORK/pg" -m fast stop >/dev/null 2>&1 || true
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT

if [ -z "${LOAD_DATABASE_URL:-}" ]; then
  log "Private PostgreSQL on 127.0.0.1"
  PGBIN=$(dirname "$(ls -d /usr/lib/postgresql/*/bin/pg_ctl 2>/dev/null | sort -V | tail -n 1)")
  [ -x "$PGBIN/pg_ctl" ] || { echo "PostgreSQL is not installed (apt-get install postgresql), or set LOAD_DATABASE_URL"; exit 1; }
  PGPORT=$(free_port)
  mkdir -p "$WORK/pg"
  if [ "$(id -u)" = 0 ]; then
    id postgres >/dev/null 2>&1 || useradd -r postgres
    chown postgres "$WORK" "$WORK/pg"
    AS_PG="runuser -u postgres --"
  else
    AS_PG=""
  fi
  $AS_PG "$PGBIN/initdb" -D "$WORK/pg" -U postgres -A trust -E UTF8 --locale=C.UTF-8 >/dev/null
  $AS_PG "$PGBIN/pg_ctl" -D "$WORK/pg" -l "$WORK/pg/server.log" -w \
    -o "-h 127.0.0.1 -p $PGPORT -k $WORK/pg -c fsync=off -c synchronous_commit=off -c max_connections=200" start >/dev/null
  PG_STARTED=1
  $AS_PG "$PGBIN/createdb" -h 127.0.0.1 -p "$PGPORT" -U postgres tanzhong_load
  LOAD_DATABASE_URL="postgresql+psycopg://postgres@127.0.0.1:$PGPORT/tanzhong_load"
fi
case "$LOAD_DATABASE_URL" in
  postgresql*@127.0.0.1:*|postgresql*@localhost:*|postgresql*@localhost/*|postgresql*@127.0.0.1/*) ;;
  *) echo "LOAD_DATABASE_URL must be a PostgreSQL database on 127.0.0.1"; exit 1 ;;
esac

export TANZHONG_ENV=production
SECRET_KEY=$("$VENV/bin/python" -c 'import secrets; print(secrets.token_hex(32))')
export SECRET_KEY
export DATABASE_URL="$LOAD_DATABASE_URL" UPLOAD_DIR="$WORK/uploads" SESSION_COOKIE_SECURE=0 MAIL_SERVER=""
export RATELIMIT_LOGIN="100000 per minute"  # 50 people sign in from one address within seconds
# Four workers count rate limits in one shared store, as a deployment with several workers must
# (docs/security.md): Debian's memcached on loopback when installed, else each worker counts alone.
if command -v memcached >/dev/null 2>&1; then
  MEMCACHED_PORT=$(free_port)
  memcached -l 127.0.0.1 -p "$MEMCACHED_PORT" -U 0 -m 16 $([ "$(id -u)" = 0 ] && echo "-u nobody") &
  MEMCACHED_PID=$!
  export RATELIMIT_STORAGE_URI="memcached://127.0.0.1:$MEMCACHED_PORT"
else
  echo "memcached is not installed (apt-get install memcached): each worker keeps its own rate-limit counts"
fi

log "Schema, demo data and $EVENTS events waiting for sign-off"
"$VENV/bin/flask" --app webapp init-db >/dev/null
"$VENV/bin/python" -m loadtest.seed --events "$EVENTS" --reviewers "$LOAD_REVIEWERS" --organizers "$LOAD_ORGANIZERS"

PORT=$(free_port)
log "gunicorn --workers 4 on 127.0.0.1:$PORT"
"$VENV/bin/gunicorn" --config gunicorn.conf.py --workers 4 --bind "127.0.0.1:$PORT" --timeout 60 --log-level warning \
  --error-logfile "$WORK/gunicorn.log" 'webapp:create_app()' &
GUNICORN_PID=$!
for _ in $(seq 1 120); do
  "$VENV/bin/python" -c "import urllib.request as u; u.urlopen('http://127.0.0.1:$PORT/login', timeout=2)" \
    2>/dev/null && break
  kill -0 "$GUNICORN_PID" 2>/dev/null || { cat "$WORK/gunicorn.log"; exit 1; }
  sleep 0.5
done

log "locust: $USERS users sign in, settle ${LOAD_SETTLE_SECONDS} s, work ${DURATION} s"
rm -rf "$RESULTS"
mkdir -p "$RESULTS"
status=0
# The scenario ends itself after the working period; --run-time only bounds a run whose sign-ins never finish.
BOUND=$(( DURATION + LOAD_SETTLE_SECONDS + 60 ))
timeout $(( BOUND + 60 )) "$VENV/bin/locust" -f loadtest/locustfile.py --headless --only-summary \
  --users "$USERS" --spawn-rate 10 --run-time "${BOUND}s" --stop-timeout 10 \
  --host "http://127.0.0.1:$PORT" --loglevel WARNING --csv "$RESULTS/locust" >"$RESULTS/locust.out" 2>&1 || status=$?
tail -n 30 "$RESULTS/locust.out"
[ -f "$RESULTS/summary.json" ] || { echo "locust wrote no summary (exit $status)"; exit 1; }

if grep -q "Traceback" "$WORK/gunicorn.log"; then
  echo "gunicorn logged errors:"; grep -A 20 "Traceback" "$WORK/gunicorn.log" | head -n 60
fi
"$VENV/bin/python" -m loadtest.verify --results "$RESULTS"
