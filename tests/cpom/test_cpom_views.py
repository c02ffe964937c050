"""CPOM pages through Django's test client: what each role may POST, forged
POSTs on a signed CPOM, the stale-version message, exports, and constant
query counts as commitments grow."""

import datetime
import io
import re

import openpyxl
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from core.concurrency import edit_token
from cpom import services
from cpom.models import ChangeProposal, Comment, Commitment, CommitmentPartner, Cpom, CpomStatus, TargetValue
from tests.cooperations.factories import LegalEntityFactory, department
from tests.cpom.factories import CommitmentFactory, commitment_post_data, indicator_with_targets

pytestmark = pytest.mark.usefixtures("follow_up_scenario")

ROLES = ["admin", "negotiator", "observer", "negotiator_other", "director", "director_other"]


def _login(client, world, role):
    client.force_login(world["users"][role])


# name, args, data, expected status per role (ROLES order), and the check
# that nothing changed for a refused role.
POST_TABLE = [
    ("cpom:cpom_transition", "cpom_a", {"action": "return"}, [302, 302, 403, 404, 302, 404]),
    ("cpom:cpom_comment", "cpom_a", {"body": "Un avis"}, [302, 302, 403, 404, 302, 404]),
    ("cpom:cpom_comment", "cpom_b_signed", {"body": "Trop tard"}, [403, 403, 403, 404, 404, 404]),
    ("cpom:cpom_delete", "cpom_a_draft", {}, [302, 302, 403, 404, 404, 404]),
    ("cpom:cpom_delete", "cpom_a", {}, [403, 403, 403, 404, 403, 404]),
    ("cpom:commitment_move", "commitment_a", {"direction": "down"}, [302, 302, 403, 404, 403, 404]),
    ("cpom:commitment_delete", "commitment_a", {}, [302, 302, 403, 404, 403, 404]),
    (
        "cpom:proposal_decide",
        "proposal_a",
        {"decision": "reject", "note": "Non"},
        [302, 302, 403, 404, 403, 404],
    ),
]
CASES = [
    pytest.param(name, key, data, role, expected, id=f"{name}-{key}-{role}")
    for name, key, data, statuses in POST_TABLE
    for role, expected in zip(ROLES, statuses, strict=True)
]


def _state():
    return (
        list(Cpom.objects.order_by("pk").values_list("pk", "status")),
        Comment.objects.count(),
        list(Commitment.objects.order_by("pk").values_list("pk", "position")),
        list(ChangeProposal.objects.order_by("pk").values_list("status", flat=True)),
    )


@pytest.mark.parametrize(("name", "key", "data", "role", "expected"), CASES)
def test_post_rights_per_role(client, world, name, key, data, role, expected):
    _login(client, world, role)
    before = _state()
    response = client.post(reverse(name, args=[world[key].pk]), data)
    assert response.status_code == expected
    if expected != 302:
        assert _state() == before, "a refused POST changed something"


def test_forged_post_on_a_signed_cpom_changes_nothing(client, world):
    _login(client, world, "negotiator")
    commitment = world["commitment_b"]
    url = reverse("cpom:commitment_update", args=[commitment.pk])
    response = client.post(url, commitment_post_data(commitment, title="Modifié après signature"))
    assert response.status_code == 302
    assert Commitment.objects.get(pk=commitment.pk).title == "Blanchisserie commune"
    response = client.post(reverse("cpom:commitment_delete", args=[commitment.pk]), follow=True)
    assert Commitment.objects.filter(pk=commitment.pk).exists()
    assert "ouvrez un avenant" in response.content.decode()
    create = reverse("cpom:commitment_create", args=[world["cpom_b_signed"].pk])
    client.post(
        create,
        commitment_post_data(Commitment(title="Nouveau", action_kind="filieres", theme="medicales", objective="x")),
    )
    assert world["cpom_b_signed"].commitments.count() == 1


def test_negotiator_creates_a_cpom_and_overlaps_are_refused(client, world):
    _login(client, world, "negotiator")
    url = reverse("cpom:cpom_create")
    entity = world["entities"]["b"]
    response = client.post(url, {"legal_entity": entity.pk, "first_year": 2028, "last_year": 2032})
    assert "couvre déjà une partie de cette période" in response.content.decode()
    response = client.post(url, {"legal_entity": entity.pk, "first_year": 2031, "last_year": 2036})
    assert "Un CPOM dure 5 ans au plus : ici 6 ans." in response.content.decode()
    assert Cpom.objects.filter(legal_entity=entity).count() == 1
    response = client.post(
        url, {"legal_entity": entity.pk, "first_year": 2031, "last_year": 2035, "reference": "ARS-IDF-42"}
    )
    cpom = Cpom.objects.get(reference="ARS-IDF-42")
    assert response["Location"] == cpom.get_absolute_url()
    assert cpom.region_id == "11" and cpom.versions.get().number == 0


def test_negotiator_cannot_pick_an_entity_of_another_region(client, world):
    _login(client, world, "negotiator")
    response = client.post(
        reverse("cpom:cpom_create"),
        {"legal_entity": world["entities"]["c"].pk, "first_year": 2031, "last_year": 2035},
    )
    assert response.status_code == 200
    assert not Cpom.objects.filter(legal_entity=world["entities"]["c"], first_year=2031).exists()


def test_commitment_page_saves_commitment_partners_indicators_and_targets(client, world):
    _login(client, world, "negotiator")
    cpom = world["cpom_a_draft"]
    data = commitment_post_data(
        Commitment(
            title="Imagerie partagée", action_kind="equipements", theme="plateaux_techniques", objective="Un IRM commun"
        ),
        **{
            "partenaires-TOTAL_FORMS": "2",
            "partenaires-0-entity": f"CH Bravo — {world['entities']['b'].finess}",
            "partenaires-1-external_name": "Cabinet de radiologie libéral",
            "partenaires-1-external_kind": "ville",
            "indicateurs-TOTAL_FORMS": "1",
            "indicateurs-0-label": "Vacations d’IRM partagées",
            "indicateurs-0-kind": "declaratif",
            "indicateurs-0-value_type": "effectif",
            "indicateurs-0-direction": "hausse",
            "indicateurs-0-baseline": "0",
            "indicateurs-0-baseline_year": "2030",
            **{f"indicateurs-0-target_{y}": str(y - 2029) for y in range(2031, 2036)},
        },
    )
    response = client.post(reverse("cpom:commitment_create", args=[cpom.pk]), data)
    assert response.status_code == 302, response.content.decode()[:3000]
    commitment = cpom.commitments.get()
    assert [p.name for p in commitment.partners.all()] == [
        "CH Bravo",
        "Cabinet de radiologie libéral (Médecine de ville)",
    ]
    indicator = commitment.indicators.get()
    assert list(indicator.targets.values_list("year", "value")) == [(y, y - 2029) for y in range(2031, 2036)]


def test_wrong_target_keeps_what_was_typed_and_saves_nothing(client, world):
    _login(client, world, "negotiator")
    cpom = world["cpom_a_draft"]
    data = commitment_post_data(
        Commitment(
            title="Imagerie partagée", action_kind="equipements", theme="plateaux_techniques", objective="Un IRM commun"
        ),
        **{
            "indicateurs-TOTAL_FORMS": "1",
            "indicateurs-0-label": "Taux d’occupation de l’IRM",
            "indicateurs-0-kind": "declaratif",
            "indicateurs-0-value_type": "pourcentage",
            "indicateurs-0-direction": "hausse",
            **{f"indicateurs-0-target_{y}": "80" for y in range(2031, 2035)},
            "indicateurs-0-target_2035": "140",
        },
    )
    response = client.post(reverse("cpom:commitment_create", args=[cpom.pk]), data)
    page = response.content.decode()
    assert response.status_code == 200
    assert "Un pourcentage est compris entre 0 et 100." in page
    assert "Taux d’occupation de l’IRM" in page  # what was typed is still there
    assert not cpom.commitments.exists()


def test_stale_save_shows_the_newer_content(client, world):
    commitment = world["commitment_a"]
    opened = edit_token(commitment)
    _login(client, world, "admin")
    url = reverse("cpom:commitment_update", args=[commitment.pk])
    assert client.post(url, commitment_post_data(commitment, title="Titre de l’administratrice")).status_code == 302
    _login(client, world, "negotiator")
    response = client.post(url, commitment_post_data(commitment, title="Titre du négociateur", edit_token=opened))
    page = response.content.decode()
    assert response.status_code == 200
    assert "Rien n’a été écrasé" in page
    assert "Titre de l’administratrice" in page and "Titre du négociateur" in page
    assert Commitment.objects.get(pk=commitment.pk).title == "Titre de l’administratrice"


def test_vehicle_warning_then_confirmation(client, world):
    _login(client, world, "negotiator")
    cpom = world["cpom_a_draft"]
    data = commitment_post_data(
        Commitment(
            title="GCS", action_kind="equipements", theme="plateaux_techniques", objective="Créer un GCS d’imagerie"
        )
    )
    url = reverse("cpom:commitment_create", args=[cpom.pk])
    page = client.post(url, data).content.decode()
    assert "Le support juridique n’est pas un objectif en soi" in page
    assert "ne constitue pas un objectif en soi" in page
    assert not cpom.commitments.exists()
    assert client.post(url, {**data, "confirm_vehicle_rule": "on"}).status_code == 302
    assert cpom.commitments.get().objective == "Créer un GCS d’imagerie"


def test_sign_through_the_page_then_amend(client, world):
    _login(client, world, "negotiator")
    cpom = world["cpom_a"]
    services.decide_proposal(world["proposal_a"], world["users"]["negotiator"], accept=True)
    url = reverse("cpom:cpom_transition", args=[cpom.pk])
    client.post(url, {"action": "ready", "confirmed": "on"})
    assert Cpom.objects.get(pk=cpom.pk).status == CpomStatus.TO_SIGN
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)  # Paris: UTC is a day behind before 1 a.m.
    page = client.post(
        url, {"action": "sign", "signed_on": tomorrow.isoformat(), "confirmed": "on"}, follow=True
    ).content.decode()
    assert "ne peut être dans le futur" in page
    client.post(url, {"action": "sign", "signed_on": "2026-02-01", "confirmed": "on"})
    assert Cpom.objects.get(pk=cpom.pk).status == CpomStatus.SIGNED
    client.post(url, {"action": "amend", "reason": "Cible 2028"})
    indicator = world["indicator_a"]
    indicator.set_target(2028, "99", world["users"]["negotiator"])
    client.post(url, {"action": "ready", "confirmed": "on"})
    client.post(url, {"action": "sign", "signed_on": "2026-03-01", "confirmed": "on"})
    page = client.get(cpom.get_absolute_url()).content.decode()
    assert "Avenant n° 1" in page and "Cible 2028" in page and "99 vacations" in page


def test_export_csv_and_xlsx(client, world):
    _login(client, world, "observer")
    url = reverse("cpom:cpom_list")
    csv = client.get(url, {"_export": "csv", "status": "signe", "year": 2027})
    assert csv["Content-Type"].startswith("text/csv")
    text = csv.content.decode("utf-8-sig")
    assert "CH Bravo" in text and "CH Alpha" not in text and "CH Charlie" not in text
    xlsx = client.get(url, {"_export": "xlsx"})
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx.content)).active
    names = {row[0] for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert names == {"CH Alpha", "CH Bravo"}  # the observer's région only


def test_list_filters(client, world):
    _login(client, world, "admin")
    url = reverse("cpom:cpom_list")
    assert client.get(url, {"ght": world["ght_hdf"].pk}).context["table"].paginator.count == 2
    assert client.get(url, {"year": 2033}).context["table"].paginator.count == 1
    assert client.get(url, {"status": "concertation"}).context["table"].paginator.count == 2


def _grow(cpom, n, user):
    for i in range(n):
        commitment = CommitmentFactory(cpom=cpom, title=f"Engagement {i}")
        indicator_with_targets(commitment)
        services.add_comment(cpom, user, f"Message {i}", commitment)


def _queries(client, url):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_cpom_page_query_count_does_not_grow(client, world):
    nego = world["users"]["negotiator"]
    small = services.create_cpom(nego, LegalEntityFactory(department=department("78")), 2026, 2030)
    large = services.create_cpom(nego, LegalEntityFactory(department=department("78")), 2026, 2030)
    _grow(small, 2, nego)
    _grow(large, 30, nego)
    client.force_login(nego)
    assert _queries(client, small.get_absolute_url()) == _queries(client, large.get_absolute_url())
    assert _queries(client, reverse("cpom:cpom_history", args=[small.pk])) == _queries(
        client, reverse("cpom:cpom_history", args=[large.pk])
    )


def test_cpom_list_query_count_does_not_grow(client, world):
    nego = world["users"]["negotiator"]
    client.force_login(nego)
    url = reverse("cpom:cpom_list")
    before = _queries(client, url)
    for _ in range(20):
        cpom = services.create_cpom(nego, LegalEntityFactory(department=department("78")), 2026, 2030)
        _grow(cpom, 1, nego)
    assert _queries(client, url) == before
    assert client.get(url).context["table"].paginator.count == 24  # 4 of the world in the région, 20 new


def test_commitment_page_query_count_does_not_grow(client, world):
    nego = world["users"]["negotiator"]
    client.force_login(nego)
    commitment = world["commitment_a"]
    url = reverse("cpom:commitment_update", args=[commitment.pk])
    before = _queries(client, url)
    for _ in range(8):
        indicator_with_targets(commitment)
    for _ in range(5):
        entity = LegalEntityFactory(department=department("78"))
        CommitmentPartner.objects.create(commitment=commitment, legal_entity=entity)
    assert _queries(client, url) == before
    assert TargetValue.objects.filter(indicator__commitment=commitment).count() == 45


def test_entity_page_pairs_register_and_application_cpoms(client, world):
    from cooperations.models import RegisterEngagement

    entity = world["entities"]["b"]
    RegisterEngagement.objects.create(
        register_id="900001", legal_entity=entity, kind="CTR", subtype="CPM", effective_date=datetime.date(2026, 3, 1)
    )
    RegisterEngagement.objects.create(
        register_id="900002", legal_entity=entity, kind="CTR", subtype="CPM", effective_date=datetime.date(2019, 1, 1)
    )
    _login(client, world, "negotiator")
    response = client.get(entity.get_absolute_url())
    assert [e.register_id for e in response.context["unmatched_register"]] == ["900002"]
    assert response.context["signed_unlisted"] == []
    page = response.content.decode()
    assert "CPOM 2026–2030 dans l’application" in page
    assert "n° 900002" in page


def test_entity_page_flags_a_signed_cpom_missing_from_the_register(client, world):
    from cooperations.models import RegisterEngagement

    entity = world["entities"]["b"]
    RegisterEngagement.objects.create(register_id="900003", legal_entity=entity, kind="ASE", subtype="ASE")
    _login(client, world, "negotiator")
    response = client.get(entity.get_absolute_url())
    assert [c.pk for c in response.context["signed_unlisted"]] == [world["cpom_b_signed"].pk]
    assert "Signé dans l’application mais absent du répertoire FINESS+" in response.content.decode()


@pytest.mark.parametrize("typed", ["CH Inconnu", "entity_c"])
def test_partner_outside_the_region_or_unknown_is_refused(client, world, typed):
    _login(client, world, "negotiator")
    cpom = world["cpom_a_draft"]
    if typed == "entity_c":
        typed = f"CH Charlie — {world['entities']['c'].finess}"  # Hauts-de-France
    data = commitment_post_data(
        Commitment(title="Imagerie", action_kind="equipements", theme="plateaux_techniques", objective="Un IRM commun"),
        **{"partenaires-TOTAL_FORMS": "1", "partenaires-0-entity": typed},
    )
    response = client.post(reverse("cpom:commitment_create", args=[cpom.pk]), data)
    assert "aucune entité juridique de la région ne correspond" in response.content.decode()
    assert not cpom.commitments.exists()


@pytest.mark.parametrize(
    "row", ["two", {"partenaires-0-entity": "CH Inconnu"}, {"partenaires-0-external_kind": "ville"}]
)
def test_a_partner_row_in_error_describes_its_fields_with_ids_of_the_page(client, world, row):
    """Every id that a field of the partner row names in aria-describedby is on the page (the hint, the
    field's own error, the row's « un seul des trois »), and a row's error is named by its fields."""
    _login(client, world, "negotiator")
    cpom = world["cpom_a_draft"]
    two = row == "two"
    if two:  # a partner of the register and one outside it on the same row
        row = {
            "partenaires-0-entity": f"CH Bravo — {world['entities']['b'].finess}",
            "partenaires-0-external_name": "Cabinet",
        }
    data = commitment_post_data(
        Commitment(title="Imagerie", action_kind="equipements", theme="plateaux_techniques", objective="Un IRM commun"),
        **{"partenaires-TOTAL_FORMS": "1", **row},
    )
    page = client.post(reverse("cpom:commitment_create", args=[cpom.pk]), data).content.decode()
    ids = set(re.findall(r'\bid="([^"]+)"', page))
    described = re.findall(r'name="partenaires-0-(\w+)"[^>]*aria-describedby="([^"]+)"', page)
    described += [(n, d) for d, n in re.findall(r'aria-describedby="([^"]+)"[^>]*name="partenaires-0-(\w+)"', page)]
    assert {name for name, _ in described} >= {"entity", "external_name"}
    assert all(ref in ids for _, refs in described for ref in refs.split()), described
    if two:
        assert "renseignez un seul des trois" in page
        assert all("partenaires-0-erreurs" in refs for _, refs in described)
    assert not cpom.commitments.exists()


def test_exports_neutralise_formulas(client, world):
    from core.exports import neutralise

    assert neutralise('=HYPERLINK("http://x")') == '\'=HYPERLINK("http://x")'
    assert neutralise("@SUM(A1)") == "'@SUM(A1)" and neutralise("-12,5") == "-12,5" and neutralise("CH") == "CH"
    world["cpom_b_signed"].__class__.objects.filter(pk=world["cpom_b_signed"].pk).update(reference="=1+1")
    _login(client, world, "observer")
    csv = client.get(reverse("cpom:cpom_list"), {"_export": "csv"}).content.decode("utf-8-sig")
    assert "'=1+1" in csv
    xlsx = client.get(reverse("cpom:cpom_list"), {"_export": "xlsx"})
    cells = [c for row in openpyxl.load_workbook(io.BytesIO(xlsx.content)).active.iter_rows() for c in row]
    assert any(c.value == "'=1+1" for c in cells) and all(c.data_type != "f" for c in cells)


@pytest.mark.parametrize("rows", ["partenaires", "indicateurs"])
def test_a_row_of_another_commitment_refuses_the_whole_save(client, world, rows):
    """A forged partner or indicator id of another commitment: Django would
    copy it in as a new row; the whole save is refused instead."""
    _login(client, world, "negotiator")
    cpom = world["cpom_a_draft"]
    mine, theirs = CommitmentFactory(cpom=cpom), CommitmentFactory(cpom=cpom)
    foreign_partner = CommitmentPartner.objects.create(commitment=theirs, external_name="Cabinet libéral")
    foreign_indicator = indicator_with_targets(theirs)
    row = {
        "partenaires": {"partenaires-0-id": str(foreign_partner.pk), "partenaires-0-external_name": "Cabinet libéral"},
        "indicateurs": {
            "indicateurs-0-id": str(foreign_indicator.pk), "indicateurs-0-label": foreign_indicator.label,
            "indicateurs-0-kind": "declaratif", "indicateurs-0-value_type": "effectif",
            "indicateurs-0-direction": "hausse", "indicateurs-0-baseline": "1",
            "indicateurs-0-baseline_year": str(cpom.first_year - 1),
        },
    }[rows]  # fmt: skip
    data = commitment_post_data(
        mine, title="Renommé", **{f"{rows}-TOTAL_FORMS": "1", f"{rows}-INITIAL_FORMS": "1"}, **row
    )
    counts = (CommitmentPartner.objects.count(), Commitment.objects.get(pk=mine.pk).indicators.count())
    response = client.post(reverse("cpom:commitment_update", args=[mine.pk]), data)
    assert response.status_code == 200
    assert "n’appartient pas à cette fiche" in response.content.decode()
    assert (CommitmentPartner.objects.count(), mine.indicators.count()) == counts
    mine.refresh_from_db()
    assert mine.title != "Renommé"


def test_partner_datalist_offers_the_regions_open_entities_by_name(client, world):
    """The one datalist of the commitment page (written in Python, cpom.forms):
    the région's open legal entities, by name, each « name — FINESS », escaped."""
    import html

    odd = LegalEntityFactory(name='CH l’Étoile & "Zèbre" <b>', department=department("78"))
    closed = LegalEntityFactory(name="CH Fermé", department=department("78"), closed_on=datetime.date(2020, 1, 1))
    elsewhere = LegalEntityFactory(name="CH Ailleurs", department=department("59"))
    _login(client, world, "negotiator")
    page = client.get(reverse("cpom:commitment_update", args=[world["commitment_a"].pk])).content.decode()
    datalist = re.search(r'<datalist id="[^"]+">(.*?)</datalist>', page, re.S).group(1)
    offered = [html.unescape(value) for value in re.findall(r'<option value="([^"]*)"></option>', datalist)]
    from cooperations.models import LegalEntity

    expected = [
        f"{e.name} — {e.finess}"
        for e in LegalEntity.objects.filter(region_id="11", closed_on__isnull=True).order_by("name")
    ]
    assert offered == expected and len(expected) >= 3
    assert f"{odd.name} — {odd.finess}" in offered
    assert "&amp; &quot;Zèbre&quot; &lt;b&gt;" in datalist and '<b>"' not in datalist
    assert not any(e.name in label for e in (closed, elsewhere) for label in offered)
