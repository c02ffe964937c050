"""core.rendering: the widgets written in Python give the markup of Django's
own templates, value for value; everything else still goes through templates."""

import datetime
from decimal import Decimal

import pytest
from django import forms
from django.forms.renderers import DjangoTemplates
from django.template.loader import get_template
from django.utils.safestring import mark_safe

from core.forms import DsfrFormMixin
from core.rendering import WRITTEN_HERE, FastTemplatesRenderer

DJANGO = DjangoTemplates()  # Django's built-in widget templates
FAST = FastTemplatesRenderer()


class Everything(forms.Form):
    text = forms.CharField(max_length=20, help_text="aide", widget=forms.TextInput(attrs={"placeholder": 'a "b" <c>'}))
    number = forms.DecimalField(required=False, widget=forms.NumberInput(attrs={"step": "any", "class": "fr-input"}))
    integer = forms.IntegerField(required=False)
    email = forms.EmailField(required=False)
    url = forms.URLField(required=False)
    password = forms.CharField(widget=forms.PasswordInput(render_value=True), required=False)
    hidden = forms.CharField(widget=forms.HiddenInput, required=False)
    day = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    moment = forms.DateTimeField(required=False)
    hour = forms.TimeField(required=False)
    agreed = forms.BooleanField(required=False)
    notes = forms.CharField(widget=forms.Textarea(attrs={"rows": 3, "disabled": True, "readonly": False}))
    kind = forms.ChoiceField(choices=[("", "---------"), ("a", "Alpha & co"), ("b", "<b>Bêta</b>"), (3, 3000)])
    grouped = forms.ChoiceField(
        required=False,
        choices=[("Établissements", [("1", "Un"), ("2", "Deux")]), ("Autres", [("x", "X")]), ("z", "Z")],
    )
    many = forms.MultipleChoiceField(required=False, choices=[("1", "Un"), ("2", "Deux")])
    yes_no = forms.NullBooleanField(required=False)
    evidence = forms.FileField(required=False)
    scan = forms.FileField(widget=forms.FileInput, required=False)
    mandatory = forms.FileField(required=True, widget=forms.ClearableFileInput(attrs={"accept": ".pdf"}))


class StoredFile:
    """What a model's FileField gives a widget: a name and a URL."""

    url = "/media/justificatifs/compte-rendu&1.pdf"

    def __str__(self):
        return "justificatifs/compte-rendu <1>.pdf"


BOUND = [
    {},
    {"text": "d’accord <b>", "number": "12.5", "integer": "1234567", "email": "a@b.fr", "url": "https://x.fr/?a=1&b=2",
     "password": "s3cr\"et", "hidden": mark_safe("<i>déjà sûr</i>"), "day": "2027-03-01", "moment": "2027-03-01 10:30",
     "hour": "10:30", "agreed": "on", "notes": "ligne 1\nligne 2 & <3", "kind": "b", "grouped": "2",
     "many": ["1", "2"], "yes_no": "true"},
    {"text": "", "number": "abc", "notes": "", "kind": "3", "grouped": "x", "agreed": ""},
]  # fmt: skip

INITIAL = {
    "day": datetime.date(2027, 1, 31),
    "number": Decimal("1234.50"),
    "moment": datetime.datetime(2027, 1, 31, 8),
    "evidence": StoredFile(),
    "mandatory": StoredFile(),
}


@pytest.mark.parametrize("data", [None, *BOUND])
def test_every_widget_is_written_as_django_writes_it(data, settings):
    settings.USE_THOUSAND_SEPARATOR = True  # what a label of 3000 becomes must still match the template's
    for renderer_form in (Everything(data=data, initial=INITIAL), Everything(initial=INITIAL)):
        for bound in renderer_form:
            expected = bound.field.widget.render(bound.html_name, bound.value(), bound.build_widget_attrs({}), DJANGO)
            written = bound.field.widget.render(bound.html_name, bound.value(), bound.build_widget_attrs({}), FAST)
            assert written == expected, bound.name


def test_the_fast_renderer_writes_most_of_the_form_and_templates_the_rest(monkeypatch):
    used = []
    original = FastTemplatesRenderer.get_template

    def spy(self, name):
        used.append(name)
        return original(self, name)

    monkeypatch.setattr(FastTemplatesRenderer, "get_template", spy)
    form = Everything(data=BOUND[1])
    for bound in form:
        bound.field.widget.render(bound.html_name, bound.value(), {}, FAST)
    # The multiple select has no template of its own (it is select.html with multiple): written too.
    assert used == []
    radios = forms.ChoiceField(choices=[("a", "A")], widget=forms.RadioSelect).widget
    radios.render("r", "a", {}, FAST)
    assert "django/forms/widgets/radio.html" in used  # a radio group (django-dsfr's options) stays templated


def test_no_template_overrides_a_widget_written_in_python():
    """A project or django-dsfr template for one of these would be silently ignored."""
    django_root = str(DJANGO.engine.engine.dirs[0])
    for name in WRITTEN_HERE:
        origin = get_template(name, using=None).origin.name
        assert origin.startswith(django_root) or "/django/forms/templates/" in origin, (name, origin)


class Group(DsfrFormMixin, forms.Form):
    name = forms.CharField(label="Nom <de l’objet>", help_text="Au plus <b>20</b> caractères", max_length=20)
    count = forms.IntegerField(label="Nombre", required=False, min_value=0)
    kind = forms.ChoiceField(label="Type", choices=[("a", "A"), ("b", "B")])
    locked = forms.CharField(label="Figé", required=False, disabled=True)
    note = forms.CharField(label="Note", required=False, widget=forms.Textarea, help_text="libre")
    proof = forms.FileField(label="Justificatif", help_text="PDF <10 Mo>")
    scan = forms.FileField(label="Scan", required=False, widget=forms.FileInput)

    def clean_name(self):
        if self.cleaned_data["name"] == "deux":
            raise forms.ValidationError(["Première <erreur>.", "Seconde erreur."])
        return self.cleaned_data["name"]


GROUP_DATA = [
    None,
    {"name": "x" * 30, "count": "-1", "kind": "z"},
    {"name": "ok", "count": "3", "kind": "a"},
    {"name": "deux", "kind": "b", "note": "<script>"},
]


@pytest.mark.parametrize(
    "template", ["core/_plain_field.html", "dsfr/form_field_snippets/input_snippet.html", "core/_field_group.html"]
)
@pytest.mark.parametrize("data", GROUP_DATA)
def test_field_groups_are_written_as_their_templates_write_them(template, data, settings):
    by_template, by_python = Group(data=data), Group(data=data)
    if data:
        assert by_template.is_valid() == by_python.is_valid()
    for name in Group.base_fields:
        context = {"field": by_template[name]}
        expected = get_template(template).render(context).strip()
        assert FAST.render(template, {"field": by_python[name]}) == expected, name
    settings.DSFR_MARK_OPTIONAL_FIELDS = True
    again_template, again_python = Group(data=data), Group(data=data)
    if data:
        again_template.is_valid(), again_python.is_valid()
    for name in Group.base_fields:
        expected = get_template(template).render({"field": again_template[name]}).strip()
        assert FAST.render(template, {"field": again_python[name]}) == expected, name


def test_field_group_filter_writes_the_group_and_nothing_for_an_unknown_field():
    from django.template import Context, Template

    template = Template("{% load fields %}{{ form.name|field_group }}|{{ form.nope|field_group }}")
    written, unknown = template.render(Context({"form": Group()})).split("|")
    assert written == FAST.render("core/_field_group.html", {"field": Group()["name"]}) and "fr-input-group" in written
    assert unknown == ""
