"""The pages of the computed indicators: input data upload, computation
runs and their results, the indicator page; nobody types a computed value."""

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from cooperations.models import ImportRun
from indicators.models import ComputationRun, ComputedValue, Declaration, HospitalStay, InputImport

pytestmark = pytest.mark.usefixtures("follow_up_scenario")


def _login(client, world, role):
    client.force_login(world["users"][role])


@pytest.fixture
def upload(eager, django_capture_on_commit_callbacks, settings, tmp_path):
    """Post a file; the import runs in the worker, here in process once the
    upload's transaction is committed."""
    settings.MEDIA_ROOT = tmp_path

    def post(client, kind, content, source="PMSI 2025"):
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(
                reverse("indicators:input_list"),
                {"kind": kind, "source": source, "file": SimpleUploadedFile("donnees.csv", content.encode())},
            )

    return post


def test_negotiator_uploads_stays_and_reads_the_report(client, world, upload):
    _login(client, world, "negotiator")
    site = world["sites"]["a"].finess
    response = upload(client, "sejours", f"annee;finess_et;code_geo;champ;sejours\n2025;{site};78100;MCO;12\n")
    run = ImportRun.objects.inputs().get()
    assert response.status_code == 302 and response["Location"] == reverse("indicators:input_run_detail", args=[run.pk])
    record = InputImport.objects.latest("pk")
    assert record.status == "termine" and record.rows == 1
    # The run's page, once the run has ended, leads to the import it made.
    response = client.get(response["Location"])
    assert response.status_code == 302 and response["Location"] == reverse("indicators:input_detail", args=[record.pk])
    page = client.get(response["Location"], follow=True).content.decode()
    assert "Importé : 1 ligne (2025)" in page


def test_a_bad_file_is_refused_with_its_lines(client, world, upload):
    _login(client, world, "negotiator")
    before = HospitalStay.objects.count()
    response = upload(client, "sejours", "annee;finess_et;code_geo;champ;sejours\n2025;123;78100;MCO;12\n")
    page = client.get(response["Location"], follow=True).content.decode()
    assert "Fichier refusé : rien n’a été importé" in page and "<td>2</td>" in page
    assert HospitalStay.objects.count() == before


@pytest.mark.parametrize("role", ["observer", "director"])
def test_others_cannot_upload(client, world, role, upload):
    _login(client, world, role)
    assert upload(client, "sejours", "annee\n").status_code == 403
    assert not ImportRun.objects.inputs().exists()


def test_negotiator_runs_the_computation_and_sees_numerator_and_denominator(client, world, eager):
    _login(client, world, "negotiator")
    response = client.post(reverse("indicators:computation_list"), {"year": 2025})
    run = ComputationRun.objects.latest("pk")
    assert response.status_code == 302 and response["Location"] == run.get_absolute_url()
    assert run.region == world["campaign_idf"].region and run.status == "termine"
    page = client.get(run.get_absolute_url()).content.decode()
    # The world's stays: 9 stays of Yvelines residents, all at site A (in the GHT): no leakage.
    assert "Taux de fuite" in page and "0 / 9" in page
    status = client.get(reverse("indicators:computation_status", args=[run.pk])).json()
    assert status == {"status": "termine", "status_label": "Terminé", "progress": 100, "done": 1, "total": 1,
                      "finished": True, "error": ""}  # fmt: skip


def test_observer_reads_runs_but_cannot_compute(client, world):
    _login(client, world, "observer")
    assert client.get(reverse("indicators:computation_list")).status_code == 200
    assert client.post(reverse("indicators:computation_list"), {"year": 2025}).status_code == 403
    assert ComputationRun.objects.count() == 1


def test_broker_down_is_said_plainly(client, world, monkeypatch):
    from indicators import tasks

    def unreachable(*args, **kwargs):
        raise ConnectionRefusedError

    monkeypatch.setattr(tasks.compute_indicators, "delay", unreachable)
    _login(client, world, "negotiator")
    response = client.post(reverse("indicators:computation_list"), {"year": 2025}, follow=True)
    assert "momentanément indisponible" in response.content.decode()
    assert ComputationRun.objects.latest("pk").status == "en_attente"


def test_indicator_page_shows_a_computed_value_and_a_non_computable_one(client, world, eager):
    from indicators import computations

    indicator = world["cpom_a_old"].commitments.get().indicators.get(kind="automatisable")
    computations.store(indicator, 2025)
    computations.store(indicator, 2024)  # no stays in 2024
    _login(client, world, "director")
    response = client.get(reverse("indicators:indicator_detail", args=[indicator.pk]))
    page = response.content.decode()
    assert "0 / 9 séjours" in page and "non calculable" in page and "Aucun séjour des résidents" in page
    assert "il ne se saisit pas à la main" in page and 'data-testid="value-point"' in page
    declare = reverse("indicators:declare", args=[world["campaign_idf"].pk, world["entities"]["a"].finess])
    assert "0 %" in client.get(declare).content.decode()


def test_a_forged_post_cannot_type_a_computed_value(client, world):
    indicator = world["cpom_a_old"].commitments.get().indicators.get(kind="automatisable")
    _login(client, world, "director")
    url = reverse("indicators:declare", args=[world["campaign_idf"].pk, world["entities"]["a"].finess])
    client.post(url, {f"i{indicator.pk}-value": "12", "submit": "1"})
    assert not Declaration.objects.filter(indicator=indicator).exists()
    assert not ComputedValue.objects.filter(indicator=indicator).exists()


def test_computed_values_feed_the_status_and_the_annex(client, world, eager):
    from indicators import computations

    indicator = world["cpom_a_old"].commitments.get().indicators.get(kind="automatisable")
    value, _changed = computations.store(indicator, 2025)
    assert value.value == Decimal("0.00")
    _login(client, world, "negotiator")
    page = client.get(world["cpom_a_old"].get_absolute_url()).content.decode()
    assert "0 % en 2025" in page
    preview = client.get(reverse("portal:annex_preview", args=[world["cpom_a_old"].pk]), {"suivi": "1"})
    assert "0 %" in preview.content.decode()


def test_imports_stay_within_the_region(client, world, upload):
    site_a, site_c = world["sites"]["a"].finess, world["sites"]["c"].finess
    header = "annee;finess_et;code_geo;champ;sejours\n"
    _login(client, world, "negotiator")
    upload(client, "sejours", f"{header}2025;{site_a};78100;MCO;5\n", source="Même source")
    idf = InputImport.objects.latest("pk")
    _login(client, world, "negotiator_other")
    upload(client, "sejours", f"{header}2025;{site_c};59100;MCO;7\n", source="Même source")
    hdf = InputImport.objects.latest("pk")
    # The other région's import of the same source and year is not replaced, nor shown.
    assert HospitalStay.objects.filter(batch__in=[idf, hdf]).count() == 2
    assert client.get(reverse("indicators:input_detail", args=[idf.pk])).status_code == 404
    assert "Même source" in client.get(reverse("indicators:input_list")).content.decode()  # its own
    # Stays and costs only for the région's sites and establishments.
    response = upload(client, "sejours", f"{header}2025;{site_a};78100;MCO;5\n", source="Autre source")
    page = client.get(response["Location"], follow=True).content.decode()
    assert (
        "Fichier refusé" in page
        and "<td>2</td>" in page
        and f"FINESS {site_a} (département 78) et patients résidant dans le 78 : hors de votre région" in page
    )
    costs = f"annee;finess;fonction;cout;unites\n2025;{world['entities']['a'].finess};biologie;10;5\n"
    response = upload(client, "couts", costs, source="RTC")
    page = client.get(response["Location"], follow=True).content.decode()
    assert f"FINESS {world['entities']['a'].finess} hors de votre région" in page
