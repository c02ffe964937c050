"""Fault (a): Redis stopped under the running site (gunicorn + a Celery
worker on their own Redis). The pages answer, a declaration saves, asking
for a computation or an archive records it without an error page and
quickly; once Redis is back, the same processes (no restart) send tasks
again, the worker runs them, and what was asked for during the outage is
taken up by the periodic jobs.

Own PostgreSQL on FAULTS_PG_PORT (5497), Redis on FAULTS_REDIS_PORT (6397),
gunicorn on FAULTS_HTTP_PORT (8097)."""

import datetime
import os
import sys
import time

from faultlib import (
    PYTHON,
    Browser,
    Postgres,
    Redis,
    check,
    django_shell,
    finish,
    gunicorn,
    info,
    manage,
    project_env,
    seed,
    spawn,
    wait_for,
    workdir,
)

PG_PORT = int(os.environ.get("FAULTS_PG_PORT", "5497"))
REDIS_PORT = int(os.environ.get("FAULTS_REDIS_PORT", "6397"))
HTTP_PORT = int(os.environ.get("FAULTS_HTTP_PORT", "8097"))
MAX_SECONDS = float(os.environ.get("FAULTS_MAX_SECONDS", "5"))
DB = "cpom_faults"


def latest(pg, table):
    rows = pg.sql(DB, f"SELECT id, status FROM {table} ORDER BY id DESC LIMIT 1")
    return (int(rows[0][0]), rows[0][1]) if rows else (None, None)


def status_of(pg, table, pk):
    rows = pg.sql(DB, f"SELECT status FROM {table} WHERE id = {int(pk)}")
    return rows[0][0] if rows else None


def main():
    base = workdir("redis")
    (base / "media").mkdir()
    pg = Postgres(PG_PORT, base).start()
    pg.createdb(DB)
    redis = Redis(REDIS_PORT, base).start()
    env = project_env(pg.url(DB), redis.url(0), media=base / "media")
    manage(env, "migrate", "--noinput", "-v0")
    ids = seed(env)
    gunicorn(env, HTTP_PORT, base / "gunicorn.log")
    spawn(
        [PYTHON, "-m", "celery", "-A", "config", "worker", "-P", "solo", "--without-gossip", "--without-mingle",
         "--loglevel=info"],
        env,
        base / "worker.log",
    )  # fmt: skip
    site = f"http://127.0.0.1:{HTTP_PORT}"
    negotiator, director = Browser(site), Browser(site)
    assert negotiator.login(ids["negotiator"], ids["password"]) and director.login(ids["director"], ids["password"])

    # Before: a computation goes through the worker.
    negotiator.post("/suivi/calculs/", {"year": 2025})
    run_before, _status = latest(pg, "indicators_computationrun")
    done = wait_for(lambda: status_of(pg, "indicators_computationrun", run_before) == "termine", 60)
    check("a0 avant la panne, un calcul demandé est fait par le worker", done, f"calcul {run_before}")

    redis.stop()
    print("--- Redis arrêté ---", flush=True)
    declare = f"/suivi/campagnes/{ids['campaign']}/etablissements/{ids['entity_a']}/"
    pages = [
        (negotiator, "/"),
        (negotiator, "/cpom/"),
        (negotiator, f"/cpom/{ids['cpom_a']}/"),
        (negotiator, f"/suivi/campagnes/{ids['campaign']}/"),
        (negotiator, "/suivi/calculs/"),
        (negotiator, "/diagnostics/"),
        (director, declare),
    ]
    answers = [(path, *browser.get(path)[::2]) for browser, path in pages]
    slowest = max(seconds for _path, _status, seconds in answers)
    check(
        "a1 les pages répondent",
        all(status == 200 for _path, status, _s in answers),
        f"{sum(status == 200 for _p, status, _s in answers)}/{len(answers)} en 200, la plus lente {slowest:.2f} s",
    )
    indicator = ids["indicators_a_old"][1]
    # The value tests/test_faults.py saves: one the consistency checks let through without a comment.
    status, _text, seconds = director.post_as_shown(declare, {f"i{indicator}-value": "14"})
    saved = pg.sql(DB, f"SELECT value FROM indicators_declaration WHERE indicator_id = {indicator} AND year = 2025")
    check(
        "a2 une déclaration s’enregistre",
        status == 302 and saved and float(saved[0][0]) == 14,
        f"HTTP {status} en {seconds:.2f} s, valeur en base {saved[0][0] if saved else 'absente'}",
    )
    status, _text, seconds = negotiator.post("/suivi/calculs/", {"year": 2025})
    run_down, run_status = latest(pg, "indicators_computationrun")
    check(
        "a3 un calcul demandé est gardé « en attente », sans page d’erreur",
        status in (200, 302) and run_down != run_before and run_status == "en_attente",
        f"HTTP {status}, calcul {run_down} {run_status}",
    )
    check(f"a3 la demande de calcul répond en moins de {MAX_SECONDS:.0f} s", seconds < MAX_SECONDS, f"{seconds:.1f} s")
    status, _text, seconds = negotiator.post("/cpom/annexes/", {"status": "signe"})
    archive_down, archive_status = latest(pg, "cpom_annexarchive")
    check(
        "a4 une archive demandée est gardée « en attente », sans page d’erreur",
        status == 302 and archive_status == "en_attente",
        f"HTTP {status}, archive {archive_down} {archive_status}",
    )
    check(f"a4 la demande d’archive répond en moins de {MAX_SECONDS:.0f} s", seconds < MAX_SECONDS, f"{seconds:.1f} s")

    redis.start()
    print("--- Redis redémarré (mêmes processus gunicorn et worker) ---", flush=True)
    begin = time.monotonic()
    status, _text, seconds = negotiator.post("/suivi/calculs/", {"year": 2025})
    run_after, _status = latest(pg, "indicators_computationrun")
    done = wait_for(lambda: status_of(pg, "indicators_computationrun", run_after) == "termine", 90)
    check(
        "a5 Redis revenu, un nouveau calcul passe par le worker",
        done,
        f"demande HTTP {status} en {seconds:.2f} s, calcul {run_after} fait en {time.monotonic() - begin:.1f} s",
    )
    # The periodic jobs (Celery beat) take up what waits for over a quarter of an hour.
    stale = (datetime.datetime.now(datetime.UTC) - datetime.timedelta(minutes=20)).isoformat()
    pg.sql(DB, f"UPDATE indicators_computationrun SET created_at = '{stale}' WHERE id = {run_down}")
    pg.sql(DB, f"UPDATE cpom_annexarchive SET created_at = '{stale}' WHERE id = {archive_down}")
    django_shell(
        env,
        "from indicators.tasks import compute_every_night\nfrom cpom.tasks import purge_expired_archives\n"
        "compute_every_night.delay()\npurge_expired_archives.delay()\n",
    )
    done = wait_for(
        lambda: (
            status_of(pg, "indicators_computationrun", run_down) == "termine"
            and status_of(pg, "cpom_annexarchive", archive_down) == "termine"
        ),
        180,
    )
    check(
        "a6 ce qui a été demandé pendant la panne est fait par les tâches périodiques",
        done,
        f"calcul {run_down} {status_of(pg, 'indicators_computationrun', run_down)}, "
        f"archive {archive_down} {status_of(pg, 'cpom_annexarchive', archive_down)}",
    )
    info(f"journaux : {base} (effacés à la fin)")
    finish()


if __name__ == "__main__":
    sys.exit(main())
