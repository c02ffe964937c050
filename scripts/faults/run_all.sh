#!/usr/bin/env bash
# Faults of issue 8, each on throwaway PostgreSQL / Redis instances of its own
# (never the shared ones on 5432 / 6379). Each script prints PASS/FAIL lines
# and exits non-zero on failure; this driver runs them all and says which failed.
#   (a) redis_down.py        Redis stopped under gunicorn + worker, then started again
#   (b) worker_kill.py       a worker SIGKILLed in a computation run and in a région's annex archive
#   (c) postgres_restart.py  PostgreSQL restarted under load (production settings)
#   (d) two people editing the same object: tests/test_faults.py (pytest, runs in CI)
# Needs root (the PostgreSQL cluster runs as the postgres user), redis-server and
# PostgreSQL 15's binaries (FAULTS_PG_BIN, default /usr/lib/postgresql/15/bin).
set -uo pipefail
cd "$(dirname "$0")"
PY=../../.venv/bin/python
failed=()
for script in redis_down.py worker_kill.py postgres_restart.py; do
  echo "=== ${script} ==="
  begin=$(date +%s)
  if ! "$PY" "$script"; then
    failed+=("$script")
  fi
  echo "(${script} : $(($(date +%s) - begin)) s)"
done
if ((${#failed[@]})); then
  echo "FAULTS: FAIL — ${failed[*]}"
  exit 1
fi
echo "FAULTS: PASS"
