"""The follow-up pages through Django's test client: each role, bad input,
uploads, exports, and the number of queries as the data grows."""

import datetime
import io
import re
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cpom.models import Commitment, Cpom, Indicator, TargetValue
from indicators.models import Campaign, Declaration, DeclarationStatus
from tests.cooperations.factories import LegalEntityFactory, department
from tests.pages import with_tokens

pytestmark = pytest.mark.usefixtures("follow_up_scenario")

PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 40


def _declare_url(world, entity="a"):
    return reverse("indicators:declare", args=[world["campaign_idf"].pk, world["entities"][entity].finess])


def _field(world, n, name):
    return f"i{world['indicators_a_old'][n].pk}-{name}"


def _shown(client, world, data, entity="a"):
    return with_tokens(client, _declare_url(world, entity), data)


def _login(client, world, role):
    client.force_login(world["users"][role])


# --- The director's page ------------------------------------------------------------------------


def test_director_is_taken_to_his_open_campaign(client, world):
    _login(client, world, "director")
    response = client.get(reverse("indicators:my_declarations"))
    assert response.status_code == 302 and response["Location"] == _declare_url(world)


def test_director_page_shows_what_is_due(client, world):
    _login(client, world, "director")
    page = client.get(_declare_url(world)).content.decode()
    assert "Filière suivie Alpha" in page and "Vacations partagées 2" in page
    assert "Cible 2025" in page and "11 vacations" in page  # the year's target
    assert "Soumise à l’ARS" in page  # the first value, submitted by the world
    assert "Calculé" in page and "rien à saisir" in page  # the computed leakage rate
    assert "À recouper avec le bilan social" not in page  # the ARS's internal note


def test_director_saves_a_draft_then_submits(client, world):
    _login(client, world, "director")
    response = client.post(
        _declare_url(world), _shown(client, world, {_field(world, 1, "value"): "12", _field(world, 1, "comment"): "Ok"})
    )
    assert response.status_code == 302
    declaration = Declaration.objects.get(indicator=world["indicators_a_old"][1])
    assert declaration.status == DeclarationStatus.DRAFT and declaration.value == 12 and declaration.comment == "Ok"
    client.post(_declare_url(world), _shown(client, world, {_field(world, 1, "value"): "13", "submit": "1"}))
    declaration.refresh_from_db()
    assert declaration.status == DeclarationStatus.SUBMITTED and declaration.value == 13


def test_a_wrong_value_is_explained_and_nothing_is_saved(client, world):
    _login(client, world, "director")
    response = client.post(
        _declare_url(world), _shown(client, world, {_field(world, 1, "value"): "douze", "submit": "1"})
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "« douze » n’est pas un nombre." in page and "Rien n’a été enregistré" in page
    assert 'value="douze"' in page  # what he typed is still there
    assert not Declaration.objects.filter(indicator=world["indicators_a_old"][1]).exists()


def test_evidence_is_stored_and_served_to_those_who_see_the_value(client, world, settings):
    django_settings = settings
    _login(client, world, "director")
    # Named .html by mistake: the content decides, and the file is served as what it is.
    upload = SimpleUploadedFile("compte-rendu comité.html", PDF, content_type="text/html")
    response = client.post(
        _declare_url(world),
        _shown(client, world, {_field(world, 1, "value"): "12", _field(world, 1, "evidence"): upload}),
    )
    assert response.status_code == 302
    declaration = Declaration.objects.get(indicator=world["indicators_a_old"][1])
    assert declaration.evidence_name == "compte-rendu comité.html" and declaration.evidence.name.endswith(".pdf")
    # Stored under MEDIA_ROOT, which no URL serves: only the view below, with its checks.
    assert Path(declaration.evidence.path).is_relative_to(django_settings.MEDIA_ROOT)
    url = reverse("indicators:declaration_evidence", args=[declaration.pk])
    for role, status in [("director", 200), ("negotiator", 200), ("observer", 200), ("director_other", 404)]:
        _login(client, world, role)
        response = client.get(url)
        assert response.status_code == status, role
        if status == 200:
            assert b"".join(response.streaming_content) == PDF
            assert "attachment" in response["Content-Disposition"]
            assert response["Content-Type"] == "application/pdf"


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("rapport.pdf", b"MZ\x90\x00" + b"\x00" * 200),  # a program named .pdf
        ("notes.pdf", b"Juste du texte, pas un PDF."),
        ("page.html", b"<html><script>alert(1)</script></html>"),
    ],
)
def test_evidence_of_the_wrong_type_is_refused(client, world, name, content):
    _login(client, world, "director")
    upload = SimpleUploadedFile(name, content, content_type="application/pdf")
    response = client.post(
        _declare_url(world),
        _shown(client, world, {_field(world, 1, "value"): "12", _field(world, 1, "evidence"): upload}),
    )
    assert response.status_code == 200
    assert "n’est pas d’un type accepté" in response.content.decode()
    assert not Declaration.objects.filter(indicator=world["indicators_a_old"][1]).exists()


def test_evidence_too_large_is_refused(client, world, settings):
    settings.EVIDENCE_MAX_SIZE = 1024
    _login(client, world, "director")
    upload = SimpleUploadedFile("grand.png", PNG + b"\x00" * 2048, content_type="image/png")
    response = client.post(
        _declare_url(world),
        _shown(client, world, {_field(world, 1, "value"): "12", _field(world, 1, "evidence"): upload}),
    )
    assert response.status_code == 200 and "1,0\xa0Ko au plus" in response.content.decode()
    assert not Declaration.objects.filter(indicator=world["indicators_a_old"][1]).exists()


@pytest.mark.parametrize(("role", "status"), [("negotiator", 403), ("observer", 403), ("director_other", 404)])
def test_others_cannot_post_declarations(client, world, role, status):
    _login(client, world, role)
    assert (
        client.post(_declare_url(world), _shown(client, world, {_field(world, 1, "value"): "12"})).status_code == status
    )
    assert not Declaration.objects.filter(indicator=world["indicators_a_old"][1]).exists()


def test_negotiator_reads_the_establishment_page_without_inputs(client, world):
    _login(client, world, "negotiator")
    page = client.get(_declare_url(world)).content.decode()
    assert "Vacations partagées 2" in page and "Soumettre mes valeurs" not in page


# --- The ARS --------------------------------------------------------------------------------------


def test_negotiator_opens_a_campaign(client, world, django_capture_on_commit_callbacks):
    _login(client, world, "negotiator")
    today = timezone.localdate()
    data = {
        "year": 2026,
        "opens_on": today.isoformat(),
        "closes_on": (today + datetime.timedelta(days=30)).isoformat(),
        "corrections_until": (today + datetime.timedelta(days=40)).isoformat(),
        "all_cpoms": "on",
    }
    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post(reverse("indicators:campaign_create"), data)
    campaign = Campaign.objects.get(year=2026)
    assert response.status_code == 302 and response["Location"] == campaign.get_absolute_url()
    assert list(campaign.cpoms.all()) == [world["cpom_b_signed"]] and len(callbacks) == 1


def test_campaign_form_explains_its_errors(client, world):
    _login(client, world, "negotiator")
    today = timezone.localdate()
    response = client.post(
        reverse("indicators:campaign_create"),
        {
            "year": 2025,
            "opens_on": today.isoformat(),
            "closes_on": (today - datetime.timedelta(days=1)).isoformat(),
            "corrections_until": today.isoformat(),
            "all_cpoms": "on",
        },
    )
    assert response.status_code == 200
    assert "Les dates doivent se suivre" in response.content.decode()
    response = client.post(
        reverse("indicators:campaign_create"),
        {"year": 2025, "opens_on": today, "closes_on": today, "corrections_until": today, "all_cpoms": "on"},
    )
    assert "Une campagne 2025 existe déjà pour cette région." in response.content.decode()
    assert Campaign.objects.count() == 2


def test_negotiator_moves_the_closing_date(client, world):
    _login(client, world, "negotiator")
    campaign = world["campaign_idf"]
    later = campaign.closes_on + datetime.timedelta(days=10)
    url = reverse("indicators:campaign_update", args=[campaign.pk])
    response = client.post(
        url,
        with_tokens(
            client,
            url,
            {
                "opens_on": campaign.opens_on.isoformat(),
                "closes_on": later.isoformat(),
                "corrections_until": (later + datetime.timedelta(days=5)).isoformat(),
                "cpoms": [world["cpom_a_old"].pk],
            },
        ),
    )
    assert response.status_code == 302
    campaign.refresh_from_db()
    assert campaign.closes_on == later


def test_dashboard_figures(client, world):
    _login(client, world, "observer")
    response = client.get(reverse("indicators:campaign_dashboard", args=[world["campaign_idf"].pk]))
    assert response.status_code == 200
    totals = response.context["totals"]
    assert (totals.due, totals.submitted, totals.validated, totals.completion) == (2, 1, 0, 50)
    csv = client.get(reverse("indicators:campaign_dashboard", args=[world["campaign_idf"].pk]), {"_export": "csv"})
    assert csv["Content-Type"].startswith("text/csv")
    assert "CH Alpha," in csv.content.decode("utf-8-sig")


def test_queue_filters_and_exports(client, world):
    _login(client, world, "negotiator")
    url = reverse("indicators:validation_queue", args=[world["campaign_idf"].pk])
    response = client.get(url, {"status": "soumise"})
    assert response.context["table"].paginator.count == 1
    assert client.get(url, {"status": "validee"}).context["table"].paginator.count == 0
    assert client.get(url, {"theme": "logistique"}).context["table"].paginator.count == 0
    assert client.get(url, {"establishment": "alpha"}).context["table"].paginator.count == 1
    finess = world["entities"]["a"].finess
    assert client.get(url, {"establishment": finess}).context["table"].paginator.count == 1
    assert client.get(url, {"establishment": "Bravo"}).context["table"].paginator.count == 0
    xlsx = client.get(url, {"_export": "xlsx"})
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:4] == ("Établissement", "Engagement", "Thème", "Indicateur")
    assert rows[1][0] == "CH Alpha" and rows[1][4] == "11 vacations" and rows[1][6] == "Soumise à l’ARS"


def test_quick_validation_from_the_queue(client, world):
    _login(client, world, "negotiator")
    queue = reverse("indicators:validation_queue", args=[world["campaign_idf"].pk]) + "?status=soumise"
    response = client.post(
        reverse("indicators:declaration_validate", args=[world["declaration_a"].pk]), {"next": queue}
    )
    assert response.status_code == 302 and response["Location"] == queue
    assert Declaration.objects.get(pk=world["declaration_a"].pk).status == DeclarationStatus.VALIDATED
    # An outside address is never followed.
    response = client.post(
        reverse("indicators:declaration_validate", args=[world["declaration_a"].pk]), {"next": "https://evil.example"}
    )
    assert response["Location"] == world["declaration_a"].get_absolute_url()


def test_send_back_without_reason_is_refused_in_french(client, world):
    _login(client, world, "negotiator")
    response = client.post(reverse("indicators:declaration_send_back", args=[world["declaration_a"].pk]), {})
    assert response.status_code == 400
    assert "Indiquez le motif du renvoi" in response.content.decode()
    assert Declaration.objects.get(pk=world["declaration_a"].pk).status == DeclarationStatus.SUBMITTED


def test_sent_back_reason_is_shown_to_the_director(client, world):
    _login(client, world, "negotiator")
    client.post(
        reverse("indicators:declaration_send_back", args=[world["declaration_a"].pk]), {"reason": "Chiffre à revoir"}
    )
    _login(client, world, "director")
    page = client.get(_declare_url(world)).content.decode()
    assert "Renvoyée par l’ARS" in page and "Chiffre à revoir" in page
    assert f'name="{_field(world, 0, "value")}"' in page  # he may correct it


def test_notes_stay_within_the_ars(client, world):
    url = reverse("indicators:declaration_detail", args=[world["declaration_a"].pk])
    _login(client, world, "negotiator")
    client.post(reverse("indicators:declaration_note", args=[world["declaration_a"].pk]), {"text": "Appeler le DAF"})
    assert "Appeler le DAF" in client.get(url).content.decode()
    _login(client, world, "observer")
    assert "Appeler le DAF" in client.get(url).content.decode()
    _login(client, world, "director")
    page = client.get(url).content.decode()
    assert "Appeler le DAF" not in page and "bilan social" not in page and "Notes internes" not in page
    assert "Selon les tableaux de service" in page  # his own comment


# Who may POST a decision: (role, expected status, declaration status after).
DECISIONS = [
    ("admin", 302, "validee"),
    ("negotiator", 302, "validee"),
    ("observer", 403, "soumise"),
    ("negotiator_other", 404, "soumise"),
    ("director", 403, "soumise"),
    ("director_other", 404, "soumise"),
]


@pytest.mark.parametrize(("role", "expected", "after"), DECISIONS)
def test_validate_rights(client, world, role, expected, after):
    _login(client, world, role)
    response = client.post(reverse("indicators:declaration_validate", args=[world["declaration_a"].pk]))
    assert response.status_code == expected
    assert Declaration.objects.get(pk=world["declaration_a"].pk).status == after


@pytest.mark.parametrize(
    ("role", "expected"),
    [("negotiator", 302), ("observer", 403), ("negotiator_other", 404), ("director", 403), ("director_other", 404)],
)
def test_send_back_and_note_rights(client, world, role, expected):
    _login(client, world, role)
    pk = world["declaration_a"].pk
    assert client.post(reverse("indicators:declaration_send_back", args=[pk]), {"reason": "x"}).status_code == expected
    assert client.post(reverse("indicators:declaration_note", args=[pk]), {"text": "x"}).status_code == expected
    changed = role == "negotiator"
    assert (Declaration.objects.get(pk=pk).status == "renvoyee") is changed
    assert world["declaration_a"].notes.count() == (2 if changed else 1)


def test_indicator_page_has_chart_and_status(client, world):
    from indicators import services

    services.validate_declaration(world["users"]["negotiator"], world["declaration_a"])
    _login(client, world, "director")
    response = client.get(reverse("indicators:indicator_detail", args=[world["indicators_a_old"][0].pk]))
    page = response.content.decode()
    assert "<svg" in page and 'data-testid="value-point"' in page
    # Target 2025 = 11, final target = 11, value 11: reached.
    assert response.context["progress"] == "atteint" and "Atteint" in page


# --- Queries as the data grows -------------------------------------------------------------------


def _grow(campaign, establishments, indicators_each=2):
    """``establishments`` more signed CPOMs in the campaign, each with a
    commitment, declarative indicators with targets and a submitted value."""
    region = campaign.region
    for n in range(establishments):
        entity = LegalEntityFactory(department=department("78"))
        cpom = Cpom.objects.create(
            legal_entity=entity, region=region, first_year=2024, last_year=2025, status="preparation"
        )
        commitment = Commitment.objects.create(cpom=cpom, title=f"Engagement {n}", action_kind="filieres",
                                               theme="medicales", objective="Objectif", position=1)  # fmt: skip
        indicators = Indicator.objects.bulk_create(
            [Indicator(commitment=commitment, label=f"Indicateur {i}", position=i) for i in range(indicators_each)]
        )
        TargetValue.objects.bulk_create(
            [TargetValue(indicator=i, year=y, value=Decimal(10)) for i in indicators for y in (2024, 2025)]
        )
        Declaration.objects.create(
            indicator=indicators[0], campaign=campaign, year=2025, value=5, status=DeclarationStatus.SUBMITTED
        )
        Cpom.objects.filter(pk=cpom.pk).update(status="signe", signed_on=datetime.date(2024, 1, 1))
        campaign.cpoms.add(cpom)


def _queries(client, url):
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_dashboard_and_queue_queries_do_not_grow(client, world):
    _login(client, world, "negotiator")
    campaign = world["campaign_idf"]
    dashboard = reverse("indicators:campaign_dashboard", args=[campaign.pk])
    queue = reverse("indicators:validation_queue", args=[campaign.pk])
    _grow(campaign, 4)  # 5 establishments
    before = (_queries(client, dashboard), _queries(client, queue))
    _grow(campaign, 95)  # 100 establishments
    assert (_queries(client, dashboard), _queries(client, queue)) == before
    assert client.get(dashboard).context["entity_count"] == 100


def test_director_page_queries_do_not_grow(client, world):
    _login(client, world, "director")
    campaign = world["campaign_idf"]
    _grow(campaign, 4)
    before = _queries(client, _declare_url(world))
    _grow(campaign, 95)
    # And more indicators of his own: a second commitment with five.
    cpom = world["cpom_a_old"]
    Cpom.objects.filter(pk=cpom.pk).update(status="preparation")
    commitment = Commitment.objects.create(
        cpom=cpom, title="Deuxième", action_kind="filieres", theme="medicales", objective="o", position=2
    )
    for i in range(5):
        indicator = Indicator.objects.create(commitment=commitment, label=f"Autre {i}", position=i)
        TargetValue.objects.create(indicator=indicator, year=2025, value=3)
    Cpom.objects.filter(pk=cpom.pk).update(status="signe")
    assert _queries(client, _declare_url(world)) == before
    assert "Autre 4" in client.get(_declare_url(world)).content.decode()


# --- The CPOM page and the annex, once followed ---------------------------------------------------


def test_cpom_page_summarises_the_statuses(client, world):
    from indicators import services

    services.validate_declaration(world["users"]["negotiator"], world["declaration_a"])
    _login(client, world, "director")
    response = client.get(world["cpom_a_old"].get_absolute_url())
    page = response.content.decode()
    assert "Où en sont les engagements" in page
    # One indicator reached (11 against a final 11), one declarative and one computed not yet validated.
    assert "Atteint : 1" in page and "Non renseigné : 2" in page
    assert "Suivi : Non renseigné" in page  # the commitment shows its worst status
    # A CPOM never signed has nothing to follow yet.
    assert "Où en sont les engagements" not in client.get(world["cpom_a"].get_absolute_url()).content.decode()


def test_annex_with_follow_up_shows_validated_values_and_leaves_the_signed_pdf_alone(client, world):
    from pypdf import PdfReader

    from indicators import services

    _login(client, world, "negotiator")
    url = reverse("portal:annex_download", args=[world["cpom_a_old"].pk])
    signed = b"".join(client.get(url).streaming_content)
    services.validate_declaration(world["users"]["negotiator"], world["declaration_a"])
    followed = client.get(url, {"suivi": "1"})
    assert "suivi-" in followed["Content-Disposition"]
    data = b"".join(followed.streaming_content)
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
    assert "Valeur validée" in text and "Édition du suivi" in text and "11 vacations" in text
    # The signed annex is still the one signed, byte for byte.
    assert b"".join(client.get(url).streaming_content) == signed
    preview = client.get(reverse("portal:annex_preview", args=[world["cpom_a_old"].pk]), {"suivi": "1"})
    assert "Valeur validée" in preview.content.decode()


def test_director_home_points_to_the_open_campaign(client, world):
    _login(client, world, "director")
    page = client.get(reverse("home")).content.decode()
    assert "Campagne de suivi 2025 : vos indicateurs à renseigner" in page and _declare_url(world) in page
    _login(client, world, "director_other")
    assert _declare_url(world) not in client.get(reverse("home")).content.decode()


def test_a_step_whose_author_was_deleted_still_shows(client, world):
    from indicators.models import DeclarationEvent

    DeclarationEvent.objects.filter(declaration=world["declaration_a"]).update(user=None)
    world["declaration_a"].notes.update(author=None)
    _login(client, world, "negotiator")
    response = client.get(reverse("indicators:declaration_detail", args=[world["declaration_a"].pk]))
    assert response.status_code == 200 and "Soumise à l’ARS" in response.content.decode()


def _xlsx():
    workbook = openpyxl.Workbook()
    workbook.active["A1"] = "Vacations"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


@pytest.mark.parametrize(("name", "content", "suffix"), [("tableau.xlsx", None, ".xlsx"), ("photo.png", PNG, ".png")])
def test_office_documents_and_images_are_accepted(client, world, name, content, suffix):
    _login(client, world, "director")
    upload = SimpleUploadedFile(name, content or _xlsx())
    response = client.post(
        _declare_url(world),
        _shown(client, world, {_field(world, 1, "value"): "12", _field(world, 1, "evidence"): upload}),
    )
    assert response.status_code == 302
    assert Declaration.objects.get(indicator=world["indicators_a_old"][1]).evidence.name.endswith(suffix)


def test_director_page_gives_the_latest_reason_of_a_value_sent_back(client, world):
    """Sent back twice: the page shows the ARS's latest reason and its date, not the first one's."""
    from indicators import services
    from indicators.models import DeclarationEvent

    declaration = world["declaration_a"]
    services.send_back(world["users"]["negotiator"], declaration, "Premier motif : le compte du mois manque.")
    later = timezone.now() + datetime.timedelta(days=3)
    DeclarationEvent.objects.create(
        declaration=declaration, status=DeclarationStatus.SENT_BACK, reason="Second motif : recouper.", at=later
    )
    _login(client, world, "director")
    page = client.get(_declare_url(world)).content.decode()
    block = re.search(r'data-testid="send-back">(.*?)</div>', page, re.S).group(1)
    assert "Second motif : recouper." in block and "Premier motif" not in block
    assert timezone.localtime(later).strftime("%d/%m/%Y") in block
    # Validated since: nothing to correct, no reason shown.
    Declaration.objects.filter(pk=declaration.pk).update(status=DeclarationStatus.VALIDATED)
    assert 'data-testid="send-back"' not in client.get(_declare_url(world)).content.decode()
