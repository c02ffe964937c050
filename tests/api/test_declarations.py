"""An establishment's system declares through the API with the page's rules,
windows and French messages (the same form and service), and what it
declares shows in the pages."""

import datetime
import logging

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from indicators import services
from indicators.models import Campaign, Declaration, DeclarationStatus
from tests.api.conftest import bearer

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("follow_up_scenario")]

DECLARATIONS = "/api/v1/declarations/"
PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


def detail(declaration_id, suffix=""):
    return f"{DECLARATIONS}{declaration_id}/{suffix}"


def post(client, key, data, **extra):
    return client.post(DECLARATIONS, data, content_type="application/json", **bearer(key), **extra)


def patch(client, key, declaration_id, data):
    return client.patch(detail(declaration_id), data, content_type="application/json", **bearer(key))


@pytest.fixture
def second(world):
    """Entity A's second indicator of the 2025 campaign, not declared yet."""
    return world["indicators_a_old"][1]


def test_a_draft_made_through_the_api_shows_in_the_page(client, world, keys, second):
    campaign = world["campaign_idf"]
    response = post(client, keys["entity"], {"campagne": campaign.pk, "indicateur": second.pk, "valeur": "12"})
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["statut"], body["valeur"], body["annee"]) == ("brouillon", 12, 2025)
    assert body["historique"][0]["statut"] == "brouillon"
    declaration = Declaration.objects.get(pk=body["id"])
    assert declaration.updated_by == world["users"]["director"]
    client.force_login(world["users"]["director"])
    page = client.get(reverse("indicators:declare", args=[campaign.pk, world["entities"]["a"].finess]))
    assert page.status_code == 200
    assert 'value="12"' in page.content.decode()


def test_a_second_post_updates_the_draft_then_submit_sends_it_to_the_ars(client, world, keys, second):
    campaign = world["campaign_idf"]
    first = post(client, keys["entity"], {"campagne": campaign.pk, "indicateur": second.pk, "valeur": "12"})
    again = post(client, keys["entity"], {"campagne": campaign.pk, "indicateur": second.pk, "valeur": 14})
    assert again.status_code == 200
    assert again.json()["id"] == first.json()["id"] and again.json()["valeur"] == 14
    submitted = client.post(detail(first.json()["id"], "soumettre/"), **bearer(keys["entity"]))
    assert submitted.status_code == 200, submitted.json()
    assert submitted.json()["statut"] == "soumise"
    assert [event["statut"] for event in submitted.json()["historique"]] == ["brouillon", "soumise"]
    # The ARS sees it in its validation queue.
    client.force_login(world["users"]["negotiator"])
    queue = client.get(reverse("indicators:validation_queue", args=[campaign.pk]))
    assert second.label in queue.content.decode()


def test_save_and_submit_at_once(client, world, keys, second):
    response = post(
        client,
        keys["entity"],
        {"campagne": world["campaign_idf"].pk, "indicateur": second.pk, "valeur": "12", "soumettre": True},
    )
    assert response.status_code == 201
    assert response.json()["statut"] == "soumise"


def test_a_wrong_value_is_refused_with_the_page_s_message(client, world, keys, second):
    response = post(
        client, keys["entity"], {"campagne": world["campaign_idf"].pk, "indicateur": second.pk, "valeur": "2,5"}
    )
    assert response.status_code == 400
    with pytest.raises(ValidationError) as refusal:
        second.parse("2,5")
    assert response.json() == {"valeur": refusal.value.messages}
    assert "nombre entier" in response.json()["valeur"][0]
    assert not Declaration.objects.filter(indicator=second).exists()


def test_patch_changes_only_what_is_sent(client, world, keys):
    declaration = world["declaration_a"]
    services.send_back(world["users"]["negotiator"], declaration, "Chiffre à vérifier")
    response = patch(client, keys["entity"], declaration.pk, {"commentaire": "Corrigé selon le bilan"})
    assert response.status_code == 200, response.json()
    assert (response.json()["valeur"], response.json()["commentaire"]) == (11, "Corrigé selon le bilan")
    assert response.json()["statut"] == "renvoyee"


def test_a_submitted_value_waits_for_the_ars(client, world, keys):
    response = patch(client, keys["entity"], world["declaration_a"].pk, {"valeur": "20"})
    assert response.status_code == 400
    assert response.json()["detail"] == "Cette valeur est soumise à l’ars : elle ne peut plus être modifiée."
    assert Declaration.objects.get(pk=world["declaration_a"].pk).value == 11


def test_a_validated_value_is_frozen(client, world, keys):
    services.validate_declaration(world["users"]["negotiator"], world["declaration_a"])
    response = patch(client, keys["entity"], world["declaration_a"].pk, {"valeur": "20"})
    assert response.status_code == 400
    assert response.json()["detail"] == services.window_error(world["campaign_idf"], DeclarationStatus.VALIDATED)


def _move_campaign(campaign, opens, closes, corrections):
    today = timezone.localdate()
    Campaign.objects.filter(pk=campaign.pk).update(
        opens_on=today + datetime.timedelta(days=opens),
        closes_on=today + datetime.timedelta(days=closes),
        corrections_until=today + datetime.timedelta(days=corrections),
    )


@pytest.mark.parametrize(
    ("window", "message"),
    [
        ((-30, -20, -10), "La campagne est close : aucune déclaration n’est plus reçue."),
        (
            (-30, -2, 10),
            "Les déclarations sont closes : seules les valeurs renvoyées par l’ARS peuvent être corrigées.",
        ),
        ((3, 10, 20), "La campagne n’est pas encore ouverte"),
    ],
)
def test_outside_the_window_nothing_is_received(client, world, keys, second, window, message):
    _move_campaign(world["campaign_idf"], *window)
    response = post(
        client, keys["entity"], {"campagne": world["campaign_idf"].pk, "indicateur": second.pk, "valeur": "4"}
    )
    assert response.status_code == 400
    assert response.json()["detail"].startswith(message)
    assert not Declaration.objects.filter(indicator=second).exists()


def test_in_the_correction_window_a_sent_back_value_is_corrected(client, world, keys):
    declaration = world["declaration_a"]
    services.send_back(world["users"]["negotiator"], declaration, "Chiffre à vérifier")
    _move_campaign(world["campaign_idf"], -30, -2, 10)
    response = patch(client, keys["entity"], declaration.pk, {"valeur": "13", "soumettre": True})
    assert response.status_code == 200, response.json()
    assert (response.json()["valeur"], response.json()["statut"]) == (13, "soumise")


def test_a_region_token_only_reads(client, world, keys, second, caplog):
    with caplog.at_level(logging.WARNING, logger="access.refused"):
        response = post(
            client, keys["region"], {"campagne": world["campaign_idf"].pk, "indicateur": second.pk, "valeur": "4"}
        )
    assert response.status_code == 403
    assert "lecture seule" in response.json()["detail"]
    assert client.post(detail(world["declaration_a"].pk, "soumettre/"), **bearer(keys["region"])).status_code == 403
    [record, *_] = [r for r in caplog.records if r.name == "access.refused"]
    assert (record.method, record.path, record.role) == ("POST", DECLARATIONS, "observateur")
    assert "lecture seule" in record.reason


def test_another_entity_s_token_cannot_touch_this_one_s_values(client, world, keys, second):
    assert patch(client, keys["entity_other"], world["declaration_a"].pk, {"valeur": "1"}).status_code == 404
    assert (
        client.post(detail(world["declaration_a"].pk, "soumettre/"), **bearer(keys["entity_other"])).status_code == 404
    )
    response = post(
        client, keys["entity_other"], {"campagne": world["campaign_hdf"].pk, "indicateur": second.pk, "valeur": "4"}
    )
    assert response.status_code == 400
    assert "Aucun indicateur" in response.json()["indicateur"][0]
    response = post(client, keys["entity_other"], {"campagne": world["campaign_idf"].pk, "indicateur": second.pk})
    assert "Aucune campagne" in response.json()["campagne"][0]
    assert not Declaration.objects.filter(indicator=second).exists()


def test_an_indicator_outside_the_campaign_is_refused_in_french(client, world, keys):
    response = post(
        client,
        keys["entity"],
        {"campagne": world["campaign_idf"].pk, "indicateur": world["indicator_a"].pk, "valeur": "1"},
    )
    assert response.status_code == 400
    assert "n’est pas à déclarer dans cette campagne" in response.json()["detail"]


def test_missing_fields_are_named(client, world, keys):
    response = post(client, keys["entity"], {"valeur": "1"})
    assert response.status_code == 400
    assert set(response.json()) == {"campagne", "indicateur"}


def test_a_stale_version_is_refused_and_nothing_is_overwritten(client, world, keys, second):
    created = post(
        client, keys["entity"], {"campagne": world["campaign_idf"].pk, "indicateur": second.pk, "valeur": "12"}
    )
    version = created.json()["version"]
    assert isinstance(version, int)
    # Someone saves the same value in the page meanwhile.
    entry = services.Entry(second, *second.parse("11"), edit_token=version)
    services.save_declarations(world["users"]["director"], world["campaign_idf"], world["entities"]["a"].pk, [entry])
    response = patch(client, keys["entity"], created.json()["id"], {"valeur": "13", "version": version})
    assert response.status_code == 409
    assert "Enregistré par quelqu’un d’autre" in response.json()["detail"]
    assert Declaration.objects.get(pk=created.json()["id"]).value == 11
    fresh = client.get(detail(created.json()["id"]), **bearer(keys["entity"])).json()["version"]
    assert patch(client, keys["entity"], created.json()["id"], {"valeur": "13", "version": fresh}).status_code == 200


def test_an_emptied_draft_is_no_declaration(client, world, keys, second):
    created = post(
        client, keys["entity"], {"campagne": world["campaign_idf"].pk, "indicateur": second.pk, "valeur": "12"}
    )
    response = patch(client, keys["entity"], created.json()["id"], {"valeur": "", "commentaire": ""})
    assert response.status_code == 204
    assert not Declaration.objects.filter(indicator=second).exists()


def test_evidence_is_checked_on_its_content_then_downloaded(client, world, keys, second, caplog):
    campaign = world["campaign_idf"]
    fake = SimpleUploadedFile("bilan.pdf", b"MZ\x90\x00 not a pdf at all", content_type="application/pdf")
    refused = client.post(
        DECLARATIONS,
        {"campagne": campaign.pk, "indicateur": second.pk, "valeur": "12", "justificatif": fake},
        **bearer(keys["entity"]),
    )
    assert refused.status_code == 400
    assert "n’est pas d’un type accepté" in refused.json()["justificatif"][0]
    pdf = SimpleUploadedFile("bilan social.pdf", PDF, content_type="application/octet-stream")
    with caplog.at_level(logging.INFO, logger="api.writes"):
        accepted = client.post(
            DECLARATIONS,
            {"campagne": campaign.pk, "indicateur": second.pk, "valeur": "12", "justificatif": pdf},
            **bearer(keys["entity"]),
        )
    assert accepted.status_code == 201, accepted.json()
    assert [r for r in caplog.records if r.name == "api.writes" and r.method == "POST"]
    evidence = accepted.json()["justificatif"]
    assert evidence["nom"] == "bilan social.pdf"
    download = client.get(evidence["url"], **bearer(keys["entity"]))
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == PDF
    assert client.get(evidence["url"], **bearer(keys["entity_other"])).status_code == 404
    assert client.get(evidence["url"], **bearer(keys["region"])).status_code == 200


def test_evidence_size_limit_is_the_page_s(client, world, keys, second, settings):
    settings.EVIDENCE_MAX_SIZE = 10
    pdf = SimpleUploadedFile("bilan.pdf", PDF)
    response = client.post(
        DECLARATIONS,
        {"campagne": world["campaign_idf"].pk, "indicateur": second.pk, "valeur": "12", "justificatif": pdf},
        **bearer(keys["entity"]),
    )
    assert response.status_code == 400
    assert "10 octets au plus" in response.json()["justificatif"][0].replace("\xa0", " ")
