"""The technical sheets (an indicator's, a library template's, the library)
and the page where the région's ARS sets an entity's raison sociale: every
role gets what it may, nothing of another région or entity."""

import pytest
from django.urls import reverse

from accounts.models import Role
from cpom.models import IndicatorTemplate
from tests.accounts.factories import UserFactory
from tests.cooperations.factories import LegalEntityFactory, department, region
from tests.cpom.factories import CpomFactory

ROLES = ["anonymous", "admin", "negotiator", "observer", "negotiator_other", "director", "director_other"]


def _people():
    entity = LegalEntityFactory(department=department("75"))
    other = LegalEntityFactory(department=department("59"))
    shared = CpomFactory(legal_entity=entity, shared=True, commitments=1)
    draft = CpomFactory(legal_entity=LegalEntityFactory(department=department("75")), commitments=1)
    return {
        "entity": entity,
        "shared_indicator": shared.commitments.get().indicators.get(),
        "draft_indicator": draft.commitments.get().indicators.get(),
        "template": IndicatorTemplate.objects.order_by("position").first(),
        "users": {
            "admin": UserFactory(admin=True),
            "negotiator": UserFactory(negotiator=True),
            "observer": UserFactory(role=Role.OBSERVER),
            "negotiator_other": UserFactory(negotiator=True, region=region("32")),
            "director": UserFactory(director=True, legal_entity=entity),
            "director_other": UserFactory(director=True, legal_entity=other),
        },
    }


# name, args builder, expected status per role (ROLES order).
TABLE = [
    ("cpom:indicator_sheet", lambda p: [p["shared_indicator"].pk], [302, 200, 200, 200, 404, 200, 404]),
    # Not shared with the establishment: its director does not see it.
    ("cpom:indicator_sheet", lambda p: [p["draft_indicator"].pk], [302, 200, 200, 200, 404, 404, 404]),
    ("cpom:indicator_sheet", lambda p: [999999], [302, 404, 404, 404, 404, 404, 404]),
    ("cpom:template_sheet", lambda p: [p["template"].pk], [302, 200, 200, 200, 200, 200, 200]),
    ("cpom:template_sheet", lambda p: [999999], [302, 404, 404, 404, 404, 404, 404]),
    ("cpom:indicator_library", lambda p: [], [302, 200, 200, 200, 200, 200, 200]),
    ("cooperations:legal_entity_name", lambda p: [p["entity"].finess], [302, 200, 200, 403, 404, 403, 404]),
    ("cooperations:legal_entity_name", lambda p: ["000000000"], [302, 404, 404, 404, 404, 404, 404]),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "args", "statuses"), TABLE)
def test_role_gets_expected_status(client, name, args, statuses):
    people = _people()
    for role, expected in zip(ROLES, statuses, strict=True):
        client.logout()
        if role != "anonymous":
            client.force_login(people["users"][role])
        response = client.get(reverse(name, args=args(people)))
        assert response.status_code == expected, f"{role} on {name}: {response.status_code}"


@pytest.mark.django_db
def test_the_sheet_page_prints_the_sheet_in_constant_queries(client, django_assert_max_num_queries):
    people = _people()
    indicator = people["shared_indicator"]
    indicator.definition = "Demi-journées partagées entre les sites."
    indicator.evidence = "Tableaux de service"
    indicator.save()
    client.force_login(people["users"]["director"])
    with django_assert_max_num_queries(12):
        page = client.get(reverse("cpom:indicator_sheet", args=[indicator.pk])).content.decode()
    assert "Demi-journées partagées entre les sites." in page and "Tableaux de service" in page
    assert "Pièces justificatives à joindre" in page and "Déclarée par l’établissement" in page
    # The director may not edit it: no edit button.
    assert "Modifier la fiche" not in page
    client.force_login(people["users"]["negotiator"])
    assert "Modifier la fiche" in client.get(reverse("cpom:indicator_sheet", args=[indicator.pk])).content.decode()
