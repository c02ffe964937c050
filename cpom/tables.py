import django_tables2 as tables
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from core.pages import FastRowsMixin
from cpom.models import Cpom, CpomStatus


class CpomTable(FastRowsMixin, tables.Table):
    # The table's name for a screen reader and its scrolling region (django_tables2/dsfr.html).
    caption = _("CPOM")
    entity = tables.Column(
        verbose_name=_("Établissement (EJ)"),
        accessor="legal_entity__name",
        linkify=lambda record: record.get_absolute_url(),
    )
    # The FINESS and the reference are in the exports and on the CPOM's page; on the list, the FINESS
    # is under the entity's name (the last columns stay in view at 1280 px).
    finess = tables.Column(verbose_name=_("FINESS EJ"), accessor="legal_entity__finess", visible=False)
    department = tables.Column(verbose_name=_("Département"), accessor="legal_entity__department__name", default="—")
    ght_name = tables.Column(verbose_name=_("GHT"), default="—")
    period = tables.Column(verbose_name=_("Période"), accessor="first_year", order_by=("first_year", "last_year"))
    reference = tables.Column(verbose_name=_("Référence"), default="—", visible=False)
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

    def render_entity(self, record):
        return format_html(
            '{}<br><span class="fr-text--xs fr-mb-0">{}</span>', record.legal_entity.name, record.legal_entity.finess
        )

    def value_entity(self, record):
        return record.legal_entity.name

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
