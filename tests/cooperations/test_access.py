"""Every URL × every role: who gets what. A new URL without its row fails."""

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

ROLES = ["anonymous", "admin", "negotiator", "observer", "negotiator_other", "director", "director_other"]


def _input_run(world):
    """The pk of a stays file uploaded by the négociateur of Île-de-France, not yet imported."""
    from cooperations.models import ImportRun

    return ImportRun.objects.create(
        kind=ImportRun.Kind.STAYS,
        source="PMSI 2025",
        region=world["ght_idf"].region,
        file="imports/sejours.csv",
        original_name="sejours.csv",
        created_by=world["users"]["negotiator"],
    ).pk


def _notification_of(world, role):
    """The pk of a notification of ``role``'s user, leading to the home page."""
    from notifications.services import notify

    return notify([world["users"][role]], "cpom_signed", "CPOM signé", "/")[0].pk


def _template_pk():
    from cpom.models import IndicatorTemplate

    return IndicatorTemplate.objects.order_by("pk").values_list("pk", flat=True).first()


def _invitation(world):
    """A pending invitation of a contributor of entity A by its director, and its one-time token."""
    from accounts.invitations import invite
    from accounts.models import GrantKind

    return invite(
        world["users"]["director"], "nouvelle@ch-alpha.test", GrantKind.CONTRIBUTOR, legal_entity=world["entities"]["a"]
    )


def _access_request(world):
    """A pending access request to entity A by a person without a role."""
    from accounts.access_requests import request_access
    from accounts.models import GrantKind, Role
    from tests.accounts.factories import UserFactory

    return request_access(
        UserFactory(role=Role.NONE), GrantKind.CONTRIBUTOR, "Cadre", legal_entity=world["entities"]["a"]
    )


def _review_of(world, key, year=2024):
    """The (cpom pk, year) of a review of ``world[key]``, seeded from its values (its campaign's rule aside)."""
    from reviews import services
    from reviews.models import AnnualReview

    cpom = world[key]
    if not AnnualReview.objects.filter(cpom=cpom, year=year).exists():
        services.seed_review(cpom, world["users"]["admin"], year)
    return [cpom.pk, year]


def _evaluation_of(world, key):
    """The cpom pk of ``world[key]``, its final evaluation opened."""
    from reviews import services
    from reviews.models import FinalEvaluation

    cpom = world[key]
    if not FinalEvaluation.objects.filter(cpom=cpom).exists():
        services.open_evaluation(cpom, world["users"]["admin"])
    return [cpom.pk]


# name, args builder, expected status per role (same order as ROLES).
# 302 for anonymous means "sent to the login page".
TABLE = [
    ("home", lambda w: [], [302, 200, 200, 200, 200, 200, 200]),
    ("cooperations:establishment_list", lambda w: [], [302, 200, 200, 200, 200, 200, 200]),
    ("cooperations:establishment_detail", lambda w: [w["sites"]["a"].finess], [302, 200, 200, 200, 404, 200, 404]),
    ("cooperations:establishment_detail", lambda w: [w["sites"]["b"].finess], [302, 200, 200, 200, 404, 404, 404]),
    ("cooperations:establishment_detail", lambda w: [w["sites"]["c"].finess], [302, 200, 404, 404, 200, 404, 200]),
    ("cooperations:establishment_detail", lambda w: ["000000000"], [302, 404, 404, 404, 404, 404, 404]),
    ("portal:legal_entity_detail", lambda w: [w["entities"]["a"].finess], [302, 200, 200, 200, 404, 200, 404]),
    ("portal:legal_entity_detail", lambda w: [w["entities"]["b"].finess], [302, 200, 200, 200, 404, 404, 404]),
    ("portal:legal_entity_detail", lambda w: [w["entities"]["d"].finess], [302, 200, 404, 404, 200, 404, 404]),
    ("cooperations:structure_list", lambda w: [], [302, 200, 200, 200, 200, 200, 200]),
    ("cooperations:structure_detail", lambda w: [w["ght_idf"].pk], [302, 200, 200, 200, 404, 200, 404]),
    ("cooperations:structure_detail", lambda w: [w["ght_hdf"].pk], [302, 200, 404, 404, 200, 404, 200]),
    ("cooperations:structure_create", lambda w: [], [302, 200, 200, 403, 200, 403, 403]),
    ("cooperations:structure_update", lambda w: [w["ght_idf"].pk], [302, 200, 200, 403, 404, 403, 404]),
    ("cooperations:structure_update", lambda w: [w["ght_hdf"].pk], [302, 200, 404, 404, 200, 404, 403]),
    ("cpom:cpom_list", lambda w: [], [302, 200, 200, 200, 200, 200, 200]),
    ("cpom:cpom_create", lambda w: [], [302, 200, 200, 403, 200, 403, 403]),
    ("portal:cpom_detail", lambda w: [w["cpom_a"].pk], [302, 200, 200, 200, 404, 200, 404]),
    ("portal:cpom_detail", lambda w: [w["cpom_a_draft"].pk], [302, 200, 200, 200, 404, 404, 404]),
    ("portal:cpom_detail", lambda w: [w["cpom_b_signed"].pk], [302, 200, 200, 200, 404, 404, 404]),
    ("portal:cpom_detail", lambda w: [w["cpom_c"].pk], [302, 200, 404, 404, 200, 404, 200]),
    ("cpom:cpom_update", lambda w: [w["cpom_a"].pk], [302, 200, 200, 403, 404, 403, 404]),
    # A signed CPOM: the negotiator is sent back to it with the reason.
    ("cpom:cpom_update", lambda w: [w["cpom_b_signed"].pk], [302, 302, 302, 403, 404, 404, 404]),
    ("cpom:cpom_history", lambda w: [w["cpom_a"].pk], [302, 200, 200, 200, 404, 200, 404]),
    ("cpom:cpom_history", lambda w: [w["cpom_c"].pk], [302, 200, 404, 404, 200, 404, 200]),
    ("cpom:commitment_create", lambda w: [w["cpom_a"].pk], [302, 200, 200, 403, 404, 403, 404]),
    ("cpom:commitment_create", lambda w: [w["cpom_b_signed"].pk], [302, 302, 302, 403, 404, 404, 404]),
    ("cpom:commitment_update", lambda w: [w["commitment_a"].pk], [302, 200, 200, 403, 404, 403, 404]),
    ("cpom:commitment_update", lambda w: [w["commitment_b"].pk], [302, 302, 302, 403, 404, 404, 404]),
    ("cpom:commitment_update", lambda w: [w["commitment_c"].pk], [302, 200, 404, 404, 200, 404, 403]),
    ("portal:annex_preview", lambda w: [w["cpom_a"].pk], [302, 200, 200, 200, 404, 403, 404]),
    ("portal:annex_preview", lambda w: [w["cpom_c"].pk], [302, 200, 404, 404, 200, 404, 403]),
    ("portal:annex_download", lambda w: [w["cpom_b_signed"].pk], [302, 200, 200, 200, 404, 404, 404]),
    ("cpom:annex_archive_detail", lambda w: [w["archive_idf"].pk], [302, 200, 200, 403, 404, 403, 403]),
    ("cpom:annex_archive_status", lambda w: [w["archive_idf"].pk], [302, 200, 200, 403, 404, 403, 403]),
    # Not built yet: nothing to download, even for those who may.
    ("cpom:annex_archive_download", lambda w: [w["archive_idf"].pk], [302, 404, 404, 403, 404, 403, 403]),
    ("cpom:annex_archive_create", lambda w: [], [302, 405, 405, 405, 405, 405, 405]),
    ("cpom:proposal_create", lambda w: [w["commitment_a"].pk], [302, 403, 403, 403, 404, 200, 404]),
    ("cpom:proposal_create", lambda w: [w["commitment_c"].pk], [302, 403, 404, 404, 403, 404, 200]),
    # Reached by POST only: a GET changes nothing (the POST rights are in test_cpom_views.py).
    ("cpom:cpom_delete", lambda w: [w["cpom_a_draft"].pk], [302, 405, 405, 405, 405, 405, 405]),
    ("cpom:cpom_transition", lambda w: [w["cpom_a"].pk], [302, 405, 405, 405, 405, 405, 405]),
    ("cpom:cpom_comment", lambda w: [w["cpom_a"].pk], [302, 405, 405, 405, 405, 405, 405]),
    ("cpom:commitment_delete", lambda w: [w["commitment_a"].pk], [302, 405, 405, 405, 405, 405, 405]),
    ("cpom:commitment_move", lambda w: [w["commitment_a"].pk], [302, 405, 405, 405, 405, 405, 405]),
    ("cpom:proposal_decide", lambda w: [w["proposal_a"].pk], [302, 405, 405, 405, 405, 405, 405]),
    ("cooperations:import_list", lambda w: [], [302, 200, 403, 403, 403, 403, 403]),
    ("cooperations:import_detail", lambda w: [w["import_run"].pk], [302, 200, 403, 403, 403, 403, 403]),
    ("cooperations:import_status", lambda w: [w["import_run"].pk], [302, 200, 403, 403, 403, 403, 403]),
    # Follow-up of the indicators (campaigns of 2025 open in both régions).
    ("indicators:campaign_list", lambda w: [], [302, 200, 200, 200, 200, 200, 200]),
    ("indicators:campaign_create", lambda w: [], [302, 200, 200, 403, 200, 403, 403]),
    # Every establishment of a campaign: the ARS only; a director sees the campaign, not the others.
    ("indicators:campaign_dashboard", lambda w: [w["campaign_idf"].pk], [302, 200, 200, 200, 404, 403, 404]),
    ("indicators:campaign_dashboard", lambda w: [w["campaign_hdf"].pk], [302, 200, 404, 404, 200, 404, 403]),
    ("indicators:campaign_update", lambda w: [w["campaign_idf"].pk], [302, 200, 200, 403, 404, 403, 404]),
    ("indicators:validation_queue", lambda w: [w["campaign_idf"].pk], [302, 200, 200, 200, 404, 403, 404]),
    ("indicators:validation_queue", lambda w: [w["campaign_hdf"].pk], [302, 200, 404, 404, 200, 404, 403]),
    (
        "indicators:declare",
        lambda w: [w["campaign_idf"].pk, w["entities"]["a"].finess],
        [302, 200, 200, 200, 404, 200, 404],
    ),
    # An entity the campaign does not cover.
    (
        "indicators:declare",
        lambda w: [w["campaign_idf"].pk, w["entities"]["b"].finess],
        [302, 404, 404, 404, 404, 404, 404],
    ),
    (
        "indicators:declare",
        lambda w: [w["campaign_hdf"].pk, w["entities"]["c"].finess],
        [302, 200, 404, 404, 200, 404, 200],
    ),
    # Another campaign's entity through this campaign's URL.
    (
        "indicators:declare",
        lambda w: [w["campaign_hdf"].pk, w["entities"]["a"].finess],
        [302, 404, 404, 404, 404, 404, 404],
    ),
    ("indicators:declaration_detail", lambda w: [w["declaration_a"].pk], [302, 200, 200, 200, 404, 200, 404]),
    ("indicators:declaration_detail", lambda w: [w["declaration_c"].pk], [302, 200, 404, 404, 200, 404, 200]),
    # No evidence attached: nothing to download (the rights are in tests/indicators).
    ("indicators:declaration_evidence", lambda w: [w["declaration_a"].pk], [302, 404, 404, 404, 404, 404, 404]),
    ("indicators:declaration_validate", lambda w: [w["declaration_a"].pk], [302, 405, 405, 405, 405, 405, 405]),
    ("indicators:declaration_send_back", lambda w: [w["declaration_a"].pk], [302, 405, 405, 405, 405, 405, 405]),
    ("indicators:declaration_note", lambda w: [w["declaration_a"].pk], [302, 405, 405, 405, 405, 405, 405]),
    ("indicators:indicator_detail", lambda w: [w["indicators_a_old"][0].pk], [302, 200, 200, 200, 404, 200, 404]),
    ("indicators:indicator_detail", lambda w: [w["indicator_a"].pk], [302, 200, 200, 200, 404, 200, 404]),
    # Computed indicators: input data (national) for the ARS's négociateurs, runs within the région.
    ("indicators:input_list", lambda w: [], [302, 200, 200, 403, 200, 403, 403]),
    ("indicators:input_detail", lambda w: [w["input_import"].pk], [302, 200, 200, 403, 200, 403, 403]),
    # A négociateur's upload being imported: his région's ARS who import, not another région's.
    ("indicators:input_run_detail", lambda w: [_input_run(w)], [302, 200, 200, 403, 404, 403, 403]),
    ("indicators:input_run_status", lambda w: [_input_run(w)], [302, 200, 200, 403, 404, 403, 403]),
    ("indicators:computation_list", lambda w: [], [302, 200, 200, 200, 200, 403, 403]),
    ("indicators:computation_detail", lambda w: [w["run_idf"].pk], [302, 200, 200, 200, 404, 404, 404]),
    ("indicators:computation_status", lambda w: [w["run_idf"].pk], [302, 200, 200, 200, 404, 404, 404]),
    # Diagnostics: the ARS of the région works on them; a director of a member reads them and fills his part.
    ("diagnostics:diagnostic_list", lambda w: [], [302, 200, 200, 200, 200, 200, 200]),
    ("diagnostics:diagnostic_create", lambda w: [], [302, 200, 200, 403, 200, 403, 403]),
    ("diagnostics:diagnostic_detail", lambda w: [w["diagnostic_idf"].pk], [302, 200, 200, 200, 404, 200, 404]),
    ("diagnostics:diagnostic_detail", lambda w: [w["diagnostic_hdf"].pk], [302, 200, 404, 404, 200, 404, 200]),
    ("diagnostics:diagnostic_answers", lambda w: [w["diagnostic_idf"].pk], [302, 200, 200, 403, 404, 403, 404]),
    (
        "diagnostics:structure_view",
        lambda w: [w["diagnostic_idf"].pk, w["entities"]["a"].finess],
        [302, 200, 200, 403, 404, 200, 404],
    ),
    # Another member's part: only the ARS.
    (
        "diagnostics:structure_view",
        lambda w: [w["diagnostic_idf"].pk, w["entities"]["b"].finess],
        [302, 200, 200, 403, 404, 403, 404],
    ),
    # An entity outside the diagnostic.
    (
        "diagnostics:structure_view",
        lambda w: [w["diagnostic_idf"].pk, w["entities"]["c"].finess],
        [302, 404, 404, 404, 404, 404, 404],
    ),
    ("diagnostics:inventory", lambda w: [w["diagnostic_idf"].pk], [302, 200, 200, 403, 404, 403, 404]),
    ("diagnostics:inventory_add", lambda w: [w["diagnostic_idf"].pk], [302, 405, 405, 405, 405, 405, 405]),
    ("diagnostics:axis_create", lambda w: [w["diagnostic_idf"].pk], [302, 200, 200, 403, 404, 403, 404]),
    ("diagnostics:axis_update", lambda w: [w["axis_idf"].pk], [302, 200, 200, 403, 404, 403, 404]),
    ("diagnostics:axis_convert", lambda w: [w["axis_idf"].pk], [302, 200, 200, 403, 404, 403, 404]),
    ("diagnostics:diagnostic_print", lambda w: [w["diagnostic_idf"].pk], [302, 200, 200, 200, 404, 200, 404]),
    ("diagnostics:diagnostic_xlsx", lambda w: [w["diagnostic_idf"].pk], [302, 200, 200, 200, 404, 200, 404]),
    ("diagnostics:diagnostic_pdf", lambda w: [w["diagnostic_hdf"].pk], [302, 200, 404, 404, 200, 404, 200]),
    # Only a director is taken to his campaign; the others to the list of campaigns.
    ("indicators:my_declarations", lambda w: [], [302, 302, 302, 302, 302, 302, 302]),
    ("login", lambda w: [], [200, 302, 302, 302, 302, 302, 302]),
    ("health", lambda w: [], [200, 200, 200, 200, 200, 200, 200]),
    ("alive", lambda w: [], [200, 200, 200, 200, 200, 200, 200]),
    ("admin:index", lambda w: [], [302, 200, 302, 302, 302, 302, 302]),
    ("audit_log", lambda w: [], [302, 200, 403, 403, 403, 403, 403]),
    # API tokens (tests/api): the ARS's négociateurs and admins for a région, a director for his entity.
    ("api_tokens:list", lambda w: [], [302, 200, 200, 403, 200, 200, 200]),
    ("api_tokens:revoke", lambda w: [1], [302, 405, 405, 405, 405, 405, 405]),
    # Open data: public; the CPOMs withheld from it, the ARS only.
    ("opendata:index", lambda w: [], [200, 200, 200, 200, 200, 200, 200]),
    ("opendata:schema", lambda w: [], [200, 200, 200, 200, 200, 200, 200]),
    ("opendata:example", lambda w: [], [200, 200, 200, 200, 200, 200, 200]),
    ("opendata:file", lambda w: ["volet3-engagements-11-1999.csv"], [404, 404, 404, 404, 404, 404, 404]),
    ("opendata:withholdings", lambda w: [], [302, 200, 200, 200, 200, 403, 403]),
    ("opendata:withholding_release", lambda w: [1], [302, 405, 405, 405, 405, 405, 405]),
    ("accounts:lockout_list", lambda w: [], [302, 200, 403, 403, 403, 403, 403]),
    ("notifications:list", lambda w: [], [302, 200, 200, 200, 200, 200, 200]),
    ("notifications:preferences", lambda w: [], [302, 200, 200, 200, 200, 200, 200]),
    ("notifications:open", lambda w: [_notification_of(w, "director")], [302, 404, 404, 404, 404, 302, 404]),
    ("notifications:open", lambda w: [_notification_of(w, "negotiator")], [302, 404, 302, 404, 404, 404, 404]),
    ("notifications:mark_all_read", lambda w: [], [302, 405, 405, 405, 405, 405, 405]),
    # The admin's own login page sends everyone to the site's (second factor included).
    ("admin_login_redirect", lambda w: [], [302, 302, 302, 302, 302, 302, 302]),
    # Technical sheets, the library, entity names, suggestions (issues 18-20)
    ("cpom:indicator_library", lambda w: [], [302, 200, 200, 200, 200, 200, 200]),
    ("cpom:template_sheet", lambda w: [_template_pk()], [302, 200, 200, 200, 200, 200, 200]),
    ("cpom:template_sheet", lambda w: [999999], [302, 404, 404, 404, 404, 404, 404]),
    ("cpom:indicator_sheet", lambda w: [w["indicators_a_old"][0].pk], [302, 200, 200, 200, 404, 200, 404]),
    ("cpom:indicator_sheet", lambda w: [w["indicator_a"].pk], [302, 200, 200, 200, 404, 200, 404]),
    ("cpom:indicator_sheet", lambda w: [999999], [302, 404, 404, 404, 404, 404, 404]),
    ("cooperations:legal_entity_name", lambda w: [w["entities"]["a"].finess], [302, 200, 200, 403, 404, 403, 404]),
    ("cooperations:legal_entity_name", lambda w: [w["entities"]["d"].finess], [302, 200, 404, 404, 200, 404, 404]),
    ("cooperations:legal_entity_name", lambda w: ["000000000"], [302, 404, 404, 404, 404, 404, 404]),
    ("cooperations:suggestions", lambda w: ["ght"], [302, 200, 200, 200, 200, 200, 200]),
    ("cooperations:suggestions", lambda w: ["departement"], [302, 200, 200, 200, 200, 200, 200]),
    ("cooperations:suggestions", lambda w: ["entite"], [302, 200, 200, 200, 200, 200, 200]),
    ("cooperations:suggestions", lambda w: ["inconnu"], [302, 404, 404, 404, 404, 404, 404]),
    # Validation: bulk, and reopening (POST only)
    (
        "indicators:bulk_validate",
        lambda w: [w["campaign_idf"].pk, w["entities"]["a"].finess],
        [302, 200, 200, 403, 404, 403, 404],
    ),
    (
        "indicators:bulk_validate",
        lambda w: [w["campaign_hdf"].pk, w["entities"]["c"].finess],
        [302, 200, 404, 404, 200, 404, 403],
    ),
    ("indicators:declaration_reopen", lambda w: [w["declaration_a"].pk], [302, 405, 405, 405, 405, 405, 405]),
    # The pages a State service owes
    ("portal:accessibility", lambda w: [], [200, 200, 200, 200, 200, 200, 200]),
    ("portal:legal_notice", lambda w: [], [200, 200, 200, 200, 200, 200, 200]),
    ("portal:personal_data", lambda w: [], [200, 200, 200, 200, 200, 200, 200]),
    ("portal:sitemap", lambda w: [], [200, 200, 200, 200, 200, 200, 200]),
    # Accounts: user management, invitations, access requests (issue 17; more roles in tests/accounts)
    ("portal:user_list", lambda w: [], [302, 200, 403, 403, 403, 200, 200]),
    ("portal:user_detail", lambda w: [w["users"]["director"].pk], [302, 200, 403, 403, 403, 404, 404]),
    ("portal:user_detail", lambda w: [999999], [302, 404, 403, 403, 403, 404, 404]),
    ("portal:user_action", lambda w: [w["users"]["director"].pk], [302, 405, 405, 405, 405, 405, 405]),
    ("portal:invitation_create", lambda w: [], [302, 200, 403, 403, 403, 200, 200]),
    ("portal:invitation_resend", lambda w: [_invitation(w)[0].pk], [302, 405, 405, 405, 405, 405, 405]),
    ("portal:invitation_revoke", lambda w: [_invitation(w)[0].pk], [302, 405, 405, 405, 405, 405, 405]),
    ("portal:invitation_accept", lambda w: [_invitation(w)[1]], [200, 200, 200, 200, 200, 200, 200]),
    ("portal:invitation_accept", lambda w: ["inconnu"], [404, 404, 404, 404, 404, 404, 404]),
    ("portal:access_request", lambda w: [], [302, 200, 200, 200, 200, 200, 200]),
    ("portal:access_request_decide", lambda w: [_access_request(w).pk], [302, 405, 405, 405, 405, 405, 405]),
    ("portal:choose_entity", lambda w: [], [302, 405, 405, 405, 405, 405, 405]),
    # Territories: ARS users of the région (an admin everywhere); a director none (more in tests/territories)
    ("territories:index", lambda w: [], [302, 200, 200, 200, 200, 403, 403]),
    ("territories:region", lambda w: ["11"], [302, 200, 200, 200, 404, 403, 403]),
    ("territories:region", lambda w: ["32"], [302, 200, 404, 404, 200, 403, 403]),
    ("territories:region", lambda w: ["zz"], [302, 404, 404, 404, 404, 403, 403]),
    ("territories:department", lambda w: ["78"], [302, 200, 200, 200, 404, 403, 403]),
    ("territories:department", lambda w: ["59"], [302, 200, 404, 404, 200, 403, 403]),
    ("territories:ght", lambda w: [w["ght_idf"].code], [302, 200, 200, 200, 404, 403, 403]),
    ("territories:ght", lambda w: [w["ght_hdf"].code], [302, 200, 404, 404, 200, 403, 403]),
    ("territories:download", lambda w: ["regions", "11", "etablissements.csv"], [302, 200, 200, 200, 404, 403, 403]),
    ("territories:download", lambda w: ["regions", "32", "carte.svg"], [302, 200, 404, 404, 200, 403, 403]),
    ("territories:download", lambda w: ["regions", "11", "secret.txt"], [302, 404, 404, 404, 404, 404, 404]),
    ("territories:comparison", lambda w: [w["sites"]["a"].finess], [302, 200, 200, 200, 404, 200, 404]),
    ("territories:comparison", lambda w: [w["sites"]["c"].finess], [302, 200, 404, 404, 200, 404, 200]),
    (
        "territories:comparison_download",
        lambda w: [w["sites"]["a"].finess, "comparaison.csv"],
        [302, 200, 200, 200, 404, 200, 404],
    ),
    (
        "territories:comparison_download",
        lambda w: [w["sites"]["c"].finess, "comparaison.csv"],
        [302, 200, 404, 404, 200, 404, 200],
    ),
    # Yearly reviews and final evaluation (more roles and cases in tests/reviews/test_access_reviews.py)
    ("reviews:review", lambda w: _review_of(w, "cpom_a_old"), [302, 200, 200, 200, 404, 200, 404]),
    ("reviews:review", lambda w: _review_of(w, "cpom_c_old"), [302, 200, 404, 404, 200, 404, 200]),
    ("reviews:minutes", lambda w: _review_of(w, "cpom_a_old"), [302, 200, 200, 200, 404, 200, 404]),
    ("reviews:evaluation", lambda w: _evaluation_of(w, "cpom_a_old"), [302, 200, 200, 200, 404, 200, 404]),
    ("reviews:evaluation", lambda w: _evaluation_of(w, "cpom_c_old"), [302, 200, 404, 404, 200, 404, 200]),
    ("reviews:report", lambda w: _evaluation_of(w, "cpom_a_old"), [302, 200, 200, 200, 404, 200, 404]),
    ("reviews:region", lambda w: [], [302, 200, 200, 200, 200, 403, 403]),
    # Signing in (ProConnect, reset, second factor): ProConnect is not configured here (404; configured in
    # tests/accounts/test_access_signin.py); force_login sessions owe no second factor; no TOTP device yet.
    ("proconnect_login", lambda w: [], [404, 404, 404, 404, 404, 404, 404]),
    ("proconnect_callback", lambda w: [], [404, 404, 404, 404, 404, 404, 404]),
    ("password_reset", lambda w: [], [200, 200, 200, 200, 200, 200, 200]),
    ("password_reset_done", lambda w: [], [200, 200, 200, 200, 200, 200, 200]),
    ("password_reset_confirm", lambda w: ["MQ", "bad-token"], [200, 200, 200, 200, 200, 200, 200]),
    ("password_reset_complete", lambda w: [], [200, 200, 200, 200, 200, 200, 200]),
    ("otp_settings", lambda w: [], [302, 200, 200, 200, 200, 200, 200]),
    ("otp_setup", lambda w: [], [302, 200, 200, 200, 200, 200, 200]),
    ("otp_verify", lambda w: [], [302, 302, 302, 302, 302, 302, 302]),
]
# Reached by POST only, tested in tests/test_auth.py.
POST_ONLY = {"logout"}

CASES = [
    pytest.param(name, args, role, expected, id=f"{name}-{i}-{role}")
    for i, (name, args, statuses) in enumerate(TABLE)
    for role, expected in zip(ROLES, statuses, strict=True)
]


@pytest.fixture(scope="module")
def shared_world(django_db_setup, django_db_blocker):
    """One world for the whole table, built once inside a transaction rolled
    back at the end; each test runs in a savepoint of it (the requests here
    only read)."""
    from django.db import transaction

    from tests.scenarios import build_full_world

    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            yield build_full_world()
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


@pytest.mark.parametrize(("name", "args", "role", "expected"), CASES)
def test_role_gets_expected_status(client, shared_world, db, name, args, role, expected):
    world = shared_world
    if role != "anonymous":
        client.force_login(world["users"][role])
    response = client.get(reverse(name, args=args(world)))
    assert response.status_code == expected, f"{role} on {name}: {response.status_code}"
    if expected == 302 and role == "anonymous":
        assert "/connexion/" in response["Location"] or "/admin/login/" in response["Location"]


def _named_patterns(resolver=None, namespace=""):
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            # The API has its own table, per kind of token (tests/api/test_scopes.py).
            if entry.namespace in ("admin", "api"):
                continue
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from _named_patterns(entry, inner)
        elif isinstance(entry, URLPattern) and entry.name:
            yield f"{namespace}{entry.name}"


def _feature_tables():
    """The URL names of the role tables kept beside a feature
    (``tests/<app>/test_access_<feature>.py``, a ``TABLE`` whose rows start
    with the URL name): those features test their own roles and worlds."""
    import importlib
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    for path in sorted(root.rglob("test_access_*.py")):
        module = importlib.import_module(".".join(path.relative_to(root.parent).with_suffix("").parts))
        yield from (row[0] for row in module.TABLE)


def test_every_named_url_is_in_the_table():
    covered = {name for name, _args, _statuses in TABLE} | set(_feature_tables()) | POST_ONLY
    missing = sorted(set(_named_patterns()) - covered)
    assert not missing, f"URLs without a row in the role table: {missing}"
