"""The validation pages by role (bulk validation, reopening), the queue's
flags, filter and order, and its queries as rows grow."""

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role
from core.concurrency import edit_token
from indicators import services
from indicators.models import Declaration, DeclarationStatus
from tests.accounts.factories import UserFactory
from tests.cooperations.factories import LegalEntityFactory, region
from tests.indicators.validation_cases import build_case
from tests.pages import with_tokens

pytestmark = pytest.mark.django_db

ROLES = ["anonymous", "admin", "negotiator", "observer", "negotiator_other", "director", "director_other"]


def _people(case):
    return {
        "admin": UserFactory(admin=True),
        "negotiator": case.negotiator,
        "observer": UserFactory(role=Role.OBSERVER),
        "negotiator_other": UserFactory(negotiator=True, region=region("28")),
        "director": case.directors[0],
        "director_other": UserFactory(role=Role.DIRECTOR, legal_entity=LegalEntityFactory()),
    }


def _validated(case):
    return services.validate_declaration(case.negotiator, case.declare(0, "11"))


# name, args builder (case, declaration), GET status per role (ROLES order); 302: sent to the login page.
TABLE = [
    (
        "indicators:bulk_validate",
        lambda case, declaration: [case.campaign.pk, case.entities[0].finess],
        [302, 200, 200, 403, 404, 403, 404],
    ),
    # POST only: a GET is refused (405) to everyone signed in.
    ("indicators:declaration_reopen", lambda case, declaration: [declaration.pk], [302, 405, 405, 405, 405, 405, 405]),
]


@pytest.mark.parametrize(("name", "args", "statuses"), TABLE)
def test_role_gets_expected_status(client, name, args, statuses):
    case = build_case()
    declaration = _validated(case)
    people = _people(case)
    for role, expected in zip(ROLES, statuses, strict=True):
        client.logout()
        if role != "anonymous":
            client.force_login(people[role])
        response = client.get(reverse(name, args=args(case, declaration)))
        assert response.status_code == expected, f"{role} on {name}: {response.status_code}"


@pytest.mark.parametrize(
    ("role", "expected"),
    [("admin", 302), ("negotiator", 302), ("observer", 403), ("negotiator_other", 404), ("director", 403),
     ("director_other", 404)],
)  # fmt: skip
def test_reopen_post_by_role(client, role, expected):
    case = build_case()
    declaration = _validated(case)
    client.force_login(_people(case)[role])
    response = client.post(reverse("indicators:declaration_reopen", args=[declaration.pk]), {"reason": "Erreur"})
    assert response.status_code == expected
    declaration.refresh_from_db()
    reopened = declaration.status == DeclarationStatus.SENT_BACK
    assert reopened == (expected == 302)


def test_reopen_without_reason_says_so_and_changes_nothing(client):
    case = build_case()
    declaration = _validated(case)
    client.force_login(case.negotiator)
    response = client.post(reverse("indicators:declaration_reopen", args=[declaration.pk]), {"reason": " "})
    assert response.status_code == 400 and "motif de la réouverture" in response.content.decode()
    declaration.refresh_from_db()
    assert declaration.status == DeclarationStatus.VALIDATED


@pytest.mark.parametrize(
    ("role", "expected"),
    [("negotiator", 302), ("observer", 403), ("negotiator_other", 404), ("director", 403)],
)
def test_bulk_validation_post_by_role(client, role, expected):
    case = build_case()
    declaration = case.declare(0, "11")
    client.force_login(_people(case)[role])
    url = reverse("indicators:bulk_validate", args=[case.campaign.pk, case.entities[0].finess])
    response = client.post(url, {f"d{declaration.pk}": edit_token(declaration)})
    assert response.status_code == expected
    declaration.refresh_from_db()
    assert (declaration.status == DeclarationStatus.VALIDATED) == (expected == 302)


def test_bulk_confirmation_lists_the_unflagged_values_and_posts_their_tokens(client):
    case = build_case(second=True)
    case.declare(0, "40", comment="Recrutements de l’année")  # flagged: left out
    indicator = case.seconds[0]
    services.save_declarations(
        case.directors[0], case.campaign, case.entities[0].pk, [services.Entry(indicator, *indicator.parse("11"))], True
    )
    client.force_login(case.negotiator)
    url = reverse("indicators:bulk_validate", args=[case.campaign.pk, case.entities[0].finess])
    page = client.get(url).content.decode()
    assert "Postes partagés 1" in page and "Vacations partagées 1" not in page.split('data-testid="bulk-list"')[1]
    assert "1 valeur signalée reste" in page
    second = Declaration.objects.get(indicator=indicator)
    client.post(url, {f"d{second.pk}": edit_token(second)})
    second.refresh_from_db()
    assert second.status == DeclarationStatus.VALIDATED
    assert Declaration.objects.get(indicator=case.indicators[0]).status == DeclarationStatus.SUBMITTED


def test_a_stale_bulk_post_validates_nothing(client):
    case = build_case()
    declaration = case.declare(0, "11")
    client.force_login(case.negotiator)
    url = reverse("indicators:bulk_validate", args=[case.campaign.pk, case.entities[0].finess])
    response = client.post(url, {f"d{declaration.pk}": "1"}, follow=True)
    assert "Rien n’a été validé" in response.content.decode()
    declaration.refresh_from_db()
    assert declaration.status == DeclarationStatus.SUBMITTED


# --- The queue -------------------------------------------------------------------------------------


def test_the_queue_shows_flagged_values_first_with_their_reason_and_filters_by_flag(client):
    case = build_case(n=3)
    case.declare(0, "11")
    case.declare(1, "40", comment="Ouverture d’un nouveau site")
    case.declare(2, "12")
    client.force_login(case.negotiator)
    url = reverse("indicators:validation_queue", args=[case.campaign.pk])
    page = client.get(url).content.decode()
    rows = page.split("<tbody")[1]
    assert rows.index("Vacations partagées 2") < rows.index("Vacations partagées 1")
    assert "cible 2026" in rows and "Signalée" in rows
    assert 'title="Valider' not in page  # validation happens on the declaration's page
    flagged = client.get(url, {"flag": "oui"}).content.decode().split("<tbody")[1]
    assert "Vacations partagées 2" in flagged and "Vacations partagées 1" not in flagged
    by_code = client.get(url, {"flag": "cible"}).content.decode().split("<tbody")[1]
    assert "Vacations partagées 2" in by_code and "Vacations partagées 3" not in by_code
    assert client.get(url, {"flag": "n’importe quoi"}).status_code == 200


def test_an_observer_sees_no_validation_button(client):
    case = build_case()
    client.force_login(UserFactory(role=Role.OBSERVER))
    page = client.get(reverse("indicators:campaign_dashboard", args=[case.campaign.pk])).content.decode()
    assert "Valider les déclarations" not in page and "Voir les déclarations" in page
    client.force_login(case.negotiator)
    page = client.get(reverse("indicators:campaign_dashboard", args=[case.campaign.pk])).content.decode()
    assert "Valider les déclarations" in page


def test_the_queue_queries_do_not_grow_with_its_rows(client, django_assert_max_num_queries):
    case = build_case(n=8)
    client.force_login(case.negotiator)
    url = reverse("indicators:validation_queue", args=[case.campaign.pk])
    case.declare(0, "11")
    case.declare(1, "40", comment="Nouveau site")
    with django_assert_max_num_queries(40) as few:
        client.get(url)
    for n in range(2, 8):
        case.declare(n, "40" if n % 2 else "12", comment="Nouveau site")
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = client.get(url).content.decode()
    assert page.count("Signalée") >= 4


def test_the_director_page_says_a_saved_correction_awaits_submission(client):
    case = build_case()
    declaration = case.declare(0, "11")
    services.send_back(case.negotiator, declaration, "Le total ne correspond pas au bilan")
    indicator = case.indicators[0]
    client.force_login(case.directors[0])
    url = reverse("indicators:declare", args=[case.campaign.pk, case.entities[0].finess])
    page = client.get(url).content.decode()
    assert 'data-testid="correction-pending"' not in page and "Votre réponse au motif du renvoi" in page
    response = client.post(url, with_tokens(client, url, {f"i{indicator.pk}-value": "12"}), follow=True)
    page = response.content.decode()
    assert 'data-testid="correction-pending"' in page and "pas encore envoyée" in page
    assert 'data-testid="modal-submit"' in page  # « Soumettre » asks for confirmation


def test_a_computed_indicator_shows_last_years_computed_value(client):
    from cpom.models import Indicator as ContractIndicator
    from indicators.models import ComputedValue

    case = build_case()
    computed = ContractIndicator.objects.filter(pk=case.indicators[0].pk)
    computed.update(kind="automatisable", computation="taux_de_fuite", value_type="pourcentage", unit="")
    ComputedValue.objects.create(
        indicator_id=case.indicators[0].pk, year=2025, value=47, inputs_checksum="x", computed_at=timezone.now()
    )
    client.force_login(case.directors[0])
    page = client.get(reverse("indicators:declare", args=[case.campaign.pk, case.entities[0].finess])).content.decode()
    assert "47 %" in page.split('data-testid="previous"')[1][:80]
