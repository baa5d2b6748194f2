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


ORIGIN_LAT, ORIGIN_LON = 60.17, 24.94
_M_PER_DEG_LAT = 111_320.0


def metres_to_lonlat(x_m: float, y_m: float) -> tuple[float, float]:
    """Longitude, latitude of a point ``x_m`` east and ``y_m`` north of the origin."""
    import math

    lat = ORIGIN_LAT + y_m / _M_PER_DEG_LAT
    lon = ORIGIN_LON + x_m / (_M_PER_DEG_LAT * math.cos(math.radians(ORIGIN_LAT)))
    return lon, lat


def arterial_osm(highway: str = "primary") -> str:
    """An east-west ``highway`` 300 m long with quiet side streets every 100 m.

    Side streets run 100 m north and south from each junction at x = 0, 100, 200, 300 m,
    and a quiet back street joins their northern and southern ends.
    """
    nodes: dict[int, tuple[float, float]] = {}
    ways: list[tuple[list[int], str]] = []
    for k, x in enumerate((0, 100, 200, 300)):
        nodes[10 + k] = metres_to_lonlat(x, 0)
        nodes[20 + k] = metres_to_lonlat(x, 100)
        nodes[30 + k] = metres_to_lonlat(x, -100)
        ways.append(([30 + k, 10 + k, 20 + k], "residential"))
    ways.append(([10, 11, 12, 13], highway))
    ways.append(([20, 21, 22, 23], "residential"))
    ways.append(([30, 31, 32, 33], "residential"))
    xml_nodes = "".join(
        f'<node id="{n}" version="1" lat="{lat:.8f}" lon="{lon:.8f}"/>'
        for n, (lon, lat) in nodes.items()
    )
    xml_ways = "".join(
        f'<way id="{i + 1}" version="1">'
        + "".join(f'<nd ref="{n}"/>' for n in refs)
        + f'<tag k="highway" v="{kind}"/>'
        + f'<tag k="name" v="{"Main Road" if kind == highway else f"Street {i}"}"/>'
        + "</way>"
        for i, (refs, kind) in enumerate(ways)
    )
    return f'<?xml version="1.0"?><osm version="0.6">{xml_nodes}{xml_ways}</osm>'
