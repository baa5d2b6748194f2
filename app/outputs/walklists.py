"""Walk lists: a turf's stops in walking order with their households and voters."""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, fields
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
import segno
from jinja2 import Environment, PackageLoader, select_autoescape

from app import plan_folder
from geo.households import natural_key
from segments.door_results import DOOR_RESULTS

if TYPE_CHECKING:
    from app.planning.pipeline import Plan, Turf

DEFAULT_PUBLIC_URL = "http://127.0.0.1:8000"
"""Where volunteers reach the server unless told otherwise (what printed QR codes point to)."""
RESPONSE_LABELS = tuple(result.label for result in DOOR_RESULTS)
"""What the walk list prints for each door result, in the registry's order."""
VOTER_FIELDS = plan_folder.VOTER_COLUMNS
# What a printed walk list shows of each voter (the HTML and the PDF): every voter field but the
# scores for now; the organiser will choose these per plan.
PRINTED_VOTER_FIELDS = tuple(f for f in VOTER_FIELDS if not f.endswith("_score"))

_FIRST_NUMBER = re.compile(r"\d+")
# "31-33", "29–27": a house number that covers a range of numbers.
_NUMBER_RANGE = re.compile(r"^\D*?(\d+)\s*[-–]\s*(\d+)")

_templates = Environment(
    loader=PackageLoader("app.outputs", "templates"),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)


def walklist_rows(plan: Plan, turf: Turf) -> pd.DataFrame:
    """One row per target voter of ``turf``, in walking order, units in natural order."""
    stops = plan.stops.loc[turf.route.stops, ["stop_id", "address", "sequence", "leg_m"]]
    voters = plan.voters.loc[plan.voters["target"] & (plan.voters["turf"] == turf.turf_id)]
    rows = voters.drop(columns=["sequence"]).merge(stops, on="stop_id", how="inner")
    rows["unit_order"] = rows["unit"].map(natural_key)
    rows = rows.sort_values(
        ["sequence", "unit_order", "last_name", "first_name", "voter_id"], kind="stable"
    )
    lonlat = rows.geometry
    out = pd.DataFrame(
        {
            "turf": turf.turf_id,
            "sequence": rows["sequence"].astype(int),
            "stop_id": rows["stop_id"],
            "address": rows["address"],
            "unit": rows["unit"],
            "household_id": rows["household_id"],
            **{f: rows[f] for f in VOTER_FIELDS},
            "precinct": rows["precinct"],
            "lat": lonlat.y.round(7),
            "lon": lonlat.x.round(7),
            "result": "",
            "notes": "",
        }
    )
    for column in ("age", "support_score", "turnout_score"):
        out[column] = out[column].astype("Int64")
    return out.reset_index(drop=True)


@dataclass(frozen=True)
class ResponseGroup:
    """Response codes printed together: ``Supporter`` with boxes 1-5, or one code alone."""

    label: str
    """Printed before the boxes (``"Supporter"``), or ``""`` when each box has its own label."""
    boxes: tuple[str, ...]


def response_groups(labels: tuple[str, ...] = RESPONSE_LABELS) -> list[ResponseGroup]:
    """Group result labels for printing: ``"Supporter 1"`` ... ``"Supporter 5"`` become one scale.

    Examples
    --------
    >>> [(g.label, g.boxes) for g in response_groups(("Not home", "Supporter 1", "Supporter 2"))]
    [('', ('Not home',)), ('Supporter', ('1', '2'))]
    """
    groups: list[ResponseGroup] = []
    for text in labels:
        label, _, number = text.rpartition(" ")
        if label and number.isdigit() and groups and groups[-1].label == label:
            groups[-1] = ResponseGroup(label, (*groups[-1].boxes, number))
        elif label and number.isdigit():
            groups.append(ResponseGroup(label, (number,)))
        else:
            groups.append(ResponseGroup("", (text,)))
    return groups


def house_number_span(house_number: str | None) -> tuple[int, int] | None:
    """The first and last number a house number stands for, or None when it has no digits.

    The number is the first run of digits (``"13 A, 5. krs."`` is 13); a range such as
    ``"31-33"`` spans both ends.

    Examples
    --------
    >>> house_number_span("31-33"), house_number_span("29 B"), house_number_span("")
    ((31, 33), (29, 29), None)
    """
    text = house_number or ""
    found = _FIRST_NUMBER.search(text)
    if found is None:
        return None
    first = int(found.group())
    ranged = _NUMBER_RANGE.match(text)
    if ranged is not None and int(ranged.group(1)) == first:
        last = int(ranged.group(2))
        return (min(first, last), max(first, last))
    return (first, first)


def street_side(house_number: str | None) -> str | None:
    """``"odd"`` or ``"even"`` from the house number's first number; None without digits."""
    span = house_number_span(house_number)
    if span is None:
        return None
    return "odd" if span[0] % 2 else "even"


def block_heading(street: str, side: str | None, spans: list[tuple[int, int]]) -> str:
    """``"Main St, odd side, 101-149"``; the street alone when the numbers have no side."""
    parts = [street or "No street address"]
    if side is not None:
        parts.append(f"{side} side")
    if spans:
        low = min(s[0] for s in spans)
        high = max(s[1] for s in spans)
        parts.append(str(low) if low == high else f"{low}-{high}")
    return ", ".join(parts)


@dataclass(frozen=True)
class Household:
    """One door: its unit and its voters (``PRINTED_VOTER_FIELDS`` only)."""

    unit: str
    voters: list[dict[str, Any]]


@dataclass(frozen=True)
class WalkStop:
    """One stop of a walk list, in walking order."""

    sequence: int
    address: str
    street: str
    house_number: str
    leg_m: int
    """Walk from the previous stop."""
    households: list[Household]

    @property
    def doors(self) -> int:
        """Households at this stop."""
        return len(self.households)

    @property
    def voters(self) -> int:
        """Target voters at this stop."""
        return sum(len(h.voters) for h in self.households)


@dataclass(frozen=True)
class Block:
    """Consecutive stops on one street and one side of it."""

    heading: str
    street: str
    side: str | None
    stops: list[WalkStop]

    @property
    def doors(self) -> int:
        """Households in this block."""
        return sum(s.doors for s in self.stops)


@dataclass(frozen=True)
class WalkList:
    """Everything a printed walk list shows (the HTML template and the PDF)."""

    turf: Turf
    blocks: list[Block]
    stops: list[WalkStop]
    doors: int
    voters: int
    walk_km: float
    minutes: float
    codes: tuple[str, ...]
    response_groups: list[ResponseGroup]
    today: str
    target: str


def group_blocks(stops: list[WalkStop]) -> list[Block]:
    """Cut stops in walking order into blocks: consecutive stops on one street and side.

    A street walked twice makes two blocks, so the paper follows the walk.
    """
    blocks = []
    for (street, side), group in itertools.groupby(
        stops, key=lambda s: (s.street, street_side(s.house_number))
    ):
        members = list(group)
        spans = [span for s in members if (span := house_number_span(s.house_number))]
        blocks.append(Block(block_heading(street, side, spans), street, side, members))
    return blocks


def walk_list(plan: Plan, turf: Turf, rows: pd.DataFrame) -> WalkList:
    """The walk list of ``turf`` from its ``walklist_rows``: blocks, stops, households, voters."""
    by_id = plan.stops.set_index("stop_id")
    legs = by_id["leg_m"].to_dict()
    streets = by_id["street"].to_dict() if "street" in by_id else {}
    numbers = by_id["house_number"].to_dict() if "house_number" in by_id else {}
    records = rows.astype(object).where(rows.notna(), None).to_dict(orient="records")
    stops = []
    # rows are already in walking order, units in natural order within a stop.
    for sequence, at_stop in itertools.groupby(records, key=lambda r: r["sequence"]):
        voters = list(at_stop)
        households = [
            Household(
                unit=_text(group[0]["unit"]),
                voters=[{f: r[f] for f in PRINTED_VOTER_FIELDS} for r in group],
            )
            for group in (
                list(g) for _, g in itertools.groupby(voters, key=lambda r: r["household_id"])
            )
        ]
        stop_id = voters[0]["stop_id"]
        stops.append(
            WalkStop(
                sequence=int(sequence),
                address=_text(voters[0]["address"]),
                street=_text(streets.get(stop_id)),
                house_number=_text(numbers.get(stop_id)),
                leg_m=round(float(legs[stop_id])),
                households=households,
            )
        )
    return WalkList(
        turf=turf,
        blocks=group_blocks(stops),
        stops=stops,
        doors=sum(s.doors for s in stops),
        voters=len(rows),
        walk_km=turf.route.walk_m / 1000,
        minutes=turf.route.minutes,
        codes=RESPONSE_LABELS,
        response_groups=response_groups(),
        today=date.today().isoformat(),
        target=plan.request.target or "all voters",
    )


def walklist_context(plan: Plan, turf: Turf, rows: pd.DataFrame) -> dict[str, object]:
    """What the walk list template shows: the fields of ``walk_list`` by name."""
    listing = walk_list(plan, turf, rows)
    return {f.name: getattr(listing, f.name) for f in fields(listing)}


def _text(value: object) -> str:
    """A cell as text, ``""`` for missing values."""
    if value is None or value is pd.NA or (isinstance(value, float) and value != value):
        return ""
    return str(value)


def turf_map_url(plan_name: str, turf_id: str, *, public_url: str = DEFAULT_PUBLIC_URL) -> str:
    """The address of a turf's map as the server serves it: what the QR code holds.

    Examples
    --------
    >>> turf_map_url("demo", "P01-01")
    'http://127.0.0.1:8000/files/demo/maps/P01-01.html'
    """
    return public_url.rstrip("/") + plan_folder.turf_map_url(plan_name, turf_id)


def qr_svg_data_uri(text: str) -> str:
    """A QR code of ``text`` as an SVG data URI (prints sharp at any size, no file to ship)."""
    return str(segno.make(text, error="m").svg_data_uri(scale=4, border=2))


def write_walklist_html(
    plan: Plan,
    turf: Turf,
    rows: pd.DataFrame,
    path: Path,
    *,
    plan_name: str,
    public_url: str = DEFAULT_PUBLIC_URL,
) -> None:
    """Render the printable walk list of ``turf`` to ``path``, with a QR code to its map."""
    map_url = turf_map_url(plan_name, turf.turf_id, public_url=public_url)
    html = _templates.get_template("walklist.html").render(
        **walklist_context(plan, turf, rows), qr_url=map_url, qr=qr_svg_data_uri(map_url)
    )
    path.write_text(html, encoding="utf-8")
