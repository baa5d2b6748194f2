"""State voter files without coordinates: Ohio's SWVF and Florida's voter extract."""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

import geo.voters
from geo._errors import InputError
from geo.layout_tables import FLORIDA_FIELDS, LAYOUT_TABLES
from geo.layouts import LAYOUTS, detect_layout, headerless_layout, resolve_columns
from geo.voter_fields import ages
from geo.voters import NOT_FOUND, read_voters
from segments.filter import select

ELECTION_DAY = dt.date(2024, 11, 5)

# The Ohio Secretary of State's statewide voter file (SWVF) header, then its election columns.
SWVF_COLUMNS = [
    "SOS_VOTERID", "COUNTY_NUMBER", "COUNTY_ID", "LAST_NAME", "FIRST_NAME", "MIDDLE_NAME",
    "SUFFIX", "DATE_OF_BIRTH", "REGISTRATION_DATE", "VOTER_STATUS", "PARTY_AFFILIATION",
    "RESIDENTIAL_ADDRESS1", "RESIDENTIAL_SECONDARY_ADDR", "RESIDENTIAL_CITY",
    "RESIDENTIAL_STATE", "RESIDENTIAL_ZIP", "RESIDENTIAL_ZIP_PLUS4", "RESIDENTIAL_COUNTRY",
    "RESIDENTIAL_POSTALCODE", "MAILING_ADDRESS1", "MAILING_SECONDARY_ADDRESS", "MAILING_CITY",
    "MAILING_STATE", "MAILING_ZIP", "MAILING_ZIP_PLUS4", "MAILING_COUNTRY",
    "MAILING_POSTAL_CODE", "CAREER_CENTER", "CITY", "CITY_SCHOOL_DISTRICT",
    "COUNTY_COURT_DISTRICT", "CONGRESSIONAL_DISTRICT", "COURT_OF_APPEALS",
    "EDU_SERVICE_CENTER_DISTRICT", "EXEMPTED_VILL_SCHOOL_DISTRICT", "LIBRARY",
    "LOCAL_SCHOOL_DISTRICT", "MUNICIPAL_COURT_DISTRICT", "PRECINCT_NAME", "PRECINCT_CODE",
    "STATE_BOARD_OF_EDUCATION", "STATE_REPRESENTATIVE_DISTRICT", "STATE_SENATE_DISTRICT",
    "TOWNSHIP", "VILLAGE", "WARD",
]  # fmt: skip
ELECTIONS = [
    "PRIMARY-03/17/2020", "GENERAL-11/03/2020", "PRIMARY-05/03/2022", "GENERAL-11/08/2022",
    "SPECIAL-08/08/2023", "GENERAL-11/05/2024",
]  # fmt: skip

# OSM address points in the University District of Columbus (lon, lat).
HIGH_1204 = (-83.00480, 39.98833)
FIFTH_98 = (-83.00420, 39.98510)
SUMMIT_1550 = (-83.00110, 39.99420)


def columbus_addresses() -> gpd.GeoDataFrame:
    rows = [
        ("North High Street", "1204", "43201", "Columbus", HIGH_1204),
        ("East 5th Avenue", "98", "43201", "Columbus", FIFTH_98),
        ("Summit Street", "1550", "43201", "Columbus", SUMMIT_1550),
    ]
    return gpd.GeoDataFrame(
        {
            "street": [r[0] for r in rows],
            "house_number": [r[1] for r in rows],
            "postcode": [r[2] for r in rows],
            "city": [r[3] for r in rows],
        },
        geometry=[shapely.Point(*r[4]) for r in rows],
        crs="EPSG:4326",
    )


def swvf_row(voter_id: str, **fields: str) -> dict[str, str]:
    row = dict.fromkeys([*SWVF_COLUMNS, *ELECTIONS], "")
    row |= {
        "SOS_VOTERID": voter_id, "COUNTY_NUMBER": "25", "COUNTY_ID": voter_id[-6:],
        "LAST_NAME": "BUCKEYE", "FIRST_NAME": "BRUTUS", "REGISTRATION_DATE": "2004-09-30",
        "VOTER_STATUS": "ACTIVE", "RESIDENTIAL_CITY": "COLUMBUS", "RESIDENTIAL_STATE": "OH",
        "RESIDENTIAL_ZIP": "43201", "CITY": "COLUMBUS CITY", "PRECINCT_NAME": "COLUMBUS 01-A",
        "PRECINCT_CODE": "25AAA",
    }  # fmt: skip
    return row | fields


SWVF_ROWS = [
    # The unit in the one-string address, as USPS abbreviations.
    swvf_row("OH0012345601", DATE_OF_BIRTH="1980-11-05", PARTY_AFFILIATION="D",
             RESIDENTIAL_ADDRESS1="1204 N HIGH ST APT 3", **{
                 "PRIMARY-03/17/2020": "D", "GENERAL-11/03/2020": "X",
                 "GENERAL-11/08/2022": "X", "GENERAL-11/05/2024": "X"}),
    # The unit in its own column; the birthday is the day after the reference date.
    swvf_row("OH0012345602", DATE_OF_BIRTH="1980-11-06", PARTY_AFFILIATION="",
             RESIDENTIAL_ADDRESS1="1204 N HIGH ST", RESIDENTIAL_SECONDARY_ADDR="APT 7",
             **{"GENERAL-11/05/2024": "X", "SPECIAL-08/08/2023": "X"}),
    swvf_row("OH0012345603", DATE_OF_BIRTH="2006-02-28", PARTY_AFFILIATION="R",
             RESIDENTIAL_ADDRESS1="98 E 5TH AVE", RESIDENTIAL_ZIP_PLUS4="1234",
             **{"PRIMARY-05/03/2022": "R", "GENERAL-11/08/2022": "X"}),
    swvf_row("OH0012345604", DATE_OF_BIRTH="1955-07-01", PARTY_AFFILIATION="R",
             RESIDENTIAL_ADDRESS1="1550 SUMMIT ST"),
    swvf_row("OH0012345605", DATE_OF_BIRTH="", RESIDENTIAL_ADDRESS1="77 NOWHERE RD"),
]  # fmt: skip


def swvf_file(path: Path, rows: list[dict[str, str]] = SWVF_ROWS) -> Path:
    """A comma-separated SWVF file, every value double-quoted, as the state publishes it."""
    text = io.StringIO()
    writer = csv.DictWriter(
        text, fieldnames=[*SWVF_COLUMNS, *ELECTIONS], quoting=csv.QUOTE_ALL, lineterminator="\r\n"
    )
    writer.writeheader()
    writer.writerows(rows)
    path.write_text(text.getvalue(), encoding="utf-8")
    return path


# --- Ohio: the layout and its fields -----------------------------------------------------------


def test_swvf_layout_is_recognised_and_mapped() -> None:
    columns = resolve_columns([*SWVF_COLUMNS, *ELECTIONS], path="SWVF_1_22.txt")

    assert detect_layout(SWVF_COLUMNS) == "ohio_swvf" and "ohio_swvf" in LAYOUTS
    assert columns.layout == "ohio_swvf"
    assert columns.mapping == {
        "voter_id": "SOS_VOTERID",
        "last_name": "LAST_NAME",
        "first_name": "FIRST_NAME",
        "birth_date": "DATE_OF_BIRTH",
        "party": "PARTY_AFFILIATION",
        "address": "RESIDENTIAL_ADDRESS1",
        "unit": "RESIDENTIAL_SECONDARY_ADDR",
        "city": "RESIDENTIAL_CITY",  # not CITY, a taxing district
        "state": "RESIDENTIAL_STATE",
        "zip": "RESIDENTIAL_ZIP",
    }
    assert columns.history == tuple(ELECTIONS)


def test_swvf_without_coordinates_is_geocoded_with_ages_and_history(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[pd.DataFrame] = []
    real_geocode = geo.voters.geocode

    def spy(targets: pd.DataFrame, *args: Any, **kwargs: Any) -> Any:
        seen.append(targets.copy())
        return real_geocode(targets, *args, **kwargs)

    monkeypatch.setattr(geo.voters, "geocode", spy)
    path = swvf_file(tmp_path / "SWVF_1_22.txt")

    table = read_voters(path, address_points=columbus_addresses(), age_on=ELECTION_DAY)

    assert table.layout == "ohio_swvf"
    assert table.history == tuple(ELECTIONS)
    # The rows reached the geocoder split into number, street and ZIP.
    (targets,) = seen
    assert targets[["house_number", "street", "zip"]].values.tolist() == [
        ["1204", "N HIGH ST", "43201"],
        ["1204", "N HIGH ST", "43201"],
        ["98", "E 5TH AVE", "43201"],
        ["1550", "SUMMIT ST", "43201"],
        ["77", "NOWHERE RD", "43201"],
    ]
    voters = table.accepted.set_index("voter_id")
    assert voters.index.tolist() == [f"OH00123456{i:02d}" for i in range(1, 5)]
    assert voters["unit"].tolist() == ["APT 3", "APT 7", "", ""]
    assert voters["city"].tolist() == ["COLUMBUS"] * 4
    assert voters["source"].eq("osm_address").all()
    assert voters.geometry.x.tolist() == pytest.approx(
        [HIGH_1204[0]] * 2 + [FIFTH_98[0]] + [SUMMIT_1550[0]]
    )
    # Ages on election day: 44 on the birthday, 43 the day before it, 18 and 69.
    assert voters["age"].tolist() == [44, 43, 18, 69]
    assert voters["party"].tolist() == ["D", "", "R", "R"]
    assert voters["GENERAL-11/05/2024"].tolist() == ["X", "X", "", ""]
    assert voters["PRIMARY-03/17/2020"].tolist() == ["D", "", "", ""]
    assert voters["general_votes"].tolist() == [3, 1, 1, 0]
    assert voters["primary_votes"].tolist() == [1, 0, 1, 0]
    assert voters["special_votes"].tolist() == [0, 1, 0, 0]
    assert voters["elections_voted"].tolist() == [4, 2, 2, 0]
    assert table.rejected["voter_id"].tolist() == ["OH0012345605"]
    assert table.rejected["reason"].iloc[0].startswith(NOT_FOUND)
    # The history is there for targets.
    target = select(
        table.accepted,
        'voted("GENERAL-11/05/2024") and not voted("primary-03/17/2020", R) and age < 44',
        household_column=None,
    )
    assert table.accepted.loc[target, "voter_id"].tolist() == ["OH0012345602"]
    assert select(table.accepted, "general_votes >= 1", household_column=None).sum() == 3


def test_swvf_ages_default_to_today(tmp_path: Path) -> None:
    born = dt.date.today().replace(year=dt.date.today().year - 30)
    path = swvf_file(
        tmp_path / "SWVF.txt",
        [
            swvf_row(
                "OH0000000001",
                DATE_OF_BIRTH=born.isoformat(),
                RESIDENTIAL_ADDRESS1="1204 N HIGH ST",
            )
        ],
    )

    table = read_voters(path, address_points=columbus_addresses())

    assert table.accepted["age"].tolist() == [30]


def test_swvf_needs_street_data(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="--streets"):
        read_voters(swvf_file(tmp_path / "SWVF.txt"))


# --- Florida: the voter extract, published without a header ------------------------------------


def florida_record(voter_id: str, **fields: str) -> dict[str, str]:
    row = dict.fromkeys(FLORIDA_FIELDS, "")
    row |= {
        "County Code": "DAD", "Voter ID": voter_id, "Name Last": "Garcia", "Name First": "Ana",
        "Requested public records exemption": "N", "Residence City (USPS)": "Miami",
        "Residence State": "FL", "Gender": "F", "Race": "4", "Registration Date": "01/15/2008",
        "Voter Status": "ACT", "Precinct": "522",
    }  # fmt: skip
    return row | fields


MIAMI_ADDRESSES = [
    ("Northwest 5th Avenue", "1234", "33136", "Miami", (-80.2040, 25.7820)),
    ("Brickell Avenue", "1450", "33131", "Miami", (-80.1910, 25.7590)),
]


def miami_points() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "street": [r[0] for r in MIAMI_ADDRESSES],
            "house_number": [r[1] for r in MIAMI_ADDRESSES],
            "postcode": [r[2] for r in MIAMI_ADDRESSES],
            "city": [r[3] for r in MIAMI_ADDRESSES],
        },
        geometry=[shapely.Point(*r[4]) for r in MIAMI_ADDRESSES],
        crs="EPSG:4326",
    )


FLORIDA_RECORDS = [
    florida_record("123456789", **{
        "Residence Address Line 1": "1234 NW 5TH AVE", "Residence Address Line 2": "APT 3",
        "Residence Zipcode": "331361234", "Birth Date": "03/09/1961",
        "Party Affiliation": "DEM"}),
    florida_record("123456790", **{
        "Residence Address Line 1": "1450 BRICKELL AVE", "Residence Zipcode": "33131",
        "Birth Date": "11/06/2000", "Party Affiliation": "NPA",
        "Email address": "ana@example.org"}),
]  # fmt: skip


def florida_text(records: list[dict[str, str]], fields: tuple[str, ...] = FLORIDA_FIELDS) -> str:
    return "".join("\t".join(r[f] for f in fields) + "\r\n" for r in records)


@pytest.mark.parametrize("zipped", [False, True])
def test_florida_extract_without_a_header(tmp_path: Path, zipped: bool) -> None:
    text = florida_text(FLORIDA_RECORDS)
    path = tmp_path / "DAD_20241105.txt"
    path.write_text(text, encoding="utf-8")
    if zipped:
        path = tmp_path / "DAD_20241105.zip"
        with zipfile.ZipFile(path, "w") as archive:
            archive.writestr("DAD_20241105.txt", text)

    table = read_voters(path, address_points=miami_points(), age_on=ELECTION_DAY)

    assert table.layout == "florida_extract"
    assert table.total == 2  # the first line is a voter, not a header
    assert table.columns["voter_id"] == "Voter ID"
    assert table.columns["address"] == "Residence Address Line 1"
    voters = table.accepted
    assert voters["voter_id"].tolist() == ["123456789", "123456790"]
    assert voters["age"].tolist() == [63, 23]
    assert voters["party"].tolist() == ["DEM", "NPA"]
    assert voters[["house_number", "street", "unit"]].values.tolist() == [
        ["1234", "NW 5TH AVE", "APT 3"],
        ["1450", "BRICKELL AVE", ""],
    ]
    assert voters["zip"].tolist() == ["331361234", "33131"]  # ZIP+4 matches the ZIP5 point
    assert voters["source"].eq("osm_address").all()


def test_florida_extract_of_the_older_37_field_layout(tmp_path: Path) -> None:
    path = tmp_path / "DAD_20100105.txt"
    path.write_text(florida_text(FLORIDA_RECORDS, FLORIDA_FIELDS[:-1]), encoding="utf-8")

    table = read_voters(path, address_points=miami_points(), age_on=ELECTION_DAY)

    assert table.layout == "florida_extract"
    assert table.accepted["voter_id"].tolist() == ["123456789", "123456790"]


def test_florida_extract_with_the_layout_names_as_header(tmp_path: Path) -> None:
    path = tmp_path / "dade.tsv"
    path.write_text("\t".join(FLORIDA_FIELDS) + "\r\n" + florida_text(FLORIDA_RECORDS), "utf-8")

    table = read_voters(path, address_points=miami_points(), age_on=ELECTION_DAY)

    assert table.layout == "florida_extract"
    assert table.total == 2
    assert table.accepted["age"].tolist() == [63, 23]


@pytest.mark.parametrize(
    "first_line",
    [
        ["voter_id", "latitude", "longitude"],
        ["DAD", "123456789", *[""] * 20],  # a Florida-like start, but not 37 or 38 fields
        ["County Code", "Voter ID", *FLORIDA_FIELDS[2:]],  # the header itself
        ["dad", "123456789", *FLORIDA_FIELDS[2:]],
    ],
)
def test_headerless_detection_needs_the_whole_shape(first_line: list[str]) -> None:
    assert headerless_layout(first_line) is None


def test_every_layout_table_is_complete() -> None:
    for layout in LAYOUT_TABLES:
        assert layout.signature and layout.source
        if layout.headerless:
            assert layout.first_values
            names = resolve_columns(list(layout.headerless), path="x").mapping
            assert set(names) >= {"voter_id", "address"}, layout.name
            assert set(layout.columns) <= set(names)


# --- ages and birth years in any layout --------------------------------------------------------


def test_ages_from_birth_dates() -> None:
    born = pd.Series(
        ["2000-02-29", "02/29/2000", "1800-01-01", "", None, "soon", "2030-01-01", "1990-11-05"]
    )

    result = ages(born, dt.date(2024, 2, 28))

    expected = [23, 23, np.nan, np.nan, np.nan, np.nan, np.nan, 33]
    assert result.tolist() == pytest.approx(expected, nan_ok=True)
    assert ages(born.iloc[:2], dt.date(2024, 2, 29)).tolist() == [24, 24]


def test_generic_file_with_a_birth_date_column(tmp_path: Path) -> None:
    path = tmp_path / "voters.csv"
    path.write_text(
        "voter_id,DOB,Age,lat,lon\nA,1990-11-05,,39.98,-83.0\nB,1990-11-05,50,39.98,-83.0\n",
        encoding="utf-8",
    )

    table = read_voters(path, age_on=ELECTION_DAY)

    assert table.columns["birth_date"] == "DOB"
    assert table.accepted["age"].tolist() == [34, 50]  # an age in the file wins
    assert table.history == ()


def test_birth_year_fills_missing_ages(tmp_path: Path) -> None:
    path = tmp_path / "v.csv"
    path.write_text(
        "ncid,res_street_address,birth_year,age_at_year_end,lat,lon\n"
        "A,1 MAIN ST,1984,,35.78,-78.64\nB,2 MAIN ST,1984,41,35.78,-78.64\n",
        encoding="utf-8",
    )

    table = read_voters(path, age_on=ELECTION_DAY)

    assert table.layout == "ncvoter"
    assert table.accepted["age"].tolist() == [40, 41]
