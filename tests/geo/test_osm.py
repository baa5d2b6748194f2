"""Address points of the street data, whatever kind of street data it is."""

from __future__ import annotations

import logging
from pathlib import Path

import geopandas as gpd
import pytest

from geo.osm import address_points_or_empty


def test_an_osm_extract_gives_its_address_points(
    helsinki_pbf: Path, all_helsinki_addresses: gpd.GeoDataFrame
) -> None:
    points = address_points_or_empty(helsinki_pbf)
    assert len(points) == len(all_helsinki_addresses) > 1000
    assert points.equals(all_helsinki_addresses)


@pytest.mark.parametrize("streets", [Path("streets.graphml"), "place:Kallio, Helsinki"])
def test_other_street_data_gives_no_address_points(
    streets: str | Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="geo.osm"):
        points = address_points_or_empty(streets)
    assert points.empty and points.crs == "EPSG:4326"
    assert list(points.columns) == ["street", "house_number", "postcode", "city", "geometry"]
    assert caplog.messages == [f"{streets} is not an OSM file: geocoding uses interpolation only"]
