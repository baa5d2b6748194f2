from __future__ import annotations

import bz2
from pathlib import Path

import numpy as np
import pytest
import shapely
from scipy.sparse.csgraph import connected_components

from geo._errors import InputError
from routing._errors import StreetDataError
from routing.street_graph import StreetGraph, classify_edge, is_walkable
from routing.streets import load_walk_graph
from tests.routing.osm_xml import grid_osm


def test_demo_graph_is_one_connected_metric_network(helsinki_graph: StreetGraph) -> None:
    graph = helsinki_graph
    assert graph.crs.to_epsg() == 32635  # UTM 35N: metres around Helsinki
    count, _ = connected_components(graph.matrix, directed=False)
    assert count == 1
    # Central Helsinki sample: tens of km of walkable ways, not degrees.
    total_km = graph.edges["length_m"].sum() / 1000
    assert 50 < total_km < 200
    # Each edge runs from its u node to its v node.
    starts = shapely.get_coordinates(shapely.get_point(graph.edges.geometry.to_numpy(), 0))
    ends = shapely.get_coordinates(shapely.get_point(graph.edges.geometry.to_numpy(), -1))
    assert np.allclose(starts, graph.node_xy[graph.edges["u"]])
    assert np.allclose(ends, graph.node_xy[graph.edges["v"]])
    assert set(graph.edges["kind"]) == {"barrier", "quiet", "path", "street"}


def test_crossings_and_steps_are_walkable_but_not_snap_targets(
    helsinki_graph: StreetGraph,
) -> None:
    edges = helsinki_graph.edges
    steps = edges.loc[edges["highway"] == "steps"]
    assert len(steps) > 0
    assert not steps["snappable"].any()
    assert edges.loc[edges["highway"] == "residential", "snappable"].all()


@pytest.mark.parametrize(
    ("tags", "kind"),
    [
        ({"highway": "primary"}, "barrier"),
        ({"highway": "secondary_link"}, "barrier"),
        ({"highway": "residential", "lanes": "4"}, "barrier"),
        ({"highway": "residential", "maxspeed": "40 mph"}, "barrier"),
        ({"highway": "unclassified", "maxspeed": "60"}, "barrier"),
        ({"highway": "residential", "maxspeed": "30"}, "quiet"),
        ({"highway": "living_street"}, "quiet"),
        ({"highway": "service"}, "quiet"),
        ({"highway": "footway"}, "path"),
        ({"highway": "steps"}, "path"),
        ({"highway": "tertiary"}, "street"),
    ],
)
def test_edge_classification(tags: dict[str, str], kind: str) -> None:
    assert classify_edge(tags) == kind


@pytest.mark.parametrize(
    ("tags", "walkable"),
    [
        ({"highway": "motorway"}, False),
        ({"highway": "trunk", "foot": "yes"}, True),
        ({"highway": "residential", "access": "private"}, False),
        ({"highway": "service", "access": "private", "foot": "yes"}, True),
        ({"highway": "footway", "foot": "no"}, False),
        ({"highway": "construction"}, False),
        ({"highway": "pedestrian", "area": "yes"}, False),
        ({"highway": "residential"}, True),
    ],
)
def test_walkability(tags: dict[str, str], walkable: bool) -> None:
    assert is_walkable(tags) is walkable


def test_reads_osm_xml_and_bz2_and_splits_ways_at_junctions(tmp_path: Path) -> None:
    xml = tmp_path / "grid.osm"
    xml.write_text(grid_osm(), encoding="utf-8")
    packed = tmp_path / "grid.osm.bz2"
    packed.write_bytes(bz2.compress(xml.read_bytes()))
    for path in (xml, packed):
        graph = load_walk_graph(path)
        assert graph.node_count == 9
        assert len(graph.edges) == 12  # 6 ways of 3 nodes, each split at its middle junction
        assert graph.dropped_edges == 1  # the footway that touches nothing
        # 0.001 degree of latitude is about 111 m.
        north_south = graph.edges.loc[graph.edges["way_id"] == 4, "length_m"]
        assert north_south.to_numpy() == pytest.approx([111.3, 111.3], abs=0.5)


def test_bad_street_files_get_clear_errors(tmp_path: Path) -> None:
    empty = tmp_path / "empty.osm.pbf"
    empty.write_bytes(b"")
    with pytest.raises(InputError, match="empty"):
        load_walk_graph(empty)
    garbage = tmp_path / "garbage.osm.pbf"
    garbage.write_bytes(b"this is not a protobuf file at all" * 10)
    with pytest.raises(StreetDataError, match=r"garbage\.osm\.pbf"):
        load_walk_graph(garbage)
    no_streets = tmp_path / "buildings.osm"
    no_streets.write_text(
        '<?xml version="1.0"?><osm version="0.6"><node id="1" version="1" lat="1" lon="1"/></osm>',
        encoding="utf-8",
    )
    with pytest.raises(StreetDataError, match="no walkable streets"):
        load_walk_graph(no_streets)
    table = tmp_path / "streets.csv"
    table.write_text("id,lat,lon\n", encoding="utf-8")
    with pytest.raises(InputError, match="not an OSM extract"):
        load_walk_graph(table)
    with pytest.raises(InputError, match="not found"):
        load_walk_graph(tmp_path / "missing.osm.pbf")
