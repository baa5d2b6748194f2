"""Where the targets are and how canvassing is going, per precinct and per hexagon.

Every table has one row per area with counts that add up to the whole (each voter is counted in
the area of its own point, each door in the area of its first voter) and rates computed from
those counts, so a total is always the sum of its rows and never an average of rates:

======================  ======================================================================
voters, targets         voters, and voters in the target
households              doors (a missing household id is a door of its own)
target_households       doors with at least one target voter
area_km2                the area's size; target_per_km2 is targets per km²
mean_support,           mean ``support_score`` / ``turnout_score`` of the area's voters
mean_turnout            (from ``support_sum``/``support_n`` and ``turnout_sum``/``turnout_n``)
attempts                result rows (knocks, repeats included)
doors_knocked           doors with any result, ``inaccessible`` included
doors_contacted         doors where someone answered: ``refused``, ``supporter_1..5``,
                        ``hostile``, ``do_not_contact``
doors_supporting        contacted doors whose latest answer is a supporting code
doors_reknock           doors whose latest result leaves them open for another pass
                        (``not_home``, ``come_back``); the rest of doors_knocked are done
target_doors_knocked    target doors with any result
contact_rate            doors_contacted / doors_knocked
support_rate            doors_supporting / doors_contacted
coverage                target_doors_knocked / target_households
======================  ======================================================================

Rates are NaN where their denominator is 0 (no results yet, or no target doors).

Results come in as a table, so the app can feed live results: ``household_id``, ``result`` and
optionally ``timestamp`` (orders repeat knocks; row order otherwise) and ``voter_id`` (accepted,
not used: rates are per door). The result codes, and which of them are a contact, count as
support or leave a door open for another pass, come from `segments.door_results`: supporter
codes follow the VAN 1-5 ID scale, 1 the strongest support, so by default ``supporter_1`` and
``supporter_2`` count as support.

Hexagons are our own metric grid (`segments._hexgrid`), not H3: cells are exactly
`hex_size_m` across in the local UTM zone, so densities are per true km² and the size can be
chosen to fit a block or a neighbourhood (H3 offers fixed resolutions seven times apart in area
and cells whose area varies with latitude), assigning a million voters is a few numpy
operations, and it needs no extra compiled dependency. The price: cell ids are only comparable
within one UTM zone and one size.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from typing import Any

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd

from segments import _hexgrid
from segments._data import (
    FloatArray,
    first_rows,
    group_codes,
    metric_xy,
    require_columns,
    stripped_codes,
    target_mask,
    utm_crs,
)
from segments._errors import SegmentDataError
from segments.door_results import CONTACT_CODES, REKNOCK_CODES, RESULT_CODES, SUPPORTING_CODES

__all__ = [
    "CONTACT_CODES",
    "COUNT_COLUMNS",
    "RESULT_CODES",
    "SUPPORTING_CODES",
    "door_results",
    "engagement_by_hex",
    "engagement_by_precinct",
    "engagement_totals",
]

COUNT_COLUMNS = (
    "voters",
    "targets",
    "households",
    "target_households",
    "support_sum",
    "support_n",
    "turnout_sum",
    "turnout_n",
    "attempts",
    "doors_knocked",
    "doors_contacted",
    "doors_supporting",
    "doors_reknock",
    "target_doors_knocked",
)
"""Columns that add up: the sum over areas is the total."""
UNLOCATED = "(no location)"
NO_PRECINCT = "(no precinct)"


# --------------------------------------------------------------------------- results


def _result_codes(results: pd.DataFrame) -> npt.NDArray[np.intp]:
    """Position in `RESULT_CODES` of every row's result (spelling variants accepted)."""
    codes, uniques = pd.factorize(results["result"], use_na_sentinel=True)
    spelled = [re.sub(r"[\s-]+", "_", str(u).strip().casefold()) for u in uniques]
    known = {code: i for i, code in enumerate(RESULT_CODES)}
    per_unique = np.array([known.get(text, -1) for text in spelled] + [-1], dtype=np.intp)
    positions = per_unique[codes]
    bad = positions < 0
    if bad.any():
        labels = np.array([str(u) for u in uniques] + ["(blank)"], dtype=object)
        counts = pd.Series(labels[codes[bad]]).value_counts()
        shown = ", ".join(f"{code!r} x{n}" for code, n in counts.head(5).items())
        raise SegmentDataError(
            f"the results table has {int(bad.sum())} row(s) with an unknown result code "
            f"({shown}); use one of {', '.join(RESULT_CODES)}"
        )
    return positions


def door_results(
    results: pd.DataFrame, *, supporting: Collection[str] = SUPPORTING_CODES
) -> pd.DataFrame:
    """Collapse a results table to one row per door knocked.

    Parameters
    ----------
    results : pandas.DataFrame
        ``household_id``, ``result`` and optionally ``timestamp``; may be empty.
    supporting : collection of str, default SUPPORTING_CODES
        Result codes that count as support.

    Returns
    -------
    pandas.DataFrame
        Indexed by household id (as text, in order of first appearance): ``attempts``,
        ``contacted``, ``supporting``, ``last_result`` (by timestamp, then row order) and
        ``reknock`` (the last result leaves the door open for another pass).
        Rows without a household id are left out.

    Raises
    ------
    SegmentDataError
        For a missing column, an unknown result code or a timestamp that does not parse.
    """
    require_columns(results, ["household_id", "result"], "results")
    unknown = set(supporting) - set(RESULT_CODES)
    if unknown:
        raise SegmentDataError(
            f"supporting codes {sorted(unknown)} are not result codes; use some of "
            f"{', '.join(c for c in RESULT_CODES if c in CONTACT_CODES)}"
        )
    code = _result_codes(results)
    at = _timestamps(results)
    door, labels = stripped_codes(results["household_id"])
    rows = np.flatnonzero(door >= 0)
    # Each door's knocks in time order (ties and missing times: row order, missing first).
    rows = rows[np.lexsort((rows, at[rows], door[rows]))]
    door, code = door[rows], code[rows]
    doors = len(labels)
    contact = np.isin(code, [RESULT_CODES.index(c) for c in CONTACT_CODES])
    support = np.isin(code, [RESULT_CODES.index(c) for c in supporting])
    last = _last_of_each(door, code, doors, fill=-1)
    latest_answer = _last_of_each(door[contact], support[contact], doors, fill=False)
    names = np.array(RESULT_CODES, dtype=object)
    frame = pd.DataFrame(
        {
            "attempts": np.bincount(door, minlength=doors).astype(np.int64),
            "contacted": np.bincount(door, weights=contact, minlength=doors) > 0,
            "supporting": latest_answer.astype(bool),
            "last_result": names[last],
            "reknock": np.isin(last, [RESULT_CODES.index(c) for c in REKNOCK_CODES]),
        },
        index=pd.Index(labels, name="household_id", dtype=object),
    )
    return frame


def _last_of_each(
    groups: npt.NDArray[np.intp], values: npt.NDArray[Any], count: int, *, fill: Any
) -> npt.NDArray[Any]:
    """The last value of each group in a sequence sorted by group; `fill` for absent groups."""
    out = np.full(count, fill, dtype=values.dtype if len(values) else np.asarray(fill).dtype)
    if len(groups):
        ends = np.flatnonzero(np.append(groups[1:] != groups[:-1], True))
        out[groups[ends]] = values[ends]
    return out


def _timestamps(results: pd.DataFrame) -> npt.NDArray[np.int64]:
    """Nanoseconds since the epoch (UTC) of every row; the smallest int64 where missing."""
    missing = np.iinfo(np.int64).min
    if "timestamp" not in results.columns:
        return np.full(len(results), missing, dtype=np.int64)
    raw = results["timestamp"]
    parsed = pd.to_datetime(raw, utc=True, errors="coerce", format="mixed")
    if parsed.isna().any():
        given = raw.notna() & (raw.astype(object).astype(str).str.strip() != "")
        broken = given & parsed.isna()
        if broken.any():
            examples = ", ".join(repr(v) for v in raw[broken].astype(str).head(3))
            raise SegmentDataError(
                f"the results table has {int(broken.sum())} timestamp(s) that do not parse "
                f"({examples}); use ISO 8601, e.g. 2026-05-01T14:30:00Z"
            )
    naive = pd.DatetimeIndex(parsed).tz_convert(None).as_unit("ns")
    return np.asarray(naive.to_numpy(dtype="datetime64[ns]").view(np.int64))


# --------------------------------------------------------------------------- aggregation


def _numbers(voters: pd.DataFrame, column: str) -> FloatArray:
    if column not in voters.columns:
        return np.full(len(voters), np.nan)
    values = pd.to_numeric(voters[column], errors="coerce")
    return np.asarray(values.to_numpy(dtype=np.float64, na_value=np.nan))


def _aggregate(
    voters: pd.DataFrame,
    area: npt.NDArray[np.intp],
    areas: int,
    *,
    target: str | pd.Series | None,
    results: pd.DataFrame | None,
    supporting: Collection[str],
) -> tuple[pd.DataFrame, int]:
    """Counts per area code ``0..areas-1``, and how many result rows match no voter's door."""
    require_columns(voters, ["household_id"], "voters")
    chosen = target_mask(voters, target)
    household, household_labels = group_codes(voters["household_id"])
    households = len(household_labels)
    first = first_rows(household)
    household_area = area[first]
    target_door = np.bincount(household, weights=chosen, minlength=households) > 0

    def count(keys: npt.NDArray[np.intp], weights: Any = None) -> FloatArray:
        return np.bincount(keys, weights=weights, minlength=areas).astype(np.float64)

    table: dict[str, FloatArray] = {
        "voters": count(area),
        "targets": count(area, chosen),
        "households": count(household_area),
        "target_households": count(household_area, target_door),
    }
    for name, column in (("support", "support_score"), ("turnout", "turnout_score")):
        values = _numbers(voters, column)
        known = ~np.isnan(values)
        table[f"{name}_sum"] = count(area[known], values[known])
        table[f"{name}_n"] = count(area[known])

    rows = 0 if results is None else len(results)
    doors = door_results(results, supporting=supporting) if results is not None else None
    unmatched = rows
    if doors is None or doors.empty:
        for name in (
            "attempts",
            "doors_knocked",
            "doors_contacted",
            "doors_supporting",
            "doors_reknock",
            "target_doors_knocked",
        ):
            table[name] = np.zeros(areas)
    else:
        named = household_labels[: households - int(pd.isna(household_labels).sum())]
        position = pd.Index(named, dtype=object).get_indexer(doors.index)
        matched = position >= 0
        # Rows without a household id, or with one that is not in the voter file.
        unmatched = rows - int(doors["attempts"].to_numpy()[matched].sum())
        door = position[matched]
        door_area = household_area[door]
        table["attempts"] = count(door_area, doors["attempts"].to_numpy()[matched])
        table["doors_knocked"] = count(door_area)
        table["doors_contacted"] = count(door_area, doors["contacted"].to_numpy()[matched])
        table["doors_supporting"] = count(door_area, doors["supporting"].to_numpy()[matched])
        table["doors_reknock"] = count(door_area, doors["reknock"].to_numpy()[matched])
        table["target_doors_knocked"] = count(door_area, target_door[door])
    frame = pd.DataFrame(table).astype(
        {c: np.int64 for c in COUNT_COLUMNS if c not in ("support_sum", "turnout_sum")}
    )
    return frame, unmatched


def _ratio(numerator: pd.Series, denominator: pd.Series) -> pd.Series:
    return (numerator / denominator.where(denominator > 0)).astype(np.float64)


def _rates(frame: pd.DataFrame) -> pd.DataFrame:
    frame["target_per_km2"] = _ratio(frame["targets"], frame["area_km2"])
    frame["mean_support"] = _ratio(frame["support_sum"], frame["support_n"])
    frame["mean_turnout"] = _ratio(frame["turnout_sum"], frame["turnout_n"])
    frame["contact_rate"] = _ratio(frame["doors_contacted"], frame["doors_knocked"])
    frame["support_rate"] = _ratio(frame["doors_supporting"], frame["doors_contacted"])
    frame["coverage"] = _ratio(frame["target_doors_knocked"], frame["target_households"])
    return frame


def engagement_totals(
    voters: pd.DataFrame,
    results: pd.DataFrame | None = None,
    *,
    target: str | pd.Series | None = "target",
    supporting: Collection[str] = SUPPORTING_CODES,
) -> dict[str, Any]:
    """The whole universe's counts and rates (the sum of any engagement table's rows).

    Also gives ``results_unmatched``: result rows without a household id or whose household is
    not in `voters` (they appear in no area). Rates are None where undefined.
    """
    frame, unmatched = _aggregate(
        voters,
        np.zeros(len(voters), dtype=np.intp),
        1,
        target=target,
        results=results,
        supporting=supporting,
    )
    frame["area_km2"] = np.nan
    row = _rates(frame).drop(columns=["area_km2", "target_per_km2"]).iloc[0]
    totals: dict[str, Any] = {}
    for name, value in row.items():
        number = float(value)
        if name in COUNT_COLUMNS and name not in ("support_sum", "turnout_sum"):
            totals[str(name)] = int(number)
        else:
            totals[str(name)] = None if np.isnan(number) else number
    totals["results_unmatched"] = unmatched
    return totals


def engagement_by_precinct(
    voters: pd.DataFrame,
    results: pd.DataFrame | None = None,
    *,
    precincts: gpd.GeoDataFrame | None = None,
    precinct_column: str = "precinct",
    target: str | pd.Series | None = "target",
    supporting: Collection[str] = SUPPORTING_CODES,
) -> gpd.GeoDataFrame:
    """Engagement per precinct (see the module docstring for the columns).

    Parameters
    ----------
    voters : pandas.DataFrame
        One row per voter with `precinct_column`, ``household_id`` and the target column,
        and where present ``support_score`` and ``turnout_score``.
    results : pandas.DataFrame or None
        Door results (see `door_results`); None or empty before canvassing starts.
    precincts : geopandas.GeoDataFrame or None
        Precinct polygons with `precinct_column`: gives the outline and ``area_km2`` of each
        and a row (of zeros) for precincts without voters.
    precinct_column : str, default "precinct"
        The precinct id column of `voters` (and `precincts`).
    target : str, pandas.Series or None, default "target"
        Boolean target column, mask, or None for every voter.
    supporting : collection of str, default SUPPORTING_CODES
        Result codes that count as support.

    Returns
    -------
    geopandas.GeoDataFrame
        Indexed by precinct id (voters without one under ``"(no precinct)"``), EPSG:4326;
        geometry is missing without `precincts`.
    """
    require_columns(voters, [precinct_column], "voters")
    codes, labels = stripped_codes(voters[precinct_column])
    present = [*labels, *([NO_PRECINCT] if (codes < 0).any() else [])]
    codes = np.where(codes < 0, len(labels), codes)
    ids = set(present)
    if precincts is not None:
        require_columns(precincts, [precinct_column], "precincts")
        known = precincts[precinct_column].astype(str).str.strip()
        ids |= set(known)
    names = sorted(ids, key=str)
    area = pd.Index(names).get_indexer(np.asarray(present, dtype=object))[codes]
    frame, _ = _aggregate(
        voters, area, len(names), target=target, results=results, supporting=supporting
    )
    frame.index = pd.Index(names, name=precinct_column)
    geometry = gpd.GeoSeries([None] * len(names), index=frame.index, crs=4326)
    frame["area_km2"] = np.nan
    if precincts is not None and len(precincts):
        shapes = precincts.set_index(known.to_numpy()).geometry
        shapes = shapes.loc[~shapes.index.duplicated()].to_crs(4326)
        geometry = shapes.reindex(frame.index).set_crs(4326, allow_override=True)
        bounds = shapes.total_bounds
        metric = utm_crs(bounds[[0, 2]], bounds[[1, 3]])
        frame["area_km2"] = (geometry.to_crs(metric).area / 1e6).to_numpy()
    return gpd.GeoDataFrame(_rates(frame), geometry=geometry.to_numpy(), crs=4326)


def engagement_by_hex(
    voters: gpd.GeoDataFrame,
    results: pd.DataFrame | None = None,
    *,
    hex_size_m: float = 200.0,
    target: str | pd.Series | None = "target",
    supporting: Collection[str] = SUPPORTING_CODES,
) -> gpd.GeoDataFrame:
    """Engagement per hexagon of a metric grid (see the module docstring for the columns).

    Parameters
    ----------
    voters : geopandas.GeoDataFrame
        Voter points in any CRS (geographic ones are measured in their UTM zone) with
        ``household_id`` and the target column.
    results : pandas.DataFrame or None
        Door results (see `door_results`); None or empty before canvassing starts.
    hex_size_m : float, default 200.0
        Centre-to-corner distance (= edge length) of a cell; a cell covers
        ``2.598 * hex_size_m**2`` m² (0.104 km² at 200 m).
    target : str, pandas.Series or None, default "target"
        Boolean target column, mask, or None for every voter.
    supporting : collection of str, default SUPPORTING_CODES
        Result codes that count as support.

    Returns
    -------
    geopandas.GeoDataFrame
        One row per cell with voters, indexed by ``hex_id`` (``"q:r"``), with ``q`` and ``r``,
        cell outlines in EPSG:4326; voters without a position fall in a row
        ``"(no location)"`` without geometry.
    """
    if hex_size_m <= 0:
        raise SegmentDataError(f"hex_size_m must be positive, got {hex_size_m}")
    points = metric_xy(voters)
    located = np.isfinite(points.x) & np.isfinite(points.y)
    q = np.zeros(len(voters), dtype=np.int64)
    r = np.zeros(len(voters), dtype=np.int64)
    q[located], r[located] = _hexgrid.cells(points.x[located], points.y[located], hex_size_m)
    # One int64 key per cell (|q|, |r| < 2**31 for any grid on Earth with cells over 1 cm).
    key = (q << 32) + r
    key[~located] = np.iinfo(np.int64).min
    codes, uniques = pd.factorize(key, sort=True)
    cell_keys = np.asarray(uniques, dtype=np.int64)
    frame, _ = _aggregate(
        voters,
        np.asarray(codes, dtype=np.intp),
        len(cell_keys),
        target=target,
        results=results,
        supporting=supporting,
    )
    nowhere = cell_keys == np.iinfo(np.int64).min
    cell_r = (cell_keys & 0xFFFFFFFF).astype(np.int64)
    cell_r = np.where(cell_r >= 2**31, cell_r - 2**32, cell_r)
    cell_q = (cell_keys - cell_r) >> 32
    frame["q"] = np.where(nowhere, 0, cell_q)
    frame["r"] = np.where(nowhere, 0, cell_r)
    frame.index = pd.Index(
        [UNLOCATED if n else f"{a}:{b}" for n, a, b in zip(nowhere, cell_q, cell_r, strict=True)],
        name="hex_id",
    )
    frame["area_km2"] = np.where(nowhere, np.nan, _hexgrid.cell_area_m2(hex_size_m) / 1e6)
    outlines = np.full(len(frame), None, dtype=object)
    if points.crs is not None and (~nowhere).any():
        shapes = _hexgrid.polygons(cell_q[~nowhere], cell_r[~nowhere], hex_size_m)
        outlines[~nowhere] = gpd.GeoSeries(shapes, crs=points.crs).to_crs(4326).to_numpy()
    frame = _rates(frame)
    frame = frame[["q", "r", *[c for c in frame.columns if c not in ("q", "r")]]]
    return gpd.GeoDataFrame(frame, geometry=outlines, crs=4326)
