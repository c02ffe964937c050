"""Hostile or large register files: each kind of upload has a size limit
checked before anything is read, a body above the ceiling of every upload is
cut short with the French 400 page, and the readers are bounded (lines of a
CSV, the inflated size of an XLSX, the nesting and the values of the FINESS+
JSON) so that a small file cannot exhaust the memory."""

import gzip
import io
import json
import tracemalloc
import zipfile
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from cooperations.importers import base, finessplus
from cooperations.importers.base import ImportRefusedError, run_import
from cooperations.importers.finess import FINESS_LAYOUTS
from cooperations.importers.finessplus import MAX_DEPTH, run_finessplus_import
from cooperations.importers.ght import GHT_LAYOUTS
from cooperations.models import ImportRun, LegalEntity
from cooperations.tasks import run_uploaded_import
from core import tabular
from core.tabular import raw_lines
from tests.cooperations.factories import finess_with_key
from tests.cooperations.test_finessplus import entity, site

MIB = 2**20
SAMPLE = Path(settings.BASE_DIR) / "data" / "reference" / "finessplus_structures_extrait_20260309.json"


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def stored_files(root):
    return [path for path in Path(root).rglob("*") if path.is_file()] if Path(root).exists() else []


def post_register(client, register, name, content):
    return client.post(
        reverse("cooperations:import_list"), {"register": register, "file": SimpleUploadedFile(name, content)}
    )


# --- Size limits of the uploads -----------------------------------------------------------------------


def test_each_kind_has_a_limit_above_its_real_files():
    limits = settings.IMPORT_UPLOAD_LIMITS
    assert set(limits) == set(ImportRun.Register.values) | {"sejours", "couts"}
    # The real files in data/reference (the largest SAE table, the GHT table, the FINESS+ sample) fit with room.
    reference = Path(settings.BASE_DIR) / "data" / "reference"
    assert (reference / "sae2023_id_etablissements.csv").stat().st_size * 50 < limits["finess"]
    assert (reference / "sae2023_ght.csv").stat().st_size * 50 < limits["ght"]
    # The raw national flux (~750 Mo) fits; the ceiling is the largest limit.
    assert 750 * 10**6 < limits["finessplus"] <= settings.IMPORT_MAX_UPLOAD_SIZE
    assert settings.IMPORT_MAX_UPLOAD_SIZE == max(limits.values())
    assert settings.FILE_UPLOAD_HANDLERS == ["core.uploads.CappedTemporaryFileUploadHandler"]


def test_a_file_above_its_kind_limit_is_refused_in_french_and_nothing_is_saved(client, world, media, settings):
    settings.IMPORT_UPLOAD_LIMITS = {**settings.IMPORT_UPLOAD_LIMITS, "ght": 1000}
    client.force_login(world["users"]["admin"])
    before = ImportRun.objects.count()
    response = post_register(client, "ght", "ght.csv", b"CODE_GHT;NOM_COURT_GHT\n" + b"84101;ARA-01\n" * 200)
    page = response.content.decode()
    assert response.status_code == 200
    assert "Le fichier dépasse la taille maximale autorisée (1000\xa0octets) pour ce type d’import" in page
    assert "il pèse 2,6\xa0Ko" in page and "Rien n’a été importé" in page
    assert ImportRun.objects.count() == before and not stored_files(media)
    # The same file is accepted for a kind whose limit it fits.
    assert "1,0\xa0Go au plus" in client.get(reverse("cooperations:import_list")).content.decode()


def test_a_body_above_the_ceiling_gets_the_french_400_page_before_it_is_stored(client, world, media, settings):
    settings.IMPORT_MAX_UPLOAD_SIZE = 10_000
    client.force_login(world["users"]["admin"])
    before = ImportRun.objects.count()
    # Its declared length alone refuses it (core.uploads reads nothing of it).
    response = post_register(client, "finess", "big.csv", b"x" * (10_000 + settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1))
    assert response.status_code == 400
    page = response.content.decode()
    assert "Requête refusée" in page and "rien n’a été enregistré" in page and "taille maximale" in page
    assert ImportRun.objects.count() == before and not stored_files(media)


def test_a_file_above_the_ceiling_is_cut_short_as_it_comes(world, settings, tmp_path):
    """A length under the ceiling but a file over it (a forged Content-Length, a
    chunked body): the handler counts the bytes and stops at the ceiling."""
    from django.core.exceptions import RequestDataTooBig

    from core.uploads import CappedTemporaryFileUploadHandler

    settings.IMPORT_MAX_UPLOAD_SIZE = 100_000
    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path)
    handler = CappedTemporaryFileUploadHandler()
    handler.handle_raw_input(None, {}, 10, "boundary")
    handler.new_file("file", "big.csv", "text/csv", None)
    handler.receive_data_chunk(b"x" * 64 * 1024, 0)
    with pytest.raises(RequestDataTooBig):
        handler.receive_data_chunk(b"x" * 64 * 1024, 64 * 1024)
    assert not list(tmp_path.iterdir())  # its temporary file is deleted


def test_a_form_body_above_the_data_limit_gets_the_french_400_page(client, world, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 2_000
    client.force_login(world["users"]["negotiator"])
    response = client.post(reverse("indicators:input_list"), {"kind": "sejours", "source": "x" * 5_000})
    assert response.status_code == 400
    assert "Requête refusée" in response.content.decode()


# --- The readers are bounded ------------------------------------------------------------------------


def test_a_csv_line_without_end_is_refused_without_being_read_whole(db, tmp_path):
    path = tmp_path / "etab.csv"
    path.write_bytes(b"fi;fi_ej;rs;cat;stj;dep\n" + b"x" * (tabular.MAX_LINE_BYTES + 10))
    with pytest.raises(ImportRefusedError, match=r"Ligne 2 illisible : ligne de plus de 1,0\xa0Mo sans fin de ligne"):
        run_import(path, FINESS_LAYOUTS)
    assert not LegalEntity.objects.exists()


@pytest.mark.parametrize("ending", [b"\n", b"\r\n", b"\r"])
def test_lines_are_split_on_every_end_of_line_across_blocks(ending):
    lines = [b"a;" + str(i).encode() * (i % 7000) + ending for i in range(60)]
    assert list(raw_lines(io.BytesIO(b"".join(lines)))) == lines


def test_a_workbook_inflating_past_its_bound_is_refused(db, tmp_path, monkeypatch):
    monkeypatch.setattr(base, "MAX_XLSX_INFLATED", 10_000)
    path = tmp_path / "ght.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/sharedStrings.xml", "<sst>" + "<si><t>GHT</t></si>" * 5_000 + "</sst>")
    assert path.stat().st_size < 10_000
    with pytest.raises(ImportRefusedError, match="une fois décompressé, il dépasse 9,8\xa0Ko"):
        run_import(path, GHT_LAYOUTS)


def test_a_small_deeply_nested_json_is_refused_and_memory_stays_small(db, tmp_path):
    """60 Ko of « [ » inside pmej cost 2.3 Go when ijson built the path of
    every level; the reader now refuses past MAX_DEPTH levels."""
    path = tmp_path / "flux.json"
    path.write_bytes(b'{"pmej": [' + b"[" * 60_000)
    tracemalloc.start()
    try:
        with pytest.raises(ImportRefusedError) as refused:
            run_finessplus_import(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert f"imbrique plus de {MAX_DEPTH} niveaux" in str(refused.value)
    assert "Rien n’a été enregistré" in str(refused.value)
    assert peak < 5 * MIB, peak


def test_nesting_within_the_bound_is_read(db, tmp_path):
    """The real flux's 8 levels, and more up to the bound, are no refusal."""
    nested = {"x": 1}
    for _level in range(MAX_DEPTH - 5):
        nested = [nested]
    data = {"pmej": [entity("P1", finess_with_key("78000001"), extra=nested)]}
    path = tmp_path / "flux.json"
    path.write_text(json.dumps(data))
    report = run_finessplus_import(path)
    assert report.rejected == 0 and LegalEntity.objects.filter(finess=finess_with_key("78000001")).exists()


def test_a_huge_value_is_refused_before_it_is_read_whole(db, tmp_path):
    path = tmp_path / "flux.json"
    path.write_bytes(b'{"pmej": [{"nom": "' + b"x" * (3 * MIB) + b'"}]}')
    tracemalloc.start()
    try:
        with pytest.raises(ImportRefusedError, match="une valeur de plus de 1,0\xa0Mo"):
            run_finessplus_import(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 3 * MIB, peak


def test_an_element_too_large_is_rejected_unbuilt_and_the_others_imported(db, tmp_path, monkeypatch):
    monkeypatch.setattr(finessplus, "MAX_ELEMENT_BYTES", 200_000)
    sites = [site(f"G{i}", finess_with_key(f"78{i:06d}")) for i in range(1, 1_000)]
    big = entity("P1", finess_with_key("78000001"), name="TROP GROS", sites=sites)
    small = entity("P2", finess_with_key("78000002"), name="CH PETIT")
    path = tmp_path / "flux.json"
    path.write_text(json.dumps({"pmej": [big, small]}))
    assert path.stat().st_size > 200_000
    report = run_finessplus_import(path)
    assert report.rejected == 1
    assert report.errors[0][0] == "pmej[0]" and "élément de plus de 195,3\xa0Ko" in report.errors[0][1]
    assert list(LegalEntity.objects.filter(finessplus_id__in=["P1", "P2"]).values_list("name", flat=True)) == [
        "CH PETIT"
    ]


def test_a_gzip_inflating_past_its_bound_is_refused(db, tmp_path, monkeypatch):
    monkeypatch.setattr(finessplus, "MAX_INFLATED_BYTES", 1 * MIB)
    path = tmp_path / "flux.json.gz"
    padding = [entity(f"P{i}", finess_with_key(f"78{i:06d}")) for i in range(1, 5_000)]
    path.write_bytes(gzip.compress(json.dumps({"pmej": padding}).encode()))
    with pytest.raises(ImportRefusedError, match="Une fois décompressé, le fichier dépasse 1,0\xa0Mo"):
        run_finessplus_import(path)
    assert not LegalEntity.objects.filter(finessplus_id="P1").exists()


# --- The worker's runs ------------------------------------------------------------------------------


def _run(world, media, register, name, content):
    run = ImportRun(register=register, original_name=name, size=len(content), created_by=world["users"]["admin"])
    run.file.save(name, io.BytesIO(content), save=True)
    assert stored_files(media)
    return run


def test_deep_json_uploaded_ends_the_run_refused_and_its_file_deleted(world, media):
    run = _run(world, media, ImportRun.Register.FINESSPLUS, "flux.json", b'{"pmej": [' + b"[" * 60_000 + b"]" * 60_000)
    assert run_uploaded_import(run.pk) == ImportRun.Status.FAILED
    run.refresh_from_db()
    assert run.status == ImportRun.Status.FAILED and "ce n’est pas un flux FINESS+" in run.error
    assert not run.file and not stored_files(media)


def test_a_run_that_has_ended_is_not_run_again(world, media):
    run = _run(world, media, ImportRun.Register.FINESSPLUS, "flux.json", SAMPLE.read_bytes())
    assert run_uploaded_import(run.pk) == ImportRun.Status.DONE
    run.refresh_from_db()
    report, finished = run.report, run.finished_at
    assert report["rows"] == 21 and not stored_files(media)
    assert run_uploaded_import(run.pk) == ImportRun.Status.DONE  # a redelivered message
    run.refresh_from_db()
    assert (run.report, run.finished_at) == (report, finished)


def test_an_unexpected_error_ends_the_run_and_deletes_its_file(world, media, monkeypatch):
    from cooperations import tasks

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(tasks, "run_import", broken)
    run = _run(world, media, ImportRun.Register.FINESS, "etab.csv", b"fi;rs\n1;2\n")
    with pytest.raises(RuntimeError):
        run_uploaded_import(run.pk)
    run.refresh_from_db()
    assert run.status == ImportRun.Status.FAILED and "Erreur inattendue" in run.error
    assert not stored_files(media)


def test_register_pages_show_register_runs_only(client, world):
    stays = ImportRun.objects.create(kind=ImportRun.Kind.STAYS, original_name="sejours.csv", file="imports/s.csv")
    client.force_login(world["users"]["admin"])
    assert "sejours.csv" not in client.get(reverse("cooperations:import_list")).content.decode()
    assert client.get(reverse("cooperations:import_detail", args=[stays.pk])).status_code == 404
    assert client.get(reverse("cooperations:import_status", args=[stays.pk])).status_code == 404
