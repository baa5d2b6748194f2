"""Shared fixtures: the embedded demo extract (real OSM streets of central Helsinki)."""

from __future__ import annotations

from pathlib import Path

import pytest

from geo.sample import demo_osm_path
from routing.streets import StreetGraph, load_walk_graph


@pytest.fixture(scope="session")
def helsinki_pbf() -> Path:
    return demo_osm_path()


@pytest.fixture(scope="session")
def helsinki_graph(helsinki_pbf: Path) -> StreetGraph:
    return load_walk_graph(helsinki_pbf)
