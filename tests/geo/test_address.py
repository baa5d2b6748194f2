"""Addresses as typed: one-string addresses split into parts, spellings normalised for matching."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from geo.address import (
    address_keys,
    number_key,
    number_value,
    parse_address,
    place_key,
    resolve_streets,
    street_key,
    street_parts,
    zip_key,
)


def parse_one(text: str) -> list[str]:
    return parse_address(pd.Series([text])).iloc[0].tolist()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # VAN: one quoted string, a space before the first comma.
        (
            "4190 S Kirkman Rd Apt 912 , Orlando, FL 32811",
            ["4190", "S Kirkman Rd", "Apt 912", "Orlando", "FL", "32811"],
        ),
        (
            "123 Main St, Apt 4, Springfield, IL 62704-1234",
            ["123", "Main St", "Apt 4", "Springfield", "IL", "62704-1234"],
        ),
        # ncvoter res_street_address: padded with runs of spaces, no city.
        ("1234  MAIN ST   APT 5 ", ["1234", "MAIN ST", "APT 5", "", "", ""]),
        ("12B Oak Ave #3", ["12B", "Oak Ave", "#3", "", "", ""]),
        ("7-a Elm St, Fort Myers FL 33901", ["7-A", "Elm St", "", "Fort Myers", "FL", "33901"]),
        ("100 Sunset Ct", ["100", "Sunset Ct", "", "", "", ""]),
        (
            "22 Lake Ct, Apt 2B, Decatur, GA, 30030, USA",
            ["22", "Lake Ct", "Apt 2B", "Decatur", "GA", "30030"],
        ),
        ("Mannerheimintie 5 A 12", ["5", "Mannerheimintie", "A 12", "", "", ""]),
        ("PO Box 55, Atlanta, GA 30303", ["", "", "", "Atlanta", "GA", "30303"]),
        ("Main St", ["", "Main St", "", "", "", ""]),
        # No commas: usaddress tells the street from the city.
        (
            "1204 N High St Apt 3 Columbus OH 43201",
            ["1204", "N High St", "Apt 3", "Columbus", "OH", "43201"],
        ),
        ("100 FIFTH AVE STE 200", ["100", "FIFTH AVE", "STE 200", "", "", ""]),
        ("12 Main St Unit B", ["12", "Main St", "Unit B", "", "", ""]),
        ("5 1/2 Pine St", ["5 1/2", "Pine St", "", "", "", ""]),
        (
            "300 Peachtree St N.E., Atlanta, GA",
            ["300", "Peachtree St N.E.", "", "Atlanta", "GA", ""],
        ),
        ("", ["", "", "", "", "", ""]),
    ],
)
def test_one_string_addresses_are_split(text: str, expected: list[str]) -> None:
    assert parse_one(text) == expected


def test_parse_keeps_the_index_and_handles_missing_values() -> None:
    values = pd.Series(["1 A St", None, "1 A St"], index=[10, 20, 30])

    parsed = parse_address(values)

    assert parsed.index.tolist() == [10, 20, 30]
    assert parsed["street"].tolist() == ["A St", "", "A St"]


@pytest.mark.parametrize(
    "spellings",
    [
        ["South Kirkman Road", "S. Kirkman Rd", "S KIRKMAN RD", "s kirkman rd."],
        ["Peachtree Street Northeast", "Peachtree St. N.E.", "Peachtree St NE"],
        ["Ponce de Leon Avenue", "Ponce De Leon Ave", "Ponce de Leon Av."],
        ["Martin Luther King Jr. Drive", "Martin Luther King Jr Dr"],
        ["O'Neil Boulevard", "ONeil Blvd"],
        ["Main Street Apt 4", "Main St #4", "Main St"],
        ["Fifth Avenue", "5th Ave", "5TH AVE", "5th Av."],
        ["N HIGH ST", "North High Street", "N High St", "N. High St. Apt 3", "N High St Ste 200"],
        ["Twenty-First Street", "21ST ST", "Twenty First St"],
        ["Peachtree Street Northeast", "Peachtree St N E", "PEACHTREE ST NE"],
        ["County Road 12", "CO RD 12", "County Rd 12"],
        ["Lot Lane", "Lot Ln"],
    ],
)
def test_street_spellings_agree(spellings: list[str]) -> None:
    keys = street_key(pd.Series(spellings))
    assert keys.nunique() == 1, keys.tolist()


def test_street_key_keeps_letters_of_other_languages() -> None:
    assert street_key(pd.Series(["Säästöpankinranta"])).tolist() == ["säästöpankinranta"]


def test_different_streets_stay_different() -> None:
    keys = street_key(pd.Series(["Oak St", "Oak Ave", "N Oak St", "Oak Street South"]))
    assert keys.nunique() == 4


def test_house_number_spellings() -> None:
    keys = number_key(pd.Series(["12 A", "12-a", "12A", " 12a ", "5 1/2", "12-14"]))
    assert keys.tolist() == ["12a", "12a", "12a", "12a", "5½", "12-14"]
    values = number_value(keys)
    assert values[:5].tolist() == [12, 12, 12, 12, 5]
    assert np.isnan(number_value(pd.Series(["", "b"]))).all()


def test_zip_codes_compared_loosely_keeping_leading_zeros() -> None:
    keys = zip_key(pd.Series(["2134", "02134", "021341234", "02134-1234", "00100", " 30303 "]))
    assert keys.tolist() == ["02134"] * 4 + ["00100", "30303"]


def test_place_key() -> None:
    assert place_key(pd.Series(["Fort Myers", "FT. MYERS", "ft myers"])).nunique() == 1


def test_address_keys_prefer_zip_over_city_for_locality() -> None:
    frame = pd.DataFrame(
        {
            "street": ["Main Street", "Main St", "Main St"],
            "house_number": ["12", "12", "x"],
            "zip": ["30303", "", ""],
            "city": ["Atlanta", "Atlanta", ""],
        }
    )

    keys = address_keys(frame)

    assert keys["street_key"].tolist() == ["main st"] * 3
    assert keys["locality"].tolist() == ["z:30303", "c:atlanta", ""]
    assert keys["number"].iloc[:2].tolist() == [12.0, 12.0]
    assert np.isnan(keys["number"].iloc[2])


def test_address_keys_without_optional_columns() -> None:
    keys = address_keys(pd.DataFrame({"street": ["Elm St"], "house_number": ["3"]}))
    assert keys[["zip_key", "city_key", "locality"]].iloc[0].tolist() == ["", "", ""]


def test_one_string_spellings_of_one_address_agree() -> None:
    parsed = parse_address(
        pd.Series(["1204 N HIGH ST", "1204 North High Street", "1204 N High St #3"])
    )
    keys = address_keys(parsed)
    assert keys[["street_key", "number_key"]].drop_duplicates().values.tolist() == [
        ["n high st", "1204"]
    ]
    assert parsed["unit"].tolist() == ["", "", "#3"]


def test_numbers_do_not_change_how_an_address_is_split() -> None:
    # Labelled once per shape: the same split whatever the digits.
    values = pd.Series([f"{n} N High St Apt {n % 50}" for n in range(1, 400)])
    parsed = parse_address(values)
    assert (parsed["street"] == "N High St").all()
    assert parsed["house_number"].tolist() == [str(n) for n in range(1, 400)]


def test_unit_words_are_not_taken_for_street_names() -> None:
    keys = street_key(pd.Series(["Lot Ln", "Suite Rd", "Main St Lot 4", "Main St Apt B"]))
    assert keys.tolist() == ["lot ln", "suite rd", "main st", "main st"]


def test_street_parts() -> None:
    parts = street_parts(pd.Series(["n high st", "peachtree st ne", "main", "n st", "5th ave"]))
    assert parts.values.tolist() == [
        ["high", "st", "n"],
        ["peachtree", "st", "ne"],
        ["main", "", ""],
        ["st", "", "n"],
        ["5th", "ave", ""],
    ]


def test_resolve_streets_completes_only_what_is_missing() -> None:
    known = pd.DataFrame(
        {
            "street_key": ["n high st", "oak st", "oak ave", "elm st", "elm st nw"],
            "zip_key": ["30303", "", "", "30060", "30303"],
        }
    )
    targets = pd.DataFrame(
        {
            "street_key": ["high st", "n high", "high", "oak", "s high st", "elm st", "elm st"],
            "zip_key": ["", "30303", "30060", "", "", "30303", "30060"],
        }
    )

    resolved, several = resolve_streets(targets, known)

    assert several.tolist() == [False, False, False, True, False, False, False]
    assert resolved.tolist() == [
        "n high st",
        "n high st",
        "high",  # only in another ZIP code
        "oak",  # Oak St or Oak Ave
        "s high st",  # the directional conflicts
        "elm st nw",  # Elm St is known, but not in 30303
        "elm st",
    ]
