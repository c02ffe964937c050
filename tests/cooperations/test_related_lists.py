"""Related lists go through the same ``visible_to`` as the object's own page:
a site of Île-de-France whose legal entity is of Hauts-de-France must not name,
to the ARS of Île-de-France, the structures of Hauts-de-France it cannot open."""

import pytest
from django.urls import reverse

from tests.cooperations.factories import EstablishmentFactory, MembershipFactory, StructureFactory, department, region

pytestmark = pytest.mark.django_db


@pytest.fixture
def site_across_regions(world):
    entity_hdf = world["entities"]["c"]
    site = EstablishmentFactory(legal_entity=entity_hdf, department=department("78"), name="Antenne yvelinoise")
    secret = StructureFactory(region=region("32"), name="GCS Nord confidentiel")
    MembershipFactory(structure=secret, legal_entity=entity_hdf)
    MembershipFactory(structure=secret, legal_entity=None, external_name="Cabinet partenaire du Nord")
    return site, secret


def test_a_site_page_names_no_structure_its_reader_cannot_open(client, world, site_across_regions):
    site, secret = site_across_regions
    client.force_login(world["users"]["negotiator"])  # Île-de-France
    response = client.get(reverse("cooperations:establishment_detail", args=[site.finess]))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Antenne yvelinoise" in page
    assert secret.name not in page and "Cabinet partenaire du Nord" not in page
    assert client.get(reverse("cooperations:structure_detail", args=[secret.pk])).status_code == 404


def test_the_region_of_the_structure_still_sees_it_on_the_entity_page(client, world, site_across_regions):
    _site, secret = site_across_regions
    client.force_login(world["users"]["negotiator_other"])  # Hauts-de-France
    response = client.get(reverse("portal:legal_entity_detail", args=[world["entities"]["c"].finess]))
    assert response.status_code == 200
    assert secret.name in response.content.decode()
