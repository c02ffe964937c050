import django_tables2 as tables
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from .models import CooperationStructure, Cpom, CpomStatus, Establishment


class EstablishmentTable(tables.Table):
    finess = tables.Column(verbose_name=_("FINESS ET"), linkify=True, attrs={"td": {"class": "app-nowrap"}})
    name = tables.Column(verbose_name=_("Établissement"), linkify=True)
    legal_entity = tables.Column(
        verbose_name=_("Entité juridique"),
        linkify=True,
        order_by=("legal_entity__name",),
        accessor="legal_entity__name",
    )
    category = tables.Column(verbose_name=_("Catégorie"), order_by=("category__label",))
    sector = tables.Column(
        verbose_name=_("Statut juridique"),
        accessor="legal_entity__legal_status__get_sector_display",
        order_by=("legal_entity__legal_status__sector",),
        default="—",
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
        return f"{record.legal_entity.name} ({record.legal_entity.finess})"

    def render_department(self, record):
        return record.department.name if record.department_id else "—"


class StructureTable(tables.Table):
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


class CpomTable(tables.Table):
    entity = tables.Column(
        verbose_name=_("Établissement (EJ)"),
        accessor="legal_entity__name",
        linkify=lambda record: record.get_absolute_url(),
    )
    finess = tables.Column(
        verbose_name=_("FINESS EJ"), accessor="legal_entity__finess", attrs={"td": {"class": "app-nowrap"}}
    )
    department = tables.Column(verbose_name=_("Département"), accessor="legal_entity__department__name", default="—")
    ght_name = tables.Column(verbose_name=_("GHT"), default="—")
    period = tables.Column(verbose_name=_("Période"), accessor="first_year", order_by=("first_year", "last_year"))
    reference = tables.Column(verbose_name=_("Référence"), default="—")
    status = tables.Column(verbose_name=_("Étape"))
    version_label = tables.Column(
        verbose_name=_("Version en vigueur"), accessor="latest_signed", default="—", orderable=False
    )
    commitment_count = tables.Column(verbose_name=_("Engagements"), attrs={"td": {"class": "fr-cell--right"}})
    signed_on = tables.DateColumn(verbose_name=_("Signé le"), format="d/m/Y", default="—")

    class Meta:
        model = Cpom
        fields = [
            "entity", "period", "status", "version_label", "commitment_count", "signed_on",
            "ght_name", "department", "finess", "reference",
        ]  # fmt: skip
        order_by = ("entity",)
        per_page = 25
        empty_text = _("Aucun CPOM ne correspond à ces critères.")

    def render_period(self, record):
        return record.period

    def value_period(self, record):
        return record.period

    def render_version_label(self, value):
        return _("Contrat initial") if value == 0 else _("Avenant n° %(n)s") % {"n": value}

    value_version_label = render_version_label

    def render_status(self, record):
        return format_html(
            '<p class="fr-badge fr-badge--sm {}">{}</p>', STATUS_BADGES[record.status], record.get_status_display()
        )

    def value_status(self, record):
        return record.get_status_display()


STATUS_BADGES = {
    CpomStatus.PREPARATION: "fr-badge--info",
    CpomStatus.CONCERTATION: "fr-badge--new",
    CpomStatus.TO_SIGN: "fr-badge--warning",
    CpomStatus.SIGNED: "fr-badge--success",
}
