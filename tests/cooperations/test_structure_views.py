import pytest
from django.urls import reverse

from cooperations.models import CompositionSource, CooperationStructure, MemberRole, Membership, StructureKind
from tests.pages import with_tokens


def form_data(members=(), **fields):
    data = {
        "kind": StructureKind.GCS_MEANS,
        "name": "GCS Blanchisserie inter-hospitalière des Yvelines",
        "short_code": "",
        "code": "",
        "finess": "",
        "start_date": "2024-01-01",
        "end_date": "",
        "nature": "volontaire",
        "purpose": "economique",
        "description": "Blanchisserie commune",
        "membres-TOTAL_FORMS": str(len(members)),
        "membres-INITIAL_FORMS": "0",
        "membres-MIN_NUM_FORMS": "0",
        "membres-MAX_NUM_FORMS": "1000",
    }
    data.update(fields)
    for i, member in enumerate(members):
        for key, value in member.items():
            data[f"membres-{i}-{key}"] = value
    return data


def member(finess="", external_name="", role=MemberRole.MEMBER, external_kind=""):
    return {"finess": finess, "external_name": external_name, "role": role, "external_kind": external_kind}


@pytest.mark.django_db
def test_negotiator_creates_a_structure_with_members(client, world):
    client.force_login(world["users"]["negotiator"])
    a, site_b = world["entities"]["a"], world["sites"]["b"]
    data = form_data(
        [
            member(a.finess, role=MemberRole.SUPPORT),
            member(site_b.finess),  # a site: kept, with its entity
            member(external_name="CPTS du Mantois", external_kind="ville", role=MemberRole.PARTNER),
        ]
    )
    response = client.post(reverse("cooperations:structure_create"), data)
    structure = CooperationStructure.objects.get(name=data["name"])
    assert response.status_code == 302 and response["Location"] == structure.get_absolute_url()
    assert structure.region_id == "11" and structure.family == "organique"
    assert structure.updated_by == world["users"]["negotiator"]
    members = {m.member_name: m for m in structure.memberships.all()}
    assert members["CH Alpha"].role == MemberRole.SUPPORT
    assert members[site_b.name].legal_entity == world["entities"]["b"]
    assert members["CPTS du Mantois"].legal_entity is None
    assert all(m.source == CompositionSource.ENTERED for m in members.values())
    page = client.get(structure.get_absolute_url())
    assert "CPTS du Mantois" in page.content.decode() and "Médecine de ville" in page.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("members", "fields", "message"),
    [
        ([member("780000288")], {}, "clé de contrôle"),
        ([member("750000028")], {}, "Aucun établissement ni entité juridique"),
        ([member("", "")], {}, None),  # an empty row is ignored, not an error
        ([member("780000287", "Cabinet X")], {}, "pas les deux"),
        ([member(role=MemberRole.SUPPORT, external_name="A"), member(role=MemberRole.SUPPORT, external_name="B")], {}, "un seul établissement support"),
        ([], {"end_date": "2020-01-01"}, "La date de fin doit suivre"),
        ([], {"finess": "123"}, "9 caractères"),
        ([], {"name": ""}, "Ce champ est obligatoire"),
        ([], {"kind": StructureKind.GHT}, "Sélectionnez un choix valide"),
    ],
)  # fmt: skip
def test_bad_input_gets_a_french_message_and_saves_nothing(client, world, members, fields, message):
    client.force_login(world["users"]["negotiator"])
    before = (CooperationStructure.objects.count(), Membership.objects.count())
    response = client.post(reverse("cooperations:structure_create"), form_data(members, **fields))
    if message is None:
        assert response.status_code == 302
        return
    assert response.status_code == 200
    body = response.content.decode()
    assert message in body, body[body.find("fr-alert") : body.find("fr-alert") + 400]
    assert "rien n’a été enregistré" in body
    assert (CooperationStructure.objects.count(), Membership.objects.count()) == before


@pytest.mark.django_db
def test_editing_a_ght_member_marks_it_entered_and_keeps_reference_fields(client, world):
    ght = world["ght_idf"]
    client.force_login(world["users"]["negotiator"])
    memberships = list(ght.memberships.order_by("pk"))
    data = form_data(
        kind=StructureKind.GHT, name="Yvelines test (renommé)", code="99999", short_code="ZZZ-99",
        **{"membres-INITIAL_FORMS": str(len(memberships)), "membres-TOTAL_FORMS": str(len(memberships))},
    )  # fmt: skip
    for i, m in enumerate(memberships):
        data.update({
            f"membres-{i}-id": str(m.pk), f"membres-{i}-finess": m.legal_entity.finess,
            f"membres-{i}-role": MemberRole.PARTNER if i == 1 else m.role, f"membres-{i}-external_name": "",
        })  # fmt: skip
    url = reverse("cooperations:structure_update", args=[ght.pk])
    response = client.post(url, with_tokens(client, url, data))
    assert response.status_code == 302
    ght.refresh_from_db()
    assert ght.name == "Yvelines test (renommé)"
    assert ght.code != "99999" and ght.kind == StructureKind.GHT  # disabled for a negotiator
    changed = ght.memberships.get(pk=memberships[1].pk)
    assert changed.role == MemberRole.PARTNER


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["observer", "director", "negotiator_other"])
def test_forged_post_by_other_roles_is_refused(client, world, role):
    client.force_login(world["users"][role])
    ght = world["ght_idf"]
    response = client.post(reverse("cooperations:structure_update", args=[ght.pk]), form_data(name="Piraté"))
    assert response.status_code in (403, 404)
    ght.refresh_from_db()
    assert ght.name == "Yvelines test"
    if role != "negotiator_other":
        response = client.post(reverse("cooperations:structure_create"), form_data())
        assert response.status_code == 403
    assert not CooperationStructure.objects.filter(name="Piraté").exists()


@pytest.mark.django_db
def test_login_and_logout(client, world):
    response = client.post(reverse("login"), {"username": "nego_idf", "password": "faux"})
    assert "Identifiant ou mot de passe incorrect" in response.content.decode()
    response = client.post(reverse("login"), {"username": "nego_idf", "password": "motdepasse-test-123"})
    assert response.status_code == 302 and response["Location"] == reverse("home")
    # A negotiator's password session gives its second factor first (tests/accounts/test_second_factor.py).
    assert client.get(reverse("home"))["Location"].startswith(reverse("otp_setup"))
    assert client.post(reverse("logout")).status_code == 302
    assert client.get(reverse("home"))["Location"].startswith(reverse("login"))


@pytest.mark.django_db
def test_home_pages_say_the_role_and_scope(client, world):
    client.force_login(world["users"]["director"])
    body = client.get(reverse("home")).content.decode()
    assert "CH Alpha" in body and "Yvelines test" in body and "CH Charlie" not in body
    client.force_login(world["users"]["negotiator"])
    body = client.get(reverse("home")).content.decode()
    assert "Négociateur de l’ARS Île-de-France" in body and "composition reconstituée" in body


@pytest.mark.django_db
@pytest.mark.parametrize("as_initial_row", [True, False])
def test_a_member_row_of_another_structure_refuses_the_whole_save(client, world, as_initial_row):
    """A forged row id of another structure's member: Django would copy it
    in as a new member; the whole save is refused instead."""
    ght, other = world["ght_idf"], world["ght_hdf"]
    foreign = other.memberships.order_by("pk").first()
    client.force_login(world["users"]["negotiator"])
    memberships = list(ght.memberships.order_by("pk"))
    rows = len(memberships) + (0 if as_initial_row else 1)
    data = form_data(
        kind=StructureKind.GHT, name="Yvelines renommé",
        **{"membres-INITIAL_FORMS": str(len(memberships)), "membres-TOTAL_FORMS": str(rows)},
    )  # fmt: skip
    for i, m in enumerate(memberships):
        data.update({f"membres-{i}-id": str(m.pk), f"membres-{i}-finess": m.legal_entity.finess,
                     f"membres-{i}-role": m.role, f"membres-{i}-external_name": ""})  # fmt: skip
    forged = 0 if as_initial_row else len(memberships)
    data.update({f"membres-{forged}-id": str(foreign.pk), f"membres-{forged}-finess": foreign.legal_entity.finess,
                 f"membres-{forged}-role": MemberRole.MEMBER, f"membres-{forged}-external_name": ""})  # fmt: skip
    before = sorted(Membership.objects.values_list("pk", "structure_id", "legal_entity_id"))
    response = client.post(reverse("cooperations:structure_update", args=[ght.pk]), data)
    assert response.status_code == 200
    assert "n’appartient pas à cette fiche" in response.content.decode()
    assert sorted(Membership.objects.values_list("pk", "structure_id", "legal_entity_id")) == before
    ght.refresh_from_db()
    assert ght.name == "Yvelines test"


@pytest.mark.django_db
@pytest.mark.parametrize("role", [MemberRole.MEMBER, MemberRole.SUPPORT, MemberRole.ASSOCIATE])
def test_an_entity_of_another_region_is_only_a_partner(client, world, role):
    client.force_login(world["users"]["negotiator"])
    a, charlie = world["entities"]["a"], world["entities"]["c"]
    data = form_data([member(a.finess, role=MemberRole.SUPPORT if role != MemberRole.SUPPORT else MemberRole.MEMBER),
                      member(charlie.finess, role=role)])  # fmt: skip
    before = CooperationStructure.objects.count()
    response = client.post(reverse("cooperations:structure_create"), data)
    assert response.status_code == 200
    body = response.content.decode()
    assert "CH Charlie relève de la région Hauts-de-France" in body and "comme partenaire" in body
    assert CooperationStructure.objects.count() == before


@pytest.mark.django_db
def test_a_partner_of_another_region_sees_the_structure_read_only(client, world):
    client.force_login(world["users"]["negotiator"])
    a, charlie = world["entities"]["a"], world["entities"]["c"]
    data = form_data([member(a.finess, role=MemberRole.SUPPORT), member(charlie.finess, role=MemberRole.PARTNER)])
    assert client.post(reverse("cooperations:structure_create"), data).status_code == 302
    structure = CooperationStructure.objects.get(name=data["name"])
    assert structure.region_id == "11"
    page = client.get(structure.get_absolute_url()).content.decode()
    assert 'data-testid="outside-region">Hauts-de-France' in page
    # The other région's ARS and the partner's director read it, without a way to change it.
    for role in ("negotiator_other", "director_other"):
        client.force_login(world["users"][role])
        page = client.get(structure.get_absolute_url())
        assert page.status_code == 200, role
        body = page.content.decode()
        assert reverse("cooperations:structure_update", args=[structure.pk]) not in body, role
        assert client.get(reverse("cooperations:structure_update", args=[structure.pk])).status_code in (403, 404)
    client.force_login(world["users"]["negotiator_other"])
    assert 'data-testid="other-region-notice"' in client.get(structure.get_absolute_url()).content.decode()
    listed = client.get(reverse("cooperations:structure_list"), {"q": structure.name}).content.decode()
    assert structure.name in listed
    response = client.post(reverse("cooperations:structure_update", args=[structure.pk]), form_data(name="Piraté"))
    assert response.status_code in (403, 404)
    structure.refresh_from_db()
    assert structure.name == data["name"]
