"""The load test's checker (it must be able to fail), its data, and the race
the load test revealed: a value sent back while the director's page is open."""

from decimal import Decimal

import pytest
from django.urls import reverse

from indicators.models import Declaration, DeclarationStatus
from tests.pages import with_tokens
from tooling import loadtest_check as check

pytestmark = pytest.mark.usefixtures("follow_up_scenario")


def _declaration(event, indicator, value, status="brouillon", user="d1"):
    return {"kind": "declaration", "event": event, "user": user, "indicator": indicator, "year": 2025, "value": value}


def _ack(indicator, value, status="brouillon"):
    return _declaration("ack", indicator, value) | {"status": status}


def test_checker_passes_when_every_acknowledged_value_is_stored():
    events = [
        _declaration("attempt", 1, "10"),
        _ack(1, "10"),
        _declaration("attempt", 1, "12"),
        _ack(1, "12", "soumise"),
    ]
    report = check.Report()
    check.check_declarations(events, {(1, 2025): [(Decimal("12"), "validee")]}, report)
    check.check_duplicates([(7, 1, 2025)], {7: 1}, report)
    assert report.ok and report.acknowledged == 2 and report.checked == 1 and not report.unconfirmed
    assert not report.ran  # no request was counted: a run that did nothing proves nothing


def test_checker_finds_a_lost_value_and_a_duplicate():
    events = [_ack(1, "10"), _ack(1, "11"), _ack(2, "5"), _ack(3, "8")]
    rows = {(1, 2025): [(Decimal("10"), "brouillon")], (2, 2025): [(Decimal("5"), "brouillon")]}
    report = check.Report()
    check.check_declarations(events, rows, report)
    check.check_duplicates([(7, 1, 2025), (8, 2, 2025), (9, 2, 2025)], {7: 1, 8: 2, 9: 1}, report)
    assert not report.ok
    assert len(report.lost) == 2  # indicator 1 went back to 10; indicator 3 was never stored
    assert "acknowledged 11" in report.lost[0] and "nothing stored" in report.lost[1]
    assert len(report.duplicated) == 2  # two rows for indicator 2, and a declaration created twice
    assert any(line.startswith("lost          2") for line in report.lines())


def test_a_save_acknowledged_but_found_submitted_is_lost():
    report = check.Report()
    check.check_declarations([_ack(1, "10")], {(1, 2025): [(Decimal("10"), "renvoyee")]}, report)
    assert report.ok  # a sent-back value corrected and saved stays sent back until resubmitted
    check.check_declarations([_ack(1, "10")], {(1, 2025): [(Decimal("10"), "soumise")]}, report)
    assert report.lost


def test_a_later_unanswered_write_is_unconfirmed_not_lost():
    events = [_ack(1, "10"), _declaration("attempt", 1, "20")]
    report = check.Report()
    check.check_declarations(events, {(1, 2025): [(Decimal("20"), "brouillon")]}, report)
    assert report.ok and len(report.unconfirmed) == 1


def test_a_validation_is_final():
    decision = {"kind": "decision", "event": "ack", "declaration": 4, "decision": "validee"}
    report = check.Report()
    check.check_decisions([decision], {4: "renvoyee"}, report)
    assert report.lost


def test_two_saves_acknowledged_from_one_token_are_a_lost_update():
    def save(user, base, objective):
        return {"kind": "commitment", "event": "ack", "user": user, "commitment": 3, "base_token": base,
                "objective": objective}  # fmt: skip

    report = check.Report()
    # Token 10 was the page of n1; his save wrote record 14, the page of n2, whose save wrote 17.
    check.check_commitments([save("n1", 10, "a"), save("n2", 14, "b")], {3: ([10, 14, 17], "b")}, report)
    assert report.ok
    check.check_commitments([save("n1", 10, "a"), save("n2", 10, "b")], {3: ([10, 14], "b")}, report)
    assert len(report.lost) == 1 and "overwrote" in report.lost[0]
    # The last acknowledged save, from 14, was followed by a write nobody acknowledged: lost.
    report = check.Report()
    check.check_commitments([save("n1", 10, "a"), save("n2", 14, "b")], {3: ([10, 14, 17, 19], "c")}, report)
    assert len(report.lost) == 1 and "2 saves stored after it" in report.lost[0]


def test_figures_and_server_errors():
    def request(name, ms, status, at):
        return {"kind": "request", "name": name, "ms": ms, "status": status, "failed": status >= 400, "at": at}

    events = [request("/connexion/", 900, 200, 1.0)] + [request("/cpom/", 100 + i, 200, 2.0 + i) for i in range(18)]
    events.append(request("/cpom/", 50, 500, 20.0))
    report = check.Report()
    check.read_figures(events, report)
    assert report.requests == 20 and report.errors == 1 and report.server_errors == 1 and not report.ok
    assert report.steady["requests"] == 19 and report.p95 == 117
    assert report.p50 == report.steady["p50"] == 108 and report.steady["p95"] == 117


# --- The race found by the load test ---------------------------------------------------------------


@pytest.mark.django_db
def test_a_value_sent_back_while_the_page_is_open_is_not_erased(client, world):
    """The director's page showed the first value as submitted (no field for
    it); the ARS sends it back; his draft of another value must leave the
    sent-back one as it is, not empty it."""
    url = reverse("indicators:declare", args=[world["campaign_idf"].pk, world["entities"]["a"].finess])
    sent_back = world["declaration_a"]
    client.force_login(world["users"]["director"])
    page = client.get(url).content.decode()
    other = world["indicators_a_old"][1]
    assert f'name="i{sent_back.indicator_id}-value"' not in page and f'name="i{other.pk}-value"' in page
    before = Declaration.objects.get(pk=sent_back.pk).value

    client.force_login(world["users"]["negotiator"])
    client.post(reverse("indicators:declaration_send_back", args=[sent_back.pk]), {"reason": "À revoir"})

    client.force_login(world["users"]["director"])
    response = client.post(
        url, with_tokens(client, url, {f"i{other.pk}-value": "7", f"i{other.pk}-comment": "", "save": ""})
    )
    assert response.status_code == 302
    sent_back.refresh_from_db()
    assert sent_back.status == DeclarationStatus.SENT_BACK and sent_back.value == before is not None
    assert Declaration.objects.get(indicator=other, year=sent_back.year).value == 7


# --- The load test's data -------------------------------------------------------------------------


@pytest.mark.django_db
def test_load_data_is_built_replaced_and_never_touches_a_real_campaign(world):
    from indicators.models import Campaign
    from tests.cooperations.factories import EstablishmentFactory
    from tooling import loadtest_data

    for _ in range(2):
        EstablishmentFactory()  # entities of the région without a CPOM of their own
    with pytest.raises(loadtest_data.LoadTestDataError):
        loadtest_data.build(directors=2, negotiators=1, drafts=1, year=2025)  # the world's real 2025 campaign

    first = loadtest_data.build(directors=2, negotiators=1, drafts=1, year=2024)
    again = loadtest_data.build(directors=2, negotiators=1, drafts=1, year=2024)
    assert [d["finess"] for d in first["directors"]] == [d["finess"] for d in again["directors"]]
    assert len(again["cpoms"]) == 3 and len(again["commitments"]) == 1
    campaign = Campaign.objects.get(pk=again["campaign"])
    assert campaign.due_indicators().count() == 2 * len(loadtest_data.DECLARED)
    assert not Campaign.objects.filter(pk=first["campaign"]).exists()
