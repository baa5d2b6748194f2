"""Geocoding by address range: a house number placed along its street line, on its side.

TIGER/Line gives each side of a street line the house numbers at its start and end (``from_n``
at the first vertex, ``to_n`` at the last, either may be the larger) and their parity. A
number within a side's range (and of its parity) is placed at the same fraction of the line's
length, kept a little away from the corners, and moved off the centre line to that side:
left or right looking from the line's first vertex to its last.

Matching is a merge on (street, hundred-block): each range is listed under every block of
100 numbers it spans, so a row meets only the few ranges that can hold its number, not every
range of a long street. Positions are computed in a metric (UTM) projection with shapely's
vectorised line functions; nothing loops per row.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely

from geo.address import address_keys
from geo.geocode_common import GeocodeSettings, group_codes, mean_by_key

# A range spanning more blocks of 100 than this is a placeholder (1-99999), not an address.
MAX_BLOCKS = 500
OTHER_ZIP = "other_zip"
AMBIGUOUS = "ambiguous"


@dataclass(frozen=True)
class RangeIndex:
    """Address ranges keyed for matching, and their lines in metres."""

    keys: pd.DataFrame
    """Per side: ``street_key``, ``zip_key``, ``lo``, ``hi``, ``from_n``, ``to_n``,
    ``parity`` (0 both, 1 odd, 2 even), ``side`` and ``line`` (a position in ``lines``)."""
    lines: np.ndarray
    """The street lines in ``crs`` (metres)."""
    crs: pyproj.CRS

    @property
    def streets(self) -> pd.DataFrame:
        """Distinct ``street_key``/``zip_key`` pairs the ranges know."""
        return self.keys[["street_key", "zip_key"]].drop_duplicates()


def index_ranges(ranges: gpd.GeoDataFrame) -> RangeIndex:
    """Key ``geo.address_sources`` ranges for ``match_ranges``."""
    keys = address_keys(pd.DataFrame({"street": ranges["street"], "zip": ranges["zip"]}))
    geometry = ranges.geometry.to_numpy()
    # One line per distinct geometry object (both sides of a line share it).
    line_ids, _uniques = pd.factorize(pd.Series([id(g) for g in geometry]))
    first = np.unique(line_ids, return_index=True)[1]
    crs = _metric_crs(ranges)
    transformer = pyproj.Transformer.from_crs(4326, crs, always_xy=True)
    lines = shapely.transform(
        geometry[first], lambda xy: np.column_stack(transformer.transform(xy[:, 0], xy[:, 1]))
    )
    from_n = ranges["from_n"].to_numpy(dtype=float)
    to_n = ranges["to_n"].to_numpy(dtype=float)
    parity = ranges["parity"].map({"O": 1, "E": 2}).fillna(0).to_numpy(dtype=np.int8)
    frame = pd.DataFrame(
        {
            "street_key": keys["street_key"].to_numpy(dtype=object),
            "zip_key": keys["zip_key"].to_numpy(dtype=object),
            "lo": np.minimum(from_n, to_n),
            "hi": np.maximum(from_n, to_n),
            "from_n": from_n,
            "to_n": to_n,
            "parity": parity,
            "side": ranges["side"].to_numpy(dtype=np.int8),
            "line": line_ids.astype(np.int64),
        }
    )
    return RangeIndex(keys=frame.loc[frame["street_key"] != ""], lines=lines, crs=crs)


def _metric_crs(frame: gpd.GeoDataFrame) -> pyproj.CRS:
    if frame.empty:
        return pyproj.CRS.from_epsg(3857)
    west, south, east, north = frame.total_bounds
    lon, lat = (west + east) / 2, (south + north) / 2
    zone = int((lon + 180) // 6) + 1
    return pyproj.CRS.from_epsg((32600 if lat >= 0 else 32700) + zone)


@dataclass(frozen=True)
class RangeMatch:
    """What the ranges said about the targets asked about."""

    placed: pd.DataFrame
    """``lon``/``lat`` of the targets placed, on their index."""
    status: pd.Series
    """For targets not placed whose number lies in a range: ``other_zip`` (only ranges of
    other ZIP codes hold it) or ``ambiguous`` (ranges far apart hold it, nothing to choose)."""


def match_ranges(
    targets: pd.DataFrame, index: RangeIndex, *, settings: GeocodeSettings
) -> RangeMatch:
    """Place ``targets`` (``address.address_keys`` columns) on the ranges holding their number."""
    none = RangeMatch(
        placed=pd.DataFrame({"lon": [], "lat": []}, index=targets.index[:0]),
        status=pd.Series("", index=targets.index[:0], dtype=object),
    )
    todo = targets.loc[targets["number"].notna() & (targets["street_key"] != "")]
    ranges = index.keys
    if todo.empty or ranges.empty:
        return none
    # Distinct (street, ZIP, number): a building's voters are placed once.
    asked = todo[["street_key", "zip_key", "number"]]
    distinct = group_codes(asked, ["street_key", "zip_key", "number"])
    firsts = np.unique(distinct, return_index=True)[1]
    unique = asked.iloc[firsts].reset_index(drop=True)
    codes = group_codes(
        pd.concat([unique[["street_key"]], ranges[["street_key"]]], ignore_index=True),
        ["street_key"],
    )
    t_street, r_street = codes[: len(unique)], codes[len(unique) :]
    # Each range listed under every hundred-block it spans.
    first_block = (ranges["lo"].to_numpy() // 100).astype(np.int64)
    spans = (ranges["hi"].to_numpy() // 100).astype(np.int64) - first_block + 1
    listed = spans <= MAX_BLOCKS
    rows = np.repeat(np.flatnonzero(listed), spans[listed])
    step = np.arange(len(rows)) - np.repeat(np.cumsum(spans[listed]) - spans[listed], spans[listed])
    r_key = r_street[rows] * 1_000_000 + first_block[rows] + step
    number = unique["number"].to_numpy(dtype=float)
    t_key = t_street * 1_000_000 + (number // 100).astype(np.int64)
    pairs = pd.DataFrame({"key": t_key, "target": np.arange(len(unique))}).merge(
        pd.DataFrame({"key": r_key, "range": rows}), on="key"
    )
    t, r = pairs["target"].to_numpy(), pairs["range"].to_numpy()
    n = number[t]
    parity = ranges["parity"].to_numpy()[r]
    inside = (ranges["lo"].to_numpy()[r] <= n) & (n <= ranges["hi"].to_numpy()[r])
    inside &= (parity == 0) | (parity == np.where(n % 2 == 1, 1, 2))
    t, r, n, parity = t[inside], r[inside], n[inside], parity[inside]
    t_zip = unique["zip_key"].to_numpy(dtype=object)[t]
    r_zip = ranges["zip_key"].to_numpy(dtype=object)[r]
    known = (t_zip != "") & (r_zip != "")
    conflict = known & (t_zip != r_zip)
    score = 2 * (known & ~conflict) + (parity != 0)
    had_any = np.zeros(len(unique), dtype=bool)
    had_any[t] = True
    t, r, n, score = t[~conflict], r[~conflict], n[~conflict], score[~conflict]
    best = np.full(len(unique), -1)
    np.maximum.at(best, t, score)
    top = score == best[t]
    t, r, n = t[top], r[top], n[top]
    lon, lat = _positions(index, r, n, settings=settings)
    # Several ranges hold the number equally well: their mean when they lie together.
    keys, _where, mean_lon, mean_lat = mean_by_key(t, lon, lat)
    placed_unique = np.zeros(len(unique), dtype=bool)
    placed_unique[keys] = True
    u_lon = np.full(len(unique), np.nan)
    u_lat = np.full(len(unique), np.nan)
    u_lon[keys], u_lat[keys] = mean_lon, mean_lat
    status_unique = np.where(
        placed_unique, "", np.where(np.isin(np.arange(len(unique)), t), AMBIGUOUS, "")
    ).astype(object)
    status_unique[had_any & ~placed_unique & (status_unique == "")] = OTHER_ZIP
    # Back from distinct addresses to the targets (codes number them as first seen).
    which = distinct
    ok = placed_unique[which]
    placed = pd.DataFrame({"lon": u_lon[which][ok], "lat": u_lat[which][ok]}, index=todo.index[ok])
    status = pd.Series(status_unique[which], index=todo.index)
    return RangeMatch(placed=placed, status=status.loc[status != ""])


def _positions(
    index: RangeIndex, rows: np.ndarray, number: np.ndarray, *, settings: GeocodeSettings
) -> tuple[np.ndarray, np.ndarray]:
    """Longitude and latitude of house ``number`` on range ``rows`` of ``index.keys``."""
    if len(rows) == 0:
        return np.array([]), np.array([])
    keys = index.keys
    from_n = keys["from_n"].to_numpy()[rows]
    to_n = keys["to_n"].to_numpy()[rows]
    side = keys["side"].to_numpy()[rows].astype(float)
    lines = index.lines[keys["line"].to_numpy()[rows]]
    length = shapely.length(lines)
    span = to_n - from_n
    fraction = np.where(span == 0, 0.5, (number - from_n) / np.where(span == 0, 1, span))
    fraction = np.clip(fraction, 0.0, 1.0)
    # Keep off the corners: the range is spread over the line less an inset at each end.
    inset = np.minimum(settings.range_inset_m, length / 4)
    along = inset + fraction * (length - 2 * inset)
    here = shapely.get_coordinates(shapely.line_interpolate_point(lines, along))
    ahead = shapely.get_coordinates(
        shapely.line_interpolate_point(lines, np.minimum(along + 1, length))
    )
    behind = shapely.get_coordinates(
        shapely.line_interpolate_point(lines, np.maximum(along - 1, 0))
    )
    direction = ahead - behind
    norm = np.hypot(direction[:, 0], direction[:, 1])
    norm[norm == 0] = 1.0
    # Left of the direction of travel is the direction turned a quarter anticlockwise.
    left = np.column_stack([-direction[:, 1], direction[:, 0]]) / norm[:, None]
    xy = here + left * (side * settings.side_offset_m)[:, None]
    back = pyproj.Transformer.from_crs(index.crs, 4326, always_xy=True)
    lon, lat = back.transform(xy[:, 0], xy[:, 1])
    return np.asarray(lon), np.asarray(lat)
