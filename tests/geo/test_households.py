"""Households (one door each) and stops (one place to walk to)."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest
import shapely

from geo.households import (
    assign_households,
    natural_key,
    normalise_unit,
    split_big_buildings,
    summarise_stops,
)

# (house_number, street, unit, lon, lat)
Row = tuple[str, str, str, float, float]
HERE = (-84.3880, 33.7490)


def voters(rows: list[Row], **extra: list[object]) -> gpd.GeoDataFrame:
    frame = gpd.GeoDataFrame(
        {
            "voter_id": [f"v{i}" for i in range(len(rows))],
            "house_number": [r[0] for r in rows],
            "street": [r[1] for r in rows],
            "unit": [r[2] for r in rows],
            **extra,
        },
        geometry=[shapely.Point(r[3], r[4]) for r in rows],
        crs="EPSG:4326",
    )
    return frame


def with_ids(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    ids = assign_households(frame)
    return frame.join(ids)


def test_apartment_units_become_one_stop_with_one_door_per_unit() -> None:
    lon, lat = HERE
    frame = voters(
        [
            ("12", "Main St", "Apt 2", lon, lat),
            ("12", "MAIN ST.", "APT. 2", lon, lat),  # same flat, spelled differently
            ("12", "Main St", "apt 10", lon, lat),
            ("12", "main st", "#3", lon, lat),
            ("12", "Main St", "Unit 1", lon, lat),
        ]
    )

    result = assign_households(frame)

    assert result["stop_id"].nunique() == 1
    assert result["household_id"].nunique() == 4
    assert result["household_id"].iloc[0] == result["household_id"].iloc[1]
    assert result["unit_key"].tolist() == ["2", "2", "10", "3", "1"]
    stops = summarise_stops(frame.join(result))
    assert len(stops) == 1
    assert stops["doors"].iloc[0] == 4
    assert stops["voters"].iloc[0] == 5


@pytest.mark.parametrize(
    ("spelled", "expected"),
    [
        (["Apt 12", "#12", "12", "apt. 12", "Unit 12", "APARTMENT 12", "Suite 12", "No. 12"], "12"),
        (["Apt 3B", "#3b", "3B"], "3b"),
        (["", "  "], ""),
    ],
)
def test_unit_spellings_agree(spelled: list[str], expected: str) -> None:
    assert normalise_unit(pd.Series(spelled)).tolist() == [expected] * len(spelled)


def test_two_spellings_of_one_address_give_one_stop() -> None:
    lon, lat = HERE
    frame = voters(
        [
            ("12", "Main St.", "", lon, lat),
            (" 12 ", "main  st", "", lon + 0.00001, lat),  # geocoded a metre apart
            ("14", "Main St", "", lon + 0.0002, lat),  # the house next door
        ]
    )

    result = assign_households(frame)

    assert result["stop_id"].iloc[0] == result["stop_id"].iloc[1]
    assert result["stop_id"].iloc[2] != result["stop_id"].iloc[0]
    assert result["household_id"].nunique() == 2


def test_voters_without_street_address_share_a_stop_only_when_their_points_agree() -> None:
    lon, lat = HERE
    frame = voters(
        [
            ("", "", "", lon, lat),
            ("", "", "", lon, lat),  # same geocode: same building
            ("", "", "", lon + 0.001, lat),  # ~90 m east: another building
            ("", "Rural Route 3", "", lon + 0.002, lat),  # no house number: still by point
            ("", "Rural Route 3", "", lon + 0.003, lat),
        ]
    )

    result = assign_households(frame)

    stops = result["stop_id"].tolist()
    assert stops[0] == stops[1]
    assert len(set(stops)) == 4
    stop_table = summarise_stops(frame.join(result))
    assert sorted(stop_table["voters"].tolist()) == [1, 1, 1, 2]
    assert sorted(stop_table["address"].tolist()) == [
        "(no street address)", "(no street address)", "Rural Route 3", "Rural Route 3",
    ]  # fmt: skip


def test_same_street_address_in_two_towns_is_two_stops() -> None:
    frame = voters(
        [
            ("12", "Main St", "", -84.3880, 33.7490),  # Atlanta
            ("12", "Main St", "", -84.5499, 33.9526),  # Marietta, ~25 km away
        ],
        zip=["30303", "30060"],
        city=["Atlanta", "Marietta"],
    )

    result = assign_households(frame)

    assert result["stop_id"].nunique() == 2


def test_ids_do_not_depend_on_row_order() -> None:
    lon, lat = HERE
    frame = voters(
        [
            ("12", "Main St", "Apt 2", lon, lat),
            ("3", "Oak Ave", "", lon + 0.001, lat),
            ("", "", "", lon + 0.002, lat),
            ("12", "Main St", "Apt 10", lon, lat),
            ("7", "Elm St", "", lon, lat + 0.001),
        ]
    )
    shuffled = frame.iloc[[3, 0, 4, 2, 1]]

    def ids_by_voter(table: gpd.GeoDataFrame) -> dict[str, tuple[str, str]]:
        ids = assign_households(table)
        return {
            voter: (stop, household)
            for voter, stop, household in zip(
                table["voter_id"], ids["stop_id"], ids["household_id"], strict=True
            )
        }

    forward = ids_by_voter(frame)
    assert ids_by_voter(shuffled) == forward
    assert len({stop for stop, _ in forward.values()}) == 4


def test_natural_key_sorts_numbers_by_value() -> None:
    units = ["A 10", "A 2", "a 1", "B 1", "10", "9", "Apt 2B", "Apt 2A"]

    assert sorted(units, key=natural_key) == [
        "9", "10", "a 1", "A 2", "A 10", "Apt 2A", "Apt 2B", "B 1",
    ]  # fmt: skip


def test_summarise_stops_counts_doors_and_voters() -> None:
    lon, lat = HERE
    house = (lon, lat)
    flats = (lon + 0.001, lat)
    farm = (lon + 0.01, lat + 0.01)
    frame = voters(
        [
            ("7", "Elm St", "", *house),
            ("7", "Elm St", "", *house),  # a couple: one door
            ("20", "Oak Ave", "Apt 1", *flats),
            ("20", "Oak Ave", "Apt 1", *flats),
            ("20", "Oak Ave", "Apt 2", *flats),
            ("20", "Oak Ave", "Apt 3", *flats),
            ("", "", "", *farm),
        ],
        precinct=["P1", "P1", "P2", "P2", "P2", "P2", "P3"],
    )

    stops = summarise_stops(with_ids(frame)).set_index("address")

    assert stops.loc["7 Elm St", ["doors", "voters"]].tolist() == [1, 2]
    assert stops.loc["20 Oak Ave", ["doors", "voters"]].tolist() == [3, 4]
    assert stops.loc["(no street address)", ["doors", "voters"]].tolist() == [1, 1]
    assert stops.loc["20 Oak Ave", "precinct"] == "P2"
    assert stops["voters"].sum() == len(frame)
    point = stops.loc["20 Oak Ave"].geometry
    assert (point.x, point.y) == pytest.approx(flats)
    assert stops.crs.to_epsg() == 4326


def test_summarise_stops_of_no_voters_is_empty() -> None:
    empty = with_ids(voters([]))

    stops = summarise_stops(empty)

    assert stops.empty
    assert {"stop_id", "address", "doors", "voters"} <= set(stops.columns)


def test_stop_point_is_the_most_common_voter_point() -> None:
    rooftop = (-84.38800, 33.74900)
    frame = voters(
        [
            ("20", "Oak Ave", "Apt 1", *rooftop),
            ("20", "Oak Ave", "Apt 2", *rooftop),
            ("20", "Oak Ave", "Apt 3", -84.38700, 33.74900),  # two stray geocodes ~90 m east
            ("20", "Oak Ave", "Apt 4", -84.38650, 33.74900),
        ]
    )

    stop = summarise_stops(with_ids(frame)).geometry.iloc[0]

    assert (stop.x, stop.y) == pytest.approx(rooftop)


def test_street_type_spellings_and_zip_plus_four_give_one_stop() -> None:
    lon, lat = HERE
    frame = voters(
        [
            ("12", "Peachtree Street NE", "Apt 2", lon, lat),
            ("12", "PEACHTREE ST. N.E.", "#2", lon, lat),
            ("12", "Peachtree St Northeast", "Apt 3", lon, lat),
        ],
        zip=["30303", "30303-1234", "30303"],
    )

    result = assign_households(frame)

    assert result["stop_id"].nunique() == 1
    assert result["household_id"].tolist()[0] == result["household_id"].tolist()[1]
    assert result["household_id"].nunique() == 2


def test_a_building_bigger_than_a_turf_is_split_by_units_in_order() -> None:
    units = [f"A {n}" for n in range(1, 101)]
    stop = pd.Series(["S1"] * 100 + ["S2"] * 3)
    household = pd.Series([f"H{k}" for k in range(103)])
    unit = pd.Series([*units, "1", "2", "3"])
    parts = split_big_buildings(stop, household, unit, max_doors=40)
    assert sorted(set(parts)) == ["S1.1", "S1.2", "S1.3", "S2"]
    sizes = parts.value_counts()
    assert sizes["S1.1"] + sizes["S1.2"] + sizes["S1.3"] == 100 and sizes.max() <= 40
    # Parts are runs of units in natural order: A 1..A 34, then A 35.., never interleaved.
    first_part = [units[i] for i in range(100) if parts.iloc[i] == "S1.1"]
    assert first_part == units[: len(first_part)]
