import django_tables2 as tables
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from core.pages import FastRowsMixin
from core.urls import object_url
from core.values import format_value
from indicators.models import Declaration, DeclarationStatus

DECLARATION_BADGES = {
    DeclarationStatus.DRAFT: "fr-badge--info",
    DeclarationStatus.SUBMITTED: "fr-badge--new",
    DeclarationStatus.VALIDATED: "fr-badge--success",
    DeclarationStatus.SENT_BACK: "fr-badge--warning",
}
RIGHT = {"td": {"class": "fr-cell--right"}}


def status_badge(status, label):
    return format_html('<p class="fr-badge fr-badge--sm {}">{}</p>', DECLARATION_BADGES.get(status, ""), label)


class DashboardTable(FastRowsMixin, tables.Table):
    """The campaign's progress per establishment (rows of ``follow_up.entity_rows``)."""

    # The table's name for a screen reader and its scrolling region (django_tables2/dsfr.html).
    caption = _("Avancement de la campagne par établissement")

    name = tables.Column(verbose_name=_("Établissement (EJ)"))
    # Under the name on the page (the completion stays in view at 1280 px), its own column in the exports.
    finess = tables.Column(verbose_name=_("FINESS EJ"), visible=False)
    due = tables.Column(verbose_name=_("Dues"), attrs=RIGHT)
    draft = tables.Column(verbose_name=_("Brouillons"), attrs=RIGHT)
    submitted = tables.Column(verbose_name=_("Soumises"), attrs=RIGHT)
    validated = tables.Column(verbose_name=_("Validées"), attrs=RIGHT)
    sent_back = tables.Column(verbose_name=_("Renvoyées"), attrs=RIGHT)
    late = tables.Column(verbose_name=_("En retard"), attrs=RIGHT)
    completion = tables.Column(verbose_name=_("Complétude"), attrs=RIGHT)

    class Meta:
        order_by = ("name",)
        empty_text = _("Aucun établissement suivi par cette campagne.")

    def __init__(self, *args, campaign, **kwargs):
        super().__init__(*args, **kwargs)
        self.campaign = campaign

    def render_name(self, record):
        url = object_url("indicators:declare", self.campaign.pk, record.finess)
        return format_html(
            '<a href="{}">{}</a><br><span class="fr-text--xs fr-mb-0">{}</span>', url, record.name, record.finess
        )

    def value_name(self, record):
        return record.name

    def render_late(self, value):
        return format_html('<p class="fr-badge fr-badge--sm fr-badge--error">{}</p>', value) if value else "0"

    def value_late(self, value):
        return value

    def render_completion(self, value):
        return f"{value} %"

    def value_completion(self, value):
        return value


class DeclarationTable(FastRowsMixin, tables.Table):
    """The validation queue of a campaign."""

    # The table's name for a screen reader and its scrolling region (django_tables2/dsfr.html).
    caption = _("Valeurs à valider")

    entity = tables.Column(verbose_name=_("Établissement"), accessor="indicator__commitment__cpom__legal_entity__name")
    # The commitment and its theme: in the exports, under the indicator's label and on the declaration's
    # page (the value, the target, the status and « Valider » stay in view at 1280 px).
    commitment = tables.Column(verbose_name=_("Engagement"), accessor="indicator__commitment__title", visible=False)
    theme = tables.Column(verbose_name=_("Thème"), accessor="indicator__commitment__theme", visible=False)
    indicator = tables.Column(verbose_name=_("Indicateur"), accessor="indicator__label")
    value = tables.Column(verbose_name=_("Valeur déclarée"), attrs=RIGHT, orderable=False, empty_values=())
    target = tables.Column(verbose_name=_("Cible de l’année"), attrs=RIGHT, orderable=False, empty_values=())
    status = tables.Column(verbose_name=_("Statut"))
    # Sorted on whether there is a flag (flagged first by default); shows their reasons.
    flags = tables.Column(verbose_name=_("Alertes"), accessor="flagged", empty_values=())
    submitted_at = tables.DateTimeColumn(verbose_name=_("Soumise le"), format="d/m/Y H:i", default="—")
    actions = tables.TemplateColumn(
        template_name="indicators/_queue_actions.html",
        verbose_name=_("Action"),
        orderable=False,
        exclude_from_export=True,
    )

    class Meta:
        model = Declaration
        fields = ["entity", "commitment", "theme", "indicator", "value", "target", "status", "flags", "submitted_at"]
        order_by = ("-flags", "entity")
        per_page = 50
        empty_text = _("Aucune déclaration ne correspond à ces critères.")

    def render_theme(self, record):
        return record.indicator.commitment.get_theme_display()

    value_theme = render_theme

    def render_indicator(self, record):
        indicator = record.indicator
        return format_html(
            '{}<br><span class="fr-text--xs fr-mb-0">{}</span>', indicator.label, indicator.commitment.title
        )

    def value_indicator(self, record):
        return record.indicator.label

    def render_value(self, record):
        return record.display or "—"

    value_value = render_value

    def render_target(self, record):
        indicator = record.indicator
        return format_value(indicator.value_type, record.target_value, record.target_text or "", indicator.unit) or "—"

    value_target = render_target

    def render_status(self, record):
        badge = status_badge(record.status, record.status_label)
        if record.is_corrected and record.correction_answer:
            return format_html(
                '{}<p class="fr-text--xs fr-mb-0">{} {}</p>', badge, _("Réponse :"), record.correction_answer
            )
        return badge

    def value_status(self, record):
        return record.status_label

    def render_flags(self, record):
        if not record.flagged:
            return "—"
        items = format_html_join("", "<li>{}</li>", ((message,) for message in record.flag_messages))
        return format_html(
            '<p class="fr-badge fr-badge--sm fr-badge--warning">{}</p><ul class="fr-text--xs fr-mb-0">{}</ul>',
            _("Signalée"),
            items,
        )

    def value_flags(self, record):
        return " ".join(record.flag_messages)
