"""Offline geocoding of voters without coordinates, most trusted source first.

1. **The file's own coordinates** (``geo.voters``): rows that have them are not geocoded.
2. **Address points**: a row whose normalised street and house number match a point is placed
   on it; first the points of the ``--addresses`` files (``address_points``), then the OSM
   address points of the street data (``osm_address``). A ZIP code or city that contradicts
   the point's rules the point out; one that agrees wins over one that is unknown.
3. **Address ranges** (TIGER/Line, ``address_range``): along the street line by house number,
   a few metres off it on the side the range's parity says (``geo.ranges``).
4. **Interpolation** along the named street (``interpolated``): between the nearest lower and
   higher house numbers already placed on the same street in the same ZIP code or city (the
   file's own rows with coordinates, the address points and the rows placed on them in step
   2), of the same parity (the same side of the street) when there are such neighbours. Past
   the last known number it goes on only a short way in the direction of the last two, and
   never across a wide gap.

Street names are matched on USPS-normalised keys (``geo.address``); a name lacking the type
or directional the data has ("Main" for "Main St") is completed when only one street fits.
Rows left unplaced get a reason (``REASONS``). Everything runs on whole columns (merges,
sorts and ``np.searchsorted``), no loop per row.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd

from geo.address import address_keys, resolve_streets
from geo.address_sources import AddressSources
from geo.geocode_common import GeocodeSettings, collapse, group_codes, mean_by_key, metres
from geo.ranges import AMBIGUOUS, OTHER_ZIP, index_ranges, match_ranges

__all__ = ["REASONS", "SOURCES", "GeocodeSettings", "Geocoded", "geocode"]

SOURCES = ("file", "address_points", "osm_address", "address_range", "interpolated")
"""Where a voter's point came from, most trusted first."""
REASONS = {
    "no_number": "no house number",
    "street_unknown": "street not in the address data",
    "street_ambiguous": "street name fits several streets (give its type or directional)",
    OTHER_ZIP: "street and number found only in another ZIP code",
    AMBIGUOUS: "several places match (the same street elsewhere, no ZIP code to choose)",
    "outside_ranges": "house number outside every address range of the street",
    "no_match": "no address point or placed neighbour matches the house number",
}
"""Why a row with a street was not placed, by code."""


@dataclass(frozen=True)
class Geocoded:
    """Positions found for the rows asked about, on their index."""

    lon: pd.Series
    lat: pd.Series
    source: pd.Series
    """One of ``SOURCES`` (not ``file``), or ``''`` where the address was not found."""
    reason: pd.Series
    """Where not found, why (a value of ``REASONS``); ``''`` elsewhere."""


def match_address_points(
    targets: pd.DataFrame, points: pd.DataFrame
) -> tuple[pd.DataFrame, pd.Series]:
    """Place ``targets`` on address points with the same street and house number keys.

    Parameters
    ----------
    targets, points
        Frames of ``address.address_keys`` columns; ``points`` also has ``lon`` and ``lat``.

    Returns
    -------
    tuple
        ``lon`` and ``lat`` for the targets that matched, on their index; and for targets
        that did not although their address exists, ``other_zip`` or ``ambiguous``.
    """
    on = ["street_key", "number_key"]
    usable = (points["street_key"] != "") & (points["number_key"] != "")
    candidates = collapse(points.loc[usable], [*on, "zip_key", "city_key"])
    pairs = (
        targets[[*on, "zip_key", "city_key"]]
        .rename_axis("_target")
        .reset_index()
        .merge(candidates, on=on, suffixes=("", "_pt"))
    )
    if pairs.empty:
        return (
            pd.DataFrame({"lon": [], "lat": []}, index=targets.index[:0]),
            pd.Series("", index=targets.index[:0], dtype=object),
        )

    def compare(name: str) -> tuple[pd.Series, pd.Series]:
        """Where both sides know ``name``: does it agree, does it conflict."""
        mine, theirs = pairs[name], pairs[f"{name}_pt"]
        known = (mine != "") & (theirs != "")
        return known & (mine == theirs), known & (mine != theirs)

    zip_agree, zip_conflict = compare("zip_key")
    city_agree, city_conflict = compare("city_key")
    existing = pairs["_target"].unique()
    # A ZIP that agrees outweighs a city spelled otherwise (mailing city vs municipality).
    pairs["score"] = 2 * zip_agree.astype(int) + city_agree.astype(int)
    pairs = pairs.loc[~zip_conflict & ~(city_conflict & ~zip_agree)]
    best = pairs.groupby("_target")["score"].transform("max")
    pairs = pairs.loc[pairs["score"] == best]
    placed = collapse(pairs[["_target", "lon", "lat"]], ["_target"]).set_index("_target")
    status = pd.Series(OTHER_ZIP, index=pd.Index(existing), dtype=object)
    status.loc[status.index.isin(pairs["_target"])] = AMBIGUOUS
    status = status.drop(index=placed.index)
    return placed.rename_axis(None), status


def _interpolate(
    anchors: pd.DataFrame, targets: pd.DataFrame, *, block: str, settings: GeocodeSettings
) -> pd.DataFrame:
    """Place targets between anchors of the same ``block`` (an integer column) by number.

    Returns ``lon``/``lat`` for the targets placed, on their index.
    """
    if anchors.empty or targets.empty:
        return pd.DataFrame({"lon": [], "lat": []}, index=targets.index[:0])
    # One sortable key per (block, number): numbers are < 1e7 (address_keys keeps 7 digits).
    a_key, rows, a_lon, a_lat = mean_by_key(
        anchors[block].to_numpy(dtype=np.int64).astype(float) * 1e7
        + anchors["number"].to_numpy(dtype=float),
        anchors["lon"].to_numpy(dtype=float),
        anchors["lat"].to_numpy(dtype=float),
    )
    a_block = anchors[block].to_numpy(dtype=np.int64)[rows]
    a_num = anchors["number"].to_numpy(dtype=float)[rows]
    t_block = targets[block].to_numpy(dtype=np.int64)
    t_num = targets["number"].to_numpy(dtype=float)
    t_key = t_block.astype(float) * 1e7 + t_num
    n = len(a_key)
    if n == 0:
        return pd.DataFrame({"lon": [], "lat": []}, index=targets.index[:0])
    pos = np.searchsorted(a_key, t_key, side="left")

    def at(i: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Anchor ``i`` where it exists and lies in the target's block."""
        safe = np.clip(i, 0, n - 1)
        valid = (i >= 0) & (i < n) & (a_block[safe] == t_block)
        return valid, a_num[safe], a_lon[safe], a_lat[safe]

    lon = np.full(len(targets), np.nan)
    lat = np.full(len(targets), np.nan)
    ok_e, num_e, lon_e, lat_e = at(pos)
    exact = ok_e & (num_e == t_num)
    lon[exact], lat[exact] = lon_e[exact], lat_e[exact]

    ok_lo, num_lo, lon_lo, lat_lo = at(pos - 1)
    ok_hi, num_hi, lon_hi, lat_hi = ok_e & ~exact, num_e, lon_e, lat_e
    gap = metres(lon_lo, lat_lo, lon_hi, lat_hi)
    between = ok_lo & ok_hi & (gap <= settings.max_gap_m) & np.isnan(lon)
    t = (t_num - num_lo)[between] / (num_hi - num_lo)[between]
    lon[between] = lon_lo[between] + t * (lon_hi - lon_lo)[between]
    lat[between] = lat_lo[between] + t * (lat_hi - lat_lo)[between]

    # Beyond the last (or before the first) known number: continue the line of the last two.
    for near, far in ((pos - 1, pos - 2), (pos, pos + 1)):
        ok_n, num_n, lon_n, lat_n = at(near)
        ok_f, num_f, lon_f, lat_f = at(far)
        edge = np.flatnonzero(ok_n & ok_f & ~(ok_lo & ok_hi) & ~exact & np.isnan(lon))
        step = (t_num - num_n)[edge] / (num_n - num_f)[edge]
        x = lon_n[edge] + step * (lon_n - lon_f)[edge]
        y = lat_n[edge] + step * (lat_n - lat_f)[edge]
        span = metres(lon_f[edge], lat_f[edge], lon_n[edge], lat_n[edge])
        reach = metres(lon_n[edge], lat_n[edge], x, y)
        near_enough = (span <= settings.max_gap_m) & (reach <= settings.max_extrapolate_m)
        lon[edge[near_enough]], lat[edge[near_enough]] = x[near_enough], y[near_enough]

    placed = ~np.isnan(lon)
    return pd.DataFrame({"lon": lon[placed], "lat": lat[placed]}, index=targets.index[placed])


def interpolate_along_streets(
    targets: pd.DataFrame, anchors: pd.DataFrame, *, settings: GeocodeSettings | None = None
) -> pd.DataFrame:
    """Place targets by house number between placed neighbours on the same street.

    Parameters
    ----------
    targets
        ``address.address_keys`` columns of the rows to place.
    anchors
        The same columns plus ``lon``/``lat`` for the rows already placed.
    settings
        How far to reach; the defaults when not given.

    Returns
    -------
    pandas.DataFrame
        ``lon`` and ``lat`` of the targets placed, on their index.
    """
    settings = settings or GeocodeSettings()
    anchors = anchors.loc[(anchors["street_key"] != "") & anchors["number"].notna()]
    targets = targets.loc[(targets["street_key"] != "") & targets["number"].notna()]
    # Anchors without a ZIP code or city serve every locality of their street.
    wild = anchors.loc[anchors["locality"] == ""].drop(columns="locality")
    localities = targets.loc[targets["locality"] != "", ["street_key", "locality"]]
    local = pd.concat(
        [
            anchors.loc[anchors["locality"] != ""],
            wild.merge(localities.drop_duplicates(), on="street_key"),
        ],
        ignore_index=True,
    )
    found: list[pd.DataFrame] = []
    done = pd.Series(False, index=targets.index)
    # Targets with a known locality use its neighbours; others any neighbour on the street,
    # unless the street is in several localities (same-named streets: nothing to choose).
    spread = anchors.loc[anchors["locality"] != ""].groupby("street_key")["locality"].nunique()
    single = anchors.loc[~anchors["street_key"].isin(spread.index[spread > 1])]
    passes = (
        (["street_key", "locality"], local, targets["locality"] != ""),
        (["street_key"], single, targets["locality"] == ""),
    )
    for keys, pool, selected in passes:
        if not selected.any() or pool.empty:
            continue
        todo = targets.loc[selected]
        group = group_codes(pd.concat([pool[keys], todo[keys]]), keys)
        pool_group, todo_group = group[: len(pool)], group[len(pool) :]
        # Same parity (the same side of the street) first, then either side.
        for sides in (2, 1):
            rest = ~done.loc[todo.index].to_numpy()
            if not rest.any():
                break
            pool_block = pool_group * sides + pool["number"].to_numpy() % sides
            todo_block = todo_group[rest] * sides + todo["number"].to_numpy()[rest] % sides
            placed = _interpolate(
                pool.assign(block=pool_block.astype(np.int64)),
                todo.loc[rest].assign(block=todo_block.astype(np.int64)),
                block="block",
                settings=settings,
            )
            done.loc[placed.index] = True
            found.append(placed)
    if not found:
        return pd.DataFrame({"lon": [], "lat": []}, index=targets.index[:0])
    return pd.concat(found)


def _keyed_points(frame: pd.DataFrame, zip_column: str, lon: object, lat: object) -> pd.DataFrame:
    """``address_keys`` of address points, with their ``lon`` and ``lat``."""
    keys = address_keys(
        pd.DataFrame(
            {
                "street": frame["street"],
                "house_number": frame["house_number"],
                "zip": frame[zip_column],
                "city": frame["city"],
            }
        )
    )
    return keys.assign(lon=np.asarray(lon, dtype=float), lat=np.asarray(lat, dtype=float))


def _references(
    address_points: gpd.GeoDataFrame | None, sources: AddressSources | None
) -> list[tuple[str, pd.DataFrame]]:
    """The address points to match, most trusted first, keyed: (source name, points)."""
    references = []
    if sources is not None and not sources.points.empty:
        p = sources.points
        references.append(("address_points", _keyed_points(p, "zip", p["lon"], p["lat"])))
    if address_points is not None and not address_points.empty:
        p = address_points
        keyed = _keyed_points(p, "postcode", p.geometry.x, p.geometry.y)
        references.append(("osm_address", keyed))
    return references


def geocode(
    addresses: pd.DataFrame,
    placed: pd.DataFrame,
    *,
    address_points: gpd.GeoDataFrame | None = None,
    sources: AddressSources | None = None,
    settings: GeocodeSettings | None = None,
    on_placed: Callable[[int], None] | None = None,
) -> Geocoded:
    """Find positions for rows without coordinates, offline, most trusted source first.

    Parameters
    ----------
    addresses
        Rows to place: ``street``, ``house_number`` and, where known, ``zip`` and ``city``.
    placed
        Rows of the same file that have coordinates: the same columns plus ``lon``/``lat``.
    address_points
        OSM address points (``geo.osm.read_address_points``).
    sources
        Address points and ranges of the ``--addresses`` files
        (``geo.address_sources.read_address_sources``).
    settings
        How far interpolation may reach, and how ranges place a house.
    on_placed
        Told how many more rows were placed, source by source (for progress).

    Returns
    -------
    Geocoded
        ``lon``, ``lat``, ``source`` and ``reason`` on ``addresses``' index.
    """
    settings = settings or GeocodeSettings()
    targets = address_keys(addresses)
    lon = pd.Series(np.nan, index=addresses.index)
    lat = pd.Series(np.nan, index=addresses.index)
    source = pd.Series("", index=addresses.index, dtype=object)
    status = pd.Series("", index=addresses.index, dtype=object)
    references = _references(address_points, sources)
    ranges = None
    if sources is not None and not sources.ranges.empty:
        ranges = index_ranges(sources.ranges)
    anchors = [address_keys(placed).assign(lon=placed["lon"], lat=placed["lat"])]
    known = pd.concat(
        [
            *(points[["street_key", "zip_key"]] for _, points in references),
            *([ranges.streets] if ranges is not None else []),
            anchors[0][["street_key", "zip_key"]],
        ],
        ignore_index=True,
    ).drop_duplicates()
    targets["street_key"], several = resolve_streets(targets, known)

    def record(found: pd.DataFrame, name: str) -> None:
        lon.loc[found.index], lat.loc[found.index] = found["lon"], found["lat"]
        source.loc[found.index] = name
        if on_placed is not None:
            on_placed(len(found))

    for name, points in references:
        todo = targets.loc[source == ""]
        near = points.loc[points["street_key"].isin(todo["street_key"].unique())]
        matched, missed = match_address_points(todo, near)
        record(matched, name)
        status.loc[missed.index] = missed
        # Rows placed on a point also anchor their street in their own ZIP code (the points
        # may have none); rows without one would anchor it in a town the point may not be in.
        sure = todo.loc[matched.index].assign(lon=matched["lon"], lat=matched["lat"])
        anchors += [near, sure.loc[sure["zip_key"] != ""]]
    if ranges is not None:
        found = match_ranges(targets.loc[source == ""], ranges, settings=settings)
        record(found.placed, "address_range")
        status.loc[found.status.index] = found.status
    # Where the address data holds the address at several places, neighbours cannot choose.
    todo = targets.loc[(source == "") & (status != AMBIGUOUS)]
    between = interpolate_along_streets(
        todo, pd.concat(anchors, ignore_index=True), settings=settings
    )
    record(between, "interpolated")
    return Geocoded(
        lon=lon,
        lat=lat,
        source=source,
        reason=_reasons(
            targets,
            source,
            status.where(~several, "street_ambiguous"),
            known=known["street_key"],
            in_ranges=ranges.streets["street_key"] if ranges is not None else known.iloc[:0, 0],
        ),
    )


def _reasons(
    targets: pd.DataFrame,
    source: pd.Series,
    status: pd.Series,
    *,
    known: pd.Series,
    in_ranges: pd.Series,
) -> pd.Series:
    """Why each target left unplaced was not found (``REASONS``); ``''`` for the placed.

    ``status`` holds what the matching steps said (``other_zip``, ``ambiguous``,
    ``street_ambiguous``); ``known`` and ``in_ranges`` the street keys of all the address data
    and of the ranges.
    """
    street = targets["street_key"]
    code = pd.Series("no_match", index=targets.index, dtype=object)
    code.loc[street.isin(in_ranges).to_numpy()] = "outside_ranges"
    code.loc[status == OTHER_ZIP] = OTHER_ZIP
    code.loc[status == AMBIGUOUS] = AMBIGUOUS
    code.loc[~street.isin(known).to_numpy()] = "street_unknown"
    code.loc[status == "street_ambiguous"] = "street_ambiguous"
    code.loc[targets["number"].isna().to_numpy()] = "no_number"
    return code.map(REASONS).where(source == "", "")
