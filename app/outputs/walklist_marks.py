"""What a volunteer marks on a printed walk list: door results, support, survey answers.

Paper follows the phone: a door result (not home, refused, ...) is one box per household,
support 1-5 is per voter, and survey answers are per voter (the number of the choice written
in a small box per question). Door results print as short codes (``NH``, ``RF``, ...) with a
legend on page 1 and under the column heads of every page, so 10 codes fit one line.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

from segments.door_results import DOOR_RESULTS, DoorResult

SHORT_CODES = {
    "not_home": "NH",
    "refused": "RF",
    "moved": "MV",
    "come_back": "CB",
    "inaccessible": "IN",
    "vacant": "VA",
    "deceased": "DC",
    "language_barrier": "LB",
    "hostile": "HO",
    "do_not_contact": "DNC",
}
"""Printed codes of the door results, as canvassers abbreviate them (MiniVAN style)."""


@dataclass(frozen=True)
class DoorMark:
    """A door result as printed: its short code and its label."""

    short: str
    label: str


@dataclass(frozen=True)
class PrintedQuestion:
    """A survey question on paper: ``Q1`` and the choices numbered from 1."""

    number: int
    text: str
    choices: tuple[str, ...]

    @property
    def key(self) -> str:
        """``"Q1"``: what the answer box per voter is labelled."""
        return f"Q{self.number}"


def _scale(result: DoorResult) -> tuple[str, str] | None:
    """``("Supporter", "1")`` for a result of a numbered scale, else None."""
    label, _, number = result.label.rpartition(" ")
    return (label, number) if label and number.isdigit() else None


def door_marks(results: Sequence[DoorResult] = DOOR_RESULTS) -> tuple[DoorMark, ...]:
    """The results marked once per door (all but the support scale), with unique short codes.

    A code the table above does not know is printed as the initials of its label.

    Examples
    --------
    >>> [m.short for m in door_marks()][:3]
    ['NH', 'RF', 'MV']
    """
    marks: list[DoorMark] = []
    taken: set[str] = set()
    for result in results:
        if _scale(result) is not None:
            continue
        short = (
            SHORT_CODES.get(result.code)
            or "".join(word[0] for word in result.label.split() if word[0].isalnum()).upper()
        )
        base, n = short or "X", 2
        while short in taken or not short:
            short, n = f"{base}{n}", n + 1
        taken.add(short)
        marks.append(DoorMark(short, result.label))
    return tuple(marks)


def support_scale(results: Sequence[DoorResult] = DOOR_RESULTS) -> tuple[str, tuple[str, ...]]:
    """The label and the numbers of the support scale, marked per voter.

    Examples
    --------
    >>> support_scale()
    ('Supporter', ('1', '2', '3', '4', '5'))
    """
    found = [scale for r in results if (scale := _scale(r)) is not None]
    if not found:
        return ("", ())
    label = found[0][0]
    return (label, tuple(number for name, number in found if name == label))


def printed_questions(
    questions: Iterable[tuple[str, Sequence[str]]],
) -> tuple[PrintedQuestion, ...]:
    """Survey questions (text, choices) numbered for paper.

    Examples
    --------
    >>> printed_questions([("Would you volunteer?", ["Yes", "No"])])[0].key
    'Q1'
    """
    return tuple(
        PrintedQuestion(n, text, tuple(choices))
        for n, (text, choices) in enumerate(questions, start=1)
    )


def legend(marks: Sequence[DoorMark]) -> str:
    """``"NH Not home · RF Refused · ..."``: the door codes spelled out."""
    return " · ".join(f"{m.short} {m.label}" for m in marks)


def marks_html(
    marks: Sequence[DoorMark],
    support: tuple[str, tuple[str, ...]],
    questions: Sequence[PrintedQuestion],
) -> dict[str, Markup]:
    """The boxes of every door row and every voter row of the HTML walk list.

    They are the same on every row, so they are made once per list, not once per row:
    ``door_boxes`` (the result codes) and ``voter_marks`` (support scale, survey answers).
    """
    door = "".join(
        f'<span class="box" title="{escape(m.label)}"><i></i>{escape(m.short)}</span>'
        for m in marks
    )
    scale = "".join(f'<span class="box"><i></i>{escape(box)}</span>' for box in support[1])
    answers = "".join(f'<span class="answer">{escape(q.key)}<i></i></span>' for q in questions)
    return {
        "door_boxes": Markup(f'<span class="codes">{door}</span>'),
        "voter_marks": Markup(f'<span class="scale">{scale}</span>{answers}'),
    }
