"""The pages a State service owes (accessibility statement, legal notice,
personal data, site map): reachable by every role, anonymous included,
linked from every page's footer; the site map lists only what the role opens."""

import pytest
from django.urls import reverse

from accounts.models import Role
from portal.legal import ACCESSIBILITY_STATUS, SITE_MAP
from tests.accounts.factories import UserFactory
from tests.cooperations.factories import LegalEntityFactory

ROLES = ["anonymous", "admin", "negotiator", "observer", "director"]


def director_of(entity):
    """A director of ``entity``, whether the account holds one entity or several (memberships)."""
    try:
        return UserFactory(director=True, legal_entity=entity)
    except TypeError:
        user = UserFactory(director=True)
        user.legal_entities.add(entity)
        return user


def _people():
    return {
        "admin": UserFactory(admin=True),
        "negotiator": UserFactory(negotiator=True),
        "observer": UserFactory(role=Role.OBSERVER),
        "director": director_of(LegalEntityFactory()),
    }


# name, args builder, expected status per role (ROLES order).
TABLE = [
    ("portal:accessibility", lambda p: [], [200, 200, 200, 200, 200]),
    ("portal:legal_notice", lambda p: [], [200, 200, 200, 200, 200]),
    ("portal:personal_data", lambda p: [], [200, 200, 200, 200, 200]),
    ("portal:sitemap", lambda p: [], [200, 200, 200, 200, 200]),
]


def _as(client, people, role):
    client.logout()
    if role != "anonymous":
        client.force_login(people[role])


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "args", "statuses"), TABLE)
def test_role_gets_expected_status(client, name, args, statuses):
    people = _people()
    for role, expected in zip(ROLES, statuses, strict=True):
        _as(client, people, role)
        response = client.get(reverse(name, args=args(people)))
        assert response.status_code == expected, f"{role} on {name}: {response.status_code}"


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_every_page_footer_links_the_legal_pages(client, role):
    people = _people()
    _as(client, people, role)
    page = client.get(reverse("login" if role == "anonymous" else "home")).content.decode()
    assert f"Accessibilité : {ACCESSIBILITY_STATUS}" in page
    for name in ("portal:accessibility", "portal:legal_notice", "portal:personal_data", "portal:sitemap"):
        assert f'href="{reverse(name)}"' in page
    # The skip links lead somewhere on the page.
    for target in ("content", "navigation" if role != "anonymous" else "header-tools", "footer"):
        assert f'href="#{target}"' in page and f'id="{target}"' in page


@pytest.mark.django_db
def test_statement_says_the_status_and_the_audit_date(client):
    page = client.get(reverse("portal:accessibility")).content.decode()
    assert ACCESSIBILITY_STATUS in page and "RGAA" in page and "2 décembre 2026" in page


@pytest.mark.django_db
def test_personal_data_gives_the_configured_retention(client, settings):
    settings.EVIDENCE_REPLACED_RETENTION_DAYS = 123
    settings.SESSION_COOKIE_AGE = 5 * 3600
    page = client.get(reverse("portal:personal_data")).content.decode()
    assert "après 123 jours" in page and "5 heures au plus" in page


@pytest.mark.django_db
def test_site_map_lists_what_the_role_may_open(client):
    people = _people()
    links = {role: set() for role in ROLES}
    for role in ROLES:
        _as(client, people, role)
        page = client.get(reverse("portal:sitemap")).content.decode()
        for _title, entries in SITE_MAP:
            for entry in entries:
                if f'href="{reverse(entry.url_name)}"' in page.split("<main", 1)[1].split("</main>", 1)[0]:
                    links[role].add(entry.url_name)
    assert "login" in links["anonymous"] and "cpom:cpom_list" not in links["anonymous"]
    assert "audit_log" in links["admin"] and "audit_log" not in links["negotiator"]
    assert "indicators:my_declarations" in links["director"] and "indicators:campaign_list" not in links["director"]
    assert "api_tokens:list" not in links["observer"]
    # Every entry a role sees opens for that role (no dead link in the map).
    for role in ROLES[1:]:
        _as(client, people, role)
        for name in links[role] - {"admin:index"}:
            assert client.get(reverse(name)).status_code == 200, f"{role}: {name}"
