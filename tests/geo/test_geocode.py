"""Offline geocoding: exact matches on OSM address points, then interpolation along the street."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from geo.geocode import GeocodeSettings, geocode
from geo.voters import read_voters

# A street running east from here: 1e-4 degrees of longitude is ~9.3 m at this latitude.
LON0, LAT0 = -84.3880, 33.7490
ODD_SIDE_LAT = LAT0 + 0.0002  # odd numbers across the street, ~22 m north


def address_points(rows: list[tuple[str, str, str, str, float, float]]) -> gpd.GeoDataFrame:
    """(street, house_number, postcode, city, lon, lat) as ``geo.osm.read_address_points`` gives."""
    return gpd.GeoDataFrame(
        {
            "street": [r[0] for r in rows],
            "house_number": [r[1] for r in rows],
            "postcode": [r[2] for r in rows],
            "city": [r[3] for r in rows],
        },
        geometry=[shapely.Point(r[4], r[5]) for r in rows],
        crs="EPSG:4326",
    )


def frame(rows: list[tuple[str, str, str, float, float]]) -> pd.DataFrame:
    """(street, house_number, zip, lon, lat) rows of a voter file; NaN lon/lat when unplaced."""
    return pd.DataFrame(
        {
            "street": [r[0] for r in rows],
            "house_number": [r[1] for r in rows],
            "zip": [r[2] for r in rows],
            "city": "",
            "lon": [r[3] for r in rows],
            "lat": [r[4] for r in rows],
        },
        index=[f"r{i}" for i in range(len(rows))],
    )


def run(rows: list[tuple[str, str, str, float, float]], **kwargs: object) -> pd.DataFrame:
    data = frame(rows)
    todo = data["lon"].isna()
    found = geocode(
        data.loc[todo].drop(columns=["lon", "lat"]),
        data.loc[~todo],
        **kwargs,  # type: ignore[arg-type]
    )
    return pd.DataFrame({"lon": found.lon, "lat": found.lat, "source": found.source})


# --- exact matches -----------------------------------------------------------------------------


def test_avenue_matches_ave_whatever_the_spelling() -> None:
    points = address_points(
        [("Ponce de Leon Avenue Northeast", "120", "30308", "Atlanta", LON0, LAT0)]
    )
    rows = [
        ("PONCE DE LEON AVE NE", "120", "30308", np.nan, np.nan),
        ("Ponce de Leon Ave. N.E. Apt 4", "120", "", np.nan, np.nan),
        ("ponce de leon av ne", "120", "30308-1234", np.nan, np.nan),
    ]

    result = run(rows, address_points=points)

    assert result["source"].tolist() == ["osm_address"] * 3
    assert result["lon"].tolist() == pytest.approx([LON0] * 3)
    assert result["lat"].tolist() == pytest.approx([LAT0] * 3)


def test_zip_code_picks_between_two_towns_with_the_same_street_address() -> None:
    marietta = (-84.5499, 33.9526)
    points = address_points(
        [
            ("Main Street", "12", "30303", "Atlanta", LON0, LAT0),
            ("Main Street", "12", "30060", "Marietta", *marietta),
        ]
    )
    rows = [
        ("Main St", "12", "30060", np.nan, np.nan),
        ("Main St", "12", "30303", np.nan, np.nan),
        ("Main St", "12", "", np.nan, np.nan),  # ambiguous: 25 km apart, no ZIP to choose
        ("Main St", "12", "30999", np.nan, np.nan),  # a ZIP neither point has
    ]

    result = run(rows, address_points=points)

    assert result["source"].tolist() == ["osm_address", "osm_address", "", ""]
    assert (result["lon"].iloc[0], result["lat"].iloc[0]) == pytest.approx(marietta)
    assert (result["lon"].iloc[1], result["lat"].iloc[1]) == pytest.approx((LON0, LAT0))


def test_real_osm_address_points_match(all_helsinki_addresses: gpd.GeoDataFrame) -> None:
    points = all_helsinki_addresses
    kaivokatu = points.loc[(points["street"] == "Kaivokatu") & (points["house_number"] == "1")]
    rows = [("KAIVOKATU", "1", "00100", np.nan, np.nan), ("kaivokatu", "1", "", np.nan, np.nan)]

    result = run(rows, address_points=points)

    assert result["source"].tolist() == ["osm_address"] * 2
    # With a postcode, the points tagged with it; without, all points of the address.
    tagged = kaivokatu.loc[kaivokatu["postcode"] == "00100"]
    assert len(tagged) < len(kaivokatu)
    assert result["lon"].iloc[0] == pytest.approx(tagged.geometry.x.mean(), abs=1e-9)
    assert result["lat"].iloc[0] == pytest.approx(tagged.geometry.y.mean(), abs=1e-9)
    west, south, east, north = kaivokatu.total_bounds
    assert west <= result["lon"].iloc[1] <= east
    assert south <= result["lat"].iloc[1] <= north


# --- interpolation -----------------------------------------------------------------------------


def even(number: int) -> tuple[float, float]:
    """Even numbers on the south side, 10 m per 2 numbers going east."""
    return LON0 + number * 0.00005, LAT0


def odd(number: int) -> tuple[float, float]:
    return LON0 + number * 0.00005, ODD_SIDE_LAT


def test_interpolates_between_the_neighbours_on_the_same_side() -> None:
    rows = [
        ("Oak St", "10", "", *even(10)),
        ("Oak St", "20", "", *even(20)),
        ("Oak St", "11", "", *odd(11)),
        ("Oak St", "21", "", *odd(21)),
        ("Oak Street", "14", "", np.nan, np.nan),
        ("OAK ST", "15", "", np.nan, np.nan),
    ]

    result = run(rows)

    assert result["source"].tolist() == ["interpolated"] * 2
    assert (result["lon"].iloc[0], result["lat"].iloc[0]) == pytest.approx(even(14))
    assert (result["lon"].iloc[1], result["lat"].iloc[1]) == pytest.approx(odd(15))


def test_either_side_when_the_same_side_has_no_neighbours() -> None:
    rows = [("Oak St", "10", "", *even(10)), ("Oak St", "20", "", *even(20))]
    rows.append(("Oak St", "15", "", np.nan, np.nan))

    result = run(rows)

    assert result["source"].iloc[0] == "interpolated"
    assert (result["lon"].iloc[0], result["lat"].iloc[0]) == pytest.approx(even(15))


def test_extrapolates_only_a_short_way() -> None:
    rows = [("Oak St", "10", "", *even(10)), ("Oak St", "12", "", *even(12))]
    rows += [("Oak St", "14", "", np.nan, np.nan), ("Oak St", "40", "", np.nan, np.nan)]

    result = run(rows, settings=GeocodeSettings(max_extrapolate_m=60))

    assert result["source"].tolist() == ["interpolated", ""]
    assert (result["lon"].iloc[0], result["lat"].iloc[0]) == pytest.approx(even(14))


def test_no_interpolation_across_a_wide_gap() -> None:
    far = (LON0 + 0.03, LAT0)  # ~2.8 km east
    rows = [("Oak St", "10", "", *even(10)), ("Oak St", "20", "", *far)]
    rows.append(("Oak St", "14", "", np.nan, np.nan))

    assert run(rows)["source"].tolist() == [""]


def test_neighbours_in_another_zip_are_not_used() -> None:
    shift = 0.1  # the same street name ~9 km east, in another ZIP code
    rows = [
        ("Main St", "10", "30303", *even(10)),
        ("Main St", "20", "30303", *even(20)),
        ("Main St", "10", "30060", even(10)[0] + shift, LAT0),
        ("Main St", "20", "30060", even(20)[0] + shift, LAT0),
        ("Main St", "14", "30060", np.nan, np.nan),
        ("Main St", "14", "", np.nan, np.nan),  # no ZIP: the two towns' 10-20 are ambiguous
    ]

    result = run(rows)

    assert result["source"].tolist() == ["interpolated", ""]
    assert result["lon"].iloc[0] == pytest.approx(even(14)[0] + shift)


def test_osm_points_and_matched_rows_serve_as_neighbours() -> None:
    points = address_points(
        [("Elm Street", "2", "", "", *even(2)), ("Elm Street", "30", "", "", *even(30))]
    )
    rows = [("Elm St", "16", "30303", np.nan, np.nan), ("Elm St", "nope", "", np.nan, np.nan)]

    result = run(rows, address_points=points)

    assert result["source"].tolist() == ["interpolated", ""]
    assert result["lon"].iloc[0] == pytest.approx(even(16)[0])


def test_real_street_held_out_address_lands_between_its_neighbours(
    helsinki_addresses: gpd.GeoDataFrame,
) -> None:
    street = helsinki_addresses.loc[helsinki_addresses["street"] == "Lönnrotin puistikko"]
    street = street.assign(n=street["house_number"].astype(int)).sort_values("n")
    assert street["n"].tolist()[:3] == [1, 3, 5]
    rows = [
        ("Lönnrotin puistikko", str(p.n), "", p.geometry.x, p.geometry.y)
        for p in street.itertuples()
        if p.n != 3
    ]
    rows.append(("LÖNNROTIN PUISTIKKO", "3", "", np.nan, np.nan))

    result = run(rows)

    one, three, five = (street.geometry.iloc[i] for i in range(3))
    placed = shapely.Point(result["lon"].iloc[0], result["lat"].iloc[0])
    assert result["source"].iloc[0] == "interpolated"
    # On the segment from 1 to 5, half way along it.
    assert shapely.distance(placed, shapely.LineString([one, five])) < 1e-9
    assert placed.x == pytest.approx((one.x + five.x) / 2)
    assert shapely.distance(placed, three) < shapely.distance(one, five)


# --- through read_voters: every row accounted for ----------------------------------------------


def test_unmatched_rows_are_rejected_and_counts_agree(
    tmp_path: Path, helsinki_addresses: gpd.GeoDataFrame
) -> None:
    known = helsinki_addresses.iloc[:5]
    lines = ["voter_id,house_number,street,zip,latitude,longitude"]
    for i, p in enumerate(known.itertuples()):
        lines.append(f"K{i},{p.house_number},{p.street},{p.postcode},{p.geometry.y},{p.geometry.x}")
    lines += [
        f"B1,{known.house_number.iloc[0]},{known.street.iloc[0].upper()},,,",  # exact OSM match
        "B2,7,Nonexistent Road,,,",  # no such street
        "B3,,,,,",  # nothing to place it by
        "B4,7,Nonexistent Road,,0,0",  # invalid coordinates stay rejected: never geocoded
        f"K0,1,{known.street.iloc[0]},,,",  # duplicate id: reported as such, not geocoded
    ]
    path = tmp_path / "voters.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")

    table = read_voters(path, address_points=helsinki_addresses)

    reasons = dict(zip(table.rejected["voter_id"], table.rejected["reason"], strict=True))
    assert reasons["B2"].startswith("address not found")
    assert "no street address" in reasons["B3"]
    assert "0,0" in reasons["B4"]
    assert reasons["K0"].startswith("duplicate voter id")
    assert table.accepted.set_index("voter_id").loc["B1", "source"] == "osm_address"
    assert len(table.accepted) + len(table.rejected) == table.total == 10
    assert sorted([*table.accepted["row"], *table.rejected["row"]]) == list(range(1, 11))
    assert reasons["B2"] == "address not found: street not in the address data"
    assert table.geocoding == {
        "blank_coordinates": 3,
        "reference": {"osm_address_points": len(helsinki_addresses), "address_files": []},
        "with_address": 2,
        "address_points": 0,
        "osm_address": 1,
        "address_range": 0,
        "interpolated": 0,
        "not_found": 1,
        "not_found_reasons": {"street not in the address data": 1},
        "no_address": 1,
        "match_rate": 0.5,
    }


def test_address_points_are_read_only_when_a_row_needs_them(tmp_path: Path) -> None:
    path = tmp_path / "v.csv"
    path.write_text("voter_id,street,house_number,lat,lon\nA,Oak St,1,33.7,-84.4\n", "utf-8")

    def fail() -> gpd.GeoDataFrame:
        raise AssertionError("address points read although every row has coordinates")

    table = read_voters(path, address_points=fail)

    assert table.accepted["source"].tolist() == ["file"]
    assert table.geocoding["match_rate"] is None
