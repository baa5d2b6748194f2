"""Precinct layers as counties publish them: multi-part rows, numbers that restart per county."""

from __future__ import annotations

import logging
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import shapely
from pyproj import CRS

from geo._errors import InputError
from geo.join import assign_precincts, join_precincts
from geo.precinct_ids import choose_id, explicit_id, id_values
from geo.precincts import read_precincts
from geo.voters import read_voters
from tests.geo.test_precincts import points, projected_box, shapefile_parts, zip_files

OHIO_SOUTH_FTUS = 3735  # Franklin County, Ohio publishes its precincts in these feet
OREGON_NORTH_FT = 2913  # Portland Metro: NAD83(HARN) / Oregon North, international feet

# Downtown Columbus in cells of 0.01 degrees: cell(i, j) is column i, row j.
COLUMBUS = (-83.02, 39.95)
PORTLAND = (-122.70, 45.50)


def cell(origin: tuple[float, float], i: int, j: int) -> tuple[float, float, float, float]:
    x, y = origin[0] + 0.01 * i, origin[1] + 0.01 * j
    return (x, y, x + 0.01, y + 0.01)


def centre(origin: tuple[float, float], i: int, j: int) -> tuple[float, float]:
    x0, y0, x1, y1 = cell(origin, i, j)
    return ((x0 + x1) / 2, (y0 + y1) / 2)


def franklin_layer() -> gpd.GeoDataFrame:
    """Seven rows, four precincts: 01082E is two rows and 02001C three (multi-part)."""
    rows = [
        ("01082A", "COLUMBUS 82-A", (0, 0)),
        ("01082E", "COLUMBUS 82-E", (1, 0)),
        ("01082B", "COLUMBUS 82-B", (2, 0)),
        ("01082E", "COLUMBUS 82-E", (3, 0)),  # not touching its other part
        ("02001C", "BEXLEY 1-C", (0, 1)),
        ("02001C", "BEXLEY 1-C", (1, 1)),
        ("02001C", "BEXLEY 1-C", (2, 1)),
    ]
    return gpd.GeoDataFrame(
        {
            "OBJECTID": range(1, len(rows) + 1),
            "PRECCODE": [r[0] for r in rows],
            "PRECNAME": [r[1] for r in rows],
            "Shape_Area": [1.5e6 + i for i in range(len(rows))],
        },
        geometry=[projected_box(cell(COLUMBUS, *r[2]), OHIO_SOUTH_FTUS) for r in rows],
        crs=OHIO_SOUTH_FTUS,
    )


def portland_layer() -> gpd.GeoDataFrame:
    """Precinct numbers restart in each county; some county/precinct pairs span rows."""
    rows = [
        ("C", 4, (0, 0)),
        ("M", 4, (1, 0)),
        ("M", 4, (1, 1)),  # M 4 is two rows, touching: one precinct
        ("W", 4, (2, 0)),
        ("M", 101, (0, 1)),
        ("W", 101, (2, 1)),
        ("W", 101, (3, 1)),
        ("C", 350, (3, 0)),
    ]
    return gpd.GeoDataFrame(
        {
            "COUNTY": [r[0] for r in rows],
            "PRECINCT": [r[1] for r in rows],
            "AREA": [2.7e7 + i for i in range(len(rows))],
        },
        geometry=[projected_box(cell(PORTLAND, *r[2]), OREGON_NORTH_FT) for r in rows],
        crs=OREGON_NORTH_FT,
    )


def zipped(tmp_path: Path, layer: gpd.GeoDataFrame, name: str) -> Path:
    return zip_files(tmp_path / f"{name}.zip", shapefile_parts(tmp_path, layer, name=name))


# --- Franklin County: a precinct stored as several rows ----------------------------------------


def test_franklin_multipart_precincts_are_merged(tmp_path: Path) -> None:
    assert CRS.from_epsg(OHIO_SOUTH_FTUS).axis_info[0].unit_name == "US survey foot"
    path = zipped(tmp_path, franklin_layer(), "VotingPrecinct")

    layer = read_precincts(path)

    assert layer.id_column == "PRECCODE"
    assert layer.rows == 7
    assert layer.multipart_precincts == 2
    assert layer.polygons["precinct"].tolist() == ["01082A", "01082E", "01082B", "02001C"]
    assert "PRECCODE looks like a precinct code" in layer.id_reason
    assert "2 precincts are stored as several rows (e.g. 01082E, 2 rows)" in layer.id_reason
    parts = layer.polygons.set_index("precinct").geometry
    assert parts["01082E"].geom_type == "MultiPolygon"
    assert parts["02001C"].geom_type == "Polygon"  # three touching rows become one polygon
    # Feet were converted as feet: the layer lands on downtown Columbus.
    assert tuple(layer.polygons.total_bounds) == pytest.approx((-83.02, 39.95, -82.98, 39.97))
    voters = points(centre(COLUMBUS, 1, 0), centre(COLUMBUS, 3, 0), centre(COLUMBUS, 2, 1))
    assert assign_precincts(voters, layer.polygons).tolist() == ["01082E", "01082E", "02001C"]


def test_franklin_explicit_id_column_merges_too(tmp_path: Path) -> None:
    path = zipped(tmp_path, franklin_layer(), "VotingPrecinct")

    layer = read_precincts(path, id_column="preccode")

    assert layer.id_column == "PRECCODE"
    assert layer.multipart_precincts == 2
    assert layer.id_reason.startswith("PRECCODE given with --precinct-id; 2 precincts")


def test_multipart_counts_reach_the_join_counts(tmp_path: Path) -> None:
    layer = read_precincts(zipped(tmp_path, franklin_layer(), "VotingPrecinct"))
    voters = tmp_path / "voters.csv"
    lines = ["voter_id,latitude,longitude"]
    lines += [f"v{i},{y},{x}" for i, (x, y) in enumerate([centre(COLUMBUS, 3, 0)])]
    voters.write_text("\n".join(lines) + "\n", encoding="utf-8")

    joined, counts = join_precincts(read_voters(voters), layer)

    assert joined.accepted["precinct"].tolist() == ["01082E"]
    assert counts["precincts"] == 4
    assert (counts["rows"], counts["multipart_precincts"]) == (7, 2)
    assert counts["id_column"] == "PRECCODE"
    assert counts["id_reason"] == layer.id_reason


def test_the_chosen_id_is_logged(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = zipped(tmp_path, franklin_layer(), "VotingPrecinct")

    with caplog.at_level(logging.INFO, logger="geo.precincts"):
        read_precincts(path)

    assert any("PRECCODE looks like a precinct code" in r.getMessage() for r in caplog.records)


# --- Portland Metro: the id is the county and the precinct number ------------------------------


def test_portland_id_is_the_county_and_precinct_pair(tmp_path: Path) -> None:
    path = zipped(tmp_path, portland_layer(), "precinct")

    layer = read_precincts(path)

    assert layer.id_column == "COUNTY,PRECINCT"
    assert layer.polygons["precinct"].tolist() == ["C-4", "M-4", "W-4", "M-101", "W-101", "C-350"]
    assert (layer.rows, layer.multipart_precincts) == (8, 2)
    assert "PRECINCT repeats across COUNTY (e.g. 4 in C and M and W)" in layer.id_reason
    assert "a precinct is the pair COUNTY,PRECINCT" in layer.id_reason
    # Precinct 4 of each county stays its own precinct; M-4's two rows are one.
    voters = points(*(centre(PORTLAND, i, j) for i, j in [(0, 0), (1, 0), (1, 1), (2, 0)]))
    assert assign_precincts(voters, layer.polygons).tolist() == ["C-4", "M-4", "M-4", "W-4"]
    west, south, east, north = layer.polygons.total_bounds
    assert (west, south, east, north) == pytest.approx((-122.70, 45.50, -122.66, 45.52))


@pytest.mark.parametrize("spec", ["COUNTY,PRECINCT", " county , precinct "])
def test_portland_explicit_composite_id(tmp_path: Path, spec: str) -> None:
    layer = read_precincts(zipped(tmp_path, portland_layer(), "precinct"), id_column=spec)

    assert layer.id_column == "COUNTY,PRECINCT"
    assert layer.polygons["precinct"].tolist()[:3] == ["C-4", "M-4", "W-4"]
    assert layer.multipart_precincts == 2


def test_precinct_alone_would_merge_counties_and_is_refused(tmp_path: Path) -> None:
    path = zipped(tmp_path, portland_layer(), "precinct")

    with pytest.raises(InputError) as caught:
        read_precincts(path, id_column="PRECINCT")

    message = str(caught.value)
    assert "different COUNTY (e.g. 4 in C and M and W)" in message
    assert "--precinct-id COUNTY,PRECINCT" in message
    assert caught.value.column == "PRECINCT"


def test_composite_ids_stay_distinct_when_values_hold_dashes() -> None:
    frame = gpd.GeoDataFrame(
        {"WARD": ["A-1", "A", "A-1", "A"], "PRECINCT": ["2", "1-2", "2", "1-2"]},
        geometry=[shapely.box(i, 0, i + 1, 1) for i in range(4)],
        crs=4326,
    )
    frame.loc[[2, 3], "WARD"] = ["B", "B"]

    choice = choose_id(frame, path="x")

    assert choice.columns == ("WARD", "PRECINCT")
    # "A-1" + "2" and "A" + "1-2" would both read A-1-2: another joiner keeps them apart.
    assert id_values(frame, choice.columns).tolist() == ["A-1 / 2", "A / 1-2", "B / 2", "B / 1-2"]


# --- which column is the id --------------------------------------------------------------------


def layer_of(columns: dict[str, list[object]]) -> gpd.GeoDataFrame:
    count = len(next(iter(columns.values())))
    return gpd.GeoDataFrame(
        columns, geometry=[shapely.box(i, 0, i + 1, 1) for i in range(count)], crs=4326
    )


@pytest.mark.parametrize(
    ("columns", "chosen"),
    [
        # A name column is not an id, even when it is unique and comes first.
        (
            {"PREC_NAME": ["North", "South", "East"], "PRECINCT_C": ["101", "102", "103"]},
            ("PRECINCT_C",),
        ),
        # A code unique per row wins over one that repeats across counties (GEOID vs VTDST).
        (
            {
                "COUNTYFP10": ["121", "089", "121"],
                "VTDST10": ["000010", "000010", "000020"],
                "GEOID10": ["13121000010", "13089000010", "13121000020"],
            },
            ("GEOID10",),
        ),
        # PCT of percentages is not a precinct: measurements are not ids.
        ({"PCT": [0.25, 0.5, 0.75], "VTD20": ["A1", "A2", "A3"]}, ("VTD20",)),
        # Whole numbers stored as floats are ids all the same.
        ({"pct": [11.0, 12.0, 13.0]}, ("pct",)),
        # No code column: a unique text column, then a unique name column.
        ({"LABEL": ["a", "b", "c"], "KEY": ["k1", "k2", "k3"]}, ("KEY",)),
        ({"NAME": ["North", "South", "East"], "VOTERS": [1, 2, 3]}, ("NAME",)),
    ],
)
def test_id_detection_rules(columns: dict[str, list[object]], chosen: tuple[str, ...]) -> None:
    assert choose_id(layer_of(columns), path="x").columns == chosen


def test_float_ids_read_without_decimals(tmp_path: Path) -> None:
    layer = layer_of({"pct": [11.0, 12.0, 13.0]})
    path = tmp_path / "p.gpkg"
    layer.to_file(path, driver="GPKG")

    assert read_precincts(path).polygons["precinct"].tolist() == ["11", "12", "13"]


def test_repeated_code_with_different_names_is_not_merged() -> None:
    # PRECINCT repeats, but the names say these are different precincts.
    frame = layer_of(
        {"PRECINCT": ["1", "1", "2"], "PREC_NAME": ["Ward 1 North", "Ward 1 South", "Ward 2"]}
    )

    choice = choose_id(frame, path="layer.geojson")

    assert choice.columns == ("PREC_NAME",)
    assert "not PRECINCT: rows with the same PRECINCT have different PREC_NAME" in choice.reason
    frame["PREC_NAME"] = ["Ward 1 North", "Ward 1 South", "Ward 1 North"]
    with pytest.raises(InputError) as caught:
        choose_id(frame, path="layer.geojson")
    message = str(caught.value)
    assert "not PRECINCT: rows with the same PRECINCT have different PREC_NAME" in message
    assert "--precinct-id COUNTY,PRECINCT" in message


def test_a_column_with_few_values_is_not_an_id() -> None:
    frame = layer_of({"PRECINCT": ["urban"] * 6 + ["rural"] * 6})

    with pytest.raises(InputError, match="only 2 values over 12 rows"):
        choose_id(frame, path="x")


def test_explicit_composite_checks_each_column() -> None:
    frame = layer_of({"COUNTY": ["C", None], "PRECINCT": ["1", "2"]})

    with pytest.raises(InputError, match="1 of 2 precincts have no id") as caught:
        explicit_id(frame, "PRECINCT,COUNTY", path="x")
    assert caught.value.column == "COUNTY"
    with pytest.raises(InputError, match="not found") as missing:
        explicit_id(frame, "COUNTY,PCT", path="x")
    assert missing.value.column == "PCT"


# --- overlapping precincts ---------------------------------------------------------------------


def test_overlapping_precincts_are_resolved_and_counted(tmp_path: Path) -> None:
    layer_path = tmp_path / "overlap.gpkg"
    gpd.GeoDataFrame(
        {"PRECINCT": ["B", "A", "C"]},
        geometry=[
            shapely.box(-84.40, 33.74, -84.38, 33.76),
            shapely.box(-84.39, 33.74, -84.37, 33.76),  # overlaps B over -84.39..-84.38
            shapely.box(-84.37, 33.74, -84.36, 33.76),  # shares an edge with A
        ],
        crs=4326,
    ).to_file(layer_path, driver="GPKG")
    voters_path = tmp_path / "voters.csv"
    pd.DataFrame(
        {
            "voter_id": ["in-both", "only-b", "on-edge"],
            "latitude": [33.75, 33.75, 33.75],
            "longitude": [-84.385, -84.395, -84.37],
        }
    ).to_csv(voters_path, index=False)

    joined, counts = join_precincts(read_voters(voters_path), read_precincts(layer_path))

    # Inside both A and B: the id that sorts first. On the A/C edge: not an overlap.
    assert joined.accepted["precinct"].tolist() == ["A", "B", "A"]
    assert counts["overlapping_voters"] == 1
