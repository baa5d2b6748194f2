"""Walk lists: a turf's stops in walking order with their households and voters."""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import date
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from app import plan_folder
from app.outputs.turf_sketch import MetricStops, TurfSketch, sketch_of
from app.outputs.walklist_marks import (
    DoorMark,
    PrintedQuestion,
    door_marks,
    support_scale,
)
from geo.households import natural_key
from segments.door_results import DOOR_RESULTS

if TYPE_CHECKING:
    import shapely

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


def walklist_rows(plan: Plan, turf: Turf) -> pd.DataFrame:
    """One row per target voter of ``turf``, in walking order, units in natural order."""
    return walklist_rows_by_turf(plan, [turf])[turf.turf_id]


def walklist_rows_by_turf(
    plan: Plan, turfs: Iterable[Turf] | None = None
) -> dict[str, pd.DataFrame]:
    """The ``walklist_rows`` of every turf of ``plan`` (or of ``turfs``), by turf id.

    One join of the target voters with the turfs' stops and one sort for all turfs: each
    turf's rows are those ``walklist_rows`` gives, in the same order.
    """
    return WalklistTable.of(plan, turfs).by_turf()


@dataclass(frozen=True)
class WalklistTable:
    """The walk-list rows of several turfs in one frame, turf after turf.

    The rows of ``turf_ids[i]`` are ``rows.iloc[ends[i]:ends[i + 1]]``.
    """

    rows: pd.DataFrame
    turf_ids: tuple[str, ...]
    ends: np.ndarray

    @classmethod
    def of(cls, plan: Plan, turfs: Iterable[Turf] | None = None) -> WalklistTable:
        """The rows of every turf of ``plan`` (or of ``turfs``): one join, one sort."""
        chosen = list(plan.turfs if turfs is None else turfs)
        ids = [turf.turf_id for turf in chosen]
        routes = [list(turf.route.stops) for turf in chosen]
        sizes = [len(route) for route in routes]
        stops = plan.stops.loc[
            [position for route in routes for position in route],
            ["stop_id", "address", "sequence", "leg_m"],
        ]
        stops.insert(0, "turf", np.repeat(ids, sizes))
        stops["_rank"] = np.repeat(np.arange(len(ids)), sizes)
        voters = plan.voters.loc[plan.voters["target"] & plan.voters["turf"].isin(ids)]
        # The join keeps the voters' order and the sort is stable: ties keep that order.
        rows = voters.drop(columns=["sequence"]).merge(stops, on=["turf", "stop_id"])
        units = rows["unit"].unique()
        rows["unit_order"] = rows["unit"].map(
            dict(zip(units, map(natural_key, units), strict=True))
        )
        rows = rows.sort_values(
            ["_rank", "sequence", "unit_order", "last_name", "first_name", "voter_id"],
            kind="stable",
        )
        lonlat = rows.geometry
        out = pd.DataFrame(
            {
                "turf": rows["turf"],
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
        ).reset_index(drop=True)
        for column in ("age", "support_score", "turnout_score"):
            out[column] = out[column].astype("Int64")
        ends = np.searchsorted(rows["_rank"].to_numpy(), np.arange(len(ids) + 1))
        return cls(out, tuple(ids), ends)

    def positions(self, ranks: list[int]) -> np.ndarray:
        """Where the rows of the turfs at ``ranks`` are in ``rows``, turf after turf."""
        pieces = [np.arange(self.ends[r], self.ends[r + 1], dtype=np.intp) for r in ranks]
        return np.concatenate(pieces) if pieces else np.zeros(0, dtype=np.intp)

    def part(self, rank: int) -> pd.DataFrame:
        """The rows of ``turf_ids[rank]``, numbered from 0."""
        return self.rows.iloc[self.ends[rank] : self.ends[rank + 1]].reset_index(drop=True)

    def by_turf(self) -> dict[str, pd.DataFrame]:
        """Each turf's rows by turf id."""
        return {turf_id: self.part(rank) for rank, turf_id in enumerate(self.turf_ids)}


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
    return _side(house_number_span(house_number))


def _side(span: tuple[int, int] | None) -> str | None:
    return None if span is None else "odd" if span[0] % 2 else "even"


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
    skip: bool = False
    """The plan's budget leaves this door out (its turf is worked only in part)."""


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
    door_marks: tuple[DoorMark, ...] = ()
    """Results marked once per door, as short codes (``walklist_marks``)."""
    support: tuple[str, tuple[str, ...]] = ("", ())
    """The support scale marked per voter: its label and numbers."""
    questions: tuple[PrintedQuestion, ...] = ()
    """The survey, answered per voter."""
    sketch: TurfSketch | None = None
    """The map of the turf on page 1."""
    privacy_notice: str | None = None
    """The campaign's privacy notice URL (``Settings.privacy_notice_url``); None: not printed."""


def group_blocks(stops: list[WalkStop]) -> list[Block]:
    """Cut stops in walking order into blocks: consecutive stops on one street and side.

    A street walked twice makes two blocks, so the paper follows the walk.
    """
    blocks = []
    spanned = [(stop, house_number_span(stop.house_number)) for stop in stops]
    for (street, side), group in itertools.groupby(
        spanned, key=lambda pair: (pair[0].street, _side(pair[1]))
    ):
        members = list(group)
        spans = [span for _, span in members if span]
        heading = block_heading(street, side, spans)
        blocks.append(Block(heading, street, side, [stop for stop, _ in members]))
    return blocks


def walk_list(
    plan: Plan, turf: Turf, rows: pd.DataFrame, *, questions: tuple[PrintedQuestion, ...] = ()
) -> WalkList:
    """The walk list of ``turf`` from its ``walklist_rows``: blocks, stops, households, voters.

    ``questions`` is the survey to print (``walklist_marks.printed_questions``).
    """
    cells, stops = _Cells.of(rows), _StopCells.of(plan, rows["stop_id"])
    return _walk_list(plan, turf, cells, stops, questions, MetricStops(plan))


def walk_lists(
    plan: Plan,
    turfs: list[Turf],
    table: WalklistTable,
    *,
    questions: tuple[PrintedQuestion, ...] = (),
    source: ListSource | None = None,
) -> Iterator[WalkList]:
    """The ``walk_list`` of each of ``turfs`` (of ``table``); ``source``: ``ListSource.of``."""
    made = source or ListSource.of(plan, table)
    ranks = {turf_id: rank for rank, turf_id in enumerate(table.turf_ids)}
    for turf in turfs:
        rank = ranks[turf.turf_id]
        part = made.cells.part(table.ends[rank], table.ends[rank + 1])
        outline = made.outlines.get(turf.turf_id)
        yield _walk_list(plan, turf, part, made.stops, questions, made.metric, outline)


_COLUMNS = ("sequence", "stop_id", "address", "unit", "household_id", *PRINTED_VOTER_FIELDS)


@dataclass(frozen=True)
class _Cells:
    """Walk-list rows as Python values, ``None`` for missing ones (what the lists print)."""

    columns: dict[str, list[Any]]

    @classmethod
    def of(cls, rows: pd.DataFrame) -> _Cells:
        return cls({c: _cells(rows[c]) for c in _COLUMNS})

    def part(self, start: int, end: int) -> _Cells:
        return _Cells({c: values[start:end] for c, values in self.columns.items()})


@dataclass(frozen=True)
class _StopCells:
    """The walk from the previous stop, the street and the house number of some stops."""

    legs: dict[str, float]
    streets: dict[str, Any]
    numbers: dict[str, Any]

    @classmethod
    def of(cls, plan: Plan, stop_ids: pd.Series) -> _StopCells:
        # A set, not Series.isin: that is 15x slower on the stops' Arrow strings.
        wanted = set(stop_ids.tolist())
        here = plan.stops.loc[[stop_id in wanted for stop_id in plan.stops["stop_id"].tolist()]]
        ids = here["stop_id"].tolist()

        def by_id(column: str) -> dict[str, Any]:
            return dict(zip(ids, _cells(here[column]), strict=True)) if column in here else {}

        legs = dict(zip(ids, here["leg_m"].tolist(), strict=True))
        return cls(legs, by_id("street"), by_id("house_number"))


@dataclass(frozen=True)
class ListSource:
    """What the walk lists of a table's turfs are made from, worked out once for them all."""

    cells: _Cells
    stops: _StopCells
    metric: MetricStops
    outlines: dict[str, shapely.Geometry]
    """The turfs' outlines in the turf table by turf id (empty: each sketch draws its own)."""

    @classmethod
    def of(
        cls, plan: Plan, table: WalklistTable, outlines: Iterable[shapely.Geometry] | None = None
    ) -> ListSource:
        """The cells of ``table``'s rows, its stops' streets and every stop projected once.

        ``outlines``: ``tables.turf_outlines(plan)``, if the caller has it, for the sketches.
        """
        rows = table.rows
        cells, stops = _Cells.of(rows), _StopCells.of(plan, rows["stop_id"])
        source = cls(cells, stops, MetricStops(plan), {})
        return source if outlines is None else source.with_outlines(plan, outlines)

    def with_outlines(self, plan: Plan, outlines: Iterable[shapely.Geometry]) -> ListSource:
        """The same, with ``tables.turf_outlines(plan)`` for the sketches."""
        ids = [turf.turf_id for turf in plan.turfs]
        return replace(self, outlines=dict(zip(ids, outlines, strict=True)))


def _walk_list(
    plan: Plan,
    turf: Turf,
    cells: _Cells,
    stop_cells: _StopCells,
    questions: tuple[PrintedQuestion, ...],
    metric: MetricStops,
    outline: shapely.Geometry | None = None,
) -> WalkList:
    columns = cells.columns
    voters = [
        dict(zip(PRINTED_VOTER_FIELDS, values, strict=True))
        for values in zip(*(columns[f] for f in PRINTED_VOTER_FIELDS), strict=True)
    ]
    records = zip(
        columns["sequence"],
        columns["stop_id"],
        columns["address"],
        columns["unit"],
        columns["household_id"],
        voters,
        strict=True,
    )
    stops = []
    budget = getattr(plan, "budget", None)  # a reprint's plan read from its folder has none
    skipped = budget.skipped if budget is not None else frozenset()
    # rows are already in walking order, units in natural order within a stop.
    for sequence, at_stop in itertools.groupby(records, key=lambda r: r[0]):
        here = list(at_stop)
        households = [
            Household(_text(group[0][3]), [r[5] for r in group], str(group[0][4]) in skipped)
            for group in (list(g) for _, g in itertools.groupby(here, key=lambda r: r[4]))
        ]
        stop_id = here[0][1]
        stops.append(
            WalkStop(
                sequence=int(sequence),
                address=_text(here[0][2]),
                street=_text(stop_cells.streets.get(stop_id)),
                house_number=_text(stop_cells.numbers.get(stop_id)),
                leg_m=round(float(stop_cells.legs[stop_id])),
                households=households,
            )
        )
    return WalkList(
        turf=turf,
        blocks=group_blocks(stops),
        stops=stops,
        doors=sum(s.doors for s in stops),
        voters=len(voters),
        walk_km=turf.route.walk_m / 1000,
        minutes=turf.route.minutes,
        codes=RESPONSE_LABELS,
        response_groups=response_groups(),
        today=date.today().isoformat(),
        target=plan.request.target or "all voters",
        door_marks=door_marks(),
        support=support_scale(),
        questions=questions,
        sketch=sketch_of(turf, metric, outline=outline),
        privacy_notice=plan.request.privacy_notice_url,
    )


def _cells(column: pd.Series) -> list[Any]:
    """The values of ``column`` as Python objects, ``None`` for missing ones."""
    return column.astype(object).where(column.notna(), None).tolist()


def voter_name(voter: dict[str, Any]) -> str:
    """The voter's name as both walk lists print it: "Last, First".

    A field the organiser left off the walk lists (issue 21) is left out, never "None".
    """
    return ", ".join(
        str(voter[f]) for f in ("last_name", "first_name") if voter.get(f) not in (None, "")
    )


def _text(value: object) -> str:
    """A cell as text, ``""`` for missing values."""
    if value is None or value is pd.NA or (isinstance(value, float) and value != value):
        return ""
    return str(value)
