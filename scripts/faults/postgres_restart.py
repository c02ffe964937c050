"""Fault (c): PostgreSQL restarted under load. gunicorn (production
settings, DEBUG off) serves negotiators saving commitments (title and every
target value in one save) and a director saving a draft, while the database
is restarted (pg_ctl restart -m fast: every connection cut). Every failed
request must get the French error page (503 once handler500 is wired to
config.errors.server_error, 500 otherwise), the site must come back by itself,
and nothing may be half-saved: each commitment's title and targets carry the
same round number.

Own PostgreSQL on FAULTS_PG_PORT (5498), gunicorn on FAULTS_HTTP_PORT (8098);
Celery eager (no Redis needed)."""

import os
import re
import sys
import threading
import time
from collections import Counter

from faultlib import (
    Browser,
    Postgres,
    check,
    django_shell,
    finish,
    form_with,
    gunicorn,
    info,
    manage,
    production_env,
    project_env,
    seed,
    workdir,
)

PG_PORT = int(os.environ.get("FAULTS_PG_PORT", "5498"))
HTTP_PORT = int(os.environ.get("FAULTS_HTTP_PORT", "8098"))
WRITERS = int(os.environ.get("FAULTS_WRITERS", "3"))
BEFORE, AFTER = 4.0, 10.0
DB = "cpom_faults"
TARGET = re.compile(r"^indicateurs-\d+-target_\d{4}$")


class Load:
    def __init__(self):
        self.lock = threading.Lock()
        self.answers = []  # (time, kind, status, french error page)
        self.stop = threading.Event()

    def record(self, kind, status, text):
        french = 'lang="fr"' in text and ("rien n’a été enregistré à moitié" in text)
        with self.lock:
            self.answers.append((time.monotonic(), kind, status, french))


def edit_commitment(load, browser, commitment):
    """Save the commitment again and again: round k writes title « Charge k » and k in every target."""
    url = f"/engagements/{commitment}/modifier/"
    k = 0
    while not load.stop.is_set():
        status, page, _seconds = browser.get(url)
        load.record("lecture", status, page)
        form = form_with(page, "title") if status == 200 else None
        if form is None:
            time.sleep(0.2)
            continue
        k += 1
        data = [(n, f"Charge {k}" if n == "title" else str(k) if TARGET.match(n) else v) for n, v in form]
        status, page, _seconds = browser.post(url, data)
        load.record("écriture", status, page)


def declare(load, browser, path, indicator):
    k = 0
    while not load.stop.is_set():
        k += 1
        status, page, _seconds = browser.post_as_shown(path, {f"i{indicator}-value": str(k)})
        load.record("écriture", status, page)
        status, page, _seconds = browser.get("/cpom/")
        load.record("lecture", status, page)


CONSISTENCY = """
from core.concurrency import edit_token
from cpom.models import Commitment
from cpom.models import TargetValue
report = []
for commitment in Commitment.objects.filter(pk__in={ids}):
    round_ = commitment.title.removeprefix("Charge ").split(" ")[0]
    targets = sorted({{str(int(t.value)) for t in TargetValue.objects.filter(indicator__commitment=commitment)}})
    report.append([commitment.pk, commitment.title, targets, edit_token(commitment)])
print(json.dumps(report))
"""


def main():
    base = workdir("postgres")
    (base / "media").mkdir()
    pg = Postgres(PG_PORT, base).start()
    pg.createdb(DB)
    env = production_env(project_env(pg.url(DB), media=base / "media", STATIC_ROOT=base / "static"))
    manage(env, "migrate", "--noinput", "-v0")
    manage(env, "collectstatic", "--noinput", "-v0")
    ids = seed(env, "--commitments", str(WRITERS))
    gunicorn(env, HTTP_PORT, base / "gunicorn.log", workers=3)
    site = f"http://127.0.0.1:{HTTP_PORT}"
    load = Load()
    threads = []
    for commitment in ids["commitments"]:
        browser = Browser(site)
        assert browser.login(ids["negotiator"], ids["password"]), "login"
        threads.append(threading.Thread(target=edit_commitment, args=(load, browser, commitment)))
    director = Browser(site)
    assert director.login(ids["director"], ids["password"]), "login"
    path = f"/suivi/campagnes/{ids['campaign']}/etablissements/{ids['entity_a']}/"
    threads.append(threading.Thread(target=declare, args=(load, director, path, ids["indicators_a_old"][1])))
    for thread in threads:
        thread.start()
    time.sleep(BEFORE)
    cut = time.monotonic()
    result = pg.restart("fast")
    back = time.monotonic()
    info(f"PostgreSQL redémarré (pg_ctl restart -m fast) en {back - cut:.1f} s, code {result.returncode}")
    time.sleep(AFTER)
    load.stop.set()
    for thread in threads:
        thread.join(timeout=60)

    answers = load.answers
    counts = Counter(status for _t, _k, status, _f in answers)
    failed = [a for a in answers if a[2] not in (200, 302)]
    info(f"{len(answers)} requêtes : " + ", ".join(f"HTTP {s} × {n}" for s, n in sorted(counts.items())))
    check("c0 la charge a touché le redémarrage", bool(failed) or len(answers) > 20, f"{len(failed)} en échec")
    unclean = [a for a in failed if a[2] not in (500, 503) or not a[3]]
    check(
        "c1 chaque requête en échec reçoit la page d’erreur française (500/503), aucune connexion coupée",
        not unclean,
        f"{len(failed) - len(unclean)} propres, {len(unclean)} autres "
        f"({Counter(a[2] for a in unclean) if unclean else 'aucune'})",
    )
    if counts.get(500) and not counts.get(503):
        info("les coupures de base répondent 500 : handler500 n’est pas branché sur config.errors.server_error (503)")
    last_failure = max((t for t, _k, status, _f in answers if status not in (200, 302)), default=cut)
    tail = [a for a in answers if a[0] > back + 3]
    check(
        "c2 le site revient seul après le redémarrage",
        tail and all(a[2] in (200, 302) for a in tail),
        f"dernière erreur {last_failure - back:+.1f} s après le retour de la base, "
        f"{sum(a[2] in (200, 302) for a in tail)}/{len(tail)} réussies ensuite",
    )
    report = __import__("json").loads(
        django_shell(env, CONSISTENCY.format(ids=ids["commitments"])).strip().splitlines()[-1]
    )
    half = [r for r in report if r[2] != [r[1].removeprefix("Charge ").split(" ")[0]]]
    writes = sum(1 for a in answers if a[1] == "écriture" and a[2] == 302)
    check(
        "c3 rien n’est enregistré à moitié (intitulé et valeurs-cibles de chaque engagement du même tour)",
        not half,
        f"{len(report)} engagements, jetons {[r[3] for r in report]}, {writes} écritures réussies, "
        f"{len(half)} incohérent(s){' : ' + str(half) if half else ''}",
    )
    finish()


if __name__ == "__main__":
    sys.exit(main())
