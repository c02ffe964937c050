"""Faults (issue 8), the fast ones: Redis stopped while the site is used,
and two people editing the same object. The slow ones (a worker killed,
PostgreSQL restarted under load, Redis stopped then started again under
gunicorn) are scripts under scripts/faults/.

Both CI modes: SQLite with eager Celery, PostgreSQL with REDIS_URL set."""

import datetime
import socket
import time
from contextlib import contextmanager

import pytest
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.db import OperationalError
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import timezone

from config.celery import app
from config.errors import server_error
from cooperations.models import CooperationStructure
from core.concurrency import edit_token
from cpom.models import AnnexArchive, Commitment, Cpom
from diagnostics.models import Axis, InventoryItem, StructureView
from indicators import services as follow_up
from indicators.models import Campaign, ComputationRun, Declaration, DeclarationStatus
from tests.html_forms import FormReader
from tests.pages import with_tokens

pytestmark = pytest.mark.usefixtures("import_scenario", "follow_up_scenario", "diagnostic_scenario")

# --- Redis stopped ----------------------------------------------------------------------------------


def _closed_port() -> int:
    """A local port nothing listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _reset_celery_connections():
    app._pool = None
    if "amqp" in app.__dict__:
        app.amqp._producer_pool = None
    app._backend_cache = None
    app._local.__dict__.pop("backend", None)


@contextmanager
def redis_stopped(settings):
    """Broker, result backend and cache on a port where nothing answers:
    what the application meets when Redis is stopped. The result backend's
    retries are cut to one (the settings line proposed in issue 8: without
    it each enqueue waits ~19 s, see scripts/faults/redis_down.py)."""
    url = f"redis://127.0.0.1:{_closed_port()}/0"
    keys = ("task_always_eager", "broker_url", "result_backend", "result_backend_transport_options")
    previous = {key: app.conf[key] for key in keys}
    app.conf.update(
        task_always_eager=False,
        broker_url=url,
        result_backend=url,
        result_backend_transport_options={
            "retry_policy": {"max_retries": 1, "interval_start": 0, "interval_step": 0.2}
        },
    )
    _reset_celery_connections()
    cache = settings.CACHES
    settings.CACHES = {"default": {**settings.REDIS_CACHE, "LOCATION": url}}
    try:
        yield
    finally:
        settings.CACHES = cache
        app.conf.update(previous)
        _reset_celery_connections()


def _timed(call):
    begin = time.monotonic()
    response = call()
    return response, time.monotonic() - begin


def test_with_redis_stopped_the_site_works_and_declarations_save(
    world, settings, client, django_capture_on_commit_callbacks
):
    campaign, entity = world["campaign_idf"], world["entities"]["a"]
    second = world["indicators_a_old"][1]
    with redis_stopped(settings):
        client.force_login(world["users"]["director"])
        declare = reverse("indicators:declare", args=[campaign.pk, entity.finess])
        for url in (reverse("home"), declare):
            response, seconds = _timed(lambda url=url: client.get(url))
            assert response.status_code == 200 and seconds < 5, (url, response.status_code, seconds)
        response, seconds = _timed(
            lambda: client.post(declare, with_tokens(client, declare, {f"i{second.pk}-value": "14"}))
        )
        assert response.status_code == 302 and seconds < 5
        assert Declaration.objects.get(indicator=second, year=2025).value == 14

        client.force_login(world["users"]["negotiator"])
        for url in (
            reverse("cpom:cpom_list"),
            world["cpom_a"].get_absolute_url(),
            reverse("indicators:campaign_dashboard", args=[campaign.pk]),
            reverse("indicators:computation_list"),
            reverse("diagnostics:diagnostic_detail", args=[world["diagnostic_idf"].pk]),
        ):
            response, seconds = _timed(lambda url=url: client.get(url))
            assert response.status_code == 200 and seconds < 5, (url, response.status_code, seconds)
        # A computation asked for: recorded, pending, and the page says why.
        response, seconds = _timed(
            lambda: client.post(reverse("indicators:computation_list"), {"year": 2025}, follow=True)
        )
        assert "momentanément indisponible" in response.content.decode() and seconds < 5
        assert ComputationRun.objects.latest("pk").status == ComputationRun.Status.PENDING
        # An archive asked for: recorded, pending, no error page.
        with django_capture_on_commit_callbacks(execute=True):
            response, seconds = _timed(lambda: client.post(reverse("cpom:annex_archive_create"), {"status": "signe"}))
        assert response.status_code == 302 and seconds < 5
        assert AnnexArchive.objects.latest("pk").status == AnnexArchive.Status.PENDING

        client.force_login(world["users"]["admin"])
        response = client.get(reverse("cooperations:import_status", args=[world["import_run"].pk]))
        assert response.status_code == 200


def test_work_asked_for_while_redis_was_stopped_runs_once_it_is_back(
    world, settings, client, eager, django_capture_on_commit_callbacks
):
    from cpom.tasks import purge_expired_archives
    from indicators.tasks import compute_every_night

    with redis_stopped(settings):
        client.force_login(world["users"]["negotiator"])
        client.post(reverse("indicators:computation_list"), {"year": 2025})
        with django_capture_on_commit_callbacks(execute=True):
            client.post(reverse("cpom:annex_archive_create"), {"status": "signe"})
    run, archive = ComputationRun.objects.latest("pk"), AnnexArchive.objects.latest("pk")
    assert (run.status, archive.status) == ("en_attente", "en_attente")
    # Redis back: the periodic jobs (Celery beat) take up what waits for over a quarter of an hour.
    stale = timezone.now() - datetime.timedelta(minutes=20)
    ComputationRun.objects.filter(pk=run.pk).update(created_at=stale)
    AnnexArchive.objects.filter(pk=archive.pk).update(created_at=stale)
    assert compute_every_night.apply().get() >= 1
    assert purge_expired_archives.apply().get() == 0
    run, archive = ComputationRun.objects.get(pk=run.pk), AnnexArchive.objects.get(pk=archive.pk)
    assert (run.status, run.done) == ("termine", run.total)
    assert archive.status == "termine" and archive.done == archive.total >= 1
    with archive.file.open("rb") as handle:
        assert handle.read(2) == b"PK"


# --- PostgreSQL unreachable: the error page -----------------------------------------------------------


def test_a_database_outage_answers_503_in_french_and_other_errors_500():
    request = RequestFactory().get("/cpom/")
    try:
        raise OperationalError("server closed the connection unexpectedly")
    except OperationalError:
        response = server_error(request)
    page = response.content.decode()
    assert response.status_code == 503 and response["Retry-After"] == "30"
    assert 'lang="fr"' in page and "rien n’a été enregistré à moitié" in page
    try:
        raise ValueError("bug")
    except ValueError:
        response = server_error(request)
    assert response.status_code == 500 and "Le service rencontre une erreur" in response.content.decode()


# --- Two people editing the same object ----------------------------------------------------------


def _opened_form(client, url, field):
    """The form holding ``field`` as the edit page shows it."""
    reader = FormReader()
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    reader.feed(response.content.decode())
    form = next((f for f in reader.forms if any(name == field for name, _value in f)), None)
    assert form is not None, f"{field} absent de {url}"
    return form


def _with(form, field, value):
    data = {}
    for name, current in form:
        data.setdefault(name, []).append(value if name == field else current)
    return data


def _users(world, first, second):
    clients = []
    for role in (first, second):
        client = Client()
        client.force_login(world["users"][role])
        clients.append(client)
    return clients


def _answer_field(world):
    diagnostic = world["diagnostic_idf"]
    return reverse("diagnostics:diagnostic_answers", args=[diagnostic.pk]), "health_needs"


# Every object a user edits through a form: (editors, url and field, read back).
EDITABLE = {
    "cpom": (
        ("negotiator", "admin"),
        lambda w: (reverse("cpom:cpom_update", args=[w["cpom_a"].pk]), "reference"),
        lambda w: Cpom.objects.get(pk=w["cpom_a"].pk).reference,
    ),
    "commitment (with its partners, indicators and target values)": (
        ("negotiator", "admin"),
        lambda w: (reverse("cpom:commitment_update", args=[w["commitment_a"].pk]), "title"),
        lambda w: Commitment.objects.get(pk=w["commitment_a"].pk).title,
    ),
    "cooperation structure": (
        ("negotiator", "admin"),
        lambda w: (reverse("cooperations:structure_update", args=[w["ght_idf"].pk]), "name"),
        lambda w: CooperationStructure.objects.get(pk=w["ght_idf"].pk).name,
    ),
    "campaign": (
        ("negotiator", "admin"),
        lambda w: (reverse("indicators:campaign_update", args=[w["campaign_idf"].pk]), "closes_on"),
        lambda w: Campaign.objects.get(pk=w["campaign_idf"].pk).closes_on.isoformat(),
    ),
    "declaration (draft value)": (
        ("director", "admin"),
        lambda w: (
            reverse("indicators:declare", args=[w["campaign_idf"].pk, w["entities"]["a"].finess]),
            f"i{w['indicators_a_old'][1].pk}-comment",
        ),
        lambda w: Declaration.objects.get(indicator=w["indicators_a_old"][1], year=2025).comment,
    ),
    "diagnostic (territorial vision and answers)": (
        ("negotiator", "admin"),
        _answer_field,
        lambda w: type(w["diagnostic_idf"]).objects.get(pk=w["diagnostic_idf"].pk).health_needs,
    ),
    "diagnostic axis": (
        ("negotiator", "admin"),
        lambda w: (reverse("diagnostics:axis_update", args=[w["axis_idf"].pk]), "title"),
        lambda w: Axis.objects.get(pk=w["axis_idf"].pk).title,
    ),
    "structure view (needs and constraints)": (
        ("director", "negotiator"),
        lambda w: (
            reverse("diagnostics:structure_view", args=[w["diagnostic_idf"].pk, w["entities"]["a"].finess]),
            "needs",
        ),
        lambda w: StructureView.objects.get(diagnostic=w["diagnostic_idf"], legal_entity=w["entities"]["a"]).needs,
    ),
    "inventory qualification": (
        ("negotiator", "admin"),
        lambda w: (
            reverse("diagnostics:inventory", args=[w["diagnostic_idf"].pk]),
            f"s{w['ght_idf'].pk}-comment",
        ),
        lambda w: InventoryItem.objects.get(diagnostic=w["diagnostic_idf"], structure=w["ght_idf"]).comment,
    ),
}


@pytest.mark.parametrize("name", list(EDITABLE))
def test_two_people_editing_the_same_object_no_silent_overwrite(world, name):
    """Both open the edit page; the first saves; the second saves what he
    typed on the page he opened before (its hidden fields included, whatever
    the object's guard: a version or an edit token). The second must be
    refused with the page shown again, and the first's value stay."""
    (first_role, second_role), where, read_back = EDITABLE[name]
    url, field = where(world)
    first, second = _users(world, first_role, second_role)
    form_first, form_second = _opened_form(first, url, field), _opened_form(second, url, field)
    values = {
        "closes_on": ((timezone.localdate() + datetime.timedelta(days=d)).isoformat() for d in (21, 22)),
    }.get(field, iter(("Valeur du premier", "Valeur du second")))
    mine, theirs = next(values), next(values)
    saved = first.post(url, _with(form_first, field, mine))
    assert saved.status_code == 302, f"{name}: the first save failed ({saved.status_code})"
    assert read_back(world) == mine
    refused = second.post(url, _with(form_second, field, theirs))
    assert refused.status_code in (200, 409), f"{name}: the second save got {refused.status_code}"
    assert read_back(world) == mine, f"{name}: the second editor silently overwrote the first"
    page = refused.content.decode()
    assert "depuis que vous" in page and "écrasé" in page, name
    # What he typed is still on the page, now with the current token: saving it again is his deliberate choice.
    reader = FormReader()
    reader.feed(page)
    again = next(f for f in reader.forms if any(n == field for n, _v in f))
    assert dict(again)[field] == theirs, name
    assert second.post(url, {k: v for k, v in _with(again, field, theirs).items()}).status_code == 302, name
    assert read_back(world) == theirs, name


@pytest.mark.parametrize("name", list(EDITABLE))
def test_a_save_without_its_edit_token_is_refused(world, name):
    """The token is required where the check exists: a post that leaves it
    out (a script, a forged form) is refused, never saved unchecked."""
    (role, _other), where, read_back = EDITABLE[name]
    url, field = where(world)
    (client,) = _users(world, role, role)[:1]
    form = _opened_form(client, url, field)

    def stored():
        try:
            return read_back(world)
        except ObjectDoesNotExist:
            return None  # not created yet: it must stay so

    before = stored()
    data = {key: value for key, value in _with(form, field, "Valeur sans jeton").items() if "edit_token" not in key}
    if field == "closes_on":
        data[field] = [(timezone.localdate() + datetime.timedelta(days=23)).isoformat()]
    response = client.post(url, data)
    assert response.status_code == 200, f"{name}: {response.status_code}"
    assert "envoyée sans l’état de la fiche" in response.content.decode(), name
    assert stored() == before, name


def test_a_stale_cpom_page_is_refused_with_a_message(client, world):
    cpom = world["cpom_a"]
    opened = edit_token(cpom)
    url = reverse("cpom:cpom_update", args=[cpom.pk])
    data = {"first_year": 2026, "last_year": 2030, "edit_token": opened}
    client.force_login(world["users"]["admin"])
    assert client.post(url, {**data, "reference": "ARS-2026-001"}).status_code == 302
    client.force_login(world["users"]["negotiator"])
    page = client.post(url, {**data, "reference": "ARS-2026-XYZ"}, follow=True).content.decode()
    assert "Quelqu’un a enregistré cette fiche depuis que vous l’avez ouverte" in page
    assert Cpom.objects.get(pk=cpom.pk).reference == "ARS-2026-001"


def test_validate_and_send_back_at_once_the_second_is_refused(world):
    """Two negotiators decide the same declaration: a state machine under a
    row lock, the second decision is refused, never applied over the first."""
    declaration, admin = world["declaration_a"], world["users"]["admin"]
    follow_up.validate_declaration(world["users"]["negotiator"], declaration)
    with pytest.raises(ValidationError):
        follow_up.send_back(admin, declaration, "À revoir")
    assert Declaration.objects.get(pk=declaration.pk).status == DeclarationStatus.VALIDATED


def test_a_proposal_decided_twice_keeps_the_first_answer(world):
    from cpom import services
    from cpom.models import ChangeProposal, ProposalStatus

    proposal, admin = world["proposal_a"], world["users"]["admin"]
    services.decide_proposal(proposal, world["users"]["negotiator"], accept=False, note="Non")
    with pytest.raises(ValidationError):
        services.decide_proposal(proposal, admin, accept=True)
    assert ChangeProposal.objects.get(pk=proposal.pk).status == ProposalStatus.REJECTED


def test_submitting_leaves_a_value_sent_back_meanwhile_for_its_correction(client, world):
    """The page showed a submitted value (no field for it); the ARS sends it
    back; « Soumettre » of the other values must not submit it again unseen."""
    url = reverse("indicators:declare", args=[world["campaign_idf"].pk, world["entities"]["a"].finess])
    sent_back, other = world["declaration_a"], world["indicators_a_old"][1]
    client.force_login(world["users"]["director"])
    form = _opened_form(client, url, f"i{other.pk}-value")
    follow_up.send_back(world["users"]["negotiator"], sent_back, "Le chiffre ne correspond pas au bilan")
    response = client.post(url, {**_with(form, f"i{other.pk}-value", "7"), "submit": ""})
    assert response.status_code == 302
    sent_back.refresh_from_db()
    assert sent_back.status == DeclarationStatus.SENT_BACK
    assert Declaration.objects.get(indicator=other, year=2025).status == DeclarationStatus.SUBMITTED


def test_an_inventory_row_added_while_the_page_is_open_keeps_its_qualification(client, world):
    from diagnostics import services as diagnostic_services

    diagnostic, structure = world["diagnostic_idf"], world["ght_idf"]
    url = reverse("diagnostics:inventory", args=[diagnostic.pk])
    client.force_login(world["users"]["negotiator"])
    form = _opened_form(client, url, f"s{structure.pk}-comment")
    added = diagnostic_services.add_missing_cooperation(
        world["users"]["admin"], diagnostic, "Convention d’imagerie", "convention", [world["entities"]["a"]],
        nature="volontaire", purpose="strategique",
    )  # fmt: skip
    assert client.post(url, _with(form, f"s{structure.pk}-comment", "Socle du GHT")).status_code == 302
    added.refresh_from_db()
    assert (added.nature, added.purpose) == ("volontaire", "strategique")
    assert InventoryItem.objects.get(diagnostic=diagnostic, structure=structure).comment == "Socle du GHT"
    # A save that changes nothing writes nothing: other open pages do not become stale.
    count = InventoryItem.history.count()
    again = _opened_form(client, url, f"s{structure.pk}-comment")
    assert client.post(url, _with(again, f"s{structure.pk}-comment", "Socle du GHT")).status_code == 302
    assert InventoryItem.history.count() == count
