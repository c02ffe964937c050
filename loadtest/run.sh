#!/usr/bin/env bash
# Load test of issue 8, « No data lost », on 127.0.0.1 only and bounded in time:
# a fresh PostgreSQL database, the real reference data, the load-test accounts,
# gunicorn with the production settings (DEBUG=0, HTTPS with a throw-away
# self-signed certificate, so the Secure cookies travel as in production),
# locust headless, then the check of every acknowledged write against the
# database. Exits non-zero on any lost or duplicated value or any 5xx.
#
#   USERS=50 DURATION=60 loadtest/run.sh        # the full run
#   USERS=10 DURATION=15 loadtest/run.sh        # the short one (CI)
#   REDIS_URL=redis://127.0.0.1:6379/5 loadtest/run.sh   # with a real Celery worker
#   PRELOGIN=0 loadtest/run.sh                  # the logins inside the timed window
set -euo pipefail
cd "$(dirname "$0")/.."

USERS=${USERS:-50}
DURATION=${DURATION:-60}
SPAWN_RATE=${SPAWN_RATE:-10}
PORT=${PORT:-8102}
WORKERS=${WORKERS:-4}
THREADS=${THREADS:-2}
PG=${LOADTEST_PG:-postgres://postgres@127.0.0.1:5432}
DB=${LOADTEST_DB:-cpom_load}
OUT=${LOADTEST_OUT:-/tmp/cpom-loadtest}
PY=.venv/bin/python
PASSWORD=${LOADTEST_PASSWORD:-charge-cpom-2026}
# 1: everyone logs in (through the login page) before the timed window, timed apart;
# 0: each user logs in inside the window (a login storm: a password hash is ~1 s of CPU).
PRELOGIN=${PRELOGIN:-1}

if [ "$DB" = "test" ]; then
  echo "LOADTEST_DB=test est la base des tests : choisissez-en une autre." >&2
  exit 2
fi
rm -rf "$OUT"
mkdir -p "$OUT"
export DATABASE_URL="$PG/$DB"
export MEDIA_ROOT="$OUT/media" STATIC_ROOT="$OUT/static"
export REDIS_URL=${REDIS_URL:-}

server_pid="" worker_pid=""
cleanup() {
  for pid in $server_pid $worker_pid; do
    kill -TERM "$pid" 2>/dev/null || true
  done
  for pid in $server_pid $worker_pid; do
    wait "$pid" 2>/dev/null || true
  done
  server_pid="" worker_pid=""
}
trap cleanup EXIT INT TERM

echo "=== base $DB, données de référence réelles, comptes du test de charge ==="
dropdb --if-exists -h 127.0.0.1 -U postgres "$DB"
createdb -h 127.0.0.1 -U postgres "$DB"
$PY manage.py migrate --noinput -v0
$PY manage.py load_reference_data -v0 >"$OUT/reference.log"
$PY manage.py build_demo_ght >>"$OUT/reference.log"
$PY manage.py prepare_loadtest --directors "$USERS" --password "$PASSWORD" --manifest "$OUT/manifest.json"

# Production settings; the secret is thrown away with the run.
export DEBUG=0 ALLOWED_HOSTS=127.0.0.1 LOG_LEVEL=WARNING
SECRET_KEY="loadtest-$(openssl rand -hex 32)"
export SECRET_KEY
$PY manage.py collectstatic --noinput -v0
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 -subj "/CN=127.0.0.1" \
  -addext "subjectAltName=IP:127.0.0.1" -keyout "$OUT/key.pem" -out "$OUT/cert.pem" 2>/dev/null

if [ -n "$REDIS_URL" ]; then
  .venv/bin/celery -A config worker --concurrency 1 --loglevel WARNING >"$OUT/celery.log" 2>&1 &
  worker_pid=$!
fi
# Keep-alive longer than a user's think time: otherwise the server closes an idle
# connection just as the client reuses it (RemoteDisconnected, which a browser retries).
.venv/bin/gunicorn config.wsgi --bind "127.0.0.1:$PORT" --workers "$WORKERS" --worker-class gthread --threads "$THREADS" \
  --certfile "$OUT/cert.pem" --keyfile "$OUT/key.pem" --timeout 60 --keep-alive 10 --error-logfile "$OUT/gunicorn.log" &
server_pid=$!
for _ in $(seq 60); do
  curl -sf --cacert "$OUT/cert.pem" -o /dev/null "https://127.0.0.1:$PORT/connexion/" && break
  sleep 1
done

echo "=== locust : $USERS utilisateurs pendant ${DURATION} s ==="
set +e
LOADTEST_MANIFEST="$OUT/manifest.json" LOADTEST_LOG="$OUT/acks.jsonl" LOADTEST_PASSWORD="$PASSWORD" \
  LOADTEST_PRELOGIN="$PRELOGIN" REQUESTS_CA_BUNDLE="$OUT/cert.pem" \
  .venv/bin/locust -f loadtest/locustfile.py --headless --host "https://127.0.0.1:$PORT" \
  --users "$USERS" --spawn-rate "$SPAWN_RATE" --run-time "${DURATION}s" --stop-timeout 15 \
  --csv "$OUT/locust" --only-summary --loglevel WARNING >"$OUT/locust.log" 2>&1
locust_status=$?
set -e
cleanup
tail -n 40 "$OUT/locust.log"
echo "(locust : code de sortie $locust_status ; journaux dans $OUT)"

echo "=== vérification : chaque écriture acquittée contre la base ==="
unset DEBUG SECRET_KEY
tracebacks=$(grep -c "Traceback" "$OUT/gunicorn.log" || true)
echo "tracebacks du serveur : $tracebacks (voir $OUT/gunicorn.log)"
$PY manage.py check_loadtest --log "$OUT/acks.jsonl" --csv "$OUT/locust" --manifest "$OUT/manifest.json"
[ "$tracebacks" -eq 0 ] || { echo "Le serveur a levé des exceptions : voir $OUT/gunicorn.log" >&2; exit 1; }
