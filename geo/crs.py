"""Choosing a metric CRS: store in EPSG:4326, measure in a local projected CRS."""

from __future__ import annotations

import numpy as np
from pyproj import CRS
from pyproj.aoi import AreaOfInterest
from pyproj.database import query_utm_crs_info

WGS84 = CRS.from_epsg(4326)


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
    centre_lon, centre_lat = (west + east) / 2, (south + north) / 2
    infos = query_utm_crs_info(
        datum_name="WGS 84",
        area_of_interest=AreaOfInterest(centre_lon, centre_lat, centre_lon, centre_lat),
    )
    if not infos:
        raise ValueError(f"no UTM zone found for lon={centre_lon:.5f}, lat={centre_lat:.5f}")
    return CRS.from_epsg(int(infos[0].code))
