# The few verbs a newcomer needs. Python 3.11 and the Debian packages named
# in the README are the only prerequisites.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1:8000

.PHONY: demo setup reference test lint bench worker clean security faults loadtest backup restore

$(VENV)/.installed: requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

# axe-core for the accessibility check (tests/e2e/test_accessibility.py), from the npm registry at its locked version.
tests/axe/node_modules/.installed: tests/axe/package.json tests/axe/package-lock.json
	npm ci --prefix tests/axe --no-audit --no-fund --silent
	touch $@

setup: $(VENV)/.installed tests/axe/node_modules/.installed

## Install, migrate, load the real reference data, create the demo users, serve.
demo: setup
	$(PY) manage.py migrate --noinput
	$(PY) manage.py load_reference_data
	$(PY) manage.py load_peer_figures
	$(PY) manage.py seed_demo
	@echo "Application : http://$(HOST)/"
	SITE_URL=$${SITE_URL:-http://$(HOST)} $(PY) manage.py runserver $(HOST)

## The demo with the ProConnect button, signed in through a local provider (tooling/oidc_provider.py): no internet.
PROCONNECT_PORT ?= 8090
proconnect-demo: setup
	$(PY) manage.py proconnect_provider --port $(PROCONNECT_PORT) --client-id cpom-local --client-secret secret-local-demonstration-only & \
	PROVIDER=$$!; trap "kill $$PROVIDER" EXIT INT TERM; \
	PROCONNECT_DISCOVERY_URL=http://127.0.0.1:$(PROCONNECT_PORT)/.well-known/openid-configuration \
	PROCONNECT_CLIENT_ID=cpom-local PROCONNECT_CLIENT_SECRET=secret-local-demonstration-only $(MAKE) demo

reference: setup
	$(PY) manage.py load_reference_data
	$(PY) manage.py load_peer_figures

## The whole suite: lint, layers between apps (import-linter), Django checks, migrations up to date, pytest (browser journeys included).
test: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports
	$(PY) manage.py check
	$(PY) manage.py makemigrations --check --dry-run
	$(VENV)/bin/pytest

## Benchmarks (figures only): ROWS SAE lines and SITES FINESS+ sites imported twice; CPOM pages over CPOMS CPOMs;
## the follow-up dashboard over ESTABLISHMENTS establishments; leakage rates over STAYS generated stays.
ROWS ?= 100000
SITES ?= 100000
CPOMS ?= 500
ESTABLISHMENTS ?= 1000
STAYS ?= 1000000
## bench_pages: the main pages over a national data set generated on the real register (generate_scale_data)
## at SCALE and 10×SCALE: SQL queries (fails if they grow), then req/s, p95 and ratio to a bare view under gunicorn.
SCALE ?= 0.1
BENCH_DURATION ?= 5
bench: setup
	DATABASE_URL=$${DATABASE_URL:-sqlite:////tmp/cpom-bench.sqlite3} sh -c '$(PY) manage.py migrate --noinput -v0 && $(PY) manage.py bench_import --rows $(ROWS) && $(PY) manage.py bench_finessplus --sites $(SITES) && $(PY) manage.py bench_cpom --cpoms $(CPOMS) && $(PY) manage.py bench_annex && $(PY) manage.py bench_follow_up --establishments $(ESTABLISHMENTS) && $(PY) manage.py bench_indicators --rows $(STAYS) && $(PY) manage.py bench_pages --factor $(SCALE) --duration $(BENCH_DURATION)'

## Security checks: bandit on the code (findings fixed or justified by a "# nosec" with its reason), pip-audit on the dependencies.
security: setup
	$(VENV)/bin/bandit -q -c pyproject.toml -r .
	$(PY) scripts/pip_audit.py

## Faults: Redis stopped, a Celery worker killed mid-task, PostgreSQL restarted under load — each on its own
## throwaway instance (never the services on 5432/6379), PASS/FAIL per check. Needs root (initdb as postgres).
faults: setup
	scripts/faults/run_all.sh

## Load test: USERS users for DURATION s against gunicorn (HTTPS, production settings) + PostgreSQL
## (LOADTEST_DB, default cpom_load, dropped and recreated), then every acknowledged write checked against the database.
USERS ?= 50
DURATION ?= 60
loadtest: setup
	USERS=$(USERS) DURATION=$(DURATION) loadtest/run.sh

## Backup of DATABASE_URL (PostgreSQL) and MEDIA_ROOT into BACKUP_DIR/cpom-<UTC date> (default ./backups):
## pg_dump --format=custom, a tar of the files, a manifest (rows of every table, SHA-256 of every file), SHA256SUMS.
## No "setup" prerequisite: a backup never reinstalls packages.
backup:
	PYTHON=$(PY) bash scripts/backup.sh

## Restore BACKUP=backups/cpom-… into DATABASE_URL and MEDIA_ROOT, then check rows and files against its manifest.
## Refuses a non-empty database or MEDIA_ROOT unless FORCE=1 (pg_restore --clean --if-exists; files moved aside).
restore:
	PYTHON=$(PY) bash scripts/restore.sh

## The API's OpenAPI schema, kept in the repository (api/schema.yml) so that a change shows in review;
## a test of make test fails while it differs from what the code generates.
.PHONY: api-schema proconnect-demo
api-schema: setup
	$(PY) manage.py spectacular --lang fr --validate --fail-on-warn --file api/schema.yml

lint: setup
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

worker: setup
	$(VENV)/bin/celery -A config worker --loglevel=info

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles
