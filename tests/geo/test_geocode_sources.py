"""Geocoding against address files: ranges by side of street, ZIP codes, the order of trust,
and the books (rows per source, reasons for the rows not found)."""

from __future__ import annotations

import math
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from geo.address_sources import read_address_sources
from geo.geocode import GeocodeSettings, geocode
from geo.voters import read_voters
from tests.geo.address_files import LAT0, LON0, M_PER_DEG_LAT, east, openaddresses_csv, tiger_zip

M_PER_DEG_LON = M_PER_DEG_LAT * math.cos(math.radians(LAT0))
ALONG_151 = 10 + 180 * 50 / 98  # metres along the 200 m street of ``addrfeat``


def offset_m(lon: float, lat: float) -> tuple[float, float]:
    """Metres east and north of (LON0, LAT0)."""
    return (lon - LON0) * M_PER_DEG_LON, (lat - LAT0) * M_PER_DEG_LAT


def addrfeat(**fields: object) -> dict[str, object]:
    """A 200 m street running east from (LON0, LAT0), odd numbers on its left."""
    edge: dict[str, object] = {
        "line": [east(0), east(200)], "FULLNAME": "N High St", "LFROMHN": "101",
        "LTOHN": "199", "RFROMHN": "100", "RTOHN": "198", "PARITYL": "O", "PARITYR": "E",
        "ZIPL": "30303", "ZIPR": "30303",
    }  # fmt: skip
    return edge | fields


def place(
    tmp_path: Path,
    rows: list[tuple[str, str, str]],
    edges: list[dict[str, object]] | None = None,
    points: list[dict[str, object]] | None = None,
    **kwargs: object,
) -> pd.DataFrame:
    """Geocode (street, house_number, zip) rows against the given ranges and points."""
    files = []
    if edges:
        files.append(tiger_zip(tmp_path, edges))
    if points:
        files.append(openaddresses_csv(tmp_path, points))
    addresses = pd.DataFrame(rows, columns=["street", "house_number", "zip"]).assign(city="")
    none = addresses.iloc[:0].assign(lon=[], lat=[])
    found = geocode(addresses, none, sources=read_address_sources(files), **kwargs)  # type: ignore[arg-type]
    metres = [offset_m(x, y) for x, y in zip(found.lon, found.lat, strict=True)]
    return pd.DataFrame(
        {
            "x": [m[0] for m in metres],
            "y": [m[1] for m in metres],
            "source": found.source,
            "reason": found.reason,
        }
    )


# --- address ranges ----------------------------------------------------------------------------


def test_number_placed_along_the_line_on_the_side_of_its_parity(tmp_path: Path) -> None:
    result = place(tmp_path, [("N High St", "151", ""), ("N High St", "150", "")], [addrfeat()])

    assert result["source"].tolist() == ["address_range"] * 2
    # 151 is 50/98 of the way from 101 to 199 (and 150 from 100 to 198), over the line less
    # 10 m at each end.
    assert result["x"].tolist() == pytest.approx([ALONG_151] * 2, abs=0.1)
    # Looking east, the left side is north: odd numbers north, even south, 10 m off.
    assert result["y"].tolist() == pytest.approx([10.0, -10.0], abs=0.1)


def test_side_follows_the_line_direction_and_the_parity_fields(tmp_path: Path) -> None:
    westward = addrfeat(line=[east(200, 100), east(0, 100)], LFROMHN="100", LTOHN="198",
                        RFROMHN="101", RTOHN="199", PARITYL="E", PARITYR="O")  # fmt: skip
    rows = [("N High St", "110", ""), ("N High St", "111", "")]

    result = place(tmp_path, rows, [westward])

    # Looking west the left side is south: the even numbers (PARITYL=E) are south of y=100.
    assert result["y"].tolist() == pytest.approx([90.0, 110.0], abs=0.1)
    # Numbers rise from the line's start (east end): 110 lies near the east end.
    assert result["x"].iloc[0] > 150


def test_decreasing_range_and_number_outside_every_range(tmp_path: Path) -> None:
    falling = addrfeat(LFROMHN="199", LTOHN="101", RFROMHN="198", RTOHN="100")
    rows = [("N High St", "197", ""), ("N High St", "251", ""), ("N High St", "", "")]

    result = place(tmp_path, rows, [falling])

    assert result["source"].tolist() == ["address_range", "", ""]
    assert result["x"].iloc[0] < 20  # 197 is near the start, where 199 is
    assert result["reason"].tolist()[1:] == [
        "house number outside every address range of the street",
        "no house number",
    ]


def test_parity_rules_a_side_out(tmp_path: Path) -> None:
    odd_only = addrfeat(RFROMHN="", RTOHN="")
    result = place(tmp_path, [("N High St", "150", "")], [odd_only])
    assert result["source"].tolist() == [""]


def test_zip_code_picks_between_same_named_streets(tmp_path: Path) -> None:
    far = [east(5000), east(5200)]  # the same name 5 km east, in another ZIP code
    edges = [addrfeat(), addrfeat(line=far, ZIPL="30060", ZIPR="30060")]
    rows = [
        ("N High St", "151", "30060"),
        ("North High Street", "151", "30303-1234"),
        ("N High St", "151", ""),  # no ZIP: 5 km apart, nothing to choose
        ("N High St", "151", "30999"),  # a ZIP neither has
    ]

    result = place(tmp_path, rows, edges)

    assert result["source"].tolist() == ["address_range", "address_range", "", ""]
    assert result["x"].iloc[0] == pytest.approx(5000 + ALONG_151, abs=0.1)
    assert result["x"].iloc[1] == pytest.approx(ALONG_151, abs=0.1)
    assert result["reason"].tolist()[2:] == [
        "several places match (the same street elsewhere, no ZIP code to choose)",
        "street and number found only in another ZIP code",
    ]


def test_settings_set_the_offset(tmp_path: Path) -> None:
    result = place(
        tmp_path,
        [("N High St", "151", "")],
        [addrfeat()],
        settings=GeocodeSettings(side_offset_m=4.0),
    )
    assert result["y"].iloc[0] == pytest.approx(4.0, abs=0.1)


# --- matching US spellings ---------------------------------------------------------------------


def test_usps_spellings_match_each_other(tmp_path: Path) -> None:
    oa = [
        {"LON": east(50)[0], "LAT": LAT0, "NUMBER": "1204", "STREET": "NORTH HIGH STREET",
         "POSTCODE": "30303"},
        {"LON": east(80)[0], "LAT": LAT0, "NUMBER": "12", "STREET": "Fifth Avenue"},
        {"LON": east(90)[0], "LAT": LAT0, "NUMBER": "40", "STREET": "Twenty-First Street NE"},
    ]  # fmt: skip
    rows = [
        ("1204 N HIGH ST", "", "30303"),
        ("N High St", "1204", ""),
        ("n. high st. apt 3", "1204", "30303"),
        ("5TH AVE", "12", ""),
        ("5th Av #3", "12", ""),
        ("21ST ST N.E.", "40", ""),
        ("21st Street N E", "40", ""),
    ]
    street = [r[0] if r[1] else "N HIGH ST" for r in rows]
    rows = [(s, r[1] or "1204", r[2]) for s, r in zip(street, rows, strict=True)]

    result = place(tmp_path, rows, points=oa)

    assert result["source"].tolist() == ["address_points"] * len(rows)
    assert result["x"].round().tolist() == [50, 50, 50, 80, 80, 90, 90]


def test_a_missing_type_or_directional_is_completed_when_one_street_fits(tmp_path: Path) -> None:
    edges = [addrfeat(), addrfeat(line=[east(0, 300), east(200, 300)], FULLNAME="Oak Ave"),
             addrfeat(line=[east(0, 600), east(200, 600)], FULLNAME="Oak St")]  # fmt: skip
    rows = [("High St", "151", ""), ("N HIGH", "151", ""), ("Oak", "151", ""),
            ("S High St", "151", "")]  # fmt: skip

    result = place(tmp_path, rows, edges)

    assert result["source"].tolist() == ["address_range", "address_range", "", ""]
    assert result["reason"].tolist()[2:] == [
        "street name fits several streets (give its type or directional)",
        "street not in the address data",
    ]


# --- the order of trust and the books ----------------------------------------------------------


def osm_points(rows: list[tuple[str, str, float]]) -> gpd.GeoDataFrame:
    """OSM address points (street, number, metres east) on the street's centre line."""
    return gpd.GeoDataFrame(
        {"street": [r[0] for r in rows], "house_number": [r[1] for r in rows],
         "postcode": "", "city": ""},
        geometry=[shapely.Point(*east(r[2])) for r in rows],
        crs="EPSG:4326",
    )  # fmt: skip


def test_order_of_trust_and_counts(tmp_path: Path) -> None:
    # 151 is in the range and has an OSM point and an address file point: the file wins.
    # 153 has an OSM point and a range: OSM wins. 155 only a range. Elm St 15 lies between
    # two voters with coordinates; Elm St is in no address data.
    ranges = tiger_zip(tmp_path, [addrfeat()])
    points = openaddresses_csv(tmp_path, [{"LON": east(30)[0], "LAT": LAT0, "NUMBER": "151",
                                           "STREET": "North High Street"}])  # fmt: skip
    osm = osm_points([("North High Street", "151", 60.0), ("North High Street", "153", 70.0)])
    lat, lon = east(0)[1], east(0)[0]
    elm_10, elm_20 = east(300), east(400)
    voters = tmp_path / "voters.csv"
    voters.write_text(
        "voter_id,address,zip,latitude,longitude\n"
        f"F1,151 N High St,30303,{lat},{lon}\n"  # its own coordinates: kept
        "A1,151 N HIGH ST,30303,,\n"
        "A2,153 N HIGH ST APT 2,30303,,\n"
        "A3,155 NORTH HIGH STREET,,,\n"
        f"E1,10 Elm St,,{elm_10[1]},{elm_10[0]}\n"
        f"E2,20 Elm St,,{elm_20[1]},{elm_20[0]}\n"
        "I1,15 ELM ST,,,\n"
        "N1,12 Nowhere Rd,,,\n"
        "N2,951 N High St,,,\n"
        "N3,N High St,,,\n"
        "N4,,,,\n",
        encoding="utf-8",
    )

    table = read_voters(
        voters,
        address_points=lambda: osm,
        address_sources=lambda: read_address_sources([points, ranges]),
    )

    source = table.accepted.set_index("voter_id")["source"].to_dict()
    assert source == {"F1": "file", "A1": "address_points", "A2": "osm_address",
                      "A3": "address_range", "E1": "file", "E2": "file",
                      "I1": "interpolated"}  # fmt: skip
    x = {v: offset_m(p.x, p.y)[0] for v, p in table.accepted.set_index("voter_id").geometry.items()}
    assert x["A1"] == pytest.approx(30, abs=0.1) and x["A2"] == pytest.approx(70, abs=0.1)
    assert x["I1"] == pytest.approx(350, abs=0.1)
    reasons = table.rejected.set_index("voter_id")["reason"].to_dict()
    assert reasons == {
        "N1": "address not found: street not in the address data",
        "N2": "address not found: house number outside every address range of the street",
        "N3": "address not found: no house number",
        "N4": "missing coordinates (blank latitude/longitude) and no street address to geocode",
    }
    geocoding = table.geocoding
    assert {k: geocoding[k] for k in ("address_points", "osm_address", "address_range",
                                      "interpolated", "not_found")} == {
        "address_points": 1, "osm_address": 1, "address_range": 1, "interpolated": 1,
        "not_found": 3,
    }  # fmt: skip
    assert geocoding["not_found_reasons"] == {
        "street not in the address data": 1,
        "house number outside every address range of the street": 1,
        "no house number": 1,
    }
    assert geocoding["with_address"] == 7 and geocoding["no_address"] == 1
    assert geocoding["reference"] == {
        "osm_address_points": 2,
        "address_files": [
            {"path": str(points), "kind": "points", "rows": 1},
            {"path": str(ranges), "kind": "ranges", "rows": 2},
        ],
    }
    assert len(table.accepted) + len(table.rejected) == table.total == 11


def test_address_files_alone_allow_a_file_without_coordinates(tmp_path: Path) -> None:
    voters = tmp_path / "voters.csv"
    voters.write_text("voter_id,house_number,street\nA,151,N High St\n", encoding="utf-8")
    ranges = tiger_zip(tmp_path, [addrfeat()])

    table = read_voters(voters, address_sources=read_address_sources([ranges]))

    assert table.accepted["source"].tolist() == ["address_range"]
    assert np.isfinite(table.accepted.geometry.x).all()
