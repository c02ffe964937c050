"""The prioritisation matrix: impact (up) against feasibility (right), each
scored 1 to 5, drawn as an SVG by the server; the top-right cell is where
the actions to launch first stand."""

from dataclasses import dataclass

CELL, MARGIN = 64, 48
SIZE = 5 * CELL


@dataclass
class Dot:
    number: int
    title: str
    x: float
    y: float
    quick_win: bool


def build_matrix(axes):
    """Numbered dots for the scored axes (in priority order); several axes in
    one cell are spread so that each stays readable."""
    cells = {}
    dots = []
    for number, axis in enumerate(axes, start=1):
        if not (axis.impact and axis.feasibility):
            continue
        key = (axis.feasibility, axis.impact)
        rank = cells.get(key, 0)
        cells[key] = rank + 1
        x = MARGIN + (axis.feasibility - 1) * CELL + 16 + (rank % 3) * 16
        y = MARGIN + (5 - axis.impact) * CELL + 20 + (rank // 3) * 20
        dots.append(Dot(number, axis.title, x, y, axis.quick_win))
    return {
        "dots": dots,
        "size": SIZE,
        "margin": MARGIN,
        "width": SIZE + 2 * MARGIN,
        "height": SIZE + 2 * MARGIN,
        "cells": [(MARGIN + c * CELL, MARGIN + r * CELL, c + (5 - r) >= 7) for r in range(5) for c in range(5)],
        "xticks": [(MARGIN + (n - 1) * CELL + CELL // 2, n) for n in range(1, 6)],
        "yticks": [(MARGIN + (5 - n) * CELL + CELL // 2, n) for n in range(1, 6)],
        "axis_y": SIZE + MARGIN + 18,
        "cell": CELL,
        "unscored": sum(1 for axis in axes if not (axis.impact and axis.feasibility)),
    }
