"""A volunteers file: names, homes, hours and pairs read, or refused naming row and column."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from geo._errors import InputError
from geo.volunteers import read_volunteers, split_home


def _file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "volunteers.csv"
    path.write_text(text, encoding="utf-8")
    return path


def test_homes_hours_and_pairs_are_read_blank_lines_skipped(tmp_path: Path) -> None:
    path = _file(
        tmp_path,
        "Volunteer,Home Lat,Home Lng,Hours available,Partner\n"
        'Ana,60.17,24.94,"2,5",\n'
        ",,,,\n"
        "Ben,60.16,24.93,,ANA\n",
    )

    found = read_volunteers(path)

    frame = found.frame
    assert frame["name"].tolist() == ["Ana", "Ben"]
    assert frame["row"].tolist() == [2, 4]  # as a spreadsheet numbers them
    assert frame["minutes"].iloc[0] == 150.0 and np.isnan(frame["minutes"].iloc[1])
    assert frame[["lat", "lon"]].iloc[1].tolist() == [60.16, 24.93]
    assert found.pairs == [(0, 1)]


@pytest.mark.parametrize(
    ("text", "where", "what"),
    [
        ("name,lat,lon\nAna,95,24\n", "row 2, column 'lat'", "between -90 and 90"),
        ("name,lat,lon,hours\nAna,60,24,0\n", "row 2, column 'hours'", "above 0"),
        ("name,lat,lon\nAna,60,24\nBen,,\n", "row 3, column 'address'", "no home"),
        ("name,lat,lon,pairs with\nAna,60,24,Ana\n", "row 2, column 'pairs with'", "themselves"),
        (
            "name,lat,lon,pairs with\nAna,60,24,Ben\nBen,60,24,\nCai,60,24,Ben\n",
            "row 4, column 'pairs with'",
            "a pair is two people",
        ),
        (
            "name,lat,lon,pairs with\nAna,60,24,Ben\nBen,60,24,\nBen,60,24,\n",
            "row 2, column 'pairs with'",
            "2 volunteers have that name",
        ),
    ],
)
def test_a_bad_row_is_refused_naming_row_and_column(
    tmp_path: Path, text: str, where: str, what: str
) -> None:
    with pytest.raises(InputError) as refused:
        read_volunteers(_file(tmp_path, text))
    assert where in str(refused.value) and what in str(refused.value)


def test_a_home_is_coordinates_or_an_address() -> None:
    assert split_home("60.17,24.94") == (60.17, 24.94)
    assert split_home("-33.9 151.2") == (-33.9, 151.2)
    assert split_home("12 Main St") == "12 Main St"
    assert split_home("95, 24") == "95, 24"  # not a latitude
