"""The territory pages (a région, a département, a GHT) with their map and
their cooperation network, the downloads of their tables (CSV) and pictures
(SVG), and the comparison of an establishment with similar ones."""

import csv
import html
import io
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from cooperations.models import Establishment, StructureKind
from core.exports import neutralise
from core.pages import crumbs
from cpom.models import Indicator, Theme
from territories import peers, pictures, selectors
from territories.selectors import Measure, PointColour, PointSize, StructureStatus


@dataclass
class DataTable:
    """A table beside a picture: the HTML table, the CSV download, and the
    ``data-row`` ids the picture's elements carry."""

    name: str  # the CSV file name, without extension
    caption: str
    headers: list
    rows: list = field(default_factory=list)  # (row id, [cells], link url or "")

    def body(self):
        """The rows as HTML, built here rather than by the template engine: a
        région's table has some 500 rows of nine cells (most of the page time
        when the template loops over them)."""
        parts = []
        quote = html.escape  # django.utils.html.escape without its lazy-argument wrapper: escape(str(cell))
        for row_id, cells, url in self.rows:
            first = quote(str(cells[0])) if cells else ""
            if url:
                first = f'<a href="{quote(str(url))}">{first}</a>'
            rest = "".join(f"<td>{quote(str(cell))}</td>" for cell in cells[1:])
            parts.append(f'<tr data-row="{quote(str(row_id))}"><th scope="row">{first}</th>{rest}</tr>')
        if not parts:
            parts.append(f'<tr><td colspan="{len(self.headers)}">{escape(_("Aucune ligne."))}</td></tr>')
        return mark_safe("".join(parts))  # noqa: S308  # nosec B308 B703 - every cell escaped above

    def csv(self):
        buffer = io.StringIO()
        writer = csv.writer(buffer, delimiter=";")
        writer.writerow(self.headers)
        for _row_id, cells, _url in self.rows:
            writer.writerow([neutralise(str(cell)) for cell in cells])
        return "\ufeff" + buffer.getvalue()


def _choice(request, name, choices, default=""):
    """A GET parameter kept only if it is one of ``choices``: anything else
    falls back to the default (no parameter can make the page fail)."""
    value = request.GET.get(name, default)
    return value if value in {key for key, _label in choices} else default


def _options(request):
    return {
        "mesure": _choice(request, "mesure", Measure.CHOICES, Measure.STRUCTURES),
        "theme": _choice(request, "theme", Theme.choices),
        "taille": _choice(request, "taille", PointSize.CHOICES, PointSize.BEDS),
        "couleur": _choice(request, "couleur", PointColour.CHOICES, PointColour.CATEGORY),
        "forme": _choice(request, "forme", StructureKind.choices),
        "theme_reseau": _choice(request, "theme_reseau", Theme.choices),
        "etat": _choice(request, "etat", StructureStatus.CHOICES),
    }


def _department_url(code):
    return reverse("territories:department", args=[code])


def territory_data(request, kind, code):
    """Everything a territory page and its downloads show."""
    user = request.user
    territory = selectors.find_territory(user, kind, code)
    options = _options(request)
    measure_label = dict(Measure.CHOICES)[options["mesure"]]
    if options["mesure"] == Measure.COMMITMENTS and options["theme"]:
        measure_label = f"{measure_label} — {dict(Theme.choices)[options['theme']]}"
    sites = selectors.territory_sites(user, territory)
    measures = selectors.department_measures(user, territory, options["mesure"], options["theme"])
    bounds = pictures.classes([m.value for m in measures], whole=Measure.UNITS[options["mesure"]] != "%")
    map_svg, placed = pictures.territory_map(
        territory, measures, bounds, measure_label, sites, options["taille"], options["couleur"], _department_url
    )
    network = selectors.territory_network(user, territory, options["forme"], options["theme_reseau"], options["etat"])
    network_svg = pictures.network_picture(territory, network, sites)
    _colours, point_legend = pictures.point_colours(sites, options["couleur"])
    point_legend = [(colour, label) for label, colour in point_legend]

    departments = DataTable(
        "departements",
        _("%(measure)s par département") % {"measure": measure_label},
        [_("Code"), _("Département"), measure_label, _("Détail"), _("Classe de la carte")],
    )
    for m in measures:
        index = pictures.class_of(m.value, bounds)
        departments.rows.append(
            (
                f"dep-{m.code}",
                [m.code, m.name, m.shown, m.detail, "" if index is None else index + 1],
                _department_url(m.code),
            )  # fmt: skip
        )
    establishments = DataTable(
        "etablissements",
        _("Établissements du territoire"),
        [
            _("FINESS"),
            _("Établissement"),
            _("Commune"),
            _("Département"),
            _("Catégorie"),
            _("Statut juridique"),
            _("Lits MCO"),
            _("Séjours MCO"),
            _("Sur la carte"),
        ],  # fmt: skip
    )
    for site in sites:
        establishments.rows.append(
            (
                f"et-{site.finess}",
                [
                    site.finess,
                    site.name,
                    site.commune,
                    site.department_id,
                    site.category,
                    site.sector_label,
                    "" if site.beds is None else site.beds,
                    "" if site.stays is None else site.stays,
                    _("oui") if site.finess in placed else _("non : sans coordonnées"),
                ],
                site.url,
            )  # fmt: skip
        )
    links = DataTable(
        "liens",
        _("Liens du réseau : une ligne par membre relié au support de sa structure"),
        [_("Structure"), _("Forme"), _("De (support ou premier membre)"), _("Vers"), _("Rôle"), _("État")],
    )
    for link in network.links:
        links.rows.append(
            (
                link.key,
                [
                    link.structure_name,
                    link.kind_label,
                    network.nodes[link.source].name,
                    network.nodes[link.target].name,
                    link.target_role,
                    _("en cours") if link.active else _("terminée"),
                ],
                link.structure_url,
            )  # fmt: skip
        )
    nodes = DataTable(
        "noeuds",
        _("Nœuds du réseau : entités et partenaires"),
        [
            _("Entité ou partenaire"),
            _("FINESS EJ"),
            _("Département"),
            _("Structures dont il est support"),
            _("Liens"),
        ],  # fmt: skip
    )
    for node in sorted(network.nodes.values(), key=lambda n: (-n.links, n.name)):
        nodes.rows.append((node.key, [node.name, node.finess, node.department_id, node.supports, node.links], node.url))
    kinds_drawn = sorted({(link.kind, link.kind_label) for link in network.links}, key=lambda k: k[1])
    return {
        "territory": territory,
        "options": options,
        "measure_label": measure_label,
        "map_svg": mark_safe(map_svg),  # noqa: S308  # nosec B308 B703 - built by pictures.py, every text escaped there
        "network_svg": mark_safe(network_svg),  # noqa: S308  # nosec B308 B703 - same
        "departments_table": departments,
        "establishments_table": establishments,
        "links_table": links,
        "nodes_table": nodes,
        "sites": sites,
        "placed_count": len(placed),
        "unplaced_count": len(sites) - len(placed),
        "choropleth_legend": _choropleth_legend(bounds, options["mesure"]),
        "point_legend": point_legend,
        "kind_legend": [(pictures.KIND_COLOURS.get(key, pictures.GREY), label) for key, label in kinds_drawn],
        "network": network,
        "raw_map_svg": map_svg,
        "raw_network_svg": network_svg,
    }


def _choropleth_legend(bounds, measure):
    percentage = Measure.UNITS.get(measure) == "%"
    legend, low = [], 0.0
    for index, bound in enumerate(bounds):
        label = _("%(low)s à %(high)s") % {"low": _short(low, percentage), "high": _short(bound, percentage)}
        if not percentage and low == bound:
            label = _short(bound, percentage)
        legend.append((pictures.shade(index, len(bounds)), label))
        low = bound if percentage else bound + 1
    legend.append((pictures.NO_DATA, _("pas de donnée")))
    return legend


def _short(value, percentage):
    return peers.formatted(Decimal(str(round(value, 1))), percentage)


TEMPLATES_BY_KIND = {"regions": "region", "departements": "department", "ght": "ght"}


def _territory_page(request, kind, code):
    context = territory_data(request, kind, code)
    territory = context["territory"]
    links = [(_("Territoires"), reverse("territories:index"))]
    if territory.kind != "regions" and territory.region is not None:
        links.append((territory.region.name, reverse("territories:region", args=[territory.region.code])))
    query = request.GET.urlencode()
    context.update(
        {
            "nav": "territories",
            "title": f"{territory.kind_label} — {territory.name}",
            "breadcrumb_data": crumbs(territory.name, *links),
            "measure_choices": Measure.CHOICES,
            "theme_choices": Theme.choices,
            "size_choices": PointSize.CHOICES,
            "colour_choices": PointColour.CHOICES,
            "kind_choices": StructureKind.choices,
            "status_choices": StructureStatus.CHOICES,
            "ghts": selectors.ght_of_region(request.user, territory.region) if territory.kind == "regions" else [],
            "query": f"?{query}" if query else "",
            "download_base": reverse("territories:download", args=[kind, code, "x"])[:-1],
        }
    )
    return render(request, "territories/territory.html", context)


@login_required
def region(request, code):
    return _territory_page(request, "regions", code)


@login_required
def department(request, code):
    return _territory_page(request, "departements", code)


@login_required
def ght(request, code):
    return _territory_page(request, "ght", code)


DOWNLOADS = {
    "departements.csv": "departments_table",
    "etablissements.csv": "establishments_table",
    "liens.csv": "links_table",
    "noeuds.csv": "nodes_table",
    "carte.svg": "raw_map_svg",
    "reseau.svg": "raw_network_svg",
}


def _download(content, filename):
    kind = "image/svg+xml" if filename.endswith(".svg") else "text/csv"
    response = HttpResponse(content, content_type=f"{kind}; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@login_required
def download(request, kind, code, filename):
    if kind not in TEMPLATES_BY_KIND or filename not in DOWNLOADS:
        raise Http404(_("Fichier inconnu."))
    context = territory_data(request, kind, code)
    item = context[DOWNLOADS[filename]]
    content = item.csv() if isinstance(item, DataTable) else pictures.standalone(item)
    return _download(content, f"{kind}-{code}-{filename}")


@login_required
def index(request):
    if not selectors.may_see_territories(request.user):
        raise PermissionDenied(_("Les pages des territoires sont réservées aux agents des ARS."))
    overview = selectors.regions_overview(request.user)
    own = [region for region, _sites, _structures in overview]
    departments = {}
    ghts = {}
    if len(own) == 1:
        departments = {own[0].code: list(own[0].departments.order_by("code"))}
        ghts = {own[0].code: selectors.ght_of_region(request.user, own[0])}
    return render(
        request,
        "territories/index.html",
        {
            "overview": overview,
            "departments": departments.get(own[0].code, []) if len(own) == 1 else [],
            "ghts": ghts.get(own[0].code, []) if len(own) == 1 else [],
            "nav": "territories",
            "title": _("Territoires"),
            "breadcrumb_data": crumbs(_("Territoires")),
        },
    )


# --- Comparison with similar establishments ---------------------------------------------------------


def comparison_data(request, finess):
    site = get_object_or_404(
        Establishment.objects.visible_to(request.user).select_related("legal_entity", "region", "category"),
        finess=finess,
    )
    context = peers.establishment_peers(request.user, site, with_names=True)
    add_strips(context)
    table = DataTable(
        "comparaison",
        _("Position parmi les établissements comparables (Hospi Diag %(year)s)") % {"year": context["year"]},
        [
            _("Code"),
            _("Indicateur"),
            _("Groupe"),
            _("Établissements"),
            _("10e centile"),
            _("1er quartile"),
            _("Médiane"),
            _("3e quartile"),
            _("90e centile"),
            _("Valeur de l’établissement"),
        ],  # fmt: skip
    )
    for comparison in context["comparisons"]:
        for distribution in comparison.distributions:
            cells = distribution.cells if distribution.shown else [_("masqué : moins de %(n)s établissements")
                                                                     % {"n": peers.MIN_PEERS}] + [""] * 4  # fmt: skip
            table.rows.append(
                (
                    f"peer-{comparison.code}-{distribution.scope}",
                    [
                        comparison.code,
                        comparison.label,
                        distribution.label,
                        distribution.count,
                        *cells,
                        comparison.own_shown,
                    ],
                    "",
                )  # fmt: skip
            )
    indicators = list(
        Indicator.objects.visible_to(request.user)
        .filter(commitment__cpom__legal_entity_id=site.legal_entity_id, template__isnull=False)
        .select_related("commitment__cpom__region", "template")
        .order_by("commitment__cpom__first_year", "pk")
    )
    distributions = peers.template_distributions(request.user, indicators)
    template_rows = [
        (indicator, distributions[indicator.pk]) for indicator in indicators if indicator.pk in distributions
    ]
    return {
        "site": site,
        "peers_context": context,
        "comparisons": context["comparisons"],
        "table": table,
        "template_rows": template_rows,
        "download_base": reverse("territories:comparison_download", args=[finess, "x"])[:-1],
    }


def add_strips(context):
    """The small chart of each compared indicator."""
    for comparison in context["comparisons"]:
        comparison.svg = mark_safe(pictures.peer_strip(comparison))  # noqa: S308  # nosec B308 B703 - escaped in pictures.py


@login_required
def comparison(request, finess):
    context = comparison_data(request, finess)
    site = context["site"]
    links = [(_("Établissements"), reverse("cooperations:establishment_list")), (site.name, site.get_absolute_url())]
    context.update(
        {
            "nav": "territories" if selectors.may_see_territories(request.user) else "establishments",
            "title": _("%(name)s parmi les établissements comparables") % {"name": site.name},
            "breadcrumb_data": crumbs(_("Comparaison"), *links),
            "may_see_territories": selectors.may_see_territories(request.user),
        }
    )
    return render(request, "territories/comparison.html", context)


@login_required
def comparison_download(request, finess, filename):
    context = comparison_data(request, finess)
    if filename == "comparaison.csv":
        return _download(context["table"].csv(), f"comparaison-{finess}.csv")
    for comparison in context["comparisons"]:
        if filename == f"{comparison.code}.svg" and str(comparison.svg):
            return _download(pictures.standalone(str(comparison.svg)), f"comparaison-{finess}-{filename}")
    raise Http404(_("Fichier inconnu."))
