"""Backups that provably restore: the manifest of a backup and its comparison
with what a restore produced.

The manifest holds the row count of every table, the applied migrations, the
files the database refers to, and the SHA-256 and size of every file under
MEDIA_ROOT. ``scripts/backup.sh`` writes it (through ``manage.py
backup_manifest``), ``scripts/restore.sh`` compares the restored database and
MEDIA_ROOT with it; both read it with the functions below, so a backup and its
verification cannot drift apart.
"""

import hashlib
import json
import os
import posixpath
import subprocess  # nosec B404 - runs pg_dump with a fixed argument list, no shell
import tarfile
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.db import connection, models
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone
from django.utils.formats import number_format

from core.values import ngettext

FORMAT = 1
CHUNK = 1 << 20
# The differences printed in full; beyond, their number only.
SHOWN = 50
# libpq's environment variables for the connection options dj-database-url passes through.
LIBPQ_OPTIONS = {
    "sslmode": "PGSSLMODE",
    "sslrootcert": "PGSSLROOTCERT",
    "sslcert": "PGSSLCERT",
    "sslkey": "PGSSLKEY",
    "connect_timeout": "PGCONNECT_TIMEOUT",
    "options": "PGOPTIONS",
    "target_session_attrs": "PGTARGETSESSIONATTRS",
}


def is_postgresql():
    return connection.vendor == "postgresql"


def pg_environment():
    """The libpq variables that point pg_dump, pg_restore and psql at the
    database Django uses (DATABASE_URL): the password never appears on a
    command line, where any local user could read it."""
    db = settings.DATABASES["default"]
    values = {
        "PGDATABASE": db.get("NAME") or "",
        "PGUSER": db.get("USER") or "",
        "PGPASSWORD": db.get("PASSWORD") or "",
        "PGHOST": db.get("HOST") or "",
        "PGPORT": str(db.get("PORT") or ""),
    }
    for option, variable in LIBPQ_OPTIONS.items():
        values[variable] = str(db.get("OPTIONS", {}).get(option, ""))
    return values


def human_size(size):
    """1 234 567 → « 1,2 Mo » (units of 1 000, as French file managers count)."""
    for unit, scale in (("Go", 10**9), ("Mo", 10**6), ("ko", 10**3)):
        if size >= scale:
            return f"{number_format(round(size / scale, 1), 1)} {unit}"
    return ngettext("%(n)s octet", "%(n)s octets", size) % {"n": size}


def number(value):
    return number_format(value, force_grouping=True)


# --- The database ---------------------------------------------------------------------------


def table_counts():
    """Row count of every table of the database (as introspected, not only
    the models': a table a migration forgot is counted too)."""
    counts = {}
    with connection.cursor() as cursor:
        for table in sorted(connection.introspection.table_names(cursor)):
            cursor.execute(f"SELECT COUNT(*) FROM {connection.ops.quote_name(table)}")  # nosec B608 - introspected names, quoted
            counts[table] = cursor.fetchone()[0]
    return counts


def applied_migrations(tables):
    if "django_migrations" not in tables:
        return []
    with connection.cursor() as cursor:
        cursor.execute("SELECT app, name FROM django_migrations ORDER BY app, name")
        return [f"{app}.{name}" for app, name in cursor.fetchall()]


def pending_migrations():
    """The migrations of this code not applied to the database (after
    restoring an older backup: run ``manage.py migrate``)."""
    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    return [f"{migration.app_label}.{migration.name}" for migration, _backwards in plan]


def referenced_files(tables):
    """Every file name a FileField of the database holds, history included
    (a replaced evidence file stays on disk: its history points to it)."""
    names = set()
    for model in apps.get_models():
        if model._meta.db_table not in tables:
            continue
        for field in model._meta.concrete_fields:
            if isinstance(field, models.FileField):
                rows = model._base_manager.exclude(**{f"{field.attname}__isnull": True}).exclude(**{field.attname: ""})
                names.update(rows.values_list(field.attname, flat=True).distinct())
    return sorted(names)


def server_version():
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version" if is_postgresql() else "SELECT sqlite_version()")
        return cursor.fetchone()[0]


def database_state():
    """What the database holds now: the part of the manifest a restore must
    reproduce exactly (tables, rows, migrations), and the files it refers to."""
    tables = table_counts()
    return {
        "vendor": connection.vendor,
        "name": str(settings.DATABASES["default"].get("NAME", "")),
        "server_version": server_version(),
        "tables": tables,
        "rows": sum(tables.values()),
        "migrations": applied_migrations(tables),
        "pending_migrations": pending_migrations(),
        "referenced_files": referenced_files(tables),
    }


def pg_dump_version():
    result = subprocess.run(["pg_dump", "--version"], capture_output=True, text=True, check=True)  # nosec B603 B607 - fixed arguments
    return result.stdout.strip()


def dump_database(target):
    """pg_dump --format=custom into ``target``, and the state of the database
    in the very snapshot pg_dump reads: on a live site, the row counts of the
    manifest are those of the dump, not of a moment later."""
    variables = pg_environment()
    # An empty value is unset, not passed on: libpq refuses sslmode="" and must not fall back on an inherited PGHOST.
    environment = {key: value for key, value in os.environ.items() if key not in variables}
    environment.update({key: value for key, value in variables.items() if value})
    with connection.cursor() as cursor:
        cursor.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        try:
            cursor.execute("SELECT pg_export_snapshot()")
            snapshot = cursor.fetchone()[0]
            state = database_state()
            # The exported snapshot lives as long as this transaction: pg_dump imports it before we end it.
            subprocess.run(  # nosec B603 B607 - fixed argument list, the database from DATABASE_URL via libpq variables
                ["pg_dump", "--format=custom", f"--snapshot={snapshot}", "--no-password", f"--file={target}"],
                env=environment,
                check=True,
            )
        finally:
            cursor.execute("ROLLBACK")
    return state


# --- The files --------------------------------------------------------------------------------


def _digest(handle):
    sha = hashlib.sha256()
    size = 0
    while block := handle.read(CHUNK):
        sha.update(block)
        size += len(block)
    return {"sha256": sha.hexdigest(), "size": size}


def media_from_directory(root):
    """SHA-256 and size of every regular file under ``root``, by its path
    relative to it (the name the storage gives it). Symbolic links are not
    followed: uploads never are links."""
    root = Path(root)
    files = {}
    if not root.is_dir():
        return files
    for directory, _subdirectories, names in os.walk(root):
        for name in names:
            path = Path(directory) / name
            if path.is_symlink() or not path.is_file():
                continue
            with path.open("rb") as handle:
                files[path.relative_to(root).as_posix()] = _digest(handle)
    return dict(sorted(files.items()))


def media_from_tar(archive_path):
    """The same for the files of a tar: the manifest describes what the
    backup holds, even if MEDIA_ROOT changed while it was archived."""
    files = {}
    with tarfile.open(archive_path) as archive:
        for member in archive:
            if not member.isfile():
                continue
            handle = archive.extractfile(member)
            files[posixpath.normpath(member.name)] = _digest(handle)
    return dict(sorted(files.items()))


def media_section(files, referenced):
    return {
        "root": str(settings.MEDIA_ROOT),
        "count": len(files),
        "bytes": sum(entry["size"] for entry in files.values()),
        "files": files,
        # Files the database names but the backup lacks (already lost when it was made): not counted against a restore.
        "referenced_missing": sorted(set(referenced) - set(files)),
    }


def manifest(database, files, dump_version=None):
    return {
        "format": FORMAT,
        "created_at": timezone.now().isoformat(timespec="seconds"),
        "pg_dump": dump_version,
        "database": database,
        "media": media_section(files, database["referenced_files"]),
    }


def read_manifest(path):
    with open(path, encoding="utf-8") as handle:
        data = json.load(handle)
    if data.get("format") != FORMAT or "database" not in data or "media" not in data:
        raise ValueError(f"{path} n’est pas un manifeste de sauvegarde de cette application (format {FORMAT}).")
    return data


def write_manifest(path, data):
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(data, handle, ensure_ascii=False, indent=1)
        handle.write("\n")


# --- The comparison ---------------------------------------------------------------------------


def differences(expected, database, files):
    """Every way the current database and files differ from the manifest
    ``expected``, in French; empty when the restore is faithful."""
    found = []
    want, have = expected["database"]["tables"], database["tables"]
    for table in sorted(want.keys() - have.keys()):
        found.append(f"table absente : {table} ({number(want[table])} lignes attendues)")
    for table in sorted(have.keys() - want.keys()):
        found.append(f"table en trop : {table} ({number(have[table])} lignes)")
    for table in sorted(want.keys() & have.keys()):
        if want[table] != have[table]:
            found.append(f"table {table} : {number(want[table])} lignes attendues, {number(have[table])} trouvées")
    want_migrations, have_migrations = set(expected["database"]["migrations"]), set(database["migrations"])
    for migration in sorted(want_migrations - have_migrations):
        found.append(f"migration non appliquée après restauration : {migration}")
    for migration in sorted(have_migrations - want_migrations):
        found.append(f"migration appliquée en trop : {migration}")

    want_files = expected["media"]["files"]
    for name in sorted(want_files.keys() - files.keys()):
        found.append(f"fichier absent : {name}")
    for name in sorted(files.keys() - want_files.keys()):
        found.append(f"fichier en trop : {name}")
    for name in sorted(want_files.keys() & files.keys()):
        if want_files[name]["sha256"] != files[name]["sha256"]:
            found.append(
                f"fichier modifié : {name} (SHA-256 attendu {want_files[name]['sha256'][:16]}…, "
                f"trouvé {files[name]['sha256'][:16]}…)"
            )
    known_missing = set(expected["media"].get("referenced_missing", []))
    for name in database["referenced_files"]:
        if name not in files and name not in known_missing and name not in want_files:
            found.append(f"fichier cité par la base, absent de la sauvegarde et du disque : {name}")
    return found


def report(found):
    """The lines to print for ``found``: the first SHOWN, then their number."""
    lines = found[:SHOWN]
    if len(found) > SHOWN:
        lines.append(f"… et {number(len(found) - SHOWN)} autres écarts")
    return lines


def summary(database, files=None):
    """« 83 tables, 123 456 lignes, 7 fichiers (3,4 Mo) » (files omitted when None)."""
    tables, rows = len(database["tables"]), database["rows"]
    text = (
        ngettext("%(n)s table", "%(n)s tables", tables) % {"n": number(tables)}
        + ", "
        + ngettext("%(n)s ligne", "%(n)s lignes", rows) % {"n": number(rows)}
    )
    if files is not None:
        size = sum(entry["size"] for entry in files.values())
        text += ", " + ngettext("%(n)s fichier", "%(n)s fichiers", len(files)) % {"n": number(len(files))}
        text += f" ({human_size(size)})"
    return text
