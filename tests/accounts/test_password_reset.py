"""« Mot de passe oublié »: a one-time link by email (core.mail), the same
answer whether the address is known or not, the password validators."""

import re

import pytest
from django.core import mail as outbox
from django.urls import reverse

from tests.accounts.factories import UserFactory
from tests.cooperations.factories import LegalEntityFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("eager")]

NEW_PASSWORD = "Un-nouveau-mot-de-passe-2027"


def _link(message):
    return re.search(r"https?://\S+/mot-de-passe-oublie/\S+/\S+/", message.body).group(0)


def test_the_login_page_links_to_it(client):
    assert reverse("password_reset") == "/mot-de-passe-oublie/"
    assert 'href="/mot-de-passe-oublie/"' in client.get(reverse("login")).content.decode()


def test_a_known_address_gets_a_one_time_link_and_the_password_changes(client, settings):
    settings.SITE_URL = "https://cpom.example.fr"
    user = UserFactory(username="dir_x", director=True, legal_entity=LegalEntityFactory(), email="dir.x@ch.fr")
    response = client.post(reverse("password_reset"), {"email": "DIR.X@ch.fr"})
    assert response["Location"] == reverse("password_reset_done")
    assert len(outbox.outbox) == 1
    message = outbox.outbox[0]
    assert message.to == ["dir.x@ch.fr"] and "Réinitialisation" in message.subject
    assert message.alternatives and "Choisir un nouveau mot de passe" in message.alternatives[0][0]
    link = _link(message)
    assert link.startswith("https://cpom.example.fr/mot-de-passe-oublie/")
    path = link.removeprefix("https://cpom.example.fr")

    form = client.get(path, follow=True)
    assert form.status_code == 200 and "Nouveau mot de passe" in form.content.decode()
    set_path = form.redirect_chain[-1][0]
    weak = client.post(set_path, {"new_password1": "12345678", "new_password2": "12345678"})
    assert weak.status_code == 200 and "Ce mot de passe est trop courant." in weak.content.decode()
    done = client.post(set_path, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert done["Location"] == reverse("password_reset_complete")
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)

    # Used once: the link no longer works.
    again = client.get(path, follow=True)
    assert "Lien non valable" in again.content.decode()


def test_an_unknown_address_gets_the_same_answer_and_no_email(client):
    UserFactory(email="connu@ch.fr")
    known = client.post(reverse("password_reset"), {"email": "connu@ch.fr"})
    unknown = client.post(reverse("password_reset"), {"email": "inconnu@ch.fr"})
    assert known.status_code == unknown.status_code == 302
    assert known["Location"] == unknown["Location"]
    assert len(outbox.outbox) == 1
    page = client.get(reverse("password_reset_done")).content.decode()
    assert "Si un compte actif porte cette adresse" in page


def test_a_deactivated_or_proconnect_only_account_gets_no_email(client):
    UserFactory(email="off@ch.fr", is_active=False)
    proconnect_only = UserFactory(email="pc@ch.fr")
    proconnect_only.set_unusable_password()
    proconnect_only.save()
    for address in ("off@ch.fr", "pc@ch.fr"):
        assert client.post(reverse("password_reset"), {"email": address}).status_code == 302
    assert outbox.outbox == []


def test_the_pages_are_in_french(client):
    page = client.get(reverse("password_reset")).content.decode()
    assert "Mot de passe oublié" in page and "Adresse électronique" in page
    assert "Recevoir le lien" in page
