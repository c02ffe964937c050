"""The upload of the input files of the computed indicators (stays,
support costs): a size limit per kind checked before reading, the import
run in the worker on the stored file (here eagerly, once the upload is
committed), followed on a progress page scoped like the imports, the file
deleted when the run ends, a refused file leaving nothing and naming its
lines, and a reading that streams (memory does not grow with the file)."""

import io
import tracemalloc
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from cooperations.models import ImportRun
from indicators import inputs
from indicators.inputs import CHUNK, read_inputs
from indicators.models import HospitalStay, InputImport, InputKind, SupportCost
from indicators.tasks import import_input_file

pytestmark = pytest.mark.usefixtures("follow_up_scenario")

HEADER = "annee;finess_et;code_geo;champ;sejours\n"


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def upload(client, eager, media, django_capture_on_commit_callbacks):
    """Post a file as ``role``; the worker's task runs once the upload is committed."""

    def post(world, role, content, kind="sejours", source="PMSI 2025"):
        client.force_login(world["users"][role])
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(
                reverse("indicators:input_list"),
                {"kind": kind, "source": source, "file": SimpleUploadedFile("sejours.csv", content.encode())},
            )

    return post


def stored_files(root):
    return [path for path in Path(root).rglob("*") if path.is_file()] if Path(root).exists() else []


def stays_lines(world, count, bad_line=None):
    """``count`` data lines of the world's site A (line n of the file is data line n − 1)."""
    site = world["sites"]["a"].finess
    lines = [HEADER]
    for n in range(2, count + 2):
        lines.append(f"2025;{site};78{n % 1000:03d};MCO;{'douze' if n == bad_line else n % 50 + 1}\n")
    return "".join(lines)


def test_the_run_kinds_are_the_input_kinds():
    assert set(ImportRun.Kind.values) - {ImportRun.Kind.REGISTER} == set(InputKind.values)


def test_a_file_above_its_kind_limit_is_refused_in_french_and_nothing_is_saved(world, upload, media, settings):
    settings.IMPORT_UPLOAD_LIMITS = {**settings.IMPORT_UPLOAD_LIMITS, "sejours": 100}
    runs, imports, stays = ImportRun.objects.count(), InputImport.objects.count(), HospitalStay.objects.count()
    response = upload(world, "negotiator", stays_lines(world, 10))
    page = response.content.decode()
    assert response.status_code == 200
    assert "Le fichier dépasse la taille maximale autorisée (100\xa0octets) pour ce type d’import" in page
    assert "Rien n’a été importé" in page
    assert (ImportRun.objects.count(), InputImport.objects.count(), HospitalStay.objects.count()) == (
        runs,
        imports,
        stays,
    )
    assert not stored_files(media)
    # Costs have their own limit: the same size is fine for them.
    assert "coûts 20,0\xa0Mo" in page


def test_a_valid_file_is_imported_by_the_worker_and_its_file_deleted(client, world, upload, media):
    response = upload(world, "negotiator", stays_lines(world, 30))
    run = ImportRun.objects.inputs().get()
    assert response["Location"] == reverse("indicators:input_run_detail", args=[run.pk])
    assert run.kind == ImportRun.Kind.STAYS and run.region == world["ght_idf"].region and run.source == "PMSI 2025"
    assert run.status == ImportRun.Status.DONE and run.finished_at and not run.file
    record = InputImport.objects.get(pk=run.report["input_import"])
    assert record.status == InputImport.Status.DONE and record.rows == 30 and run.report["rows"] == 30
    assert record.region == run.region and record.original_name == "sejours.csv" and len(record.sha256) == 64
    assert HospitalStay.objects.filter(batch=record).count() == 30
    assert not stored_files(media)
    status = client.get(reverse("indicators:input_run_status", args=[run.pk])).json()
    assert (status["status"], status["progress"], status["finished"]) == ("termine", 100, True)


def test_a_file_with_an_error_on_line_n_leaves_nothing_and_names_line_n(client, world, upload, media):
    """The error comes after a first chunk was inserted: it is rolled back too."""
    bad = CHUNK + 1_000
    before = HospitalStay.objects.count()
    response = upload(world, "negotiator", stays_lines(world, CHUNK + 2_000, bad_line=bad))
    run = ImportRun.objects.inputs().get()
    assert run.status == ImportRun.Status.FAILED and "1 ligne en cause, rien n’a été importé" in run.error
    assert HospitalStay.objects.count() == before and not stored_files(media)
    record = InputImport.objects.get(pk=run.report["input_import"])
    assert record.status == InputImport.Status.REFUSED and not record.stays.exists()
    assert record.report == {
        "errors": [{"line": bad, "reason": "nombre de séjours « douze » n’est pas un nombre"}],
        "error_count": 1,
    }
    page = client.get(response["Location"], follow=True).content.decode()
    assert "Fichier refusé : rien n’a été importé" in page and f"<td>{bad}</td>" in page


def test_an_unreadable_header_is_refused_on_line_1(world, upload):
    upload(world, "negotiator", "annee;finess\n2025;1\n")
    record = InputImport.objects.latest("pk")
    assert record.status == InputImport.Status.REFUSED
    assert (
        record.report["errors"][0]["line"] == 1
        and "Colonne « code_geo » absente" in record.report["errors"][0]["reason"]
    )


def test_the_run_pages_are_scoped_like_the_imports(client, world, media):
    run = ImportRun.objects.create(
        kind=ImportRun.Kind.STAYS,
        source="PMSI",
        region=world["ght_idf"].region,
        file="imports/s.csv",
        original_name="s.csv",
        created_by=world["users"]["negotiator"],
    )
    detail = reverse("indicators:input_run_detail", args=[run.pk])
    status = reverse("indicators:input_run_status", args=[run.pk])
    expected = {"negotiator": 200, "admin": 200, "negotiator_other": 404, "observer": 403, "director": 403}
    for role, code in expected.items():
        client.force_login(world["users"][role])
        assert client.get(detail).status_code == code, role
        assert client.get(status).status_code == code, role
    client.force_login(world["users"]["negotiator"])
    page = client.get(detail).content.decode()
    assert "En attente" in page and "background-progress.js" in page
    assert "s.csv" in client.get(reverse("indicators:input_list")).content.decode()  # among the runs in progress
    client.force_login(world["users"]["negotiator_other"])
    assert "s.csv" not in client.get(reverse("indicators:input_list")).content.decode()
    # A register run is no input run, even for an admin on these pages.
    register = ImportRun.objects.create(register="finess", file="imports/e.csv", original_name="e.csv")
    client.force_login(world["users"]["admin"])
    assert client.get(reverse("indicators:input_run_detail", args=[register.pk])).status_code == 404


def test_broker_down_ends_the_run_at_once_and_deletes_the_file(client, world, upload, media, monkeypatch):
    def unreachable(*args, **kwargs):
        raise ConnectionRefusedError

    monkeypatch.setattr(import_input_file, "delay", unreachable)
    response = upload(world, "negotiator", stays_lines(world, 3))
    run = ImportRun.objects.inputs().get()
    assert run.status == ImportRun.Status.FAILED and "momentanément indisponible" in run.error
    assert not stored_files(media) and not HospitalStay.objects.filter(batch__source="PMSI 2025").exists()
    assert "momentanément indisponible" in client.get(response["Location"]).content.decode()


def _stored_run(world, content, kind=ImportRun.Kind.STAYS):
    run = ImportRun(kind=kind, source="PMSI", original_name="s.csv", size=len(content))
    run.created_by = world["users"]["admin"]
    run.file.save("s.csv", io.BytesIO(content), save=True)
    return run


def test_the_task_is_idempotent(world, media):
    run = _stored_run(world, stays_lines(world, 3).encode())
    assert import_input_file(run.pk) == ImportRun.Status.DONE
    assert import_input_file(run.pk) == ImportRun.Status.DONE  # a redelivered message
    assert InputImport.objects.filter(source="PMSI").count() == 1
    assert not stored_files(media)


def test_an_unexpected_error_ends_the_run_and_deletes_its_file(world, media, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(inputs, "read_inputs", broken)
    run = _stored_run(world, stays_lines(world, 3).encode())
    with pytest.raises(RuntimeError):
        import_input_file(run.pk)
    run.refresh_from_db()
    assert run.status == ImportRun.Status.FAILED and "Erreur inattendue" in run.error and not stored_files(media)


def test_costs_go_through_the_same_path(world, upload):
    entity = world["entities"]["a"].finess
    upload(world, "admin", f"annee;finess;fonction;cout;unites\n2025;{entity};biologie;100;50\n", kind="couts")
    run = ImportRun.objects.inputs().get()
    assert run.kind == ImportRun.Kind.COSTS and run.region is None and run.status == ImportRun.Status.DONE
    assert SupportCost.objects.filter(batch_id=run.report["input_import"]).count() == 1


def _import_peak(world, path, count):
    """Write ``count`` lines of stays (with a label column the import ignores,
    as exports often carry), import them, return (file size, peak memory)."""
    site = world["sites"]["a"].finess
    with path.open("w") as out:
        out.write("annee;finess_et;raison_sociale;code_geo;champ;sejours\n")
        for n in range(count):
            out.write(
                f"2025;{site};CENTRE HOSPITALIER DE MANTES-LA-JOLIE — SITE {n % 9};78{n % 1000:03d};MCO;{n % 50 + 1}\n"
            )
    tracemalloc.start()
    try:
        with path.open("rb") as handle:
            record = read_inputs("sejours", path.name, handle, path.name)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert record.status == InputImport.Status.DONE and record.rows == count
    return path.stat().st_size, peak


def test_a_multi_megabyte_file_is_read_as_a_stream(world, tmp_path):
    """Memory holds a chunk, not the file: the peak stays far under the
    file's size and does not grow with it (reading it whole, decoding it and
    keeping every row cost some thirty times the file)."""
    small_size, small_peak = _import_peak(world, tmp_path / "petit.csv", 10_000)
    size, peak = _import_peak(world, tmp_path / "national.csv", 50_000)
    assert size > 3 * 2**20
    assert peak < size * 0.75, (peak, size)
    assert peak < small_peak * 1.5, (peak, small_peak)
