"""Cutting an OSM extract down to a box: the streets, buildings and addresses one region needs.

A statewide extract is read twice per region with libosmium (pyosmium): ways with a node in
the box are kept whole (a street that leaves the box keeps its far end, so turfs near the edge
still route), with tagged nodes in the box (address points) and the multipolygon relations
of kept ways (buildings drawn on the maps). The result is an ordinary ``.osm.pbf`` that
``routing.streets.load_walk_graph`` and the base maps read like any other extract.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import osmium

from routing._errors import StreetDataError

Box = tuple[float, float, float, float]
"""west, south, east, north in degrees."""


def clip_osm(source: Path, box: Box, out: Path) -> Path:
    """Write the part of ``source`` that touches ``box`` to ``out`` (``.osm.pbf``).

    Written beside ``out`` and renamed into place, so an interrupted clip leaves nothing a
    later run would take for a finished one. Raises ``StreetDataError`` naming the file when
    it cannot be read.
    """
    west, south, east, north = box
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(f".{out.name}.{os.getpid()}.partial.osm.pbf")
    nodes: set[int] = set()
    ways: set[int] = set()
    relations: set[int] = set()
    obj: Any  # Node | Way | Relation; is_*() narrows it

    def inside(lon: float, lat: float) -> bool:
        return west <= lon <= east and south <= lat <= north

    try:
        # First pass: what to keep (ways whole, with every node they reference).
        for obj in osmium.FileProcessor(str(source)).with_locations():
            if obj.is_node():
                if len(obj.tags) and inside(obj.location.lon, obj.location.lat):
                    nodes.add(obj.id)
            elif obj.is_way():
                if any(
                    n.location.valid() and inside(n.location.lon, n.location.lat) for n in obj.nodes
                ):
                    ways.add(obj.id)
                    nodes.update(n.ref for n in obj.nodes)
            elif (
                obj.is_relation()
                and obj.tags.get("type") == "multipolygon"
                and any(m.type == "w" and m.ref in ways for m in obj.members)
            ):
                relations.add(obj.id)
        # Second pass: copy them, the id tests done by libosmium (BackReferenceWriter, which
        # would do this in one call, is ~30x slower on a small file).
        processor = osmium.FileProcessor(str(source))
        for ids, kind in ((nodes, osmium.osm.NODE), (ways, osmium.osm.WAY),
                          (relations, osmium.osm.RELATION)):  # fmt: skip
            only = osmium.filter.IdFilter(ids)
            only.enable_for(kind)
            processor = processor.with_filter(only)
        with osmium.SimpleWriter(str(partial), overwrite=True) as writer:
            for obj in processor:
                writer.add(obj)
    except (RuntimeError, ValueError, osmium.InvalidLocationError) as exc:
        partial.unlink(missing_ok=True)
        raise StreetDataError(
            f"{source}: cannot be read as OSM data ({exc}); download or export the extract again"
        ) from exc
    partial.replace(out)
    return out
