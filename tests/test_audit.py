"""The audit trail: every domain object's changes are kept (who, when,
before → after) and an admin searches them on one page."""

import datetime

import pytest
from django.apps import apps
from django.db import connection
from django.http import QueryDict
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from simple_history.utils import update_change_reason

from accounts.models import Role
from audit import trail
from audit.trail import Search, audited_models, page
from cooperations.models import CooperationStructure
from tests.accounts.factories import UserFactory
from tests.cooperations.factories import LegalEntityFactory, StructureFactory
from tests.cpom.factories import CommitmentFactory, cpom_for

pytestmark = pytest.mark.django_db

DOMAIN_APPS = ("accounts", "cooperations", "cpom", "indicators", "diagnostics", "reviews")
# Models kept out of the trail, each with its reason. A new model of the
# domain apps must be audited or named here: this test fails otherwise.
NOT_AUDITED = {
    # Nomenclatures loaded from INSEE and FINESS files by load_reference_data.
    "cooperations.region": "nomenclature INSEE",
    "cooperations.department": "nomenclature INSEE",
    "cooperations.legalstatus": "nomenclature FINESS",
    "cooperations.category": "nomenclature FINESS",
    # Register data written in bulk by an import, traced by its ImportRun report.
    "cooperations.registerengagement": "import FINESS+",
    "cooperations.importrun": "compte rendu d’import (auteur, date, résultat)",
    # Immutable records: written once, never edited.
    "cpom.annexfile": "PDF généré, empreinte SHA-256",
    "cpom.annexarchive": "ZIP généré, expire",
    "reviews.reviewdocument": "PDF généré, numéroté, empreinte SHA-256",
    "indicators.declarationevent": "est lui-même un journal",
    "indicators.inputimport": "import de données, auteur et empreinte",
    "indicators.hospitalstay": "données importées en masse",
    "indicators.supportcost": "données importées en masse",
    "indicators.marketshare": "données publiques Hospi Diag",
    "indicators.activityrecord": "données publiques ScanSanté",
    "indicators.computationrun": "calcul : auteur, date, état",
    "indicators.computedvalue": "valeur calculée, empreinte des entrées",
}


def test_every_domain_model_is_audited_or_exempted_with_a_reason():
    audited = set(audited_models())
    for model in apps.get_models():
        label = model._meta.label_lower
        if model._meta.app_label not in DOMAIN_APPS or label.split(".")[1].startswith("historical"):
            continue
        assert (label in audited) != (label in NOT_AUDITED), label
    assert {
        "cpom.cpom",
        "cpom.commitment",
        "cooperations.cooperationstructure",
        "cooperations.membership",
        "cpom.indicator",
        "cpom.targetvalue",
        "indicators.declaration",
        "diagnostics.axis",
        "accounts.user",
    } <= audited


@pytest.fixture
def admin_client(client):
    admin = UserFactory(username="admin_audit", role=Role.ADMIN, is_staff=True, is_superuser=True)
    client.force_login(admin)
    return client


def _rename(structure, name, user):
    structure.name = name
    structure._history_user = user
    structure.save()


def test_a_change_shows_who_when_and_before_after(world, admin_client):
    negotiator = world["users"]["negotiator"]
    structure = world["ght_idf"]
    _rename(structure, "GHT des Yvelines Nord", negotiator)

    response = admin_client.get(reverse("audit_log"), {"model": "cooperations.cooperationstructure"})
    assert response.status_code == 200
    entry = response.context["entries"][0]
    assert entry.user == negotiator
    assert entry.action_label == "Modification"
    assert entry.object_id == structure.pk
    assert [(c.before, c.after) for c in entry.changes] == [("Yvelines test", "GHT des Yvelines Nord")]
    assert (timezone.now() - entry.date) < datetime.timedelta(minutes=1)
    html = response.content.decode()
    assert "Yvelines test → GHT des Yvelines Nord" in html
    assert negotiator.username in html or negotiator.get_full_name() in html


def test_creation_and_deletion_are_in_the_trail(world, admin_client):
    structure = StructureFactory(name="Convention de biologie")
    pk = structure.pk
    structure.delete()
    entries, _following = page(Search(model="cooperations.cooperationstructure", q=str(pk)))
    assert [e.action for e in entries] == ["-", "+"]
    assert any(c.field.lower() == "nom" and c.after == "Convention de biologie" for c in entries[1].changes)
    assert any(c.before == "Convention de biologie" and c.after == "—" for c in entries[0].changes)


def test_foreign_keys_and_choices_read_as_labels(world):
    director = world["users"]["director"]
    director.region = world["entities"]["b"].region
    director.role = "observateur"
    director.save()
    entry = page(Search(model="accounts.user", q=director.username))[0][0]
    change = next(c for c in entry.changes if c.after == str(world["entities"]["b"].region))
    assert change.before == "—"


def test_search_by_author_action_text_and_dates(world, admin_client):
    negotiator, other = world["users"]["negotiator"], world["users"]["negotiator_other"]
    _rename(world["ght_idf"], "Premier nom", negotiator)
    _rename(world["ght_hdf"], "Second nom", other)
    update_change_reason(world["ght_hdf"], "fusion des GHT")

    by_author = page(Search(user=other.username))[0]
    assert by_author and {e.user for e in by_author} == {other}
    assert [e.label for e in page(Search(q="Premier nom"))[0]] == ["Premier nom"]
    assert [e.label for e in page(Search(q="fusion des"))[0]] == ["Second nom"]
    assert {e.action for e in page(Search(action="~", model="cooperations.cooperationstructure"))[0]} == {"~"}
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    assert page(Search(date_from=tomorrow))[0] == []
    assert page(Search(date_to=tomorrow, q="Premier nom"))[0]

    response = admin_client.get(reverse("audit_log"), {"date_from": "2026-02-01", "date_to": "2026-01-01"})
    assert "La date de début doit précéder la date de fin." in response.content.decode()
    assert response.context["entries"] == []
    response = admin_client.get(reverse("audit_log"), {"date_from": "hier"})
    assert "Saisissez une date valide." in response.content.decode()


def test_pages_follow_each_other_without_gap_or_repeat(world):
    structure = world["ght_idf"]
    user = world["users"]["negotiator"]
    for n in range(7):
        _rename(structure, f"Nom {n}", user)
    search = Search(model="cooperations.cooperationstructure", q=str(structure.pk))
    seen = []
    while True:
        entries, following = page(search, size=3)
        seen += [e.label for e in entries]
        if not following:
            break
        search.before = following
    assert seen == [f"Nom {n}" for n in reversed(range(7))] + ["Yvelines test"]


def test_entries_of_the_same_instant_are_neither_skipped_nor_repeated(world, admin_client, monkeypatch):
    """A bulk generation writes many records with one timestamp: pages follow them all."""
    monkeypatch.setattr(trail, "PAGE_SIZE", 3)
    moment = timezone.now()
    structures = [StructureFactory(name=f"Convention {n}") for n in range(7)]
    history = CooperationStructure.history.model.objects.filter(id__in=[s.pk for s in structures])
    history.update(history_date=moment)
    Membership = apps.get_model("cooperations", "Membership")
    members = [
        Membership.objects.create(structure=structures[n], legal_entity=world["entities"]["a"]) for n in range(3)
    ]
    Membership.history.model.objects.filter(id__in=[m.pk for m in members]).update(history_date=moment)
    shown, url, params = [], reverse("audit_log"), {"date_from": timezone.localdate(moment).isoformat()}
    while True:
        response = admin_client.get(url, params)
        shown += [(e.model_name, e.object_id) for e in response.context["entries"] if e.date == moment]
        if not response.context["older"]:
            break
        params = dict(QueryDict(response.context["older"]).items())
    assert len(shown) == len(set(shown)) == 10
    response = admin_client.get(url, {"q": "²"})
    assert response.status_code == 200 and response.context["entries"] == []


def test_a_login_is_no_change_of_the_account(world, client):
    director = world["users"]["director"]
    count = director.history.count()
    response = client.post(reverse("login"), {"username": director.username, "password": "motdepasse-test-123"})
    assert response.status_code == 302
    director.refresh_from_db()
    assert director.last_login is not None
    assert director.history.count() == count
    director.first_name = "Jeanne"
    director.save()
    assert director.history.count() == count + 1


def test_queries_stay_constant_as_the_trail_grows(world, admin_client):
    """Commitments of more and more CPOMs: their names read the CPOM's entity."""
    user = world["users"]["negotiator"]

    def add_commitments(count):
        for n in range(count):
            cpom = cpom_for(LegalEntityFactory(name=f"CH Audit {count}-{n}"), user=user)
            commitment = CommitmentFactory(cpom=cpom, title=f"Filière {n}")
            commitment.title = f"Filière renommée {n}"
            commitment.save()

    def queries(**search):
        with CaptureQueriesContext(connection) as ctx:
            response = admin_client.get(reverse("audit_log"), search)
            assert response.status_code == 200
        return len(ctx), len(response.context["entries"])

    add_commitments(2)
    small, shown_small = queries(model="cpom.commitment")
    add_commitments(25)
    large, shown_large = queries(model="cpom.commitment")
    assert shown_large > shown_small
    assert large == small
    # Every kind of object on one page: still bounded by the number of audited models, not by the rows.
    everything, shown = queries()
    assert shown == 50
    assert everything <= 8 + 3 * len(audited_models())


def test_the_type_filter_keeps_the_names_as_written():
    """« CPOM », not « Cpom » (str.capitalize lowers the rest of the name)."""
    from audit.forms import AuditSearchForm

    labels = [label for _value, label in AuditSearchForm().fields["model"].choices]
    assert "CPOM" in labels and "Cpom" not in labels
