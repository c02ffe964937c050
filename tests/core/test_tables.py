"""The list tables: rows rendered from values prepared once per column (issue 19) give the same cells
as django-tables2's own per-cell path; the sorted column's header carries ``aria-sort`` (on the
``th``, not the link, issue 18); the filters that replaced the long selects filter by code or name
without JavaScript."""

import datetime
import re

import django_tables2 as tables
import pytest
from django.db.models import DateTimeField, Value
from django.test import RequestFactory
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy

from cooperations.models import Establishment
from cooperations.tables import EstablishmentTable
from core.pages import FastRowsMixin, configure_table
from tests.accounts.factories import UserFactory
from tests.cooperations.factories import EstablishmentFactory, GhtFactory, MembershipFactory, department, region

pytestmark = pytest.mark.django_db


class _Probe(FastRowsMixin, tables.Table):
    """Every kind of column the fast path plans: linkify, a related accessor, a choices field, a
    render method, a callable link, a date, a template and a column it leaves to the library."""

    finess = tables.Column(linkify=True, attrs={"td": {"class": "app-nowrap"}})
    entity = tables.Column(accessor="legal_entity__name", linkify=lambda record: f"/e/{record.pk}/")
    sector = tables.Column(accessor="legal_entity__legal_status__sector")
    department = tables.Column()
    closed_on = tables.DateColumn(format="d/m/Y", default="—")
    opened = tables.TemplateColumn(template_code="{{ record.name|upper }}")
    note = tables.Column(empty_values=(), default="—")
    boolean = tables.BooleanColumn(accessor="legal_entity__name_is_provisional")
    # Late in the evening in UTC, the next day in Paris: the date is the local one.
    seen_at = tables.DateTimeColumn(format="d/m/Y", default="—")
    lazy = tables.Column(empty_values=(), verbose_name="Traduit")

    class Meta:
        model = Establishment
        fields = [
            "finess", "name", "entity", "sector", "department", "closed_on", "opened", "note", "boolean",
            "seen_at", "lazy",
        ]  # fmt: skip

    def render_department(self, record, value):
        return f"{value} ({record.department_id})"

    def render_note(self, record):
        return "" if record.pk % 2 else "pair"

    def render_lazy(self, record):
        return gettext_lazy("Fermé <définitivement> & « archivé »") if record.pk % 2 else mark_safe("<b>sûr</b>")


def _probe_table(request):
    for n in range(4):
        EstablishmentFactory(name=f"Site <b>{n}</b>", closed_on=datetime.date(2024, 5, n + 1) if n % 2 else None)
    late = datetime.datetime(2024, 5, 1, 23, 30, tzinfo=datetime.UTC)
    establishments = Establishment.objects.select_related("legal_entity__legal_status", "department").annotate(
        seen_at=Value(late, output_field=DateTimeField())
    )
    table = _Probe(establishments.order_by("pk"))
    return configure_table(request, table)


def test_prepared_rows_are_the_cells_of_django_tables2():
    request = RequestFactory().get("/")
    table = _probe_table(request)
    rows = table.prepared_rows
    assert len(rows) == 4
    for prepared, bound in zip(rows, table.paginated_rows, strict=True):
        for (attrs, content), column in zip(prepared["cells"], table.columns, strict=True):
            assert str(content) == str(bound.get_cell(column.name)), column.name
            assert str(column.attrs["td"].as_html()) in str(attrs)
            assert f'data-label="{column.header}"' in str(attrs)


def test_the_sorted_columns_header_carries_aria_sort_not_its_link(client):
    EstablishmentFactory(name="Alpha")
    EstablishmentFactory(name="Bravo")
    client.force_login(UserFactory(admin=True))
    html = client.get(reverse("cooperations:establishment_list"), {"sort": "-name"}).content.decode()
    assert re.search(r'<th scope="col"[^>]*aria-sort="descending"', html)
    assert not re.search(r"<a [^>]*aria-sort", html)
    assert html.count("aria-sort=") == 1
    assert html.index("Bravo") < html.index("Alpha")


def test_the_establishment_table_keeps_the_sector_in_exports_only():
    table = EstablishmentTable(Establishment.objects.none())
    assert "sector" not in [c.name for c in table.columns]
    assert "Statut juridique" in table.as_values().__next__()


def _names(response):
    return {row["record"].name for row in response.context["table"].prepared_rows}


def test_the_ght_and_departement_fields_filter_by_code_or_name_without_javascript(client):
    ght = GhtFactory(name="GHT Yvelines Nord", short_code="IDF-78", region=region("11"))
    inside = EstablishmentFactory(name="Site du GHT")
    MembershipFactory(structure=ght, legal_entity=inside.legal_entity)
    elsewhere = EstablishmentFactory(name="Site d’Évry", legal_entity__department=department("91"))
    client.force_login(UserFactory(negotiator=True))
    url = reverse("cooperations:establishment_list")
    for value in ("IDF-78", "idf-78", "Yvelines", str(ght.pk)):
        assert _names(client.get(url, {"ght": value})) == {inside.name}, value
    assert _names(client.get(url, {"ght": "aucun GHT de ce nom"})) == set()
    assert _names(client.get(url, {"department": "91"})) == {elsewhere.name}
    assert _names(client.get(url, {"department": "Essonne"})) == {elsewhere.name}
    assert _names(client.get(url, {"department": "Nord"})) == set()  # not in the negotiator's région
    html = client.get(url).content.decode()
    assert 'data-suggest="/suggestions/ght/"' in html
    assert "<option" not in html.split('name="ght"')[1].split("</div>")[0]  # no select of every GHT


def test_a_prepared_row_is_written_as_the_template_writes_its_cells():
    """One string per row (issue 19): each cell as ``{{ cell }}`` would write it, localized and escaped."""
    from django.template import Context, Template

    request = RequestFactory().get("/")
    table = _probe_table(request)
    cell_template = Template(
        "<tr{{ row.attrs }}>{% for attrs, cell in row.cells %}<td {{ attrs }}>{{ cell }}</td>{% endfor %}</tr>"
    )
    for row in table.prepared_rows:
        assert str(row["html"]) == cell_template.render(Context({"row": row}))
    assert "Site &lt;b&gt;0&lt;/b&gt;" in str(table.prepared_rows[0]["html"])
    html = "".join(str(row["html"]) for row in table.prepared_rows)
    assert ">02/05/2024</td>" in html  # 23:30 UTC is the next day in Paris
    assert "Fermé &lt;définitivement&gt; &amp; « archivé »" in html and "<b>sûr</b>" in html
