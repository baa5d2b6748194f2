"""The UTM zone of a plan's area, worked out as PROJ's database defines the zones."""

from __future__ import annotations

import numpy as np
import pytest
from pyproj.aoi import AreaOfInterest
from pyproj.database import query_utm_crs_info

from geo.crs import local_metric_crs, utm_epsg

# Strip edges, the equator, the limits and the places where zones are often misnumbered
# (Norway's and Svalbard's exceptions are not in EPSG's areas).
EDGES = [(float(lon), lat) for lon in range(-180, 181, 6) for lat in (-33.5, 0.0, 47.25)]
PLACES = [
    (24.94, 60.17),  # Helsinki
    (-84.39, 33.75),  # Atlanta
    (151.21, -33.87),  # Sydney
    (5.0, 60.0),  # Bergen: 31 in EPSG's areas, 32 with Norway's exception
    (15.6, 78.2),  # Longyearbyen: 33 both ways
    (3.0, 84.0),
    (3.0, -80.0),
    (-0.0, -0.0),
    (179.999, -5.0),
]


def _proj_lookup(lon: float, lat: float) -> int | None:
    infos = query_utm_crs_info(
        datum_name="WGS 84", area_of_interest=AreaOfInterest(lon, lat, lon, lat)
    )
    return int(infos[0].code) if infos else None


@pytest.mark.parametrize(("lon", "lat"), PLACES, ids=[f"{x},{y}" for x, y in PLACES])
def test_the_zone_is_the_one_proj_looks_up(lon: float, lat: float) -> None:
    assert utm_epsg(lon, lat) == _proj_lookup(lon, lat)


def test_every_strip_edge_takes_the_zone_proj_lists_first() -> None:
    # The database lists every zone with its area; a point on an edge or on the equator is
    # in two of them, and the lookup gives the lower code.
    areas = [
        (int(info.code), info.area_of_use)
        for info in query_utm_crs_info(datum_name="WGS 84")
        if info.code.startswith(("326", "327")) and info.area_of_use is not None
    ]
    rng = np.random.default_rng(7)
    scattered = list(zip(rng.uniform(-180, 180, 400), rng.uniform(-80, 84, 400), strict=True))
    for lon, lat in EDGES + scattered:
        holding = [
            code
            for code, area in areas
            if area.west <= lon <= area.east and area.south <= lat <= area.north
        ]
        assert utm_epsg(lon, lat) == min(holding), (lon, lat, holding)
    # Spot checks against the lookup itself on edges (each costs ~0.1 s).
    for lon, lat in [(0.0, 10.0), (6.0, 10.0), (-180.0, 10.0), (180.0, 10.0), (3.0, 0.0)]:
        assert utm_epsg(lon, lat) == _proj_lookup(lon, lat)


@pytest.mark.parametrize(("lon", "lat"), [(3.0, 84.01), (3.0, -80.01), (float("nan"), 10.0)])
def test_no_zone_beyond_the_utm_latitudes_or_without_a_place(lon: float, lat: float) -> None:
    if not np.isnan(lon):
        assert _proj_lookup(lon, lat) is None
    with pytest.raises(ValueError, match="no UTM zone"):
        utm_epsg(lon, lat)


def test_the_crs_is_the_zone_of_the_points_centre() -> None:
    # A plan across Helsinki's zone edge (24 E) is measured in the zone of its middle.
    lon = np.array([23.9, 24.3, np.nan])
    lat = np.array([60.1, 60.3, 60.2])
    assert local_metric_crs(lon, lat).to_epsg() == 32635
    with pytest.raises(ValueError, match="empty"):
        local_metric_crs(np.array([]), np.array([]))
