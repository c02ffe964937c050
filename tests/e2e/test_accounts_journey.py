"""Accounts in Chromium: the régional manager invites a director who
accepts and declares; a contributor drafts and the director submits; a
deactivated user is refused at once."""

import datetime
import re

import pytest
from django.core import mail as outbox
from django.utils import timezone
from playwright.sync_api import expect

from indicators import services
from tests.accounts.factories import UserFactory
from tests.e2e.test_journeys import PASSWORD, log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _log_out(page):
    page.get_by_role("button", name="Se déconnecter").click()


def _menu(page, name):
    page.get_by_role("navigation", name="Menu principal").get_by_role("link", name=name).click()


def _submit(page):
    page.get_by_role("button", name="Soumettre mes valeurs à l’ARS").click()
    page.get_by_role("button", name="Confirmer l’envoi à l’ARS").click()
    expect(page.get_by_role("alert")).to_contain_text("soumise")


def _campaign(world):
    today = timezone.localdate()
    return services.open_campaign(
        world["users"]["negotiator"],
        world["commitment_b"].cpom.region,
        2026,
        today - datetime.timedelta(days=1),
        today + datetime.timedelta(days=30),
        today + datetime.timedelta(days=45),
        notify=False,
    )


def test_the_manager_invites_a_director_who_accepts_and_declares(page, live_server, e2e_world, eager):
    """``eager``: the invitation is delivered in this process (read from the locmem outbox), in every mode."""
    entity = e2e_world["entities"]["b"]
    UserFactory(username="gest_idf", manager=True)
    _campaign(e2e_world)
    indicator = e2e_world["commitment_b"].indicators.get()

    log_in(page, live_server, "gest_idf")
    _menu(page, "Utilisateurs")
    page.get_by_role("link", name="Inviter une personne").click()
    page.get_by_label("Adresse électronique").fill("nouvelle.directrice@ch-bravo.fr")
    page.get_by_label("Accès accordé").select_option("directeur")
    page.get_by_label("FINESS EJ de l’entité").fill(entity.finess)
    page.get_by_role("button", name="Envoyer l’invitation").click()
    expect(page.get_by_test_id("pending-invitations")).to_contain_text("nouvelle.directrice@ch-bravo.fr")
    _log_out(page)

    link = re.search(r"https?://\S+/invitation/\S+/", outbox.outbox[-1].body).group(0)
    page.goto(link.replace("http://127.0.0.1:8000", live_server.url))
    page.get_by_label("Identifiant").fill("dir_nouvelle")
    page.get_by_label("Prénom").fill("Nadia")
    page.get_by_label("Nom", exact=True).fill("Nouvelle")
    page.get_by_label("Mot de passe").fill("Un-mot-de-passe-solide-42")
    page.get_by_label("Confirmation").fill("Un-mot-de-passe-solide-42")
    page.get_by_role("button", name="Créer mon compte").click()
    expect(page.get_by_test_id("acting-entity")).to_contain_text(entity.name)

    _menu(page, "Mes indicateurs")
    page.locator(f"[name='i{indicator.pk}-value']").fill("9")
    _submit(page)


def test_a_contributor_drafts_and_the_director_submits(page, live_server, e2e_world):
    entity = e2e_world["entities"]["b"]
    UserFactory(username="contrib_b", contributor=True, legal_entity=entity)
    UserFactory(username="dir_b", director=True, legal_entity=entity)
    _campaign(e2e_world)
    indicator = e2e_world["commitment_b"].indicators.get()

    log_in(page, live_server, "contrib_b")
    expect(page.get_by_test_id("acting-entity")).to_contain_text("contributeur")
    _menu(page, "Mes indicateurs")
    expect(page.get_by_role("button", name="Soumettre mes valeurs à l’ARS")).to_have_count(0)
    expect(page.get_by_test_id("contributor-note")).to_be_visible()
    page.locator(f"[name='i{indicator.pk}-value']").fill("7")
    page.get_by_role("button", name="Enregistrer le brouillon").click()
    expect(page.get_by_role("alert")).to_contain_text("Brouillon enregistré")
    _log_out(page)

    log_in(page, live_server, "dir_b")
    _menu(page, "Mes indicateurs")
    expect(page.locator(f"[name='i{indicator.pk}-value']")).to_have_value("7")
    _submit(page)


def test_a_deactivated_user_is_refused_at_once(page, live_server, e2e_world, browser):
    entity = e2e_world["entities"]["b"]
    UserFactory(username="gest_idf", manager=True)
    director = UserFactory(username="dir_b", director=True, legal_entity=entity, last_name="Bravo")
    log_in(page, live_server, "dir_b")

    manager_context = browser.new_context()
    manager_page = manager_context.new_page()
    log_in(manager_page, live_server, "gest_idf")
    manager_page.goto(f"{live_server.url}/utilisateurs/{director.pk}/")
    manager_page.once("dialog", lambda dialog: dialog.accept())
    manager_page.get_by_test_id("deactivate").click()
    expect(manager_page.get_by_text("Compte désactivé : ses sessions sont fermées.")).to_be_visible()
    manager_context.close()

    page.reload()
    expect(page).to_have_url(re.compile(r"/connexion/"))
    page.get_by_label("Identifiant").fill("dir_b")
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    expect(page.get_by_test_id("current-user")).to_have_count(0)
