"""The indicator rows of a commitment on the CPOM page, written in Python:
the template loop (``cpom/_indicator_rows.html``, kept as the reference and
compared in tests/cpom/test_indicator_rows.py) was a third of the page's
work on a CPOM of fourteen commitments (issue 19). Every value is written as
``{{ }}`` writes it (core.rendering.template_text: localized, escaped)."""

from django.utils.safestring import mark_safe

from core.rendering import template_text as shown
from core.urls import object_url

_TO_DEFINE = '<span class="fr-badge fr-badge--sm fr-badge--warning">à définir</span>'


def _indicator_cell(indicator):
    label = shown(indicator.label)
    if indicator.pk:
        head = f'<a href="{shown(object_url("indicators:indicator_detail", indicator.pk))}">{label}</a>'
        sheet = (
            f'<br><a class="fr-link fr-link--sm" href="{shown(indicator.get_sheet_url())}" data-testid="sheet-link">'
            f'Fiche technique<span class="fr-sr-only"> de « {label} »</span></a>'
        )
    else:
        head, sheet = label, ""
    unit = f" · {shown(indicator.unit)}" if indicator.unit else ""
    source = f" · Source : {shown(indicator.data_source)}" if indicator.data_source else ""
    return (
        f'{head}<br><span class="fr-text--xs">{shown(indicator.get_value_type_display())}{unit} · '
        f"{shown(indicator.get_direction_display())}{source}</span>{sheet}"
    )


def _kind_cell(indicator):
    if not indicator.is_computed:
        return "Déclaratif"
    parameters = indicator.computation_parameters
    shown_parameters = f' · <span data-testid="computation-parameters">{shown(parameters)}</span>' if parameters else ""
    return (
        '<p class="fr-badge fr-badge--sm fr-badge--purple-glycine">Calculé</p><br><span class="fr-text--xs">'
        f"{shown(indicator.get_computation_display())}{shown_parameters}</span>"
    )


def _follow_up_cell(indicator):
    latest_year = getattr(indicator, "latest_year", None)
    latest = (
        f'<br><span class="fr-text--xs">{shown(getattr(indicator, "latest_value", ""))} en {shown(latest_year)}</span>'
        if latest_year
        else ""
    )
    progress = getattr(indicator, "progress", None)
    return (
        f'<td class="app-nowrap"><span class="fr-badge fr-badge--sm {shown(getattr(indicator, "progress_badge", ""))}">'
        f"{shown(progress.label) if progress is not None else ''}</span>{latest}</td>"
    )


def indicator_rows(commitment, cpom):
    """The ``<tr>`` of each indicator of ``commitment`` (its prefetched
    indicators, each with its ``target_row`` and, once signed, its progress),
    or the row saying there is none."""
    indicators = list(commitment.indicators.all())
    if not indicators:
        return mark_safe(  # noqa: S308  # nosec B308 B703 - a number and constant text
            f'\n            <tr><td colspan="{len(cpom.years) + 4}">'
            "Aucun indicateur : il en faut au moins un pour signer.</td></tr>\n          "
        )
    signed = cpom.has_been_signed
    rows = []
    for indicator in indicators:
        baseline = indicator.baseline_display
        year = f" ({shown(indicator.baseline_year)})" if indicator.baseline_year else ""
        targets = "".join(
            f'<td class="fr-cell--right">{shown(target.display) if target else _TO_DEFINE}</td>'
            for _year, target in indicator.target_row
        )
        rows.append(
            "\n            <tr>\n"
            f"              <td>{_indicator_cell(indicator)}</td>\n"
            f"              <td>{_kind_cell(indicator)}</td>\n"
            f"              <td>{shown(baseline) if baseline else '—'}{year}</td>\n"
            f"              {targets}\n"
            f"              {_follow_up_cell(indicator) if signed else ''}\n"
            "            </tr>\n          "
        )
    return mark_safe("".join(rows))  # noqa: S308  # nosec B308 B703 - every value escaped above
