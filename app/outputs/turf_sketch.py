"""A small vector map of a turf for page 1 of its walk list: outline, route, numbered stops.

Drawn from the plan's own data (the walk along the streets, the stops, the outline the turf
table draws), never from map tiles, so it prints the same with no network. The geometry is
fitted into a box of paper millimetres once (``sketch_of``); the HTML page draws it as inline
SVG (``sketch_svg``) and the PDF with fpdf2's vector primitives
(``app.outputs.walklist_pdf``).
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import shapely

from app.outputs.tables import stops_metric, turf_outline

if TYPE_CHECKING:
    from app.planning.pipeline import Plan, Turf

Point = tuple[float, float]

SKETCH_MM = (84.0, 58.0)
"""Width and height of the map on paper."""
PAD_MM = 3.0
SCALE_STEPS_M = (10, 20, 50, 100, 200, 250, 500, 1000, 2000, 5000)


@dataclass(frozen=True)
class TurfSketch:
    """A turf's map in paper millimetres: x to the right, y down, north up."""

    width_mm: float
    height_mm: float
    outline: tuple[tuple[Point, ...], ...]
    """Rings of the turf's outline."""
    route: tuple[Point, ...]
    """The walk along the streets, from the first stop to the last."""
    stops: tuple[tuple[int, float, float], ...]
    """Each stop's number in walking order and where it is."""
    scale_m: int
    """Length of the scale bar in metres."""
    scale_mm: float
    """Its length on paper."""


class MetricStops:
    """Every stop of a plan in the street graph's metric CRS, projected once for all turfs."""

    def __init__(self, plan: Plan) -> None:
        self.x, self.y = stops_metric(plan)


def sketch_of(
    turf: Turf,
    stops: MetricStops,
    *,
    outline: shapely.Geometry | None = None,
    size_mm: tuple[float, float] = SKETCH_MM,
) -> TurfSketch:
    """The map of ``turf`` fitted into ``size_mm`` (width, height).

    ``outline`` is the turf's outline in the turf table (``tables.turf_outlines``), when the
    caller has it: buffering the stops and the walk again is most of the cost of a sketch.
    None: drawn here the same way.
    """
    positions = np.asarray(turf.route.stops, dtype=np.intp)
    sx, sy = stops.x[positions], stops.y[positions]
    line = np.asarray(turf.route.line_xy, dtype=float).reshape(-1, 2)
    if outline is None:
        outline = turf_outline(turf, stops.x, stops.y)
    # Simplified for paper: 2 m is under half a millimetre at the scale of most turfs. A
    # drawing, not a shape to compute with: plain Douglas-Peucker, 0.02 ms per turf where
    # keeping the topology took 0.2 ms (a county's 511 turfs: 10 ms, not 110).
    simple = shapely.simplify(outline, 2.0, preserve_topology=False)
    outline = outline if shapely.is_empty(simple) else simple
    west, south, east, north = shapely.bounds(outline).tolist()
    width_mm, height_mm = size_mm
    span_x, span_y = max(east - west, 1.0), max(north - south, 1.0)
    mm_per_m = min((width_mm - 2 * PAD_MM) / span_x, (height_mm - 2 * PAD_MM) / span_y)
    left = (width_mm - span_x * mm_per_m) / 2
    top = (height_mm - span_y * mm_per_m) / 2

    def paper(xs: np.ndarray, ys: np.ndarray) -> tuple[Point, ...]:
        px = np.round(left + (xs - west) * mm_per_m, 2)
        py = np.round(top + (north - ys) * mm_per_m, 2)
        return tuple(zip(px.tolist(), py.tolist(), strict=True))

    rings = []
    for polygon in getattr(outline, "geoms", [outline]):
        for ring in (polygon.exterior, *polygon.interiors):
            coords = np.asarray(ring.coords)
            rings.append(paper(coords[:, 0], coords[:, 1]))
    route = paper(line[:, 0], line[:, 1]) if len(line) >= 2 else ()
    placed = paper(sx, sy)
    scale_m = _scale_length(width_mm / 4 / mm_per_m)
    return TurfSketch(
        width_mm=width_mm,
        height_mm=height_mm,
        outline=tuple(rings),
        route=route,
        stops=tuple((n, x, y) for n, (x, y) in enumerate(placed, start=1)),
        scale_m=scale_m,
        scale_mm=round(scale_m * mm_per_m, 2),
    )


def _scale_length(most_m: float) -> int:
    """The longest round length of ``SCALE_STEPS_M`` up to ``most_m`` (the shortest if none)."""
    fitting = [step for step in SCALE_STEPS_M if step <= most_m]
    return fitting[-1] if fitting else SCALE_STEPS_M[0]


def stop_radius_mm(sketch: TurfSketch) -> float:
    """The radius of a stop's numbered circle: smaller when there are many stops."""
    return 1.9 if len(sketch.stops) <= 40 else 1.5


def scale_label(metres: int) -> str:
    """``"200 m"``, ``"1 km"``."""
    return f"{metres // 1000} km" if metres >= 1000 and metres % 1000 == 0 else f"{metres} m"


def _path(points: tuple[Point, ...], *, closed: bool = False) -> str:
    if not points:
        return ""
    head, *rest = points
    text = f"M{head[0]:g} {head[1]:g}" + "".join(f"L{x:g} {y:g}" for x, y in rest)
    return text + ("Z" if closed else "")


def sketch_svg(sketch: TurfSketch, *, title: str) -> str:
    """The map as an inline SVG element, sized in millimetres (prints sharp, no file)."""
    w, h = sketch.width_mm, sketch.height_mm
    radius = stop_radius_mm(sketch)
    outline = "".join(_path(ring, closed=True) for ring in sketch.outline)
    parts = [
        f'<svg class="turf-sketch" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w:g} {h:g}"'
        f' width="{w:g}mm" height="{h:g}mm" role="img" aria-label="{html.escape(title)}">',
        f"<title>{html.escape(title)}</title>",
        f'<rect class="frame" x="0" y="0" width="{w:g}" height="{h:g}"/>',
        f'<path class="outline" fill-rule="evenodd" d="{outline}"/>',
    ]
    if sketch.route:
        parts.append(f'<path class="route" d="{_path(sketch.route)}"/>')
    parts.append('<g class="stops">')
    for number, x, y in reversed(sketch.stops):  # stop 1 on top
        parts.append(
            f'<circle cx="{x:g}" cy="{y:g}" r="{radius:g}"/>'
            f'<text x="{x:g}" y="{y + radius * 0.36:g}">{number}</text>'
        )
    parts.append("</g>")
    bar_y = h - 2.5
    parts.append(
        f'<path class="scale" d="M2.5 {bar_y - 1:g}V{bar_y:g}H{2.5 + sketch.scale_mm:g}'
        f'V{bar_y - 1:g}"/><text class="scale" x="{3.5 + sketch.scale_mm:g}" y="{bar_y:g}">'
        f"{scale_label(sketch.scale_m)}</text>"
        f'<path class="north" d="M{w - 4:g} 2l-1.3 2.6h2.6z"/>'
        f'<text class="north" x="{w - 4:g}" y="7.4">N</text>'
    )
    parts.append("</svg>")
    return "".join(parts)
