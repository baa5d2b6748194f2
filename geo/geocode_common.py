"""What the geocoding steps share: their settings, group codes and the mean place of a key."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

# Places given for one address this far apart are different places: no match.
MAX_SAME_ADDRESS_SPREAD_M = 150.0
# One degree of latitude in metres (mean); longitude is scaled by cos(latitude).
M_PER_DEG = 111_195.0


@dataclass(frozen=True)
class GeocodeSettings:
    """How far interpolation may reach, and where a range puts a house.

    Parameters
    ----------
    max_gap_m
        Interpolate only between neighbours at most this far apart.
    max_extrapolate_m
        Past the last known house number, go at most this far beyond it.
    side_offset_m
        A house placed by address range stands this far from the street's centre line, on
        its side of the street.
    range_inset_m
        Range ends are kept this far (at most a quarter of the line) from the line's ends,
        so that the first and last numbers do not land in the crossing street.
    """

    max_gap_m: float = 400.0
    max_extrapolate_m: float = 60.0
    side_offset_m: float = 10.0
    range_inset_m: float = 10.0


def metres(lon0: np.ndarray, lat0: np.ndarray, lon1: np.ndarray, lat1: np.ndarray) -> np.ndarray:
    """Distance in metres between nearby points (equirectangular; exact enough under 10 km)."""
    dx = (lon1 - lon0) * np.cos(np.radians((lat0 + lat1) / 2))
    return np.hypot(dx, lat1 - lat0) * M_PER_DEG


def group_codes(frame: pd.DataFrame, keys: list[str]) -> np.ndarray:
    """One integer per distinct combination of ``frame[keys]`` (numbered as first seen)."""
    code = np.zeros(len(frame), dtype=np.int64)
    for key in keys:
        part, uniques = pd.factorize(frame[key])
        code = pd.factorize(code * (len(uniques) + 1) + part)[0].astype(np.int64)
    return code


def mean_by_key(
    key: np.ndarray, lon: np.ndarray, lat: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Mean point per distinct ``key``, for keys whose points lie close together.

    Returns the sorted distinct keys, one row position holding each, and their mean lon/lat.
    """
    if len(key) == 0:
        empty = np.array([], dtype=float)
        return np.asarray(key), np.array([], dtype=np.int64), empty, empty
    order = np.argsort(key, kind="stable")
    ordered = key[order]
    starts = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]])
    counts = np.diff(np.r_[starts, len(order)])
    lon, lat = lon[order], lat[order]
    spread = metres(
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


def collapse(points: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """One point per key (the mean), leaving out keys whose points lie too far apart.

    Returns the ``keys`` columns with ``lon`` and ``lat``, one row per usable key.
    """
    if points.empty:
        return pd.DataFrame({**{k: points[k] for k in keys}, "lon": [], "lat": []})
    _, rows, lon, lat = mean_by_key(
        group_codes(points, keys),
        points["lon"].to_numpy(dtype=float),
        points["lat"].to_numpy(dtype=float),
    )
    return points[keys].iloc[rows].reset_index(drop=True).assign(lon=lon, lat=lat)
