"""Where the marks of a walk list PDF go: boxes, codes, labels and the notes line.

Laid out once per document (every voter and every household has the same marks), as pieces
at a distance from the start of their column, wrapped onto as many lines as the column needs.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from app.outputs.walklist_marks import DoorMark, PrintedQuestion

if TYPE_CHECKING:
    from app.outputs.fast_pdf import FastPDF
    from app.outputs.walklists import Household

Kind = Literal["box", "label", "code", "answer", "notes"]
Line = list["Piece"]

LINE_MM = 4.3  # one voter line
INK = (29, 36, 51)
MUTED = (91, 101, 120)
BOX_MM = 2.7  # a box to tick
ANSWER_MM = 6.0  # the box a survey answer's number is written in
NOTES_MM = 30.0  # room left on the door line for notes
_FIXED_MM = {"box": BOX_MM + 0.7, "answer": ANSWER_MM + 0.9}
SKIP_DOOR = "SKIP this door: left for a later pass."
"""The door line of a door the plan's budget leaves out (its turf is worked in part)."""


def unit_label(household: Household) -> str:
    """The unit column of a household: its unit, marked SKIP when the budget leaves it out."""
    unit = household.unit or "—"
    return f"SKIP {unit}" if household.skip else unit


@dataclass(frozen=True)
class Piece:
    """One thing on a line of marks, at ``x`` mm from the column."""

    x: float
    text: str
    kind: Kind


def layout(
    units: Sequence[Sequence[tuple[Kind, str]]],
    width_mm: float,
    *,
    gap_mm: float,
    text_mm: Callable[[Kind, str], float],
) -> list[Line]:
    """Place units (pieces that stay together) on lines of ``width_mm``, wrapping between them.

    ``text_mm(kind, text)`` is how wide a label or a code is printed.
    """
    lines: list[Line] = [[]]
    x = 0.0

    def advance(kind: Kind, text: str) -> float:
        return _FIXED_MM.get(kind) or text_mm(kind, text) + 0.9

    for unit in units:
        size = sum(advance(kind, text) for kind, text in unit)
        if lines[-1] and x + size > width_mm:
            lines.append([])
            x = 0.0
        for kind, text in unit:
            lines[-1].append(Piece(x, text, kind))
            x += advance(kind, text)
        x += gap_mm
    return [line for line in lines if line]


def voter_marks(
    support: Sequence[str],
    questions: Sequence[PrintedQuestion],
    width_mm: float,
    text_mm: Callable[[Kind, str], float],
) -> list[Line]:
    """Support boxes 1-5, then a write-in box per survey question: one line when it fits."""
    units: list[list[tuple[Kind, str]]] = [[("box", ""), ("label", n)] for n in support]
    units += [[("label", q.key), ("answer", "")] for q in questions]
    return layout(units, width_mm, gap_mm=1.2, text_mm=text_mm)


def door_marks(
    marks: Sequence[DoorMark], width_mm: float, text_mm: Callable[[Kind, str], float]
) -> list[Line]:
    """A box per door result code, then the notes line (drawn to the right edge)."""
    units: list[list[tuple[Kind, str]]] = [[("box", ""), ("code", m.short)] for m in marks]
    units.append([("notes", "Notes")])
    return layout(units, width_mm - NOTES_MM, gap_mm=2.2, text_mm=text_mm)


def stamp(
    pdf: FastPDF, lines: list[Line], *, right_mm: float, font: str
) -> tuple[str, tuple[int, ...]]:
    """The operators of ``lines`` drawn from the page's top-left corner (see ``FastPDF.put_stamp``).

    Every voter and every household has the same marks: they are drawn once per document.
    """
    k, h = pdf.k, pdf.h  # stamps are placed with y measured down from the page's top
    styles = {"label": ("", 7.5, INK), "code": ("B", 7.0, INK), "notes": ("", 6.5, MUTED)}
    used, ops = set(), [f"{0.25 * k:.2f} w {_rgb(INK)} RG"]
    for i, line in enumerate(lines):
        top = i * LINE_MM
        box_top = top + (LINE_MM - BOX_MM) / 2
        for piece in line:
            px = piece.x * k
            if piece.kind in ("box", "answer"):
                wide, grow = (BOX_MM, 0.0) if piece.kind == "box" else (ANSWER_MM, 0.3)
                height = BOX_MM + 2 * grow
                ops.append(
                    f"{px:.2f} {(h - box_top + grow) * k:.2f} {wide * k:.2f} {-height * k:.2f} re S"
                )
                continue
            style, size_pt, colour = styles[piece.kind]
            number, select = pdf.stamp_font(font, style, size_pt)
            used.add(number)
            baseline = top + LINE_MM / 2 + 0.3 * size_pt / k
            encoded = pdf.stamp_text(font, style, piece.text)
            ops.append(
                f"BT {select} {_rgb(colour)} rg {px:.2f} {(h - baseline) * k:.2f} Td {encoded} ET"
            )
            if piece.kind == "notes":
                rule = (h - top - LINE_MM + 0.3) * k
                ops.append(
                    f"{0.2 * k:.2f} w {_rgb(MUTED)} RG {px:.2f} {rule:.2f} m "
                    f"{right_mm * k:.2f} {rule:.2f} l S"
                )
    return "\n".join(ops), tuple(sorted(used))


def _rgb(colour: tuple[int, int, int]) -> str:
    """A colour as the operands of PDF's ``RG`` (stroke) and ``rg`` (fill)."""
    return " ".join(f"{c / 255:.3f}" for c in colour)
