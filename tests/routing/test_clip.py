"""Cutting a region's streets out of a larger extract (routing/clip.py)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import shapely

from routing.clip import clip_osm
from routing.streets import StreetGraph, load_walk_graph

BOX = (24.938, 60.166, 24.945, 60.170)
MARGIN = (-0.005, -0.0025, 0.005, 0.0025)
"""About 280 m around BOX: streets that join the box's streets to each other beyond it."""


def test_the_clip_holds_the_box_streets_whole(
    helsinki_pbf: Path, helsinki_graph: StreetGraph, tmp_path: Path
) -> None:
    grown = tuple(v + m for v, m in zip(BOX, MARGIN, strict=True))
    clipped = load_walk_graph(clip_osm(helsinki_pbf, grown, tmp_path / "box.osm.pbf"))
    assert 0 < len(clipped.edges) < len(helsinki_graph.edges) * 0.6

    # Every street of the whole extract inside the box is in the clip (same length of street).
    def length_inside(graph: StreetGraph) -> float:
        x, y = graph.to_metric(np.array(BOX[::2]), np.array(BOX[1::2]))
        box = shapely.box(x[0], y[0], x[1], y[1])
        inside = shapely.intersection(graph.edges.geometry.to_numpy(), box)
        return float(shapely.length(inside).sum())

    assert abs(length_inside(clipped) - length_inside(helsinki_graph)) < 1.0
    # Streets leaving the box are kept whole: the clip reaches beyond it.
    lon, _ = clipped.to_lonlat(*clipped.edges.total_bounds.reshape(2, 2).T)
    assert lon.max() > grown[2]
