import django_tables2 as tables
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from cooperations.models import CooperationStructure, Establishment
from core.pages import FastRowsMixin


class EstablishmentTable(FastRowsMixin, tables.Table):
    # The table's name for a screen reader and its scrolling region (django_tables2/dsfr.html).
    caption = _("Établissements")
    finess = tables.Column(verbose_name=_("FINESS ET"), linkify=True, attrs={"td": {"class": "app-nowrap"}})
    name = tables.Column(verbose_name=_("Établissement"), linkify=True)
    legal_entity = tables.Column(
        verbose_name=_("Entité juridique"),
        linkify=True,
        order_by=("legal_entity__name",),
        accessor="legal_entity__name",
    )
    category = tables.Column(verbose_name=_("Catégorie"), order_by=("category__label",))
    # In the exports; on the page, the establishment's page shows it (the GHT column stays in view at 1280 px).
    sector = tables.Column(
        verbose_name=_("Statut juridique"),
        accessor="legal_entity__legal_status__get_sector_display",
        order_by=("legal_entity__legal_status__sector",),
        default="—",
        visible=False,
    )
    department = tables.Column(verbose_name=_("Département"), order_by=("department_id",))
    commune_name = tables.Column(verbose_name=_("Commune"))
    ght_name = tables.Column(verbose_name=_("GHT"), orderable=True, default="—")

    class Meta:
        model = Establishment
        fields = ["finess", "name", "legal_entity", "category", "sector", "department", "commune_name", "ght_name"]
        order_by = ("name",)
        per_page = 25
        empty_text = _("Aucun établissement ne correspond à ces critères.")

    def render_legal_entity(self, record):
        return format_html(
            '{}<br><span class="fr-text--xs fr-mb-0">{}</span>', record.legal_entity.name, record.legal_entity.finess
        )

    def value_legal_entity(self, record):
        return f"{record.legal_entity.name} ({record.legal_entity.finess})"

    def render_department(self, record):
        return record.department.name if record.department_id else "—"


class StructureTable(FastRowsMixin, tables.Table):
    # The table's name for a screen reader and its scrolling region (django_tables2/dsfr.html).
    caption = _("Structures de coopération")
    short_code = tables.Column(verbose_name=_("Code"), default="—")
    name = tables.Column(verbose_name=_("Nom"), linkify=True)
    kind = tables.Column(verbose_name=_("Forme juridique"))
    region = tables.Column(verbose_name=_("Région"), default="—", order_by=("region__name",))
    member_count = tables.Column(verbose_name=_("Membres"), attrs={"td": {"class": "fr-cell--right"}})
    support_name = tables.Column(verbose_name=_("Établissement support"), default="—")
    composition_source = tables.Column(verbose_name=_("Composition"))

    class Meta:
        model = CooperationStructure
        fields = ["short_code", "name", "kind", "region", "member_count", "support_name", "composition_source"]
        order_by = ("short_code", "name")
        per_page = 25
        empty_text = _("Aucune structure de coopération ne correspond à ces critères.")
