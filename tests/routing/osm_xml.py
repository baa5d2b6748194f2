"""Small OSM XML street layouts built in code, for cases real extracts do not isolate."""

from __future__ import annotations


def grid_osm(spacing_deg: float = 0.001) -> str:
    """A 3x3 grid of residential streets plus an isolated footway, as OSM XML."""
    nodes, ways = [], []
    for r in range(3):
        for c in range(3):
            nid = 1 + r * 3 + c
            nodes.append(
                f'<node id="{nid}" version="1" lat="{60.17 + r * spacing_deg}" '
                f'lon="{24.94 + c * spacing_deg}"/>'
            )
    nodes.append('<node id="100" version="1" lat="60.18" lon="24.95"/>')
    nodes.append('<node id="101" version="1" lat="60.1801" lon="24.9501"/>')
    wid = 1
    for r in range(3):
        refs = "".join(f'<nd ref="{1 + r * 3 + c}"/>' for c in range(3))
        ways.append(f'<way id="{wid}" version="1">{refs}<tag k="highway" v="residential"/></way>')
        wid += 1
    for c in range(3):
        refs = "".join(f'<nd ref="{1 + r * 3 + c}"/>' for r in range(3))
        ways.append(f'<way id="{wid}" version="1">{refs}<tag k="highway" v="residential"/></way>')
        wid += 1
    ways.append(
        '<way id="99" version="1"><nd ref="100"/><nd ref="101"/>'
        '<tag k="highway" v="footway"/></way>'
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?><osm version="0.6">'
        + "".join(nodes)
        + "".join(ways)
        + "</osm>"
    )
