"""Shared helpers of the fault scripts: throwaway PostgreSQL and Redis
instances (never the shared ones on 5432 / 6379), the project's processes
(gunicorn, Celery worker) run against them, PASS/FAIL lines.

Each script creates what it needs under a temporary directory and removes it
at exit, killing only the processes it started."""

import atexit
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from http.cookies import SimpleCookie
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
from tests.html_forms import form_with  # noqa: E402,F401 - the project root is on the path only now
from tests.pages import tokens_for  # noqa: E402

HERE = Path(__file__).resolve().parent
PYTHON = str(ROOT / ".venv" / "bin" / "python")
# The server binaries of the installed PostgreSQL (the version .ci/run starts), unless given.
PG_BIN = Path(
    os.environ.get("FAULTS_PG_BIN")
    or max(
        Path("/usr/lib/postgresql").glob("*/bin/initdb"),
        key=lambda initdb: int(initdb.parts[-3]) if initdb.parts[-3].isdigit() else 0,
        default=Path("/usr/lib/postgresql/15/bin/initdb"),
    ).parent
)
SHARED_PORTS = {5432, 6379}

_failures: list[str] = []
_cleanups: list = []


def check(name: str, ok: bool, detail: str = "") -> bool:
    print(f"{'PASS' if ok else 'FAIL'} {name}{' — ' + detail if detail else ''}", flush=True)
    if not ok:
        _failures.append(name)
    return ok


def info(text: str) -> None:
    print(f"     {text}", flush=True)


def finish() -> None:
    """Exit non-zero when a check failed."""
    if _failures:
        print(f"RESULT: FAIL ({len(_failures)} check(s): {', '.join(_failures)})", flush=True)
        sys.exit(1)
    print("RESULT: PASS", flush=True)
    sys.exit(0)


def _run_cleanups():
    while _cleanups:
        try:
            _cleanups.pop()()
        except Exception as error:  # noqa: BLE001 - a failed cleanup must not hide the others
            print(f"     (nettoyage : {error})", file=sys.stderr)


atexit.register(_run_cleanups)


def _on_signal(signum, frame):
    _run_cleanups()
    sys.exit(128 + signum)


signal.signal(signal.SIGTERM, _on_signal)
signal.signal(signal.SIGINT, _on_signal)


def workdir(prefix: str) -> Path:
    path = Path(tempfile.mkdtemp(prefix=f"cpom-faults-{prefix}-"))
    os.chmod(path, 0o755)
    _cleanups.append(lambda: shutil.rmtree(path, ignore_errors=True))
    return path


def _refuse_shared(port: int) -> None:
    if port in SHARED_PORTS:
        raise SystemExit(f"Port {port} is shared with other users: pick another one.")


def wait_for(predicate, timeout: float, interval: float = 0.2) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return False


# --- PostgreSQL ----------------------------------------------------------------------------------


class Postgres:
    """A PostgreSQL cluster of our own, run by the postgres user on ``port``,
    its socket in its own directory."""

    def __init__(self, port: int, base: Path):
        _refuse_shared(port)
        self.port = port
        self.data = base / "pgdata"
        self.socket_dir = base / "pgsock"
        self.log = base / "postgres.log"
        self.socket_dir.mkdir()
        shutil.chown(base, "postgres")
        shutil.chown(self.socket_dir, "postgres")
        self._as_postgres(
            [str(PG_BIN / "initdb"), "-D", str(self.data), "-U", "postgres", "-A", "trust", "-E", "UTF8",
             "--locale=C.UTF-8", "--no-sync"]
        )  # fmt: skip
        _cleanups.append(self.stop)

    def _as_postgres(self, command, check=True):
        return subprocess.run(
            ["runuser", "-u", "postgres", "--", *command], check=check, capture_output=True, text=True, cwd="/tmp"
        )

    def _ctl(self, action, *extra):
        options = (
            f"-p {self.port} -k {self.socket_dir} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off -c max_connections=50"
        )
        return self._as_postgres(
            [str(PG_BIN / "pg_ctl"), action, "-D", str(self.data), "-l", str(self.log), "-o", options, *extra],
            check=False,
        )

    def start(self):
        self._ctl("start", "-w", "-t", "60")
        return self

    def stop(self, mode="fast"):
        if (self.data / "postmaster.pid").exists():
            self._as_postgres([str(PG_BIN / "pg_ctl"), "stop", "-D", str(self.data), "-m", mode, "-w"], check=False)

    def restart(self, mode="fast"):
        """Restart under load: every connection is cut."""
        return self._ctl("restart", "-m", mode, "-w", "-t", "60")

    def is_ready(self) -> bool:
        result = subprocess.run(
            [str(PG_BIN / "pg_isready"), "-h", "127.0.0.1", "-p", str(self.port), "-q"], check=False
        )
        return result.returncode == 0

    def createdb(self, name: str):
        self._as_postgres([str(PG_BIN / "createdb"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", name])

    def url(self, name: str) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{name}"

    def sql(self, name: str, query: str) -> list[list[str]]:
        """Rows of a query (psql, unaligned), [] when the server does not answer."""
        result = subprocess.run(
            [str(PG_BIN / "psql"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "-d", name, "-At",
             "-F", "|", "-c", query],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        return [line.split("|") for line in result.stdout.splitlines()] if result.returncode == 0 else []


# --- Redis ---------------------------------------------------------------------------------------


class Redis:
    def __init__(self, port: int, base: Path):
        _refuse_shared(port)
        self.port = port
        self.dir = base
        self.process = None
        _cleanups.append(self.stop)

    def start(self):
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(self.dir), "--logfile", str(self.dir / "redis.log")],
        )  # fmt: skip
        if not wait_for(self.ping, 20):
            raise SystemExit("redis-server did not start")
        return self

    def ping(self) -> bool:
        result = subprocess.run(
            ["redis-cli", "-h", "127.0.0.1", "-p", str(self.port), "ping"], capture_output=True, text=True, check=False
        )
        return result.stdout.strip() == "PONG"

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=20)
        self.process = None

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"


# --- The project's processes ---------------------------------------------------------------------


def project_env(database_url: str, redis_url: str = "", media: Path | None = None, **extra) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env.update(DATABASE_URL=database_url, DJANGO_SETTINGS_MODULE="config.settings", LOG_LEVEL="WARNING")
    if redis_url:
        env["REDIS_URL"] = redis_url
    if media:
        env["MEDIA_ROOT"] = str(media)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), str(HERE)])
    env.update({k: str(v) for k, v in extra.items()})
    return env


def manage(env: dict, *args, timeout=900) -> str:
    result = subprocess.run(
        [PYTHON, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout
    )
    if result.returncode:
        raise SystemExit(f"manage.py {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result.stdout


def seed(env: dict, *args) -> dict:
    """Build the scripts' data set (see seed.py); returns its ids."""
    result = subprocess.run(
        [PYTHON, str(HERE / "seed.py"), *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=900
    )
    if result.returncode:
        raise SystemExit(f"seed.py failed:\n{result.stdout}\n{result.stderr}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def django_shell(env: dict, code: str, timeout=300) -> str:
    """Run ``code`` in a Django process of the project; returns its stdout."""
    prelude = "import django, json\ndjango.setup()\n"
    result = subprocess.run(
        [PYTHON, "-c", prelude + code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout
    )
    if result.returncode:
        raise SystemExit(f"Django snippet failed:\n{code}\n{result.stdout}\n{result.stderr}")
    return result.stdout


def spawn(command, env, log: Path) -> subprocess.Popen:
    """A process in its own session, so that it and its children can be killed together."""
    handle = open(log, "ab")  # noqa: SIM115 - kept open for the process's life
    process = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=handle, stderr=subprocess.STDOUT, start_new_session=True
    )

    def stop():
        if process.poll() is None:
            try:
                os.killpg(process.pid, signal.SIGTERM)
                process.wait(timeout=20)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                try:
                    os.killpg(process.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        handle.close()

    _cleanups.append(stop)
    return process


def children(pid: int) -> list[int]:
    result = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True, check=False)
    return [int(line) for line in result.stdout.split()]


def gunicorn(env: dict, port: int, log: Path, workers: int = 2) -> subprocess.Popen:
    _refuse_shared(port)
    process = spawn(
        [str(ROOT / ".venv" / "bin" / "gunicorn"), "config.wsgi", "-b", f"127.0.0.1:{port}", "-w", str(workers),
         "--timeout", "60", "--graceful-timeout", "5"],
        env,
        log,
    )  # fmt: skip
    if not wait_for(lambda: http_status(f"http://127.0.0.1:{port}/sante/vivant/") == 200, 60):
        raise SystemExit(f"gunicorn did not start: see {log}")
    return process


# --- A small HTTP client (the production settings mark cookies Secure; it sends them over http) ---


def http_status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code
    except OSError:
        return 0


class Browser:
    """Cookies kept by hand, no redirects followed, the proxy's HTTPS header sent."""

    def __init__(self, base: str):
        self.base = base
        self.cookies: dict[str, str] = {}
        self.location = ""

    def request(self, method: str, path: str, data: dict | list | None = None, timeout: float = 90):
        """(status, body, seconds); status 0 when the connection itself failed."""
        body = urllib.parse.urlencode(data, doseq=True).encode() if data is not None else None
        request = urllib.request.Request(self.base + path, data=body, method=method)
        request.add_header("X-Forwarded-Proto", "https")
        # The proxy's header makes the request secure: the CSRF check wants an https referer.
        request.add_header("Referer", self.base.replace("http://", "https://", 1) + path)
        if self.cookies:
            request.add_header("Cookie", "; ".join(f"{k}={v}" for k, v in self.cookies.items()))
        opener = urllib.request.build_opener(_NoRedirect)
        begin = time.monotonic()
        try:
            with opener.open(request, timeout=timeout) as response:
                status, headers, text = response.status, response.headers, response.read().decode("utf-8", "replace")
        except urllib.error.HTTPError as error:
            status, headers, text = error.code, error.headers, error.read().decode("utf-8", "replace")
        except OSError as error:
            return 0, str(error), time.monotonic() - begin
        self.location = headers.get("Location", "")
        for header in headers.get_all("Set-Cookie") or []:
            cookie = SimpleCookie(header)
            for key, morsel in cookie.items():
                self.cookies[key] = morsel.value
        return status, text, time.monotonic() - begin

    def get(self, path, **kwargs):
        return self.request("GET", path, **kwargs)

    def post(self, path, data, **kwargs):
        data = dict(data) if isinstance(data, dict) else list(data)
        token = self.cookies.get("csrftoken", "")
        if isinstance(data, dict):
            data.setdefault("csrfmiddlewaretoken", token)
        else:
            data.append(("csrfmiddlewaretoken", token))
        return self.request("POST", path, data, **kwargs)

    def post_as_shown(self, path, data, **kwargs):
        """POST ``data`` with the edit tokens the page at ``path`` carries for
        the form prefixes ``data`` fills, as a browser sends them back."""
        status, page, _seconds = self.get(path)
        return self.post(path, tokens_for(page, data) if status == 200 else data, **kwargs)

    # The authenticator secrets of the ARS accounts this run set up (second factor of a password login).
    secrets: dict[str, str] = {}

    def login(self, username: str, password: str) -> bool:
        self.get("/connexion/")
        status, _text, _seconds = self.post("/connexion/", {"username": username, "password": password})
        return status == 302 and self._second_factor(username)

    def _second_factor(self, username: str) -> bool:
        """An ARS account sets up its authenticator at its first password login, then gives a code:
        done as its owner would, with the secret the page shows."""
        import re

        from tests.accounts.totp import code_for

        status, _page, _seconds = self.get("/")
        if status != 302 or "/double-authentification/" not in self.location:
            return True  # no second factor asked of this account
        if "/activer/" in self.location:
            status, page, _seconds = self.get("/double-authentification/activer/")
            shown = re.search(r'data-testid="totp-secret">([^<]+)<', page)
            if not shown:
                return False
            self.secrets[username] = shown.group(1)
            return self.post("/double-authentification/activer/", {"code": code_for(shown.group(1))})[0] == 302
        if username not in self.secrets:
            return False
        for _attempt in range(2):  # a code serves once: the next one comes within 30 s
            if self.post("/double-authentification/code/", {"code": code_for(self.secrets[username])})[0] == 302:
                return True
            time.sleep(30 - time.time() % 30 + 1)
        return False


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def production_env(env: dict) -> dict:
    """DEBUG off, as in production: the error pages are the templates, not the debug page."""
    return {
        **env,
        "DEBUG": "0",
        "SECRET_KEY": "faults-" + "x" * 60,
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SECURE_SSL_REDIRECT": "0",
        "SECURE_HSTS_SECONDS": "0",
    }
