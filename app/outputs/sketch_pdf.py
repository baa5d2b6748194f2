"""The turf's map (``turf_sketch.TurfSketch``) drawn into a walk list PDF as vector paths.

Paths are written as PDF operators (``m``, ``l``, ``h``, ``B*``, ``S``) the way fpdf2's
``polyline`` writes them, in one piece; the stops are fpdf2 circles with their numbers.
"""

from __future__ import annotations

from app.outputs.fast_pdf import FastPDF
from app.outputs.turf_sketch import Point, TurfSketch, scale_label, stop_radius_mm

FRAME = (244, 246, 249)
FRAME_LINE = (201, 207, 218)
OUTLINE_FILL = (227, 233, 243)
OUTLINE_LINE = (91, 101, 120)
ROUTE = (31, 111, 235)
STOP = (29, 36, 51)
WHITE = (255, 255, 255)


def _path(pdf: FastPDF, rings: tuple[tuple[Point, ...], ...], x: float, y: float) -> str:
    """PDF path operators of ``rings`` placed at ``x``, ``y`` (mm) on the page."""
    k, h = pdf.k, pdf.h
    parts = []
    for ring in rings:
        for i, (px, py) in enumerate(ring):
            parts.append(f"{(x + px) * k:.2f} {(h - y - py) * k:.2f} {'l' if i else 'm'}")
    return "\n".join(parts)


def draw_sketch(pdf: FastPDF, sketch: TurfSketch, x: float, y: float, *, font: str) -> None:
    """Draw ``sketch`` with its top-left corner at ``x``, ``y`` (mm)."""
    w, h = sketch.width_mm, sketch.height_mm
    pdf.set_fill_color(*FRAME)
    pdf.use_draw_color(FRAME_LINE)
    pdf.set_line_width(0.3)
    pdf.rect(x, y, w, h, "DF")
    if sketch.outline:
        pdf.set_fill_color(*OUTLINE_FILL)
        pdf.use_draw_color(OUTLINE_LINE)
        pdf.set_line_width(0.35)
        pdf.set_dash_pattern(dash=1.2, gap=0.8)
        closed = "\nh\n".join(_path(pdf, (ring,), x, y) for ring in sketch.outline)
        pdf._out(f"{closed}\nh B*")  # even-odd: holes of the outline stay open
        pdf.set_dash_pattern()
    if len(sketch.route) >= 2:
        pdf.use_draw_color(ROUTE)
        pdf.set_line_width(0.7)
        pdf._out("1 J 1 j")  # round caps and joins, as the HTML map
        pdf._out(f"{_path(pdf, (sketch.route,), x, y)}\nS")
        pdf._out("0 J 0 j")
    radius = stop_radius_mm(sketch)
    pdf.set_fill_color(*STOP)
    pdf.use_draw_color(WHITE)
    pdf.set_line_width(0.25)
    size_pt = 5.2 if radius > 1.6 else 4.3
    for number, px, py in reversed(sketch.stops):  # stop 1 on top
        pdf.put_circle(x + px, y + py, radius, "DF")
        label = str(number)
        pdf.use_font(font, "B", size_pt if number < 100 else size_pt * 0.8)
        pdf.use_text_color(WHITE)
        width = pdf.string_width(label)
        pdf.put_text(x + px - width / 2, y + py + pdf.font_size * 0.35, label)
    # Scale bar and north.
    bar_y = y + h - 2.5
    pdf.use_draw_color(STOP)
    pdf.set_line_width(0.3)
    left, right = x + 2.5, x + 2.5 + sketch.scale_mm
    pdf.polyline([(left, bar_y - 1), (left, bar_y), (right, bar_y), (right, bar_y - 1)])
    pdf.use_font(font, "", 6.5)
    pdf.use_text_color(STOP)
    pdf.put_text(right + 1, bar_y, scale_label(sketch.scale_m))
    # North: an arrowhead over an N (no arrow glyph: the fonts are cut to Latin).
    tip_x = x + w - 4
    pdf.set_fill_color(*STOP)
    pdf.polygon([(tip_x, y + 2), (tip_x - 1.3, y + 4.6), (tip_x + 1.3, y + 4.6)], style="F")
    pdf.use_font(font, "B", 6.5)
    pdf.put_text(tip_x - pdf.string_width("N") / 2, y + 7.4, "N")
