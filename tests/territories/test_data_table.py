"""The table beside a territory's picture: its rows written in Python, every cell escaped as the
template engine would escape it (django.utils.html.escape), lazy translations and numbers included."""

from decimal import Decimal

from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy

from territories.views import DataTable


def test_every_cell_link_and_row_id_is_escaped_as_django_escapes_it():
    cells = ['CH <Nord> & "Sud"', 12, Decimal("4.5"), gettext_lazy("Non renseigné"), mark_safe("<b>gras</b>"), None]
    table = DataTable("sites", "Sites", ["Nom", "Lits", "Part", "Secteur", "Note", "Vide"])
    table.rows = [('row-"1"', cells, "/etablissements/75?x=1&y=<2>")]
    body = str(table.body())
    expected_cells = "".join(f"<td>{escape(cell)}</td>" for cell in cells[1:])
    assert body == (
        f'<tr data-row="{escape(table.rows[0][0])}"><th scope="row">'
        f'<a href="{escape("/etablissements/75?x=1&y=<2>")}">{escape(cells[0])}</a></th>{expected_cells}</tr>'
    )
    assert "&lt;b&gt;gras&lt;/b&gt;" in body  # a marked-safe value is escaped too, as escape() does


def test_an_empty_table_says_so():
    assert "Aucune ligne." in str(DataTable("x", "X", ["A", "B"]).body())
