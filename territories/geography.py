"""The outlines of the départements and where a point falls on them.

The outlines are the département paths of the MIT-licensed ``@gouvfr/dsfr-chart``
2.0.4 map (``data/departements_dsfr_chart.json``, see ``data/SOURCE.md``):
already projected and simplified to whole units in a 1010 × 1010 frame for
metropolitan France, and one small frame per overseas département. A
latitude and a longitude are placed on them by a Lambert conformal conic
projection (the one of Lambert-93, on a sphere) whose scale and offsets were
fitted on the 5 200 located hospitals of the register: 94 % fall inside their
own département's outline, the others within a few kilometres of its edge.
"""

import json
import math
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

OUTLINES = Path(__file__).resolve().parent / "data" / "departements_dsfr_chart.json"
OVERSEAS = ("971", "972", "973", "974", "976")

# Fitted on the register (see the module docstring): x = SX·X + TX, y = −SY·Y + TY.
_SX, _SY, _TX, _TY = 6047.387, 5969.387, 544.68, 481.27
# The geographic box each overseas frame covers (west, south, east, north), from its outline.
_OVERSEAS_BOXES = {
    "971": (-61.81, 15.83, -61.0, 16.52),
    "972": (-61.23, 14.39, -60.81, 14.88),
    "973": (-54.61, 2.11, -51.63, 5.75),
    "974": (55.21, -21.39, 55.84, -20.87),
    "976": (45.01, -13.0, 45.3, -12.63),
}

_TOKEN = re.compile(r"[MmLlHhVvCcSsQqTtAaZz]|-?(?:\d+\.?\d*|\.\d+)")
_ARGUMENTS = {"M": 2, "L": 2, "H": 1, "V": 1, "C": 6, "S": 4, "Q": 4, "T": 2, "A": 7, "Z": 0}


def path_points(d):
    """The vertices of an SVG path (curve control points dropped), in absolute coordinates."""
    tokens = _TOKEN.findall(d)
    points, x, y, start, command, i = [], 0.0, 0.0, (0.0, 0.0), "M", 0
    while i < len(tokens):
        if tokens[i].isalpha():
            command = tokens[i]
            i += 1
            if command in "Zz":
                x, y = start
                continue
        upper, relative = command.upper(), command.islower()
        count = _ARGUMENTS[upper]
        args = [float(value) for value in tokens[i : i + count]]
        i += count
        if len(args) < count:
            break
        if upper == "H":
            x = x + args[0] if relative else args[0]
        elif upper == "V":
            y = y + args[0] if relative else args[0]
        else:
            x, y = (x + args[-2], y + args[-1]) if relative else (args[-2], args[-1])
        if upper == "M":
            start = (x, y)
            command = "l" if relative else "L"
        points.append((x, y))
    return points


@dataclass(frozen=True)
class Outline:
    code: str
    d: str
    box: tuple  # min x, min y, max x, max y in its frame
    frame: str  # "metro" or the overseas département's code

    @property
    def centre(self):
        return ((self.box[0] + self.box[2]) / 2, (self.box[1] + self.box[3]) / 2)


@cache
def outlines():
    """Every département's outline, by INSEE code."""
    raw = json.loads(OUTLINES.read_text(encoding="utf-8"))
    result = {}
    for code, item in raw.items():
        points = path_points(item["d"])
        xs, ys = [p[0] for p in points], [p[1] for p in points]
        box = (min(xs), min(ys), max(xs), max(ys))
        result[code] = Outline(code, item["d"], box, code if code in OVERSEAS else "metro")
    return result


def frame_of(codes):
    """The frame the départements ``codes`` are drawn in: one overseas
    département alone, or metropolitan France (a région never mixes them)."""
    overseas = [code for code in codes if code in OVERSEAS]
    return overseas[0] if overseas else "metro"


def _lambert(latitude, longitude):
    lat1, lat2, lat0, lon0 = map(math.radians, (44.0, 49.0, 46.5, 3.0))
    n = math.log(math.cos(lat1) / math.cos(lat2)) / math.log(
        math.tan(math.pi / 4 + lat2 / 2) / math.tan(math.pi / 4 + lat1 / 2)
    )
    f = math.cos(lat1) * math.tan(math.pi / 4 + lat1 / 2) ** n / n
    rho = f / math.tan(math.pi / 4 + math.radians(latitude) / 2) ** n
    rho0 = f / math.tan(math.pi / 4 + lat0 / 2) ** n
    theta = n * (math.radians(longitude) - lon0)
    return rho * math.sin(theta), rho0 - rho * math.cos(theta)


def project(latitude, longitude, frame="metro"):
    """Where a point falls in ``frame``; None when it is outside it (a
    coordinate of another continent, or missing)."""
    if latitude is None or longitude is None:
        return None
    latitude, longitude = float(latitude), float(longitude)
    if frame == "metro":
        if not (41.0 <= latitude <= 51.5 and -5.5 <= longitude <= 10.0):
            return None
        x, y = _lambert(latitude, longitude)
        return (_SX * x + _TX, -_SY * y + _TY)
    west, south, east, north = _OVERSEAS_BOXES[frame]
    margin = 0.2
    if not (south - margin <= latitude <= north + margin and west - margin <= longitude <= east + margin):
        return None
    box = outlines()[frame].box
    x = box[0] + (longitude - west) / (east - west) * (box[2] - box[0])
    y = box[3] - (latitude - south) / (north - south) * (box[3] - box[1])
    return (x, y)


def view_box(codes, margin_ratio=0.04):
    """The box (x, y, width, height) around the outlines of ``codes``."""
    boxes = [outlines()[code].box for code in codes if code in outlines()]
    if not boxes:
        return (0.0, 0.0, 1010.0, 1010.0)
    x0, y0 = min(b[0] for b in boxes), min(b[1] for b in boxes)
    x1, y1 = max(b[2] for b in boxes), max(b[3] for b in boxes)
    margin = max(x1 - x0, y1 - y0) * margin_ratio
    return (x0 - margin, y0 - margin, x1 - x0 + 2 * margin, y1 - y0 + 2 * margin)
