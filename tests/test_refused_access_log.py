"""Every refused access is logged at WARNING with who, what and why."""

import logging

import pytest
from django.urls import reverse

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("follow_up_scenario")]


def test_a_refusal_is_logged_with_who_what_and_why(client, world, caplog):
    director = world["users"]["director"]
    client.force_login(director)
    with caplog.at_level(logging.WARNING, logger="access.refused"):
        response = client.get(reverse("indicators:campaign_dashboard", args=[world["campaign_idf"].pk]))
    assert response.status_code == 403
    assert "Accès refusé" in response.content.decode() or "refus" in response.content.decode().lower()
    [record] = [r for r in caplog.records if r.name == "access.refused"]
    assert record.levelno == logging.WARNING
    assert (record.username, record.role, record.method) == (director.username, director.role, "GET")
    assert record.path == reverse("indicators:campaign_dashboard", args=[world["campaign_idf"].pk])


def test_an_allowed_page_logs_no_refusal(client, world, caplog):
    client.force_login(world["users"]["negotiator"])
    with caplog.at_level(logging.WARNING, logger="access.refused"):
        assert client.get(reverse("indicators:campaign_dashboard", args=[world["campaign_idf"].pk])).status_code == 200
    assert not [r for r in caplog.records if r.name == "access.refused"]
