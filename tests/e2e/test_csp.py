"""The Content Security Policy holds in Chromium: the main pages of every
role load with no violation reported, and the deletion's confirmation (a
script file, not an inline handler) still asks before anything is deleted."""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from cpom.models import Cpom
from tests.e2e.test_journeys import log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

# Chromium fires this event for every blocked script, style, image, frame…
LISTEN = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__cspViolations.push(e.violatedDirective + " " + (e.blockedURI || "inline") + " " + e.sourceFile + ":" + e.lineNumber);
});
"""


def _pages(w):
    """The main pages, by the role that uses them."""
    negotiator = [
        reverse("home"),
        reverse("cooperations:establishment_list"),
        reverse("cooperations:establishment_detail", args=[w["sites"]["a"].finess]),
        reverse("cooperations:structure_detail", args=[w["ght_idf"].pk]),
        reverse("cpom:cpom_list"),
        reverse("portal:cpom_detail", args=[w["cpom_a"].pk]),
        reverse("cpom:commitment_update", args=[w["commitment_a"].pk]),
        reverse("portal:annex_preview", args=[w["cpom_a"].pk]),
        reverse("cpom:cpom_history", args=[w["cpom_a"].pk]),
        reverse("indicators:campaign_dashboard", args=[w["campaign_idf"].pk]),
        reverse("indicators:validation_queue", args=[w["campaign_idf"].pk]),
        reverse("indicators:declaration_detail", args=[w["declaration_a"].pk]),
        reverse("indicators:indicator_detail", args=[w["indicators_a_old"][0].pk]),
        reverse("indicators:computation_list"),
        reverse("diagnostics:diagnostic_detail", args=[w["diagnostic_idf"].pk]),
        reverse("diagnostics:diagnostic_print", args=[w["diagnostic_idf"].pk]),
    ]
    director = [
        reverse("home"),
        reverse("indicators:my_declarations"),
        reverse("indicators:declare", args=[w["campaign_idf"].pk, w["entities"]["a"].finess]),
        reverse("portal:cpom_detail", args=[w["cpom_a_old"].pk]),
    ]
    admin = [reverse("cooperations:import_list"), reverse("admin:index"), reverse("audit_log")]
    return {"nego_idf": negotiator, "dir_a": director, "admin_t": admin}


def _violations(page, url):
    page.goto(url)
    page.wait_for_load_state("load")
    return page.evaluate("window.__cspViolations")


def test_main_pages_report_no_csp_violation(page, live_server, e2e_world):
    page.add_init_script(LISTEN)
    console = []
    page.on("console", lambda message: console.append(message.text))
    found = {}
    for username, urls in _pages(e2e_world).items():
        page.context.clear_cookies()
        log_in(page, live_server, username)
        for path in urls:
            response = page.request.get(f"{live_server.url}{path}")
            assert response.status == 200, (username, path, response.status)
            assert "script-src 'self'" in response.headers["content-security-policy"], path
            violations = _violations(page, f"{live_server.url}{path}")
            if violations:
                found[(username, path)] = violations
    assert found == {}
    assert [text for text in console if "Content Security Policy" in text] == []


def test_a_planted_inline_script_is_blocked(page, live_server, e2e_world):
    """The check above can fail: an inline handler is refused and reported."""
    page.add_init_script(LISTEN)
    log_in(page, live_server, "nego_idf")
    page.goto(f"{live_server.url}{reverse('home')}")
    page.evaluate(
        "() => { const s = document.createElement('script'); s.textContent = 'window.__ran = 1';"
        " document.body.appendChild(s); }"
    )
    page.wait_for_function("window.__cspViolations.length > 0")
    assert page.evaluate("window.__ran") is None


def test_deleting_a_draft_cpom_asks_first(page, live_server, e2e_world):
    draft = e2e_world["cpom_a_draft"]
    log_in(page, live_server, "nego_idf")
    page.goto(f"{live_server.url}{reverse('portal:cpom_detail', args=[draft.pk])}")

    page.once("dialog", lambda dialog: dialog.dismiss())
    page.get_by_role("button", name="Supprimer le projet").click()
    expect(page.get_by_role("button", name="Supprimer le projet")).to_be_visible()
    assert Cpom.objects.filter(pk=draft.pk).exists()

    messages = []
    page.once("dialog", lambda dialog: (messages.append(dialog.message), dialog.accept()))
    page.get_by_role("button", name="Supprimer le projet").click()
    expect(page).to_have_url(f"{live_server.url}{reverse('cpom:cpom_list')}")
    assert messages == ["Supprimer ce projet de CPOM et ses engagements ?"]
    assert not Cpom.objects.filter(pk=draft.pk).exists()
