"""The one renderer of printed documents: the annex and the diagnostic are
tagged PDFs (PDF/UA) with their language and title, and their browser
previews load the Marianne fonts from the static files, never from file://."""

import io

import pypdf
import pytest
from django.urls import reverse

from core.printing import render_pdf
from cpom.annex import annex_context, pick_version

pytestmark = pytest.mark.usefixtures("cpom_scenario", "diagnostic_scenario")


def _catalog(data):
    reader = pypdf.PdfReader(io.BytesIO(data))
    return reader, reader.trailer["/Root"]


@pytest.mark.django_db
def test_the_annex_is_a_tagged_pdf_in_french_with_its_title(world):
    cpom = world["cpom_a"]
    reader, catalog = _catalog(render_pdf("cpom/annex.html", annex_context(cpom, pick_version(cpom))))
    assert catalog["/Lang"] == "fr"
    assert "/StructTreeRoot" in catalog and catalog["/MarkInfo"]["/Marked"]
    assert reader.metadata.title.startswith("Annexe volet 3 — CH Alpha")


@pytest.mark.django_db
def test_the_diagnostic_pdf_is_tagged_too(client, world):
    client.force_login(world["users"]["negotiator"])
    response = client.get(reverse("diagnostics:diagnostic_pdf", args=[world["diagnostic_idf"].pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    reader, catalog = _catalog(response.content)
    assert catalog["/Lang"] == "fr" and "/StructTreeRoot" in catalog
    assert reader.metadata.title == world["diagnostic_idf"].title


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url",
    [
        lambda w: reverse("portal:annex_preview", args=[w["cpom_a"].pk]),
        lambda w: reverse("diagnostics:diagnostic_print", args=[w["diagnostic_idf"].pk]),
    ],
)
def test_previews_load_the_fonts_from_the_static_files(client, world, url):
    client.force_login(world["users"]["negotiator"])
    page = client.get(url(world)).content.decode()
    assert "/static/dsfr/dist/fonts/Marianne-Regular.woff" in page
    assert "file://" not in page
