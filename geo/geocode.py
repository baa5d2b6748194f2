"""Offline geocoding of voters without coordinates: OSM address points, then interpolation.

1. **OSM address points** (``addr:street`` + ``addr:housenumber`` of the street data): a row
   whose normalised street and house number match one is placed on it. A ZIP code or city that
   contradicts the point's rules the point out; one that agrees wins over one that is unknown.
2. **Interpolation** along the named street: between the nearest lower and higher house numbers
   already placed on the same street in the same ZIP code or city (the file's own rows with
   coordinates, rows placed in step 1 and the OSM address points), of the same parity (the same
   side of the street) when there are such neighbours. Past the last known number it goes on
   only a short way in the direction of the last two, and never across a wide gap.

Everything runs on whole columns (merges, sorts and ``np.searchsorted``), no loop per row.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd

from geo.address import address_keys, street_key

SOURCES = ("file", "osm_address", "interpolated")
# Address points of one address this far apart are two different places: no match.
MAX_SAME_ADDRESS_SPREAD_M = 150.0
# One degree of latitude in metres (mean); longitude is scaled by cos(latitude).
_M_PER_DEG = 111_195.0


@dataclass(frozen=True)
class GeocodeSettings:
    """How far interpolation may reach.

    Parameters
    ----------
    max_gap_m
        Interpolate only between neighbours at most this far apart.
    max_extrapolate_m
        Past the last known house number, go at most this far beyond it.
    """

    max_gap_m: float = 400.0
    max_extrapolate_m: float = 60.0


@dataclass(frozen=True)
class Geocoded:
    """Positions found for the rows asked about, on their index."""

    lon: pd.Series
    lat: pd.Series
    source: pd.Series
    """``osm_address``, ``interpolated`` or ``''`` where the address was not found."""


def _metres(lon0: np.ndarray, lat0: np.ndarray, lon1: np.ndarray, lat1: np.ndarray) -> np.ndarray:
    """Distance in metres between nearby points (equirectangular; exact enough under 10 km)."""
    dx = (lon1 - lon0) * np.cos(np.radians((lat0 + lat1) / 2))
    return np.hypot(dx, lat1 - lat0) * _M_PER_DEG


def group_codes(frame: pd.DataFrame, keys: list[str]) -> np.ndarray:
    """One integer per distinct combination of ``frame[keys]`` (numbered as first seen)."""
    code = np.zeros(len(frame), dtype=np.int64)
    for key in keys:
        part, uniques = pd.factorize(frame[key])
        code = pd.factorize(code * (len(uniques) + 1) + part)[0].astype(np.int64)
    return code


def _mean_by_key(
    key: np.ndarray, lon: np.ndarray, lat: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Mean point per distinct ``key``, for keys whose points lie close together.

    Returns the sorted distinct keys, one row position holding each, and their mean lon/lat.
    """
    order = np.argsort(key, kind="stable")
    ordered = key[order]
    starts = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]])
    counts = np.diff(np.r_[starts, len(order)])
    lon, lat = lon[order], lat[order]
    spread = _metres(
        np.minimum.reduceat(lon, starts),
        np.minimum.reduceat(lat, starts),
        np.maximum.reduceat(lon, starts),
        np.maximum.reduceat(lat, starts),
    )
    keep = spread <= MAX_SAME_ADDRESS_SPREAD_M
    return (
        ordered[starts[keep]],
        order[starts[keep]],
        (np.add.reduceat(lon, starts) / counts)[keep],
        (np.add.reduceat(lat, starts) / counts)[keep],
    )


def _collapse(points: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """One point per key (the mean), leaving out keys whose points lie too far apart.

    Returns the ``keys`` columns with ``lon`` and ``lat``, one row per usable key.
    """
    if points.empty:
        return pd.DataFrame({**{k: points[k] for k in keys}, "lon": [], "lat": []})
    _, rows, lon, lat = _mean_by_key(
        group_codes(points, keys),
        points["lon"].to_numpy(dtype=float),
        points["lat"].to_numpy(dtype=float),
    )
    return points[keys].iloc[rows].reset_index(drop=True).assign(lon=lon, lat=lat)


def match_address_points(targets: pd.DataFrame, points: pd.DataFrame) -> pd.DataFrame:
    """Place ``targets`` on address points with the same street and house number keys.

    Parameters
    ----------
    targets, points
        Frames of ``address.address_keys`` columns; ``points`` also has ``lon`` and ``lat``.

    Returns
    -------
    pandas.DataFrame
        ``lon`` and ``lat`` for the targets that matched, on their index.
    """
    on = ["street_key", "number_key"]
    usable = (points["street_key"] != "") & (points["number_key"] != "")
    candidates = _collapse(points.loc[usable], [*on, "zip_key", "city_key"])
    pairs = (
        targets[[*on, "zip_key", "city_key"]]
        .rename_axis("_target")
        .reset_index()
        .merge(candidates, on=on, suffixes=("", "_pt"))
    )
    if pairs.empty:
        return pd.DataFrame({"lon": [], "lat": []}, index=targets.index[:0])

    def compare(name: str) -> tuple[pd.Series, pd.Series]:
        """Where both sides know ``name``: does it agree, does it conflict."""
        mine, theirs = pairs[name], pairs[f"{name}_pt"]
        known = (mine != "") & (theirs != "")
        return known & (mine == theirs), known & (mine != theirs)

    zip_agree, zip_conflict = compare("zip_key")
    city_agree, city_conflict = compare("city_key")
    # A ZIP that agrees outweighs a city spelled otherwise (mailing city vs municipality).
    pairs["score"] = 2 * zip_agree.astype(int) + city_agree.astype(int)
    pairs = pairs.loc[~zip_conflict & ~(city_conflict & ~zip_agree)]
    best = pairs.groupby("_target")["score"].transform("max")
    pairs = pairs.loc[pairs["score"] == best]
    placed = _collapse(pairs[["_target", "lon", "lat"]], ["_target"]).set_index("_target")
    return placed.rename_axis(None)


def _interpolate(
    anchors: pd.DataFrame, targets: pd.DataFrame, *, block: str, settings: GeocodeSettings
) -> pd.DataFrame:
    """Place targets between anchors of the same ``block`` (an integer column) by number.

    Returns ``lon``/``lat`` for the targets placed, on their index.
    """
    if anchors.empty or targets.empty:
        return pd.DataFrame({"lon": [], "lat": []}, index=targets.index[:0])
    # One sortable key per (block, number): numbers are < 1e7 (address_keys keeps 7 digits).
    a_key, rows, a_lon, a_lat = _mean_by_key(
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
    gap = _metres(lon_lo, lat_lo, lon_hi, lat_hi)
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
        span = _metres(lon_f[edge], lat_f[edge], lon_n[edge], lat_n[edge])
        reach = _metres(lon_n[edge], lat_n[edge], x, y)
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
    # Targets with a known locality use its neighbours; others any neighbour on the street.
    passes = (
        (["street_key", "locality"], local, targets["locality"] != ""),
        (["street_key"], anchors, targets["locality"] == ""),
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


def geocode(
    addresses: pd.DataFrame,
    placed: pd.DataFrame,
    *,
    address_points: gpd.GeoDataFrame | None = None,
    settings: GeocodeSettings | None = None,
) -> Geocoded:
    """Find positions for rows without coordinates, offline.

    Parameters
    ----------
    addresses
        Rows to place: ``street``, ``house_number`` and, where known, ``zip`` and ``city``.
    placed
        Rows of the same file that have coordinates: the same columns plus ``lon``/``lat``.
    address_points
        OSM address points (``geo.osm.read_address_points``); interpolation only if None.
    settings
        How far interpolation may reach.

    Returns
    -------
    Geocoded
        ``lon``, ``lat`` and ``source`` on ``addresses``' index.
    """
    targets = address_keys(addresses)
    lon = pd.Series(np.nan, index=addresses.index)
    lat = pd.Series(np.nan, index=addresses.index)
    source = pd.Series("", index=addresses.index, dtype=object)
    streets = pd.Index(targets["street_key"].unique())
    # Only places on the streets asked about can help; key the rest no further.
    placed = placed.loc[street_key(placed["street"]).isin(streets).to_numpy()]
    anchors = [address_keys(placed).assign(lon=placed["lon"], lat=placed["lat"])]
    if address_points is not None and not address_points.empty:
        near = address_points.loc[street_key(address_points["street"]).isin(streets).to_numpy()]
        points = address_keys(
            pd.DataFrame(
                {
                    "street": near["street"],
                    "house_number": near["house_number"],
                    "zip": near["postcode"],
                    "city": near["city"],
                },
                index=near.index,
            )
        ).assign(lon=near.geometry.x, lat=near.geometry.y)
        matched = match_address_points(targets, points)
        lon.loc[matched.index], lat.loc[matched.index] = matched["lon"], matched["lat"]
        source.loc[matched.index] = "osm_address"
        anchors += [
            points,
            targets.loc[matched.index].assign(lon=matched["lon"], lat=matched["lat"]),
        ]
    todo = targets.loc[source == ""]
    between = interpolate_along_streets(
        todo, pd.concat(anchors, ignore_index=True), settings=settings
    )
    lon.loc[between.index], lat.loc[between.index] = between["lon"], between["lat"]
    source.loc[between.index] = "interpolated"
    return Geocoded(lon=lon, lat=lat, source=source)
