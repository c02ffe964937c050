"""The Volet 3 annex: its text read back from the PDF, pagination of a long
CPOM, the stored PDF of a signed version, the command line."""

import datetime
import hashlib
import io
import re

import pytest
from django.core.management import call_command
from django.urls import reverse
from pypdf import PdfReader

from cpom import services
from cpom.annex import annex_context, annex_pdf, pick_version, render_pdf
from cpom.models import AnnexFile
from tests.cpom.factories import CommitmentFactory, indicator_with_targets

pytestmark = pytest.mark.usefixtures("cpom_scenario")


def _text(data: bytes):
    reader = PdfReader(io.BytesIO(data))
    # Words only: narrow table cells wrap (hyphenating French words: « vaca- tions »), and numbers are
    # grouped with non-breaking spaces.
    words = " ".join(" ".join(page.extract_text() for page in reader.pages).split())
    return len(reader.pages), re.sub(r"(\w)[-\u2010] (\w)", r"\1\2", words)


def _download(client, cpom, version=None):
    url = reverse("portal:annex_download", args=[cpom.pk])
    response = client.get(url, {"version": version} if version is not None else {})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    return b"".join(response.streaming_content)


def test_annex_text_has_titles_targets_finess_and_accents(client, world):
    client.force_login(world["users"]["negotiator"])
    cpom = world["cpom_b_signed"]
    pages, text = _text(_download(client, cpom))
    entity = world["entities"]["b"]
    assert 1 <= pages <= 6
    assert "Blanchisserie commune" in text
    assert entity.finess in text and world["sites"]["b"].finess in text
    assert "Coopérations territoriales" in text and "Île-de-France" in text
    assert "10 vacations" in text and "14 vacations" in text  # targets 2026 and 2030
    assert "signée le 10 janvier 2026" in text
    assert "page 1 / " in text


def test_long_cpom_paginates_without_losing_rows(world):
    cpom = world["cpom_a_draft"]
    for i in range(40):
        commitment = CommitmentFactory(cpom=cpom, title=f"Engagement numéro {i:02d}", objective="Objectif " * 40)
        indicator_with_targets(commitment, values={2031: 1000 + i}, label=f"Indicateur {i:02d}")
    pages, text = _text(render_pdf(annex_context(cpom, pick_version(cpom))))
    assert 10 <= pages <= 80
    for i in range(40):
        assert f"Engagement numéro {i:02d}" in text
        assert f"1 {i:03d} vacations" in text  # its 2031 target


def test_signed_annex_is_stored_once_and_served_identical(client, world):
    client.force_login(world["users"]["admin"])
    cpom = world["cpom_b_signed"]
    first = _download(client, cpom, 0)
    second = _download(client, cpom, 0)
    assert first == second
    stored = AnnexFile.objects.get(cpom=cpom)
    assert stored.sha256 == hashlib.sha256(first).hexdigest() and stored.version_signed
    assert stored.created_by == world["users"]["admin"]


def test_draft_annex_is_rendered_again_says_so_and_stores_nothing(client, world, settings, tmp_path):
    """A GET never writes: a draft (or a follow-up edition) is rendered for the
    request; neither a row nor a file is left behind, however often it is asked."""
    settings.MEDIA_ROOT = tmp_path
    client.force_login(world["users"]["negotiator"])
    cpom = world["cpom_a"]
    _pages, text = _text(_download(client, cpom))
    _download(client, cpom)
    assert "Projet : ce document n’a pas valeur d’annexe signée." in text
    assert not AnnexFile.objects.filter(cpom=cpom).exists()
    assert not [p for p in tmp_path.rglob("*") if p.is_file()]


def test_amendment_annex_lists_what_changed_and_old_version_stays_as_signed(world):
    nego = world["users"]["negotiator"]
    cpom = world["cpom_b_signed"]
    services.open_amendment(cpom, nego, "Cible 2029 relevée")
    world["commitment_b"].indicators.get().set_target(2029, "77", nego)
    services.mark_ready_to_sign(cpom, nego)
    services.sign(cpom, nego, datetime.date(2026, 5, 4))
    _pages, amended = _text(annex_pdf(cpom, pick_version(cpom), nego).file.read())
    assert "Modifications apportées par l’avenant n° 1" in amended
    assert "Cible 2029" in amended and "77 vacations" in amended
    _pages, initial = _text(annex_pdf(cpom, pick_version(cpom, 0), nego).file.read())
    assert "77 vacations" not in initial and "13 vacations" in initial


def test_export_annex_command(world, tmp_path):
    output = tmp_path / "annexe.pdf"
    call_command("export_annex", world["cpom_b_signed"].pk, "-o", str(output), stdout=io.StringIO())
    assert output.read_bytes().startswith(b"%PDF")
    again = tmp_path / "encore.pdf"
    call_command("export_annex", world["cpom_b_signed"].pk, "-o", str(again), stdout=io.StringIO())
    assert output.read_bytes() == again.read_bytes()


def test_unknown_version_is_404(client, world):
    client.force_login(world["users"]["negotiator"])
    url = reverse("portal:annex_download", args=[world["cpom_b_signed"].pk])
    assert client.get(url, {"version": "7"}).status_code == 404
    assert client.get(url, {"version": "abc"}).status_code == 404


@pytest.mark.parametrize("role", ["director", "director_other"])
def test_directors_cannot_export(client, world, role):
    client.force_login(world["users"][role])
    assert client.get(reverse("portal:annex_download", args=[world["cpom_a"].pk])).status_code in (403, 404)
