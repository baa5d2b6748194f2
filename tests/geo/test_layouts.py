"""Voter file layouts as they come: VAN exports, NC ncvoter files, generic CSVs, mapping files."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest

from geo._errors import InputError
from geo.layouts import detect_layout, read_column_mapping, resolve_columns
from geo.voters import read_voters

ATL = (33.7490, -84.3880)

# The current ncvoter layout (NC State Board of Elections, layout_ncvoter.txt, 02/2022).
NCVOTER_COLUMNS = [
    "county_id",
    "county_desc",
    "voter_reg_num",
    "ncid",
    "last_name",
    "first_name",
    "middle_name",
    "name_suffix_lbl",
    "status_cd",
    "voter_status_desc",
    "reason_cd",
    "voter_status_reason_desc",
    "res_street_address",
    "res_city_desc",
    "state_cd",
    "zip_code",
    "mail_addr1",
    "mail_addr2",
    "mail_addr3",
    "mail_addr4",
    "mail_city",
    "mail_state",
    "mail_zipcode",
    "full_phone_number",
    "confidential_ind",
    "registr_dt",
    "race_code",
    "ethnic_code",
    "party_cd",
    "gender_code",
    "birth_year",
    "age_at_year_end",
    "birth_state",
    "drivers_lic",
    "precinct_abbrv",
    "precinct_desc",
    "municipality_abbrv",
    "municipality_desc",
    "ward_abbrv",
    "ward_desc",
    "cong_dist_abbrv",
    "super_court_abbrv",
    "judic_dist_abbrv",
    "nc_senate_abbrv",
    "nc_house_abbrv",
    "county_commiss_abbrv",
    "county_commiss_desc",
    "township_abbrv",
    "township_desc",
    "school_dist_abbrv",
    "school_dist_desc",
    "fire_dist_abbrv",
    "fire_dist_desc",
    "water_dist_abbrv",
    "water_dist_desc",
    "sewer_dist_abbrv",
    "sewer_dist_desc",
    "sanit_dist_abbrv",
    "sanit_dist_desc",
    "rescue_dist_abbrv",
    "rescue_dist_desc",
    "munic_dist_abbrv",
    "munic_dist_desc",
    "dist_1_abbrv",
    "dist_1_desc",
    "vtd_abbrv",
    "vtd_desc",
]
VAN_API_COLUMNS = [
    "CanvassFileRequestID",
    "VanID",
    "County",
    "Phone",
    "PhoneDialingPrefix",
    "PhoneCountryCode",
    "Address",
    "StateFileID",
    "CountyFileID",
    "FirstName",
    "LastName",
    "StreetNo",
    "StreetName",
    "City",
    "State",
    "ZipCode",
    "StateOrProvince",
    "ZipOrPostal",
    "VAddressLatitude",
    "VAddressLongitude",
    "Email",
    "HomePhone",
    "Sex",
    "Party",
    "DOB",
    "PollingLocation",
    "PollingAddress",
    "PollingCity",
    "PollingZip",
    "VoterVANID",
    "MyCampaignID",
]


# --- detection ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("columns", "layout"),
    [
        (["Voter File VANID", "LastName", "Address", "City", "State", "Zip5"], "van"),
        (VAN_API_COLUMNS, "van"),
        (NCVOTER_COLUMNS, "ncvoter"),
        (["voter_id", "lat", "lon", "street", "house_number"], "generic"),
    ],
)
def test_layout_is_detected_from_the_header(columns: list[str], layout: str) -> None:
    assert detect_layout(columns) == layout


def test_van_api_export_columns() -> None:
    mapping = resolve_columns(VAN_API_COLUMNS, path="x.csv").mapping

    assert mapping["voter_id"] == "VanID"
    assert mapping["house_number"] == "StreetNo"
    assert mapping["street"] == "StreetName"
    assert mapping["zip"] == "ZipCode"
    assert mapping["address"] == "Address"
    assert (mapping["latitude"], mapping["longitude"]) == ("VAddressLatitude", "VAddressLongitude")


def test_ncvoter_columns() -> None:
    mapping = resolve_columns(NCVOTER_COLUMNS, path="x.txt").mapping

    assert mapping["voter_id"] == "ncid"
    assert mapping["address"] == "res_street_address"
    assert mapping["city"] == "res_city_desc"
    assert mapping["zip"] == "zip_code"
    assert mapping["party"] == "party_cd"
    assert mapping["age"] == "age_at_year_end"
    assert "latitude" not in mapping
    # The old layout named the age column birth_age.
    old = [c if c != "age_at_year_end" else "birth_age" for c in NCVOTER_COLUMNS]
    assert resolve_columns(old, path="x.txt").mapping["age"] == "birth_age"


def test_headers_are_trimmed_and_case_insensitive(tmp_path: Path) -> None:
    path = tmp_path / "v.csv"
    path.write_text(
        f" VOTER_ID ,Last Name , LATITUDE,Longitude \nA1,Lee,{ATL[0]},{ATL[1]}\n", encoding="utf-8"
    )

    table = read_voters(path)

    assert table.layout == "generic"
    assert table.accepted["voter_id"].tolist() == ["A1"]
    assert table.accepted["last_name"].tolist() == ["Lee"]


# --- VAN ---------------------------------------------------------------------------------------


def van_rows() -> list[list[str]]:
    return [
        ["Voter File VANID", "LastName", "FirstName", "Address", "City", "State", "Zip5",
         "Latitude", "Longitude", "Preferred Phone "],
        ["100234", "Peña", "Iñaki", "4190 S Kirkman Rd Apt 912 , Orlando, FL 32811", "", "", "",
         "28.5063", "-81.4569", "555-0100"],
        ["100235", "Müller", "Zoë", "12 Oak St", "Boston", "MA", "02134", "42.355", "-71.13", ""],
        ["100236", "Smith", "Ann", "", "Boston", "MA", "02134", "", "", ""],
    ]  # fmt: skip


def test_zipped_utf16_van_export_with_one_string_address(tmp_path: Path) -> None:
    text = "\r\n".join("\t".join(r) for r in van_rows()) + "\r\n"
    path = tmp_path / "VAN_export.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("ExportFile_99.xls", text.encode("utf-16"))

    table = read_voters(path)

    assert table.layout == "van"
    assert table.columns["voter_id"] == "Voter File VANID"
    assert table.columns["latitude"] == "Latitude"
    first = table.accepted.iloc[0]
    assert (first["house_number"], first["street"], first["unit"]) == (
        "4190",
        "S Kirkman Rd",
        "Apt 912",
    )
    assert (first["city"], first["state"], first["zip"]) == ("Orlando", "FL", "32811")
    second = table.accepted.iloc[1]
    # Separate City/State/Zip5 columns fill what the one-string address leaves out.
    assert (second["street"], second["city"], second["zip"]) == ("Oak St", "Boston", "02134")
    assert table.accepted["source"].tolist() == ["file", "file"]
    # No address and no coordinates: rejected with a reason, not dropped.
    assert table.rejected["voter_id"].tolist() == ["100236"]
    assert "no street address" in table.rejected["reason"].iloc[0]
    assert len(table.accepted) + len(table.rejected) == table.total == 3


def test_van_blank_coordinates_are_geocoded_not_rejected(
    tmp_path: Path, helsinki_addresses: gpd.GeoDataFrame
) -> None:
    points = helsinki_addresses.iloc[:3]
    rows = [["VanID", "Address", "City", "ZipOrPostal", "VAddressLatitude", "VAddressLongitude"]]
    for i, p in enumerate(points.itertuples()):
        blank = i == 1
        rows.append(
            [f"V{i}", f"{p.house_number} {p.street}", "Helsinki", p.postcode,
             "" if blank else str(p.geometry.y), "" if blank else str(p.geometry.x)]
        )  # fmt: skip
    path = tmp_path / "van.csv"
    pd.DataFrame(rows[1:], columns=rows[0]).to_csv(path, index=False)

    table = read_voters(path, address_points=helsinki_addresses)

    assert table.accepted["source"].tolist() == ["file", "osm_address", "file"]
    placed = table.accepted.geometry.iloc[1]
    assert (placed.x, placed.y) == pytest.approx(
        (points.geometry.x.iloc[1], points.geometry.y.iloc[1])
    )
    assert table.geocoding["osm_address"] == 1
    assert table.geocoding["match_rate"] == 1.0


# --- ncvoter -----------------------------------------------------------------------------------


def ncvoter_file(path: Path, addresses: list[tuple[str, str, str]]) -> Path:
    """A tab-delimited, double-quoted ncvoter file in Latin-1 with one row per address."""
    lines = ["\t".join(f'"{c}"' for c in NCVOTER_COLUMNS)]
    for i, (street_address, city, zip_code) in enumerate(addresses):
        row = dict.fromkeys(NCVOTER_COLUMNS, "")
        row |= {
            "county_id": "92", "county_desc": "WAKE", "ncid": f"EH{i:06d}",
            "voter_reg_num": f"{i:012d}", "last_name": "PEÑA", "first_name": "ANA",
            "res_street_address": street_address, "res_city_desc": city, "state_cd": "NC",
            "zip_code": zip_code, "party_cd": "UNA", "age_at_year_end": str(30 + i),
            "status_cd": "A",
        }  # fmt: skip
        lines.append("\t".join(f'"{row[c]}"' for c in NCVOTER_COLUMNS))
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("latin-1"))
    return path


def test_ncvoter_without_coordinates_is_geocoded(
    tmp_path: Path, helsinki_addresses: gpd.GeoDataFrame
) -> None:
    points = helsinki_addresses.loc[helsinki_addresses["postcode"] != ""].iloc[:4]
    addresses = [
        (f"{p.house_number}  {p.street.upper()}  ", p.city.upper() or "HELSINKI", p.postcode)
        for p in points.itertuples()
    ]
    addresses.append(("999  NOWHERE RD  APT 2", "HELSINKI", "00100"))
    path = ncvoter_file(tmp_path / "ncvoter92.txt", addresses)

    table = read_voters(path, address_points=helsinki_addresses)

    assert table.layout == "ncvoter"
    assert table.accepted["voter_id"].tolist() == [f"EH{i:06d}" for i in range(4)]
    assert table.accepted["last_name"].tolist() == ["PEÑA"] * 4
    assert table.accepted["age"].tolist() == [30, 31, 32, 33]
    assert (table.accepted["source"] == "osm_address").all()
    assert table.accepted.geometry.x.tolist() == pytest.approx(points.geometry.x.tolist())
    assert table.accepted.geometry.y.tolist() == pytest.approx(points.geometry.y.tolist())
    assert table.rejected["voter_id"].tolist() == ["EH000004"]
    assert table.rejected["reason"].iloc[0].startswith("address not found")
    assert table.geocoding["match_rate"] == 0.8


def test_file_without_coordinates_needs_street_data(tmp_path: Path) -> None:
    path = ncvoter_file(tmp_path / "ncvoter.txt", [("12 MAIN ST", "RALEIGH", "27601")])

    with pytest.raises(InputError) as caught:
        read_voters(path)

    assert str(path) in str(caught.value)
    assert "--streets" in str(caught.value)


# --- explicit column mapping -------------------------------------------------------------------


def odd_file(tmp_path: Path) -> Path:
    path = tmp_path / "odd.csv"
    path.write_text(
        "Registrant,Surname,Northing,Easting,Residence\n"
        f"R1,Lee,{ATL[0]},{ATL[1]},12 Main St Apt 3\n",
        encoding="utf-8",
    )
    return path


@pytest.mark.parametrize(
    ("name", "text"),
    [
        (
            "columns.toml",
            '[columns]\nvoter_id = "Registrant"\nlast_name = "SURNAME"\nlatitude = " Northing "\n'
            'longitude = "Easting"\naddress = "Residence"\n',
        ),
        (
            "columns.json",
            json.dumps(
                {
                    "voter_id": "Registrant",
                    "last_name": "surname",
                    "latitude": "Northing",
                    "longitude": "Easting",
                    "address": "Residence",
                }
            ),
        ),
    ],
)
def test_mapping_file_names_the_columns(tmp_path: Path, name: str, text: str) -> None:
    mapping_path = tmp_path / name
    mapping_path.write_text(text, encoding="utf-8")

    table = read_voters(odd_file(tmp_path), columns=read_column_mapping(mapping_path))

    row = table.accepted.iloc[0]
    assert (row["voter_id"], row["last_name"]) == ("R1", "Lee")
    assert (row["house_number"], row["street"], row["unit"]) == ("12", "Main St", "Apt 3")
    assert (row.geometry.y, row.geometry.x) == pytest.approx(ATL)
    assert table.columns["latitude"] == "Northing"


def test_mapping_overrides_detection(tmp_path: Path) -> None:
    path = tmp_path / "v.csv"
    path.write_text(f"id,voter_no,lat,lon\n1,A9,{ATL[0]},{ATL[1]}\n", encoding="utf-8")

    table = read_voters(path, columns={"voter_id": "voter_no"})

    assert table.accepted["voter_id"].tolist() == ["A9"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('latitude = "Y"\nlatitud = "X"\n', "unknown fields .*latitud"),
        ("latitude = 3\n", "no column name"),
        ("latitude = [\n", "not valid TOML"),
        ("", "must map field names"),
    ],
)
def test_bad_mapping_files_say_what_is_wrong(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "cols.toml"
    path.write_text(text, encoding="utf-8")

    with pytest.raises(InputError, match=message) as caught:
        read_column_mapping(path)

    assert str(path) in str(caught.value)


def test_mapping_naming_a_missing_column_lists_the_columns(tmp_path: Path) -> None:
    with pytest.raises(InputError) as caught:
        read_voters(odd_file(tmp_path), columns={"latitude": "lat_dd", "longitude": "Easting"})

    assert "lat_dd" in str(caught.value) and "Northing" in str(caught.value)


def test_missing_mapping_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="not found"):
        read_column_mapping(tmp_path / "nope.toml")
