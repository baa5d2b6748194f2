"""The streets, buildings and house numbers a base map draws, read from the demo's OSM extract."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import shapely

from geo import map_features
from geo._errors import InputError
from geo.map_features import read_map_features, read_map_features_cached


def test_an_extract_gives_named_streets_buildings_and_house_numbers(helsinki_pbf: Path) -> None:
    features = read_map_features(helsinki_pbf)
    names = set(features.street_names)
    assert {"Mannerheimintie", "Eerikinkatu", "Annankatu"} <= names
    assert set(features.street_kinds) == {"major", "minor", "path"}
    kinds = dict(zip(features.street_names, features.street_kinds, strict=True))
    assert kinds["Mannerheimintie"] == "major" and kinds["Eerikinkatu"] == "minor"
    assert len(features.buildings) > 300 and shapely.is_valid(features.buildings).mean() > 0.95
    assert len(features.numbers) == len(features.number_texts) > 1000
    # Everything lies in central Helsinki (lon, lat; not swapped).
    west, south, east, north = shapely.total_bounds(features.streets)
    assert 24.8 < west < east < 25.1 and 60.1 < south < north < 60.3


def test_sidewalks_and_driveways_are_left_out(helsinki_pbf: Path) -> None:
    import osmium

    sidewalks = sum(
        1
        for way in osmium.FileProcessor(str(helsinki_pbf), osmium.osm.WAY)
        if way.tags.get("footway") == "sidewalk"
    )
    assert sidewalks > 0
    features = read_map_features(helsinki_pbf)
    all_highways = sum(
        1
        for way in osmium.FileProcessor(str(helsinki_pbf), osmium.osm.WAY)
        if "highway" in way.tags
    )
    assert len(features.streets) <= all_highways - sidewalks


def test_a_second_read_comes_from_the_cache(
    helsinki_pbf: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = read_map_features_cached(helsinki_pbf, tmp_path)
    assert len(list(tmp_path.glob("basemap-*.pickle"))) == 1

    def no_reading(path: object) -> None:
        raise AssertionError("the extract was read again")

    monkeypatch.setattr(map_features, "read_map_features", no_reading)
    again = read_map_features_cached(helsinki_pbf, tmp_path)
    assert np.array_equal(again.street_names, first.street_names)
    assert shapely.equals(again.streets, first.streets).all()


def test_a_file_that_is_not_osm_data_is_named(tmp_path: Path) -> None:
    broken = tmp_path / "streets.osm.pbf"
    broken.write_bytes(b"this is not a protocol buffer")
    with pytest.raises(InputError, match=r"streets\.osm\.pbf.*cannot be read as OSM data"):
        read_map_features(broken)
