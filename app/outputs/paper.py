"""The paper walk lists print on: Letter or A4, chosen by the organiser or from the plan's data.

The rule when the organiser does not choose (``canvass plan --paper``, *New plan*'s Paper):

1. a voter file in a US layout (a VAN export, a state voter file: ``van``, ``ncvoter``,
   ``ohio_swvf``, ``florida_extract``) prints on Letter;
2. otherwise the doors decide: when the middle of the plan's stops lies in the United States
   (Alaska, Hawaii and Puerto Rico too), Canada or Mexico, where Letter is the paper in every
   office printer, Letter; a US CRS such as a state plane only reprojects data that lies there;
3. everywhere else A4.

Both the HTML page (its ``@page size``) and the PDF (its MediaBox) use the choice, and
``summary.json`` records it with the reason (``paper``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import numpy as np

if TYPE_CHECKING:
    from app.planning.pipeline import Plan

Paper = Literal["A4", "Letter"]
PAPERS: tuple[Paper, ...] = ("A4", "Letter")
PAPER_MM: dict[Paper, tuple[float, float]] = {"A4": (210.0, 297.0), "Letter": (215.9, 279.4)}
"""Width and height of each paper, portrait, in millimetres."""

US_LAYOUTS = frozenset({"van", "ncvoter", "ohio_swvf", "florida_extract"})
"""Voter file layouts (``geo.layout_tables``) that only US campaigns have."""
LETTER_BOXES: tuple[tuple[float, float, float, float], ...] = (
    (-125.0, 24.3, -66.9, 49.4),  # the lower 48 states
    (-170.0, 51.0, -129.9, 71.5),  # Alaska
    (-160.5, 18.8, -154.7, 22.4),  # Hawaii
    (-67.4, 17.8, -65.2, 18.6),  # Puerto Rico
    (-141.0, 41.6, -52.6, 70.0),  # Canada
    (-118.5, 14.5, -86.7, 32.8),  # Mexico
)
"""Rough (west, south, east, north) boxes in degrees of where Letter is the office paper."""


@dataclass(frozen=True)
class PaperChoice:
    """The paper walk lists print on, what was asked for and why it is this one."""

    paper: Paper
    requested: Paper | None
    """The organiser's choice; None when chosen from the data."""
    reason: str

    def record(self) -> dict[str, str | None]:
        """The ``paper`` entry of ``summary.json``."""
        return {"size": self.paper, "requested": self.requested, "reason": self.reason}


def parse_paper(value: str | None) -> Paper | None:
    """``"letter"``, ``"A4"`` (any case) as a ``Paper``; None or ``"auto"`` for None.

    Examples
    --------
    >>> parse_paper("letter"), parse_paper("a4"), parse_paper("auto")
    ('Letter', 'A4', None)
    """
    if value is None or value.strip().lower() in ("", "auto"):
        return None
    for paper in PAPERS:
        if value.strip().lower() == paper.lower():
            return paper
    raise ValueError(f"paper must be letter, a4 or auto, not {value!r}")


def on_letter_paper(lon: float, lat: float) -> bool:
    """Whether a point lies (roughly) in the US, Canada or Mexico.

    Examples
    --------
    >>> on_letter_paper(-84.39, 33.75), on_letter_paper(24.94, 60.17)
    (True, False)
    """
    return any(w <= lon <= e and s <= lat <= n for w, s, e, n in LETTER_BOXES)


def choose_paper(plan: Plan) -> PaperChoice:
    """The paper of ``plan``'s walk lists: the request's ``paper``, else the rule above."""
    requested = parse_paper(plan.request.paper)
    if requested is not None:
        return PaperChoice(requested, requested, "chosen by the organiser")
    layout = str((plan.counts.get("voters") or {}).get("layout") or "")
    if layout in US_LAYOUTS:
        return PaperChoice("Letter", None, f"a US voter file ({layout} layout)")
    if len(plan.stops):
        lon = float(np.median(plan.stops.geometry.x.to_numpy()))
        lat = float(np.median(plan.stops.geometry.y.to_numpy()))
        if on_letter_paper(lon, lat):
            return PaperChoice("Letter", None, "the doors are in the US, Canada or Mexico")
    return PaperChoice("A4", None, "the doors are outside the US, Canada and Mexico")
