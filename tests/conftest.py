"""Shared fixtures: the embedded demo extract (real OSM streets of central Helsinki)."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from pathlib import Path

import pytest

from geo.sample import demo_osm_path
from routing.streets import StreetGraph, load_walk_graph


@pytest.fixture(scope="session", autouse=True)
def _graph_cache_in_tmp(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Keep the street-graph cache of CLI runs out of the user's home during tests."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CANVASS_CACHE_DIR", str(tmp_path_factory.mktemp("graph-cache")))
        yield


@pytest.fixture(scope="session")
def helsinki_pbf() -> Path:
    return demo_osm_path()


@pytest.fixture(scope="session")
def helsinki_graph(helsinki_pbf: Path) -> StreetGraph:
    return load_walk_graph(helsinki_pbf)


@pytest.fixture
def thawed() -> Iterator[None]:
    """A heap nobody froze (the web app's tests freeze it for good), as it was after."""
    was_frozen = gc.get_freeze_count() > 0
    gc.unfreeze()
    yield
    gc.unfreeze()
    if was_frozen:
        gc.freeze()
