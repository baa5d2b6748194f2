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
    from app.outputs.walklists import Household

Kind = Literal["box", "label", "code", "answer", "notes"]
Line = list["Piece"]

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
