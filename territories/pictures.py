"""The pictures of a territory, drawn on the server as SVG: the map (outlines,
choropleth, establishments as points), the cooperation network, and the
peer strips of the comparison. No script, no style attribute (the Content
Security Policy forbids both): presentation attributes only, links as SVG
``<a>``. Every drawn element carries ``data-row``, the id of its row in the
table beside the picture (the tests compare them)."""

import hashlib
import math
from decimal import Decimal

from django.utils.html import escape
from django.utils.translation import gettext as _

from territories.geography import frame_of, outlines, project, view_box
from territories.peers import formatted

CHOROPLETH = ("#ececfe", "#cacafb", "#a1a1f8", "#6a6af4", "#313178")
NO_DATA = "#f6f6f6"
OUTSIDE = "#ffffff"
INK = "#161616"
GREY = "#666666"
PALETTE = ("#000091", "#009081", "#c3992a", "#ce614a", "#a558a0", "#417dc4", "#7d4e5b", "#91ae4f")
SECTOR_COLOURS = {"public": "#000091", "prive_non_lucratif": "#009081", "prive_lucratif": "#c3992a"}
KIND_COLOURS = {
    "ght": "#000091",
    "convention": "#ce614a",
    "fmih": "#a558a0",
    "direction_commune": "#7d4e5b",
    "gcs_moyens": "#009081",
    "gcs_es": "#009081",
    "gcs_autorisations": "#009081",
    "gcsms": "#91ae4f",
    "gie": "#c3992a",
    "gip": "#c3992a",
    "cpts": "#417dc4",
}


def _n(value):
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _svg_open(box, title_id, title, description, css_class, role="img"):
    """``role``: « img » for a picture without links, « group » for one whose
    elements are links (an image may hold no interactive element)."""
    x, y, w, h = box
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="{_n(x)} {_n(y)} {_n(w)} {_n(h)}" role="{role}" '
        f'aria-labelledby="{title_id}-titre {title_id}-desc" class="{css_class}" '
        f'preserveAspectRatio="xMidYMid meet">',
        f'<title id="{title_id}-titre">{escape(title)}</title>',
        f'<desc id="{title_id}-desc">{escape(description)}</desc>',
    ]


def classes(values, whole=False):
    """Up to five equal classes from 0 to the largest value: their upper
    bounds (whole numbers for a count)."""
    known = [float(value) for value in values if value is not None]
    top = max(known, default=0.0)
    if top <= 0:
        return [0.0]
    bounds = [top * (i + 1) / len(CHOROPLETH) for i in range(len(CHOROPLETH))]
    if whole:
        bounds = sorted({float(math.ceil(bound)) for bound in bounds})
    return bounds


def class_of(value, bounds):
    if value is None:
        return None
    for index, bound in enumerate(bounds):
        if float(value) <= bound + 1e-9:
            return index
    return len(bounds) - 1


def shade(index, count):
    """The colour of class ``index`` of ``count``, spread over the whole ramp."""
    if count <= 1:
        return CHOROPLETH[-1]
    return CHOROPLETH[round(index * (len(CHOROPLETH) - 1) / (count - 1))]


def colour_of(value, bounds):
    index = class_of(value, bounds)
    return NO_DATA if index is None else shade(index, len(bounds))


def frame_for(territory):
    codes = [department.code for department in territory.departments]
    frame = frame_of(codes)
    drawn = [code for code in codes if (frame == "metro") == (code not in ("971", "972", "973", "974", "976"))]
    if frame != "metro":
        drawn = [frame]
    return frame, drawn, view_box(drawn)


def _outline_elements(territory, drawn, fills, titles, department_url, row_prefix="dep-"):
    shapes = outlines()
    parts = ['<g stroke="#3a3a3a" stroke-width="1" vector-effect="non-scaling-stroke" stroke-linejoin="round">']
    for code in drawn:
        if code not in shapes:
            continue
        fill = fills.get(code, OUTSIDE)
        opacity = "1" if code in territory.focus else "0.45"
        title = escape(titles.get(code, code))
        path = (
            f'<path d="{shapes[code].d}" fill="{fill}" fill-opacity="{opacity}" vector-effect="non-scaling-stroke" '
            f'data-row="{row_prefix}{escape(code)}"><title>{title}</title></path>'
        )
        url = department_url(code) if department_url else ""
        parts.append(f'<a href="{escape(url)}">{path}</a>' if url else path)
    parts.append("</g>")
    return parts


def point_colours(sites, colour_by):
    """The colour of each site and the legend: by category (the seven most
    frequent, the rest together) or by legal status."""
    if colour_by == "statut":
        legend = {}
        colours = {}
        for site in sites:
            colour = SECTOR_COLOURS.get(site.sector, GREY)
            colours[site.finess] = colour
            legend[site.sector_label] = colour
        return colours, sorted(legend.items())
    counts = {}
    for site in sites:
        counts[site.category or _("Non renseignée")] = counts.get(site.category or _("Non renseignée"), 0) + 1
    ranked = sorted(counts, key=lambda label: (-counts[label], label))
    palette = {label: PALETTE[i] for i, label in enumerate(ranked[: len(PALETTE) - 1])}
    others = _("Autres catégories")
    colours = {}
    legend = {}
    for site in sites:
        label = site.category or _("Non renseignée")
        colour = palette.get(label, GREY)
        colours[site.finess] = colour
        legend[label if label in palette else others] = colour
    ordered = [(label, legend[label]) for label in ranked if label in legend and label in palette]
    if others in legend:
        ordered.append((others, GREY))
    return colours, ordered


def point_sizes(sites, size_by, width):
    """A radius per site, the area proportional to its beds or stays; a
    site without the figure gets the smallest size."""
    value = (lambda site: site.stays) if size_by == "activite" else (lambda site: site.beds)
    top = max((value(site) or 0 for site in sites), default=0)
    smallest, largest = width / 260, width / 55
    sizes = {}
    for site in sites:
        v = value(site) or 0
        sizes[site.finess] = smallest + (largest - smallest) * math.sqrt(v / top) if top else smallest
    return sizes


def territory_map(territory, measures, bounds, measure_label, sites, size_by, colour_by, department_url=None):
    """The map SVG, and which sites could be placed (the others have no coordinates in the frame)."""
    frame, drawn, box = frame_for(territory)
    fills = {m.code: colour_of(m.value, bounds) for m in measures}
    titles = {m.code: f"{m.code} {m.name} : {m.shown}" for m in measures}
    parts = _svg_open(
        box,
        "carte",
        _("Carte : %(measure)s, %(territory)s") % {"measure": measure_label, "territory": territory.name},
        _(
            "Départements colorés selon la mesure choisie ; établissements en points. Les mêmes données sont "
            "dans les tableaux qui suivent la carte."
        ),  # fmt: skip
        "app-territory-map",
        role="group",
    )
    parts += _outline_elements(territory, drawn, fills, titles, department_url)
    colours, _legend = point_colours(sites, colour_by)
    sizes = point_sizes(sites, size_by, box[2])
    placed = []
    parts.append('<g stroke="#ffffff" stroke-width="1" fill-opacity="0.85">')
    for site in sorted(sites, key=lambda s: -sizes[s.finess]):  # the small ones on top
        point = project(site.latitude, site.longitude, frame)
        if point is None:
            continue
        placed.append(site.finess)
        parts.append(
            f'<a href="{escape(site.url)}"><circle cx="{_n(point[0])}" cy="{_n(point[1])}" '
            f'r="{sizes[site.finess]:.2f}" fill="{colours[site.finess]}" vector-effect="non-scaling-stroke" '
            f'data-row="et-{escape(site.finess)}"><title>{escape(site.name)} ({escape(site.finess)})</title>'
            f"</circle></a>"
        )
    parts.append("</g></svg>")
    return "".join(parts), set(placed)


def _jitter(key, spread):
    digest = hashlib.sha256(key.encode()).digest()
    angle = digest[0] / 255 * 2 * math.pi
    distance = (0.3 + digest[1] / 255 * 0.7) * spread
    return math.cos(angle) * distance, math.sin(angle) * distance


def place_nodes(network, sites, frame, box):
    """Each entity at the mean of its sites on the map, else near the centre
    of its département, else (an actor outside the register) around the
    structure's hub; kept inside the frame."""
    by_entity = {}
    for site in sites:
        point = project(site.latitude, site.longitude, frame)
        if point is not None:
            by_entity.setdefault(site.legal_entity_id, []).append(point)
    shapes = outlines()
    spread = box[2] / 40
    x0, y0, x1, y1 = box[0], box[1], box[0] + box[2], box[1] + box[3]
    for node in network.nodes.values():
        if node.external:
            continue
        entity_id = int(node.key[1:])
        if entity_id in by_entity:
            points = by_entity[entity_id]
            node.position = (sum(p[0] for p in points) / len(points), sum(p[1] for p in points) / len(points))
        elif node.department_id in shapes and shapes[node.department_id].frame == frame:
            cx, cy = shapes[node.department_id].centre
            dx, dy = _jitter(node.key, spread)
            node.position = (cx + dx, cy + dy)
    hubs = {}
    for link in network.links:
        hubs.setdefault(link.target, link.source)
    for node in network.nodes.values():
        if node.position is None:
            hub = network.nodes.get(hubs.get(node.key, ""))
            if hub is not None and hub.position is not None:
                dx, dy = _jitter(node.key, spread * 1.5)
                node.position = (hub.position[0] + dx, hub.position[1] + dy)
            else:
                dx, dy = _jitter(node.key, box[2] / 3)
                node.position = ((x0 + x1) / 2 + dx, (y0 + y1) / 2 + dy)
        margin = box[2] / 80
        node.position = (min(max(node.position[0], x0 + margin), x1 - margin),
                         min(max(node.position[1], y0 + margin), y1 - margin))  # fmt: skip


def network_picture(territory, network, sites, department_url=None):
    frame, drawn, box = frame_for(territory)
    place_nodes(network, sites, frame, box)
    parts = _svg_open(
        box,
        "reseau",
        _("Réseau des coopérations : %(territory)s") % {"territory": territory.name},
        _(
            "Les entités en nœuds, les structures de coopération en liens colorés selon leur forme ; les "
            "établissements supports sont cerclés. Les mêmes données sont dans les tableaux qui suivent."
        ),  # fmt: skip
        "app-territory-network",
        role="group",
    )
    parts += _outline_elements(territory, drawn, {}, {}, None, row_prefix="fond-")
    parts.append('<g stroke-width="1.5" stroke-opacity="0.8" vector-effect="non-scaling-stroke">')
    for link in network.links:
        a, b = network.nodes[link.source].position, network.nodes[link.target].position
        dash = "" if link.active else ' stroke-dasharray="4 3"'
        parts.append(
            f'<a href="{escape(link.structure_url)}"><line x1="{_n(a[0])}" y1="{_n(a[1])}" x2="{_n(b[0])}" '
            f'y2="{_n(b[1])}" stroke="{KIND_COLOURS.get(link.kind, GREY)}" vector-effect="non-scaling-stroke"{dash} '
            f'data-row="{escape(link.key)}"><title>{escape(link.structure_name)} — {escape(link.kind_label)}</title>'
            f"</line></a>"
        )
    parts.append("</g>")
    radius = box[2] / 300
    parts.append('<g stroke="#ffffff" stroke-width="1">')
    for node in sorted(network.nodes.values(), key=lambda n: n.supports):
        support = node.supports > 0
        r = radius * (1.8 if support else 1)
        fill = "#e1000f" if support else ("#666666" if node.external else "#000091")
        stroke = ' stroke="#161616" stroke-width="2"' if support else ""
        circle = (
            f'<circle cx="{_n(node.position[0])}" cy="{_n(node.position[1])}" r="{r:.2f}" fill="{fill}"{stroke} '
            f'vector-effect="non-scaling-stroke" data-row="{escape(node.key)}"><title>{escape(node.name)}'
            f"{' — ' + escape(_('établissement support')) if support else ''}</title></circle>"
        )
        parts.append(f'<a href="{escape(node.url)}">{circle}</a>' if node.url else circle)
    parts.append("</g></svg>")
    return "".join(parts)


def peer_strip(comparison):
    """One indicator: per group (région, France) the P10–P90 line, the
    P25–P75 box, the median and the establishment's own value."""
    shown = comparison.shown_distributions
    values = [float(d.values[q]) for d in shown for q in (10, 90)]
    if comparison.own is not None:
        values.append(float(comparison.own))
    if not values:
        return ""
    low, high = min(values), max(values)
    if high == low:
        low, high = low - 1, high + 1
    width, left, right, row = 340.0, 96.0, 10.0, 26.0
    height = row * max(len(shown), 1) + 24

    def x(value):
        return left + (float(value) - low) / (high - low) * (width - left - right)

    parts = _svg_open(
        (0, 0, width, height),
        f"pairs-{comparison.code}",
        _("%(label)s : position parmi les établissements comparables") % {"label": comparison.label},
        _(
            "Pour chaque groupe, le trait va du 10e au 90e centile, la boîte du 1er au 3e quartile, la barre "
            "verticale est la médiane, le losange rouge la valeur de l’établissement."
        ),  # fmt: skip
        "app-peer-strip",
    )
    for index, distribution in enumerate(shown):
        y = 12 + index * row + row / 2
        v = distribution.values
        parts.append(
            f'<g data-row="peer-{escape(comparison.code)}-{distribution.scope}">'
            f'<text x="0" y="{_n(y + 4)}" font-size="11" fill="{INK}">{escape(distribution.label[:16])}</text>'
            f'<line x1="{_n(x(v[10]))}" y1="{_n(y)}" x2="{_n(x(v[90]))}" y2="{_n(y)}" stroke="{GREY}" '
            f'stroke-width="2"/>'
            f'<rect x="{_n(x(v[25]))}" y="{_n(y - 7)}" width="{_n(max(x(v[75]) - x(v[25]), 1))}" height="14" '
            f'fill="#cacafb" stroke="#000091"/>'
            f'<line x1="{_n(x(v[50]))}" y1="{_n(y - 9)}" x2="{_n(x(v[50]))}" y2="{_n(y + 9)}" stroke="#000091" '
            f'stroke-width="3"/></g>'
        )
    if comparison.own is not None:
        ox, top, bottom = x(comparison.own), 8, height - 14
        parts.append(
            f'<g data-row="peer-{escape(comparison.code)}-own"><line x1="{_n(ox)}" y1="{top}" x2="{_n(ox)}" '
            f'y2="{_n(bottom)}" stroke="#e1000f" stroke-dasharray="3 2"/>'
            f'<path d="M{_n(ox)} {_n(bottom - 5)} l5 5 -5 5 -5 -5z" fill="#e1000f"/></g>'
        )
    parts.append(
        f'<text x="{_n(left)}" y="{_n(height - 2)}" font-size="10" fill="{GREY}">{escape(comparison_bound(low, comparison))}</text>'
        f'<text x="{_n(width - right)}" y="{_n(height - 2)}" font-size="10" fill="{GREY}" text-anchor="end">'
        f"{escape(comparison_bound(high, comparison))}</text></svg>"
    )
    return "".join(parts)


def comparison_bound(value, comparison):
    return formatted(Decimal(str(round(value, 2))), comparison.percentage)


def standalone(svg):
    """An SVG as a file of its own."""
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + svg
