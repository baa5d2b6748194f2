"""Page 1 of a walk list PDF below its title: the turf's map beside how to mark and the survey."""

from __future__ import annotations

from typing import TYPE_CHECKING

from app.outputs.fast_pdf import FastPDF
from app.outputs.sketch_pdf import draw_sketch
from app.outputs.walklist_marks import legend
from app.outputs.walklist_pdf_marks import INK, MUTED

if TYPE_CHECKING:
    from app.outputs.walklists import WalkList


def draw_overview(
    pdf: FastPDF, listing: WalkList, *, x: float, y: float, width_mm: float, font: str
) -> float:
    """Draw the overview from ``x``, ``y`` across ``width_mm``; returns where it ends (mm)."""

    def text(size_pt: float, *, bold: bool = False, color: tuple[int, int, int] = INK) -> None:
        pdf.use_font(font, "B" if bold else "", size_pt)
        pdf.use_text_color(color)

    sketch = listing.sketch
    text_x, bottom = x, y
    if sketch is not None:
        draw_sketch(pdf, sketch, x, y, font=font)
        pdf.set_xy(x, y + sketch.height_mm + 0.5)
        text(6.5, color=MUTED)
        pdf.put_cell(sketch.width_mm, 3.2, "Walk from stop 1; the line is the route.")
        text_x, bottom = x + sketch.width_mm + 5, y + sketch.height_mm + 4
    text_mm = x + width_mm - text_x
    pdf.set_xy(text_x, y)
    text(9.5, bold=True)
    pdf.put_cell(text_mm, 5, "How to mark")
    pdf.set_xy(text_x, y + 5.5)
    text(7.5)
    pdf.put_paragraph(text_mm, 3.5, f"Door, one box per household: {legend(listing.door_marks)}.")
    label, numbers = listing.support
    if numbers:
        pdf.set_x(text_x)
        pdf.put_paragraph(
            text_mm,
            3.5,
            f"{label} per voter: {numbers[0]} strongest to {numbers[-1]} weakest. "
            "Anything else goes on the notes line.",
        )
    if listing.questions:
        pdf.set_xy(text_x, pdf.get_y() + 1.5)
        text(9.5, bold=True)
        pdf.put_cell(text_mm, 5, "Survey")
        pdf.set_xy(text_x, pdf.get_y() + 5)
        text(7, color=MUTED)
        pdf.put_paragraph(text_mm, 3.3, "Write the number of the answer in the voter's box.")
        for question in listing.questions:
            pdf.set_xy(text_x, pdf.get_y() + 0.8)
            text(7.5, bold=True)
            pdf.put_paragraph(text_mm, 3.5, f"{question.key} {question.text}")
            pdf.set_x(text_x)
            text(7.5)
            # Non-breaking spaces keep each number with its choice.
            choices = "   ".join(f"{n}\u00a0{c}" for n, c in enumerate(question.choices, 1))
            pdf.put_paragraph(text_mm, 3.5, choices)
    return max(bottom, pdf.get_y())
