"""Memberships: the scopes read them, a person sees the union of his
entities, a contributor drafts but never submits, and the migration from the
single ``legal_entity`` keeps every user's access."""

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from accounts import memberships, scopes
from accounts.models import EntityMembership, Function, Role
from cooperations.models import LegalEntity
from cpom.models import Cpom
from tests.accounts.factories import UserFactory
from tests.cooperations.factories import LegalEntityFactory, department

pytestmark = pytest.mark.django_db


def test_a_person_with_two_entities_sees_their_union_and_submits_only_where_he_directs():
    a, b, c = (LegalEntityFactory(department=department("75")) for _ in range(3))
    person = UserFactory(director=True, legal_entity=a)
    EntityMembership.objects.create(user=person, legal_entity=b, function=Function.CONTRIBUTOR)
    assert set(LegalEntity.objects.visible_to(person)) == {a, b}
    assert scopes.member_of(person, b.pk) and not scopes.member_of(person, c.pk)
    assert scopes.may_submit_for(person, a.pk) and not scopes.may_submit_for(person, b.pk)
    assert scopes.directed_entity_ids(person) == [a.pk]


def test_a_contributor_cannot_submit_nor_answer_the_concertation():
    from cpom import permissions

    entity = LegalEntityFactory(department=department("75"))
    contributor = UserFactory(contributor=True, legal_entity=entity)
    cpom = Cpom(legal_entity=entity, region=entity.region, status="concertation")
    assert permissions.is_director_of(contributor, cpom)
    assert not permissions.can_propose_change(contributor, cpom)
    assert not scopes.may_submit_for(contributor, entity.pk)


def test_the_regional_manager_manages_his_region_only():
    paris = LegalEntityFactory(department=department("75"))
    lille = LegalEntityFactory(department=department("59"))
    manager = UserFactory(manager=True)
    director_paris = UserFactory(director=True, legal_entity=paris)
    director_lille = UserFactory(director=True, legal_entity=lille)
    agent = UserFactory(negotiator=True)
    managed = set(memberships.users_managed_by(manager))
    assert director_paris in managed and agent in managed and director_lille not in managed
    assert memberships.may_manage_account(manager, director_paris)
    assert not memberships.may_manage_account(manager, director_lille)


def test_a_director_manages_his_contributors_not_other_directors():
    entity = LegalEntityFactory(department=department("75"))
    director = UserFactory(director=True, legal_entity=entity)
    co_director = UserFactory(director=True, legal_entity=entity)
    contributor = UserFactory(contributor=True, legal_entity=entity)
    assert list(memberships.manageable_memberships(director, contributor))
    assert not list(memberships.manageable_memberships(director, co_director))
    assert not memberships.may_manage_account(director, contributor)


def test_grant_is_audited_and_refused_to_an_ars_agent():
    entity = LegalEntityFactory(department=department("75"))
    manager = UserFactory(manager=True)
    newcomer = UserFactory(role=Role.NONE)
    membership = memberships.grant(newcomer, entity, Function.DIRECTOR, by=manager)
    newcomer.refresh_from_db()
    assert newcomer.role == Role.DIRECTOR
    record = membership.history.latest()
    assert record.history_user == manager and record.history_type == "+"
    with pytest.raises(ValidationError):
        memberships.grant(UserFactory(negotiator=True), entity, Function.DIRECTOR, by=manager)


def test_a_contributor_saves_a_draft_but_submitting_is_refused_in_french(monkeypatch):
    from indicators import services

    entity = LegalEntityFactory(department=department("75"))
    contributor = UserFactory(contributor=True, legal_entity=entity)
    with pytest.raises(ValidationError, match="Seul le directeur"):
        services.save_declarations(contributor, None, entity.pk, [], submit=True)


# --- The migration from one legal entity per user --------------------------------------------

BEFORE = [("accounts", "0003_history_of_users")]
AFTER = [("accounts", "0004_entity_memberships_invitations_access_requests")]


@pytest.mark.django_db(transaction=True)
def test_migration_turns_each_single_entity_into_a_director_membership():
    executor = MigrationExecutor(connection)
    others = [node for node in executor.loader.graph.leaf_nodes() if node[0] != "accounts"]
    executor.migrate(BEFORE)
    old = executor.loader.project_state(BEFORE + others).apps
    Region, Department = old.get_model("cooperations", "Region"), old.get_model("cooperations", "Department")  # noqa: N806
    LegalEntityOld, UserOld = old.get_model("cooperations", "LegalEntity"), old.get_model("accounts", "User")  # noqa: N806
    region, _created = Region.objects.get_or_create(code="98", defaults={"name": "Région de test"})
    dept, _created = Department.objects.get_or_create(
        code="981", defaults={"name": "Département de test", "region": region}
    )
    entity = LegalEntityOld.objects.create(finess="970000001", name="CH ancien", department=dept, region=region)
    UserOld.objects.create(username="ancien-directeur", role="directeur", legal_entity=entity)
    UserOld.objects.create(username="ancien-negociateur", role="negociateur", region=region)
    try:
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(AFTER)
        new = executor.loader.project_state(AFTER + others).apps
        Membership = new.get_model("accounts", "EntityMembership")  # noqa: N806
        assert list(Membership.objects.values_list("user__username", "legal_entity__finess", "function")) == [
            ("ancien-directeur", "970000001", "directeur")
        ]
        history = new.get_model("accounts", "HistoricalEntityMembership").objects.get()
        assert history.history_type == "+"
        assert new.get_model("accounts", "User").objects.get(username="ancien-negociateur").region_id == region.pk
    finally:
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes())
