"""Fault (b): a Celery worker killed (SIGKILL) in the middle of a computation
run or of the annex archive of a whole région. The task must run again and
its result be whole: the run ends done with every value, the archive is a
complete ZIP with one PDF per CPOM.

Three cases:
1. the pool process computing the indicators is killed (the worker stays):
   acks_late + reject_on_worker_lost put the message back at once;
2. the same during the annex archive of the région;
3. the whole worker is killed (main process and pool): the message waits in
   Redis's unacked set until the visibility timeout, then a new worker runs
   it. kombu's default timeout is 3600 s; this case runs its worker with
   FAULTS_VISIBILITY_TIMEOUT (default 10 s here) to see the redelivery.

Own PostgreSQL on FAULTS_PG_PORT (5499) and Redis on FAULTS_REDIS_PORT (6399).
"""

import hashlib
import io
import json
import os
import signal
import sys
import time
import zipfile

from faultlib import (
    PYTHON,
    Postgres,
    Redis,
    check,
    children,
    django_shell,
    finish,
    info,
    manage,
    project_env,
    seed,
    spawn,
    wait_for,
    workdir,
)

PG_PORT = int(os.environ.get("FAULTS_PG_PORT", "5499"))
REDIS_PORT = int(os.environ.get("FAULTS_REDIS_PORT", "6399"))
COMPUTED = int(os.environ.get("FAULTS_COMPUTED", "8"))
SLOW = os.environ.get("FAULTS_SLOW_SECONDS", "0.6")
VISIBILITY = os.environ.get("FAULTS_VISIBILITY_TIMEOUT", "10")
DB = "cpom_faults"


def start_worker(env, base, name, **extra):
    worker_env = {**env, "FAULTS_SLOW_SECONDS": SLOW, **{k: str(v) for k, v in extra.items()}}
    return spawn(
        [PYTHON, "-m", "celery", "-A", "faultapp", "worker", "-P", "prefork", "-c", "1", "-n", f"{name}@%h",
         "--without-gossip", "--without-mingle", "--loglevel=info"],
        worker_env,
        base / f"{name}.log",
    )  # fmt: skip


def progress(pg, table, pk):
    rows = pg.sql(DB, f"SELECT status, done FROM {table} WHERE id = {int(pk)}")
    return (rows[0][0], int(rows[0][1])) if rows else (None, 0)


def kill_in_the_middle(pg, table, pk, total, target, timeout=180):
    """SIGKILL ``target()`` (a pid, or a list of pids) once the job is past its
    first item and before its last; returns the items done at that moment."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status, done = progress(pg, table, pk)
        if status == "en_cours" and 1 <= done < total - 1:
            pids = target()
            for pid in pids:
                os.kill(pid, signal.SIGKILL)
            info(f"SIGKILL {pids} à {done}/{total}")
            return done
        if status in ("termine", "refuse", "echec"):
            return None
        time.sleep(0.05)
    return None


def wait_done(pg, table, pk, timeout):
    found = {}

    def finished():
        found["status"], found["done"] = progress(pg, table, pk)
        return found["status"] in ("termine", "refuse")

    begin = time.monotonic()
    wait_for(finished, timeout, 0.2)
    return found.get("status"), found.get("done"), time.monotonic() - begin


VERIFY_RUN = """
from indicators.computations import compute, indicators_to_compute
from indicators.models import ComputationRun, ComputedValue
run = ComputationRun.objects.get(pk={pk})
expected = list(indicators_to_compute(run.year, run.region))
stored = {{v.indicator_id: v for v in ComputedValue.objects.filter(year=run.year, indicator__in=expected)}}
wrong = []
for indicator in expected:
    value, result = stored.get(indicator.pk), compute(indicator, run.year)
    if value is None or (value.value, value.numerator, value.denominator) != (
        result.value, result.numerator, result.denominator
    ):
        wrong.append(indicator.pk)
with_value = sum(1 for v in stored.values() if v.value is not None)
print(json.dumps({{"status": run.status, "done": run.done, "total": run.total, "expected": len(expected),
                  "stored": len(stored), "with_value": with_value, "wrong": wrong}}))
"""


def verify_run(env, pk):
    return json.loads(django_shell(env, VERIFY_RUN.format(pk=pk)).strip().splitlines()[-1])


def case_pool_process_killed_during_computation(pg, env, base, ids):
    print("--- (b1) calcul des indicateurs : processus du pool tué (SIGKILL) ---", flush=True)
    worker = start_worker(env, base, "faults1")
    total = int(
        django_shell(
            env,
            "from indicators.computations import indicators_to_compute\n"
            "from indicators.models import ComputationRun\n"
            f"run = ComputationRun.objects.get(pk={ids['run']})\n"
            "print(len(list(indicators_to_compute(run.year, run.region))))\n"
            f"from indicators.tasks import compute_indicators\ncompute_indicators.delay({ids['run']})\n",
        ).split()[-1]
    )
    done_at_kill = kill_in_the_middle(
        pg, "indicators_computationrun", ids["run"], total, lambda: children(worker.pid)[:1]
    )
    check("b1 le worker est tué au milieu du calcul", done_at_kill is not None, f"{done_at_kill}/{total} calculés")
    status, done, seconds = wait_done(pg, "indicators_computationrun", ids["run"], 180)
    result = verify_run(env, ids["run"])
    check(
        "b1 le calcul est relancé et finit « terminé »",
        status == "termine" and result["done"] == result["total"] == total,
        f"état {status}, {result['done']}/{result['total']} en {seconds:.1f} s après la mort du processus",
    )
    check(
        "b1 les valeurs sont toutes là et exactes",
        result["stored"] == result["expected"] == total and not result["wrong"],
        f"{result['stored']}/{result['expected']} valeurs gardées ({result['with_value']} chiffrées), "
        f"{len(result['wrong'])} différente(s) d’un calcul direct",
    )
    return worker


ARCHIVE = """
from accounts.models import User
from cpom.annex import request_archive
from cooperations.models import Region
from cpom.models import Cpom
region = Region.objects.get(code="11")
cpoms = list(Cpom.objects.filter(region=region).order_by("pk"))
archive = request_archive(User.objects.get(username="{user}"), cpoms, "Annexes de la région (pannes)", region)
print(archive.pk, len(cpoms))
"""

VERIFY_ARCHIVE = """
from cpom.models import AnnexArchive, AnnexFile
archive = AnnexArchive.objects.get(pk={pk})
print(json.dumps({{"status": archive.status, "done": archive.done, "total": archive.total,
                  "path": archive.file.path if archive.file else "", "sha256": archive.sha256,
                  "stored_signed": AnnexFile.objects.filter(version_signed=True).count(),
                  "signed_versions": AnnexFile.objects.filter(version_signed=True).values("version").distinct().count()}}))
"""


def case_pool_process_killed_during_archive(pg, env, base, ids, worker):
    print("--- (b2) archive des annexes d’une région : processus du pool tué (SIGKILL) ---", flush=True)
    pk, total = map(int, django_shell(env, ARCHIVE.format(user=ids["negotiator"])).split()[-2:])
    done_at_kill = kill_in_the_middle(pg, "cpom_annexarchive", pk, total, lambda: children(worker.pid)[:1])
    check("b2 le worker est tué au milieu de l’archive", done_at_kill is not None, f"{done_at_kill}/{total} annexes")
    status, _done, seconds = wait_done(pg, "cpom_annexarchive", pk, 300)
    found = json.loads(django_shell(env, VERIFY_ARCHIVE.format(pk=pk)).strip().splitlines()[-1])
    check(
        "b2 l’archive est relancée et finit « terminé »",
        status == "termine" and found["done"] == found["total"] == total,
        f"état {status}, {found['done']}/{found['total']} en {seconds:.1f} s",
    )
    names, bad, sha_ok, error = [], [], False, ""
    try:
        data = open(found["path"], "rb").read()
        sha_ok = hashlib.sha256(data).hexdigest() == found["sha256"]
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            error = archive.testzip() or ""
            names = archive.namelist()
            bad = [n for n in names if not archive.read(n).startswith(b"%PDF")]
    except (OSError, zipfile.BadZipFile) as failure:
        error = str(failure)
    check(
        "b2 le ZIP est complet et intègre",
        not error and len(names) == total and len(set(names)) == total and not bad and sha_ok,
        f"{len(names)}/{total} PDF, {len(bad)} illisible(s), CRC {'ok' if not error else error}, "
        f"SHA-256 {'conforme' if sha_ok else 'NON conforme'}",
    )
    check(
        "b2 une seule annexe gardée par version signée",
        found["stored_signed"] == found["signed_versions"],
        f"{found['stored_signed']} annexes signées gardées pour {found['signed_versions']} versions",
    )


def case_whole_worker_killed(pg, env, base, ids, redis):
    print("--- (b3) calcul des indicateurs : worker entier tué (SIGKILL), un autre le remplace ---", flush=True)
    pk = int(
        django_shell(
            env,
            "from indicators.models import ComputationRun, ComputedValue\n"
            f"old = ComputationRun.objects.get(pk={ids['run']})\n"
            "ComputedValue.objects.filter(year=old.year).delete()\n"
            "run = ComputationRun.objects.create(year=old.year, region=old.region, created_by=old.created_by)\n"
            "from indicators.tasks import compute_indicators\ncompute_indicators.delay(run.pk)\nprint(run.pk)\n",
        ).split()[-1]
    )
    worker = start_worker(env, base, "faults2")
    total = COMPUTED + 1
    done_at_kill = kill_in_the_middle(
        pg, "indicators_computationrun", pk, total, lambda: [worker.pid, *children(worker.pid)]
    )
    worker.wait(timeout=10)
    unacked = redis_count(redis, "HLEN", "unacked")
    check(
        "b3 le worker entier est tué au milieu, le message reste à Redis (non acquitté)",
        done_at_kill is not None and unacked == 1,
        f"{done_at_kill}/{total} calculés, {unacked} message(s) non acquitté(s)",
    )
    killed_at = time.monotonic()
    start_worker(env, base, "faults3", FAULTS_VISIBILITY_TIMEOUT=VISIBILITY)
    status, done, _seconds = wait_done(pg, "indicators_computationrun", pk, int(VISIBILITY) + 120)
    result = verify_run(env, pk)
    check(
        "b3 un nouveau worker reprend le calcul et le finit",
        status == "termine" and result["done"] == result["total"] == total,
        f"état {status}, {done}/{total}, repris {time.monotonic() - killed_at:.0f} s après la mort "
        f"(délai de visibilité {VISIBILITY} s ici ; 3600 s avec les réglages actuels)",
    )
    check(
        "b3 les valeurs sont toutes là et exactes",
        result["stored"] == result["expected"] == total and not result["wrong"],
        f"{result['stored']}/{result['expected']} valeurs, {len(result['wrong'])} différente(s)",
    )


def redis_count(redis, *command):
    import subprocess

    out = subprocess.run(
        ["redis-cli", "-h", "127.0.0.1", "-p", str(redis.port), *command], capture_output=True, text=True, check=False
    ).stdout.strip()
    return int(out) if out.lstrip("-").isdigit() else -1


def main():
    base = workdir("worker")
    (base / "media").mkdir()
    pg = Postgres(PG_PORT, base).start()
    pg.createdb(DB)
    redis = Redis(REDIS_PORT, base).start()
    env = project_env(pg.url(DB), redis.url(0), media=base / "media")
    begin = time.monotonic()
    manage(env, "migrate", "--noinput", "-v0")
    ids = seed(env, "--computed", str(COMPUTED))
    info(f"PostgreSQL :{PG_PORT} et Redis :{REDIS_PORT} à part, base prête en {time.monotonic() - begin:.0f} s")
    worker = case_pool_process_killed_during_computation(pg, env, base, ids)
    case_pool_process_killed_during_archive(pg, env, base, ids, worker)
    os.killpg(worker.pid, signal.SIGTERM)
    worker.wait(timeout=30)
    case_whole_worker_killed(pg, env, base, ids, redis)
    finish()


if __name__ == "__main__":
    sys.exit(main())
