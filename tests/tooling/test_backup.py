"""Backups that provably restore: the manifest and its verification must see a
lost row and a changed file; an unchanged state passes. With pg_dump and a
PostgreSQL DATABASE_URL, scripts/backup.sh and scripts/restore.sh end to end on
a tiny database (FORCE=1 and a damaged backup: scripts/backup_roundtrip.sh, in CI)."""

import io
import os
import shutil
import subprocess
import sys
import tarfile
import uuid
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError

from accounts.models import User
from cooperations.models import ImportRun
from tests.accounts.factories import UserFactory
from tooling import backup


@pytest.fixture
def media(settings, tmp_path):
    root = tmp_path / "media"
    (root / "justificatifs" / "2025").mkdir(parents=True)
    (root / "annexes" / "1").mkdir(parents=True)
    (root / "justificatifs" / "2025" / "compte-rendu.pdf").write_bytes(b"%PDF-1.7 compte rendu du comite")
    (root / "annexes" / "1" / "annexe-volet3.pdf").write_bytes(b"%PDF-1.7 annexe signee")
    settings.MEDIA_ROOT = root
    return root


@pytest.fixture
def manifest(db, media, tmp_path):
    """The manifest of the test database (with two users) and of ``media``."""
    UserFactory(username="sauvegarde_a")
    UserFactory(username="sauvegarde_b")
    path = tmp_path / "manifest.json"
    call_command("backup_manifest", "write", str(path), stdout=io.StringIO())
    return path


def verify(path):
    """The verification's outcome: (passed, what it printed)."""
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("backup_manifest", "verify", str(path), stdout=out, stderr=err)
    except CommandError as error:
        return False, err.getvalue() + str(error)
    return True, out.getvalue()


def test_unchanged_state_passes(manifest):
    data = backup.read_manifest(manifest)
    assert data["database"]["tables"]["accounts_user"] == User.objects.count() >= 2
    assert data["database"]["rows"] == sum(data["database"]["tables"].values())
    assert set(data["media"]["files"]) == {"justificatifs/2025/compte-rendu.pdf", "annexes/1/annexe-volet3.pdf"}
    assert data["database"]["migrations"]  # the migration state travels with the backup
    passed, output = verify(manifest)
    assert passed, output
    assert "Restauration vérifiée" in output and "2 fichiers" in output


def test_a_missing_row_fails(manifest):
    expected = User.objects.count()
    User.objects.get(username="sauvegarde_b").delete()
    passed, output = verify(manifest)
    assert not passed
    assert f"table accounts_user : {expected} lignes attendues, {expected - 1} trouvées" in output
    assert "La restauration ne correspond pas à la sauvegarde" in output


def test_a_changed_file_fails(manifest, media):
    evidence = media / "justificatifs" / "2025" / "compte-rendu.pdf"
    evidence.write_bytes(evidence.read_bytes() + b" modifie")
    passed, output = verify(manifest)
    assert not passed
    assert "fichier modifié : justificatifs/2025/compte-rendu.pdf" in output
    assert "1 écart " in output


def test_a_missing_and_an_extra_file_fail(manifest, media):
    (media / "annexes" / "1" / "annexe-volet3.pdf").unlink()
    (media / "annexes" / "1" / "inconnu.pdf").write_bytes(b"%PDF-1.7")
    passed, output = verify(manifest)
    assert not passed
    assert "fichier absent : annexes/1/annexe-volet3.pdf" in output
    assert "fichier en trop : annexes/1/inconnu.pdf" in output


def test_the_archive_is_described_as_the_directory(media, tmp_path):
    """backup.sh hashes the tar, restore.sh the extracted directory: both
    must name and hash the same files (tar's "./" prefix included)."""
    archive = tmp_path / "media.tar"
    with tarfile.open(archive, "w") as handle:
        handle.add(media, arcname=".")
    assert backup.media_from_tar(archive) == backup.media_from_directory(media)
    assert len(backup.media_from_directory(media)) == 2


def test_files_the_database_names(manifest, media, tmp_path):
    """A file the database names but MEDIA_ROOT lacked at backup time is
    recorded, not blamed on the restore; one that appears only after is."""
    ImportRun.objects.create(register=ImportRun.Register.FINESS, file="imports/perdu.csv", original_name="perdu.csv")
    path = tmp_path / "with-reference.json"
    call_command("backup_manifest", "write", str(path), stdout=io.StringIO())
    data = backup.read_manifest(path)
    assert "imports/perdu.csv" in data["database"]["referenced_files"]
    assert data["media"]["referenced_missing"] == ["imports/perdu.csv"]
    assert verify(path)[0]

    state = backup.database_state()
    state["referenced_files"].append("imports/autre.csv")
    found = backup.differences(data, state, backup.media_from_directory(media))
    assert found == ["fichier cité par la base, absent de la sauvegarde et du disque : imports/autre.csv"]


def test_a_table_lost_or_added_and_a_migration_differ(manifest, media):
    data = backup.read_manifest(manifest)
    state = backup.database_state()
    del state["tables"]["accounts_user"]
    state["tables"]["inconnue"] = 3
    state["migrations"] = state["migrations"][1:]
    found = backup.differences(data, state, backup.media_from_directory(media))
    assert any(line.startswith("table absente : accounts_user") for line in found)
    assert "table en trop : inconnue (3 lignes)" in found
    assert f"migration non appliquée après restauration : {data['database']['migrations'][0]}" in found


def test_postgresql_only_actions_refuse_sqlite(db, tmp_path):
    if backup.is_postgresql():
        pytest.skip("la base de test est PostgreSQL")
    with pytest.raises(CommandError, match="PostgreSQL"):
        call_command("backup_manifest", "dump", str(tmp_path / "d.dump"), str(tmp_path / "m.json"))


def test_an_unreadable_manifest_is_refused_in_french(db, tmp_path):
    path = tmp_path / "manifest.json"
    path.write_text("{pas du json", encoding="utf-8")
    with pytest.raises(CommandError, match="Manifeste illisible"):
        call_command("backup_manifest", "verify", str(path))
    with pytest.raises(CommandError, match="Manifeste introuvable"):
        call_command("backup_manifest", "verify", str(tmp_path / "absent.json"))


# --- End to end: the scripts, on a tiny PostgreSQL database --------------------------------

DATABASE_URL = os.environ.get("DATABASE_URL", "")
END_TO_END = shutil.which("pg_dump") and shutil.which("pg_restore") and DATABASE_URL.startswith(("postgres", "pgsql"))


def _url(database):
    parts = urlsplit(DATABASE_URL)
    return urlunsplit(parts._replace(path=f"/{database}"))


def _admin(sql):
    import psycopg2

    connection = psycopg2.connect(_url("postgres"))
    connection.autocommit = True
    try:
        with connection.cursor() as cursor:
            cursor.execute(sql)
    finally:
        connection.close()


def _run(script, database, media, tmp_path, **extra):
    environment = {
        **os.environ,
        "DATABASE_URL": _url(database),
        "MEDIA_ROOT": str(media),
        "BACKUP_DIR": str(tmp_path / "backups"),
        "PYTHON": sys.executable,
        **extra,
    }
    return subprocess.run(
        ["bash", f"scripts/{script}"],
        cwd=settings.BASE_DIR,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.skipif(not END_TO_END, reason="pg_dump, pg_restore et un DATABASE_URL PostgreSQL requis")
def test_scripts_round_trip_on_a_tiny_database(tmp_path):
    source, target = f"cpom_bk_src_{uuid.uuid4().hex[:8]}", f"cpom_bk_dst_{uuid.uuid4().hex[:8]}"
    media = tmp_path / "media"
    (media / "justificatifs").mkdir(parents=True)
    (media / "justificatifs" / "a.pdf").write_bytes(b"%PDF-1.7 a")
    restored = tmp_path / "restored"
    try:
        _admin(f"CREATE DATABASE {source}")
        _admin(f"CREATE DATABASE {target}")
        import psycopg2

        with psycopg2.connect(_url(source)) as connection, connection.cursor() as cursor:
            cursor.execute("CREATE TABLE engagement (id serial PRIMARY KEY, objectif text)")
            cursor.execute("INSERT INTO engagement (objectif) SELECT 'objectif ' || n FROM generate_series(1, 3) n")
        connection.close()

        made = _run("backup.sh", source, media, tmp_path)
        assert made.returncode == 0, made.stderr
        (path,) = (tmp_path / "backups").iterdir()
        assert {p.name for p in path.iterdir()} == {"database.dump", "media.tar", "manifest.json", "SHA256SUMS"}
        data = backup.read_manifest(path / "manifest.json")
        assert data["database"]["tables"] == {"engagement": 3}
        assert data["pg_dump"].startswith("pg_dump (PostgreSQL)")

        done = _run("restore.sh", target, restored, tmp_path, BACKUP=str(path))
        assert done.returncode == 0, done.stderr
        assert "Restauration vérifiée" in done.stdout
        assert (restored / "justificatifs" / "a.pdf").read_bytes() == b"%PDF-1.7 a"

        again = _run("restore.sh", target, restored, tmp_path, BACKUP=str(path))
        assert again.returncode == 1 and "n’est pas vide" in again.stderr

        with psycopg2.connect(_url(target)) as connection, connection.cursor() as cursor:
            cursor.execute("DELETE FROM engagement WHERE id = 2")
        connection.close()
        checked = subprocess.run(
            [sys.executable, "manage.py", "backup_manifest", "verify", str(path / "manifest.json")],
            cwd=settings.BASE_DIR,
            env={**os.environ, "DATABASE_URL": _url(target), "MEDIA_ROOT": str(restored)},
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert checked.returncode == 1
        assert "table engagement : 3 lignes attendues, 2 trouvées" in checked.stderr

    finally:
        for database in (source, target):
            _admin(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")
