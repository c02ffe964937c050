"""axe-core in Chromium on the main pages of every app, for each role.

For each role (anonymous, administrator, negotiator, observer, director) the
main pages (home, lists, the detail pages of an establishment, an entity, a
structure, a CPOM, a declaration, the commitment form, the validation queue,
the campaign dashboard, the diagnostics, the notifications, the users, the
territories, the legal pages, the 404 and 403 pages) are loaded at 1280 px and
a subset of them at 390 px, their ``<details>`` opened; a few forms are
submitted empty so that their error state is checked too. On each page
axe-core runs the rules tagged WCAG 2.0 and 2.1 A and AA and RGAA 4; none may
be violated, no JavaScript error (uncaught exception or console error) may
occur, every id that an ``aria-describedby``, ``aria-labelledby`` or
``aria-controls`` names is on the page, and at 1280 px as at 390 px every
table fits its container (no horizontal scroll: the action column is visible;
on a phone the rows become blocks) and the page does not scroll sideways. The users are
logged in by their session cookie: the login page is checked anonymous.

axe-core is the npm package of tests/axe/package.json (``make setup`` runs
``npm ci`` there). ``AXE_REPORT=/path.json`` writes the figures (violations per
rule, pages checked per role); ``AXE_SHOTS=/dir`` saves a screenshot of every
page checked, to look at."""

import json
import os
import re
import shutil
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from tests.e2e.conftest import CHROMIUM, browser_type_launch_args  # noqa: F401 - the fixture, reused

AXE = Path(__file__).parent.parent / "axe" / "node_modules" / "axe-core" / "axe.min.js"
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "RGAAv4"]
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _require_tools():
    if not shutil.which(CHROMIUM) and not os.environ.get("REQUIRE_BROWSER"):
        pytest.skip("Chromium absent (apt-get install chromium) : contrôle d’accessibilité non joué.")
    if not AXE.exists():
        message = "axe-core absent : lancez « make setup » (npm ci dans tests/axe)."
        if os.environ.get("REQUIRE_BROWSER"):
            pytest.fail(message)
        pytest.skip(message)


@dataclass(frozen=True)
class Visit:
    """A page to check: its path, the status it answers, whether it is also checked at 390 px, and the
    CSS selector of a form to submit empty (its error state checked too)."""

    path: str
    status: int = 200
    phone: bool = False
    submit: str | None = None


def visits(world):
    """The pages each role checks, from the test world (tests/scenarios.py): the negotiator's walk covers
    every app; the other roles check what they alone see or see differently."""
    entity, site, ght = world["entities"]["a"], world["sites"]["a"], world["ght_idf"]
    cpom, draft, signed = world["cpom_a"], world["cpom_a_draft"], world["cpom_b_signed"]
    campaign, declaration = world["campaign_idf"], world["declaration_a"]
    diagnostic = world["diagnostic_idf"]
    home = Visit(reverse("home"), phone=True)
    cpom_page = Visit(reverse("portal:cpom_detail", args=[cpom.pk]), phone=True)
    dashboard = Visit(reverse("indicators:campaign_dashboard", args=[campaign.pk]))
    queue = Visit(reverse("indicators:validation_queue", args=[campaign.pk]), phone=True)
    declaration_page = Visit(reverse("indicators:declaration_detail", args=[declaration.pk]))
    diagnostic_page = Visit(reverse("diagnostics:diagnostic_detail", args=[diagnostic.pk]))
    missing = Visit("/page-qui-n-existe-pas/", status=404)
    any_form = "#content form[method=post]"
    return {
        "anonymous": [
            Visit(reverse("login"), phone=True, submit=any_form),
            *[Visit(reverse(f"portal:{name}")) for name in ("accessibility", "legal_notice", "personal_data")],
            Visit(reverse("portal:sitemap"), phone=True),
            Visit(reverse("opendata:index")),
            missing,
        ],
        "negotiator": [
            home,
            Visit(reverse("cooperations:establishment_list"), phone=True),
            Visit(reverse("cooperations:establishment_detail", args=[site.finess])),
            Visit(reverse("portal:legal_entity_detail", args=[entity.finess])),
            Visit(reverse("cooperations:structure_list")),
            Visit(reverse("cooperations:structure_detail", args=[ght.pk]), phone=True),
            Visit(reverse("cpom:cpom_list"), phone=True),
            cpom_page,
            Visit(reverse("portal:cpom_detail", args=[signed.pk])),
            Visit(reverse("portal:cpom_detail", args=[draft.pk])),
            Visit(reverse("cpom:cpom_history", args=[signed.pk])),
            Visit(reverse("portal:annex_preview", args=[signed.pk])),
            Visit(reverse("cpom:indicator_library")),
            Visit(
                reverse("cpom:commitment_update", args=[world["commitment_a"].pk]),
                phone=True,
                submit="form[data-commitment-form]",
            ),
            Visit(reverse("cpom:commitment_create", args=[draft.pk]), submit="form[data-commitment-form]"),
            Visit(reverse("indicators:campaign_list")),
            Visit(dashboard.path, phone=True),
            queue,
            Visit(declaration_page.path, submit='form[action$="/renvoyer/"]'),
            Visit(reverse("indicators:declare", args=[campaign.pk, entity.finess])),
            Visit(reverse("indicators:campaign_update", args=[campaign.pk])),
            Visit(reverse("diagnostics:diagnostic_list")),
            Visit(diagnostic_page.path, phone=True),
            Visit(reverse("diagnostics:inventory", args=[diagnostic.pk])),
            Visit(reverse("diagnostics:axis_update", args=[world["axis_idf"].pk])),
            Visit(reverse("diagnostics:diagnostic_print", args=[diagnostic.pk])),
            Visit(reverse("notifications:list")),
            Visit(reverse("notifications:preferences")),
            Visit(reverse("territories:index")),
            Visit(reverse("territories:region", args=["11"]), phone=True),
            Visit(reverse("territories:ght", args=[ght.code])),
            Visit(reverse("portal:sitemap")),
            Visit(reverse("cooperations:import_list"), status=403),
        ],
        "admin": [
            home,
            Visit(reverse("portal:user_list"), phone=True),
            Visit(reverse("portal:user_detail", args=[world["users"]["director"].pk])),
            Visit(reverse("portal:invitation_create"), submit=any_form),
            Visit(reverse("cooperations:import_list")),
            Visit(reverse("cooperations:import_detail", args=[world["import_run"].pk])),
            Visit(reverse("indicators:input_list")),
            Visit(reverse("indicators:computation_list")),
            Visit(reverse("audit_log")),
            Visit(reverse("cpom:cpom_create"), submit=any_form),
            Visit(reverse("cpom:cpom_list")),
            queue,
            missing,
        ],
        "observer": [
            home,
            cpom_page,
            dashboard,
            queue,
            declaration_page,
            diagnostic_page,
            Visit(reverse("cpom:cpom_create"), status=403),
        ],
        "director": [
            home,
            Visit(reverse("portal:legal_entity_detail", args=[entity.finess])),
            Visit(reverse("portal:legal_entity_detail", args=[world["entities"]["c"].finess]), status=404),
            cpom_page,
            Visit(reverse("cpom:proposal_create", args=[world["commitment_a"].pk])),
            Visit(reverse("indicators:campaign_list")),
            Visit(reverse("indicators:declare", args=[campaign.pk, entity.finess]), phone=True),
            declaration_page,
            Visit(reverse("notifications:list"), phone=True),
            Visit(reverse("cpom:cpom_create"), status=403),
        ],
    }


def _log_in(context, live_server, user):
    """The session of a logged-in user, set as the browser's cookie (the login page is checked anonymous)."""
    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": live_server.url}])


# What a refused submit shows.
REFUSED = "#error-summary, .fr-input-group--error, .fr-select-group--error, .fr-alert--error, .fr-error-text"
# The fields emptied before a refused submit.
EMPTIED = "input[type=text], input[type=number], input[type=email], input[type=date], input:not([type]), textarea"
AXE_RUN = "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})"
# A table keeps to its container (1280 px and 390 px): no horizontal scroll hides its last (action) column.
OVERFLOWING_TABLES = """() => [...document.querySelectorAll('.fr-table__container, .fr-table__wrapper')]
  .filter(box => box.scrollWidth > box.clientWidth + 1)
  .map(box => (box.closest('.fr-table').querySelector('th') || {}).textContent?.trim() || '?')"""


# A button with a text shows it: the DSFR makes an icon button « icon only » (its text clipped) unless the
# button or its group says where the icon goes (fr-btn--icon-left, fr-btns-group--icon-left).
CLIPPED_BUTTONS = """() => [...document.querySelectorAll('.fr-btn')]
  .filter(button => button.offsetParent !== null && button.textContent.trim() && !button.title
    && button.scrollWidth > button.clientWidth + 1)
  .map(button => button.textContent.replace(/\\s+/g, ' ').trim())"""


# Nothing makes the page itself wider than the screen.
PAGE_SCROLLS_SIDEWAYS = "() => document.scrollingElement.scrollWidth > window.innerWidth + 1"


# Every id that an ARIA attribute names is on the page (axe only flags it for review).
DANGLING_IDREFS = """() => [...document.querySelectorAll('[aria-describedby], [aria-labelledby], [aria-controls]')]
  .flatMap(element => ['aria-describedby', 'aria-labelledby', 'aria-controls'].flatMap(attribute =>
    (element.getAttribute(attribute) || '').split(/\\s+/).filter(id => id && !document.getElementById(id))
      .map(id => `${attribute}="${id}" (${element.tagName.toLowerCase()}${element.id ? '#' + element.id : ''})`)))"""


class Checker:
    def __init__(self, live_server, report):
        self.live_server, self.report = live_server, report
        self.problems = []
        self.expected_error = False
        self.source = None
        self.shots = Path(os.environ["AXE_SHOTS"]) if os.environ.get("AXE_SHOTS") else None

    def watch(self, page, role):
        """Every uncaught exception and console error of the page is a problem; the console's line
        about the refused page itself (a 403 or 404 checked on purpose) is not."""

        def console(message):
            if message.type != "error":
                return
            if message.text.startswith("Failed to load resource") and message.location.get("url") == page.url:
                if self.expected_error:
                    return
            self.problems.append(f"{role} {page.url} : erreur console « {message.text} »")

        page.on("console", console)
        page.on("pageerror", lambda error: self.problems.append(f"{role} {page.url} : exception « {error} »"))
        page.on("dialog", lambda dialog: dialog.dismiss())

    def check(self, page, role, visit, width):
        self.expected_error = visit.status >= 400
        response = page.goto(f"{self.live_server.url}{visit.path}", wait_until="load")
        label = f"{role} {width}px {visit.path}"
        if response.status != visit.status or urlparse(page.url).path != visit.path:
            self.problems.append(f"{label} : HTTP {response.status} sur {page.url} au lieu de {visit.status}")
            return
        self.report["pages"][role] = self.report["pages"].get(role, 0) + 1
        page.evaluate("document.querySelectorAll('details').forEach(details => { details.open = true; })")
        self._axe(page, label)
        for header in page.evaluate(OVERFLOWING_TABLES):
            self.problems.append(f"{label} : tableau plus large que son conteneur (1re colonne « {header} »)")
        for text in page.evaluate(CLIPPED_BUTTONS):
            self.problems.append(f"{label} : bouton « {text} » réduit à son icône, son texte caché")
        if page.evaluate(PAGE_SCROLLS_SIDEWAYS):
            self.problems.append(f"{label} : la page défile horizontalement")
        self._shoot(page, label)
        if visit.submit and width == DESKTOP["width"]:
            form = page.locator(visit.submit).first
            form.evaluate(f"form => form.querySelectorAll('{EMPTIED}').forEach(field => {{ field.value = ''; }})")
            self.expected_error = True  # a refused form may answer 400
            with page.expect_navigation(wait_until="load") as navigation:
                form.evaluate("form => { form.noValidate = true; form.requestSubmit(); }")
            status = navigation.value.status
            if status not in (200, 400) or not page.locator(REFUSED).count():
                self.problems.append(f"{label} : l’envoi vide répond {status} sans erreur affichée")
                return
            self._axe(page, f"{label} (après un envoi refusé)")
            self._shoot(page, f"{label} envoi refusé")

    def _axe(self, page, label):
        started = time.monotonic()
        if not page.evaluate("typeof window.axe !== 'undefined'"):
            self.source = self.source or AXE.read_text()
            page.evaluate(self.source)  # evaluated, not a <script>: the CSP refuses inline scripts
        violations = page.evaluate(AXE_RUN, TAGS)["violations"]
        self.report["seconds_in_axe"] += time.monotonic() - started
        for reference in page.evaluate(DANGLING_IDREFS):
            self.problems.append(f"{label} : {reference} ne désigne aucun élément de la page")
        for violation in violations:
            self.report["violations"][violation["id"]] += len(violation["nodes"])
            targets = ", ".join(" ".join(node["target"]) for node in violation["nodes"][:5])
            more = f" (+{len(violation['nodes']) - 5})" if len(violation["nodes"]) > 5 else ""
            self.problems.append(f"{label} : {violation['id']} ({violation['impact']}) sur {targets}{more}")

    def _shoot(self, page, label):
        if self.shots:
            self.shots.mkdir(parents=True, exist_ok=True)
            name = re.sub(r"[^\w]+", "_", label).strip("_")
            page.screenshot(path=str(self.shots / f"{name}.png"), full_page=True)


def test_main_pages_of_every_role_pass_axe_with_no_javascript_error(browser, live_server, e2e_world):
    _require_tools()
    report = {"violations": Counter(), "pages": {}, "seconds_in_axe": 0.0}
    checker = Checker(live_server, report)
    try:
        for role, role_visits in visits(e2e_world).items():
            context = browser.new_context(viewport=DESKTOP, locale="fr-FR")
            if role != "anonymous":
                _log_in(context, live_server, e2e_world["users"][role])
            page = context.new_page()
            checker.watch(page, role)
            for visit in role_visits:
                checker.check(page, role, visit, DESKTOP["width"])
            page.set_viewport_size(PHONE)
            for visit in role_visits:
                if visit.phone:
                    checker.check(page, role, visit, PHONE["width"])
            context.close()
    finally:
        if os.environ.get("AXE_REPORT"):
            Path(os.environ["AXE_REPORT"]).write_text(json.dumps(report, ensure_ascii=False, indent=1, sort_keys=True))
    assert not checker.problems, f"{len(checker.problems)} problèmes :\n" + "\n".join(checker.problems)
