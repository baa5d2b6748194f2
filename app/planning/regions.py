"""Splitting a plan into regions: by a column, by a polygon layer, or into precinct groups.

A region is planned on its own (its streets, its graph, its turfs), so it must be a place a
turf never crosses: a county, a group of whole precincts. ``--regions`` takes

- ``COLUMN``: a column of the voter file (``county``), else of the precinct layer (its
  precincts are merged into one polygon per value);
- ``FILE`` or ``FILE:COLUMN``: a polygon layer (GeoJSON, GeoPackage, Shapefile), ids from
  COLUMN, else chosen as for precincts, else a ``region``/``name`` column;
- ``auto:N``: whole precincts grouped, neighbours together, into regions of about N voters.

Voters in no region are rejected with a reason, so accepted + rejected still adds up.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio

from geo._errors import InputError
from geo.join import assign_precincts
from geo.precincts import PrecinctLayer, read_precincts

AUTO_PREFIX = "auto:"
NO_REGION = ""


@dataclass(frozen=True)
class RegionSpec:
    """What ``--regions`` asked for: one of ``column``, ``layer`` or ``auto_voters``."""

    text: str
    column: str | None = None
    layer: Path | None = None
    layer_column: str | None = None
    auto_voters: int | None = None


def parse_regions(text: str) -> RegionSpec:
    """Read a ``--regions`` value; a name that is an existing file is a polygon layer."""
    text = text.strip()
    if text.lower().startswith(AUTO_PREFIX):
        size = text[len(AUTO_PREFIX) :]
        if not size.isdigit() or int(size) <= 0:
            raise InputError(
                f"--regions {text!r}: auto:N needs a whole number of voters per region, "
                "e.g. auto:50000"
            )
        return RegionSpec(text, auto_voters=int(size))
    if not text:
        raise InputError("--regions is empty: give a column, a polygon file or auto:N")
    path = Path(text)
    if path.is_file():
        return RegionSpec(text, layer=path)
    name, _, column = text.rpartition(":")
    if name and Path(name).is_file():
        return RegionSpec(text, layer=Path(name), layer_column=column)
    if path.suffix.lower() in {".geojson", ".gpkg", ".shp", ".zip", ".json"}:
        raise InputError(f"--regions {text}: no such file")
    return RegionSpec(text, column=text)


def region_slug(name: object) -> str:
    """A region's id as it prefixes turf ids and names files: letters and digits only."""
    slug = re.sub(r"[^A-Za-z0-9]+", "", str(name))[:24]
    return slug or "R"


def assign_regions(
    voters: gpd.GeoDataFrame,
    raw: pd.DataFrame,
    spec: RegionSpec,
    *,
    precincts: Path | None,
    layer: PrecinctLayer | None,
) -> pd.Series:
    """Each accepted voter's region id (``region_slug``), ``""`` for voters in no region.

    Parameters
    ----------
    voters
        Accepted voters with ``row`` (1-based row of ``raw``) and ``precinct``.
    raw
        The voter file as read (``geo.voters.VoterTable.raw``), for a voter column.
    spec
        The parsed ``--regions``.
    precincts
        The precinct file, for a precinct column.
    layer
        The precinct layer read, for ``auto:N``.
    """
    if spec.auto_voters is not None:
        if layer is None:
            raise InputError(f"--regions {spec.text}: groups of precincts need --precincts")
        names = _precinct_groups(voters, layer, spec.auto_voters)
    elif spec.layer is not None:
        names = _in_polygons(voters, _region_layer(spec.layer, spec.layer_column))
    else:
        names = _by_column(voters, raw, spec, precincts)
    slugs = names.map(lambda n: NO_REGION if n is None or n != n or str(n) == "" else str(n))
    distinct = {s for s in slugs.unique() if s != NO_REGION}
    clean = {s: region_slug(s) for s in distinct}
    clashes = _clashes(clean)
    if clashes:
        raise InputError(
            f"--regions {spec.text}: the region names {clashes} give the same id once spaces "
            "and punctuation are removed; rename one of them"
        )
    return slugs.map(lambda s: clean.get(s, NO_REGION)).rename("region")


def _clashes(clean: dict[str, str]) -> list[str]:
    seen: dict[str, str] = {}
    for name, slug in sorted(clean.items()):
        if slug in seen:
            return [seen[slug], name]
        seen[slug] = name
    return []


NAME_COLUMNS = ("region", "name", "county", "district")
"""Columns that name a region, tried when no column looks like an id."""


def _region_layer(path: Path, column: str | None) -> PrecinctLayer:
    """A polygon layer of regions, its ids from ``column``.

    Without ``column``: chosen as for precincts, else a column of ``NAME_COLUMNS`` or the
    layer's only column.
    """
    if column is not None:
        return read_precincts(path, id_column=column)
    try:
        return read_precincts(path)
    except InputError:
        fields = [str(f) for f in pyogrio.read_info(str(path))["fields"]]
        named = [f for f in fields if f.casefold() in NAME_COLUMNS]
        if not named and len(fields) != 1:
            raise InputError(
                f"--regions {path}: which column names the regions? Give it as "
                f"FILE:COLUMN, one of {', '.join(fields)}"
            ) from None
        return read_precincts(path, id_column=(named or fields)[0])


def _in_polygons(voters: gpd.GeoDataFrame, polygons: PrecinctLayer) -> pd.Series:
    return assign_precincts(voters, polygons.polygons).reindex(voters.index)


def _by_column(
    voters: gpd.GeoDataFrame, raw: pd.DataFrame, spec: RegionSpec, precincts: Path | None
) -> pd.Series:
    assert spec.column is not None
    wanted = spec.column.casefold()
    found = [c for c in raw.columns if str(c).casefold() == wanted]
    if found:
        values = raw[found[0]].astype("string").str.strip()
        return pd.Series(
            values.iloc[voters["row"].to_numpy() - 1].to_numpy(), index=voters.index, dtype=object
        )
    if precincts is None:
        raise InputError(
            f"--regions {spec.column}: the voter file has no such column (it has "
            f"{', '.join(map(str, raw.columns))}); give a voter column, a precinct column "
            "with --precincts, a polygon file or auto:N"
        )
    # A precinct column (county): its precincts merged into one polygon per value.
    return _in_polygons(voters, read_precincts(precincts, id_column=spec.column))


def _precinct_groups(voters: gpd.GeoDataFrame, layer: PrecinctLayer, size: int) -> pd.Series:
    """Whole precincts in groups of about ``size`` voters, neighbours in the same group.

    Precincts are ordered along a Z-order curve of their centres (close precincts are close
    in the order), then cut into consecutive runs of ``size`` voters. Voters in no precinct
    form a region of their own.
    """
    counts = voters["precinct"].value_counts()
    polygons = layer.polygons.loc[layer.polygons["precinct"].isin(counts.index)]
    metric = polygons.to_crs(polygons.estimate_utm_crs())
    centres = metric.geometry.representative_point()
    order = np.argsort(_z_order(centres.x.to_numpy(), centres.y.to_numpy()), kind="stable")
    group_of: dict[str, str] = {}
    group, filled = 1, 0
    ids = polygons["precinct"].to_numpy()[order]
    for precinct in ids:
        if filled >= size:
            group, filled = group + 1, 0
        group_of[str(precinct)] = f"A{group:03d}"
        filled += int(counts[precinct])
    return voters["precinct"].map(
        lambda p: group_of.get(str(p), "A000") if isinstance(p, str) and p else "A000"
    )


def _z_order(x: np.ndarray, y: np.ndarray, bits: int = 16) -> np.ndarray:
    """Interleaved bits of x and y scaled to a grid: a cheap locality-keeping order."""
    if not len(x):
        return np.zeros(0, dtype=np.int64)
    scale = (1 << bits) - 1

    def grid(v: np.ndarray) -> np.ndarray:
        span = float(v.max() - v.min()) or 1.0
        return ((v - v.min()) / span * scale).astype(np.int64)

    gx, gy = grid(x), grid(y)
    key = np.zeros(len(x), dtype=np.int64)
    for bit in range(bits):
        key |= ((gx >> bit) & 1) << (2 * bit) | ((gy >> bit) & 1) << (2 * bit + 1)
    return key


def region_box(voters: gpd.GeoDataFrame, *, margin_m: float) -> tuple[float, float, float, float]:
    """The voters' bounds (lon/lat) grown by ``margin_m``: the streets a region needs."""
    west, south, east, north = (float(v) for v in voters.total_bounds)
    lat = np.radians((south + north) / 2)
    dlat = margin_m / 111_320.0
    dlon = margin_m / (111_320.0 * max(float(np.cos(lat)), 0.01))
    return (west - dlon, south - dlat, east + dlon, north + dlat)
