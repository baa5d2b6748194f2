"""The results a canvasser can record at a door: one registry for every part of the planner.

Each result has a stable ``code`` (stored with results, sent by the phone, read by
`segments.engagement`), the ``label`` people see (the phone's buttons, the printed walk list),
its MiniVAN result name for the export, whether it means someone answered the door
(``contact``), whether it counts as support unless told otherwise (``supporting``) and whether
the door stays open for a later pass (``reknock``: nobody reached yet, worth another try),
whether it is about one person rather than the whole door (``per_person``) and whether the
canvasser is asked for a language with it (``asks_language``).

Per door or per person: what a door says about everyone behind it is recorded for the door
(not home, come back, refused, moved, inaccessible, vacant / wrong address, language barrier,
hostile); what one person says or is, is recorded for that person (a support level 1-5,
deceased, do not contact), so a household is never marked deceased or opted out by one tap.
A door result applies to every voter of the household (the export has a row for each); a
person's result only to that voter.

Final or open: after ``not_home`` or ``come_back`` the door stays open for another pass
(`REKNOCK_CODES`); every other result is final for this canvass (contacted, refused, moved,
vacant, deceased, hostile, do not contact, inaccessible, language barrier).

Supporter codes follow the VAN 1-5 ID scale, 1 the strongest support, so by default
``supporter_1`` and ``supporter_2`` count as support. In MiniVAN every supporter code is a
contact made, ``"Canvassed"``; the ID itself is not part of the result name.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "CONTACT_CODES",
    "DOOR_RESULTS",
    "LANGUAGE_MAX",
    "PER_PERSON_CODES",
    "REKNOCK_CODES",
    "RESULT_CODES",
    "SUPPORTING_CODES",
    "DoorResult",
    "by_code",
]


@dataclass(frozen=True)
class DoorResult:
    """One result a canvasser can record at a door.

    Parameters
    ----------
    code : str
        Stable identifier stored with every result, e.g. ``"not_home"``.
    label : str
        What the phone shows and the walk list prints, e.g. ``"Not home"``.
    van_result : str
        The MiniVAN result name in the export, e.g. ``"Not Home"``; ``"Canvassed"`` for a
        contact made.
    contact : bool
        Someone answered the door.
    supporting : bool
        Counts as support by default (the support rate of `segments.engagement`).
    reknock : bool
        The door stays open: a later pass knocks again (``not_home``, ``come_back``).
    per_person : bool
        Recorded for one voter of the household, not the whole door (a support level,
        ``deceased``, ``do_not_contact``).
    asks_language : bool
        The canvasser is asked which language (``language_barrier``): stored with the result
        (at most `LANGUAGE_MAX` characters) and exported in its notes.
    """

    code: str
    label: str
    van_result: str
    contact: bool
    supporting: bool
    reknock: bool = False
    per_person: bool = False
    asks_language: bool = False


DOOR_RESULTS: tuple[DoorResult, ...] = (
    DoorResult("not_home", "Not home", "Not Home", contact=False, supporting=False, reknock=True),
    DoorResult("refused", "Refused", "Refused", contact=True, supporting=False),
    DoorResult("moved", "Moved", "Moved", contact=False, supporting=False),
    DoorResult(
        "supporter_1", "Supporter 1", "Canvassed", contact=True, supporting=True, per_person=True
    ),
    DoorResult(
        "supporter_2", "Supporter 2", "Canvassed", contact=True, supporting=True, per_person=True
    ),
    DoorResult(
        "supporter_3", "Supporter 3", "Canvassed", contact=True, supporting=False, per_person=True
    ),
    DoorResult(
        "supporter_4", "Supporter 4", "Canvassed", contact=True, supporting=False, per_person=True
    ),
    DoorResult(
        "supporter_5", "Supporter 5", "Canvassed", contact=True, supporting=False, per_person=True
    ),
    DoorResult(
        "come_back", "Come back", "Come Back", contact=False, supporting=False, reknock=True
    ),
    DoorResult("inaccessible", "Inaccessible", "Inaccessible", contact=False, supporting=False),
    DoorResult(
        "vacant", "Vacant / wrong address", "Wrong Address", contact=False, supporting=False
    ),
    DoorResult(
        "deceased", "Deceased", "Deceased", contact=False, supporting=False, per_person=True
    ),
    DoorResult(
        "language_barrier",
        "Language barrier",
        "Language Barrier",
        contact=False,
        supporting=False,
        asks_language=True,
    ),
    DoorResult("hostile", "Hostile", "Hostile", contact=True, supporting=False),
    # MiniVAN has no such result: "Refused" keeps VAN from sending anyone back, and the
    # planner itself never lists the person again (privacy.do_not_contact).
    DoorResult(
        "do_not_contact",
        "Do not contact",
        "Refused",
        contact=True,
        supporting=False,
        per_person=True,
    ),
)
"""Every door result, in the order the phone and the walk list show them."""

RESULT_CODES: tuple[str, ...] = tuple(result.code for result in DOOR_RESULTS)
"""Every result code, in `DOOR_RESULTS` order."""
CONTACT_CODES: frozenset[str] = frozenset(r.code for r in DOOR_RESULTS if r.contact)
"""Codes where someone answered the door: refused, supporters, hostile, do not contact."""
SUPPORTING_CODES: tuple[str, ...] = tuple(r.code for r in DOOR_RESULTS if r.supporting)
"""Codes that count as support by default: ``supporter_1`` and ``supporter_2``."""
REKNOCK_CODES: frozenset[str] = frozenset(r.code for r in DOOR_RESULTS if r.reknock)
"""Codes after which a door stays open for a later pass: ``not_home`` and ``come_back``."""
PER_PERSON_CODES: frozenset[str] = frozenset(r.code for r in DOOR_RESULTS if r.per_person)
"""Codes recorded for one voter: ``supporter_1..5``, ``deceased``, ``do_not_contact``."""
LANGUAGE_MAX = 40
"""The longest language name stored with a ``language_barrier`` result."""

_BY_CODE = {result.code: result for result in DOOR_RESULTS}


def by_code(code: str) -> DoorResult:
    """The door result with this code.

    Parameters
    ----------
    code : str
        A code of `RESULT_CODES`, exactly as stored (e.g. ``"supporter_1"``).

    Returns
    -------
    DoorResult

    Raises
    ------
    KeyError
        If `code` is not a result code.

    Examples
    --------
    >>> by_code("come_back").van_result
    'Come Back'
    """
    try:
        return _BY_CODE[code]
    except KeyError:
        raise KeyError(
            f"unknown door result {code!r}; use one of {', '.join(RESULT_CODES)}"
        ) from None
