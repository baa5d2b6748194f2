"""Other ways to get streets: a processed-graph cache, osmnx GraphML files, place names."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import osmnx
import pytest

from routing import _sources
from routing._errors import StreetDataError
from routing.graph_cache import cache_key
from routing.streets import EdgeRules, StreetGraph, load_walk_graph
from tests.routing.osm_xml import arterial_osm


def test_second_load_comes_from_the_cache(
    helsinki_pbf: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = load_walk_graph(helsinki_pbf, cache_dir=tmp_path)
    assert len(list(tmp_path.glob("graph-*.pickle"))) == 1

    def no_parsing(path: Path) -> list[_sources.WayRun]:
        raise AssertionError("the extract was parsed again")

    monkeypatch.setattr(_sources, "osm_file_ways", no_parsing)
    second = load_walk_graph(helsinki_pbf, cache_dir=tmp_path)
    assert second.node_count == first.node_count
    assert np.allclose(second.edges["length_m"], first.edges["length_m"])
    # Different rules are a different graph.
    with pytest.raises(AssertionError, match="parsed again"):
        load_walk_graph(helsinki_pbf, cache_dir=tmp_path, rules=EdgeRules(barrier_min_lanes=3))


def test_cache_key_follows_the_file_content(tmp_path: Path) -> None:
    path = tmp_path / "a.osm"
    path.write_text(arterial_osm("primary"), encoding="utf-8")
    before = cache_key(path, EdgeRules())
    path.write_text(arterial_osm("secondary"), encoding="utf-8")
    assert cache_key(path, EdgeRules()) != before


def test_cache_key_is_the_same_in_every_process(tmp_path: Path) -> None:
    # A frozenset's repr follows string hashing, which Python seeds per process: a key made
    # from it would miss the cache on every new run of the command or the server.
    path = tmp_path / "a.osm"
    path.write_text(arterial_osm("primary"), encoding="utf-8")
    script = "import sys; from pathlib import Path; from routing.graph_cache import cache_key; "
    script += (
        "from routing.streets import EdgeRules; print(cache_key(Path(sys.argv[1]), EdgeRules()))"
    )
    keys = {
        subprocess.run(
            [sys.executable, "-c", script, str(path)],
            env={**os.environ, "PYTHONHASHSEED": seed},
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        for seed in ("1", "2", "3")
    }
    assert len(keys) == 1 and keys == {cache_key(path, EdgeRules())}


def test_a_corrupt_cache_entry_is_rebuilt(helsinki_pbf: Path, tmp_path: Path) -> None:
    load_walk_graph(helsinki_pbf, cache_dir=tmp_path)
    (entry,) = tmp_path.glob("graph-*.pickle")
    entry.write_bytes(b"not a pickle")
    graph = load_walk_graph(helsinki_pbf, cache_dir=tmp_path)
    assert isinstance(graph, StreetGraph) and graph.node_count > 1000


def test_reads_a_graph_saved_by_osmnx(tmp_path: Path) -> None:
    xml = tmp_path / "arterial.osm"
    xml.write_text(arterial_osm("primary"), encoding="utf-8")
    saved = tmp_path / "arterial.graphml"
    osmnx.save_graphml(osmnx.graph_from_xml(xml, retain_all=True), saved)
    from_graphml = load_walk_graph(saved)
    from_xml = load_walk_graph(xml)
    assert from_graphml.edges["length_m"].sum() == pytest.approx(
        from_xml.edges["length_m"].sum(),
        rel=1e-4,  # GraphML rounds coordinates
    )
    assert set(from_graphml.edges["kind"]) == {"barrier", "quiet"}


def test_a_broken_graphml_and_an_offline_place_fetch_fail_clearly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    broken = tmp_path / "broken.graphml"
    broken.write_text("<graphml><oops", encoding="utf-8")
    with pytest.raises(StreetDataError, match="GraphML"):
        load_walk_graph(broken)

    def offline(*args: object, **kwargs: object) -> None:
        raise ConnectionError("no network")

    monkeypatch.setattr(osmnx, "graph_from_place", offline)
    with pytest.raises(StreetDataError, match=r"place:|\.osm\.pbf extract"):
        load_walk_graph("place:Kallio, Helsinki")
