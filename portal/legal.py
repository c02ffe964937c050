"""The pages a State service owes its users, reachable by anyone (signed in
or not) from the footer: the accessibility statement (RGAA 4.1), the legal
notice, what is kept about users and how long, and the site map of the
visitor's role."""

import datetime
from dataclasses import dataclass

from django.conf import settings
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _

from core.pages import crumbs
from core.values import format_date

# The statement's status, shown in every page's footer: « non », « partiellement » or « totalement conforme ».
ACCESSIBILITY_STATUS = "partiellement conforme"
AUDIT_DATE = datetime.date(2026, 12, 2)
# The day of the last audit (tests/e2e/test_accessibility.py: axe-core in Chromium on the main pages of
# every app for each role, at 1280 and 390 px, some after a refused submit; and the manual checks the
# statement lists).


@dataclass(frozen=True)
class Entry:
    label: str
    url_name: str
    who: str = "everyone"  # everyone, signed_in, anonymous, regional (ARS), ars_writer, admin, director, token_holder

    def shown_to(self, user) -> bool:
        signed_in = user.is_authenticated
        return {
            "everyone": True,
            "anonymous": not signed_in,
            "signed_in": signed_in,
            "regional": signed_in and (user.is_admin or user.is_regional),
            "director": signed_in and user.is_director,
            "token_holder": signed_in and (user.is_admin or user.is_negotiator or user.is_director),
            "admin": signed_in and user.is_admin,
        }[self.who]


# The header's menu, in its order, then the pages every footer links to.
SITE_MAP = [
    (
        "Navigation",
        [
            Entry("Se connecter", "login", "anonymous"),
            Entry("Accueil", "home", "signed_in"),
            Entry("Établissements", "cooperations:establishment_list", "signed_in"),
            Entry("Coopérations", "cooperations:structure_list", "signed_in"),
            Entry("Diagnostics", "diagnostics:diagnostic_list", "signed_in"),
            Entry("CPOM", "cpom:cpom_list", "signed_in"),
            Entry("Bibliothèque d’indicateurs", "cpom:indicator_library", "signed_in"),
            Entry("Mes indicateurs", "indicators:my_declarations", "director"),
            Entry("Suivi des indicateurs", "indicators:campaign_list", "regional"),
            Entry("Notifications", "notifications:list", "signed_in"),
            Entry("Préférences des courriels", "notifications:preferences", "signed_in"),
            Entry("Jetons d’API", "api_tokens:list", "token_holder"),
            Entry("Données ouvertes", "opendata:index", "everyone"),
        ],
    ),
    (
        "Administration",
        [
            Entry("Imports", "cooperations:import_list", "admin"),
            Entry("Journal", "audit_log", "admin"),
            Entry("Connexions bloquées", "accounts:lockout_list", "admin"),
            Entry("Administration", "admin:index", "admin"),
        ],
    ),
    (
        "Informations",
        [
            Entry("Déclaration d’accessibilité", "portal:accessibility"),
            Entry("Mentions légales", "portal:legal_notice"),
            Entry("Données personnelles", "portal:personal_data"),
            Entry("Plan du site", "portal:sitemap"),
        ],
    ),
]


def site_map_for(user):
    """The sections of the site map with the entries this visitor may open (an empty section is left out)."""
    sections = []
    for title, entries in SITE_MAP:
        links = [(entry.label, reverse(entry.url_name)) for entry in entries if entry.shown_to(user)]
        if links:
            sections.append((title, links))
    return sections


def _page(request, template, title, **context):
    return render(request, template, {"title": title, "breadcrumb_data": crumbs(title), **context})


def accessibility(request):
    return _page(
        request,
        "portal/legal/accessibility.html",
        _("Déclaration d’accessibilité"),
        status=ACCESSIBILITY_STATUS,
        audit_date=format_date(AUDIT_DATE),
    )


def legal_notice(request):
    return _page(request, "portal/legal/legal_notice.html", _("Mentions légales"))


def personal_data(request):
    return _page(
        request,
        "portal/legal/personal_data.html",
        _("Données personnelles"),
        session_hours=settings.SESSION_COOKIE_AGE // 3600,
        cool_off_minutes=round(settings.AXES_COOLOFF_TIME * 60),
        token_max_days=settings.API_TOKEN_MAX_DAYS,
        evidence_days=settings.EVIDENCE_REPLACED_RETENTION_DAYS,
        sentry=bool(settings.SENTRY_DSN),
    )


def sitemap(request):
    return _page(request, "portal/legal/sitemap.html", _("Plan du site"), sections=site_map_for(request.user))
