"""core.layout: the crispy layouts written in Python give the markup crispy
renders through the DSFR pack's templates, on a form using every layout
object and on the real forms' pages (commitment, structure), bound with
errors or not."""

import re

import pytest
from crispy_forms.helper import FormHelper as CrispyFormHelper
from crispy_forms.layout import HTML, Column, Div, Field, Fieldset, Layout, Row
from django import forms
from django.template import Context, Template
from django.urls import reverse

from core.forms import DsfrFormMixin
from core.layout import FormHelper
from tests.accounts.factories import UserFactory
from tests.cpom.factories import CommitmentFactory, CpomFactory, indicator_with_targets


class Everything(DsfrFormMixin, forms.Form):
    name = forms.CharField(max_length=20, help_text="aide <b>")
    kind = forms.ChoiceField(choices=[("a", "Alpha & co"), ("b", "Bêta")])
    secret = forms.CharField(widget=forms.HiddenInput, required=False)
    notes = forms.CharField(widget=forms.Textarea, required=False)
    agreed = forms.BooleanField(required=False)

    def __init__(self, *args, helper_class, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = helper_class()
        self.helper.form_tag = False
        self.helper.layout = Layout(
            Fieldset("Légende & co", Row(Column("name", css_class="fr-col-6"), Column("kind"), data_x='a"b')),
            Fieldset("", "notes", css_class="wide", css_id="fs"),
            Div("secret", css_id="box", css_class="a<b", data_show_when="x"),
            Div(Field("agreed")),
            Row("missing"),
            HTML("<p>Texte fixe</p>"),
            HTML("<p>{{ who }}</p>"),
            Field("name", css_class="extra"),  # attributes: rendered by crispy
        )


def _render(form):
    return Template("{% load crispy_forms_tags %}{% crispy form %}").render(Context({"form": form, "who": "vous"}))


@pytest.mark.parametrize("data", [None, {"name": "x" * 30, "kind": "z"}])
def test_every_layout_object_as_crispy_renders_it(data):
    ours = _render(Everything(data, helper_class=FormHelper))
    theirs = _render(Everything(data, helper_class=CrispyFormHelper))
    assert ours == theirs
    assert "Texte fixe" in ours and "<p>vous</p>" in ours and 'id="fs"' in ours


def _without_tokens(html):
    """Without what differs at each rendering: the CSRF token, the random ids of the breadcrumb."""
    html = re.sub(r'name="(csrfmiddlewaretoken|[\w-]*edit_token)" value="[^"]*"', "", html)
    return re.sub(r"breadcrumb-[a-z]+", "breadcrumb", html)


@pytest.mark.django_db
def test_the_commitment_and_structure_pages_are_unchanged(client, monkeypatch):
    negotiator = UserFactory(negotiator=True)
    commitment = CommitmentFactory(cpom=CpomFactory(created_by=negotiator), objective="Structurer la filière.")
    indicator_with_targets(commitment)
    indicator_with_targets(commitment, label="Deuxième indicateur")
    client.force_login(negotiator)
    urls = [reverse("cpom:commitment_update", args=[commitment.pk]), reverse("cooperations:structure_create")]
    ours = [client.get(url).content.decode() for url in urls]
    posted = client.post(urls[0], {"objective": ""}).content.decode()  # refused: every form bound, with errors
    monkeypatch.setattr(FormHelper, "render_layout", CrispyFormHelper.render_layout)
    theirs = [client.get(url).content.decode() for url in urls]
    assert [_without_tokens(page) for page in ours] == [_without_tokens(page) for page in theirs]
    assert _without_tokens(posted) == _without_tokens(client.post(urls[0], {"objective": ""}).content.decode())
    assert "Deuxième indicateur" in ours[0]
