"""The API's documentation works in Chromium under the site's Content
Security Policy, from the application's own files (no internet)."""

import shutil

import pytest

from tests.e2e.conftest import CHROMIUM
from tests.e2e.test_csp import LISTEN

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not shutil.which(CHROMIUM), reason="Chromium absent : parcours navigateur non joué."),
]


def test_the_docs_render_with_no_csp_violation_and_no_outside_request(page, live_server):
    outside = []
    page.on(
        "request",
        lambda request: outside.append(request.url) if not request.url.startswith(live_server.url) else None,
    )
    page.add_init_script(LISTEN)
    page.goto(f"{live_server.url}/api/v1/docs/")
    page.wait_for_selector(".swagger-ui .info .title", timeout=15000)
    assert "API Coopérations territoriales" in page.inner_text(".swagger-ui .info .title")
    page.click("#operations-tag-declarations")
    page.wait_for_selector("text=Déclarations, leur statut et leur historique", timeout=15000)
    assert page.evaluate("window.__cspViolations") == []
    assert outside == []
    policy = page.evaluate("() => fetch('/api/v1/docs/').then((r) => r.headers.get('content-security-policy'))")
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy
