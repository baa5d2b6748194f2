"""Choosing a metric CRS: store in EPSG:4326, measure in a local projected CRS."""

from __future__ import annotations

import math

import numpy as np
from pyproj import CRS

WGS84 = CRS.from_epsg(4326)

UTM_NORTH_LIMIT = 84.0
UTM_SOUTH_LIMIT = -80.0
"""The latitudes the UTM zones of EPSG cover (beyond them the polar UPS projections)."""


def local_metric_crs(lon: np.ndarray, lat: np.ndarray) -> CRS:
    """Return the UTM CRS (WGS 84 datum) that contains the centre of the given points.

    Parameters
    ----------
    lon, lat
        Coordinates in degrees (EPSG:4326).
    """
    if len(lon) == 0:
        raise ValueError("cannot choose a metric CRS for an empty set of points")
    west, east = float(np.nanmin(lon)), float(np.nanmax(lon))
    south, north = float(np.nanmin(lat)), float(np.nanmax(lat))
    return CRS.from_epsg(utm_epsg((west + east) / 2, (south + north) / 2))


def utm_epsg(lon: float, lat: float) -> int:
    """The EPSG code of the WGS 84 UTM zone holding (``lon``, ``lat``).

    The zones as EPSG defines their areas: strips of 6 degrees from 180 W, north from the
    equator up to 84 N, south down to 80 S (no Norway or Svalbard exceptions). On a strip's
    edge or on the equator the lower code is taken, as PROJ's database lists them first.
    Worked out here, not looked up: asking PROJ's database costs ~0.1 s a time.
    """
    if not (math.isfinite(lon) and math.isfinite(lat)):
        raise ValueError(f"no UTM zone found for lon={lon}, lat={lat}")
    if not (-180.0 <= lon <= 180.0 and UTM_SOUTH_LIMIT <= lat <= UTM_NORTH_LIMIT):
        raise ValueError(f"no UTM zone found for lon={lon:.5f}, lat={lat:.5f}")
    zone = min(max(math.ceil((lon + 180.0) / 6.0), 1), 60)
    return (32600 if lat >= 0 else 32700) + zone
