"""Reading voter files as they come: encodings, packaging, formats, and row-by-row checks."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from geo._errors import InputError
from geo.voters import read_voters, reject_rows

# Atlanta, Boston and San Francisco: real coordinates, real ZIP codes (some with leading zeros).
ATL = (33.7490, -84.3880)
BOS = (42.3550, -71.1300)
SFO = (37.7749, -122.4194)


def write_csv(path: Path, header: list[str], rows: list[list[str]], *, sep: str = ",") -> Path:
    lines = [sep.join(header), *(sep.join(row) for row in rows)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def accounted_rows(table_rows: pd.Series, rejected_rows: pd.Series) -> list[int]:
    return sorted([*table_rows.tolist(), *rejected_rows.tolist()])


# --- encodings ---------------------------------------------------------------------------------


def test_utf8_bom_does_not_hide_the_first_column(tmp_path: Path) -> None:
    text = (
        "voter_id,first_name,last_name,latitude,longitude\n"
        f"V1,Zoë,Ångström,{ATL[0]},{ATL[1]}\n"
        f"V2,José,Núñez,{ATL[0] + 0.001},{ATL[1]}\n"
    )
    path = tmp_path / "voters.csv"
    path.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))

    table = read_voters(path)

    assert table.columns["voter_id"] == "voter_id"
    assert table.accepted["voter_id"].tolist() == ["V1", "V2"]
    assert table.accepted["first_name"].tolist() == ["Zoë", "José"]
    assert table.accepted["last_name"].tolist() == ["Ångström", "Núñez"]


def test_utf16_tab_separated(tmp_path: Path) -> None:
    text = (
        "VoterID\tFirstName\tLastName\tLatitude\tLongitude\r\n"
        f"101\tZoë\tMüller\t{ATL[0]}\t{ATL[1]}\r\n"
        f"102\tIñaki\tPeña\t{BOS[0]}\t{BOS[1]}\r\n"
    )
    path = tmp_path / "voters.txt"
    path.write_bytes(text.encode("utf-16"))  # with BOM, as Windows tools write it

    table = read_voters(path)

    assert table.total == 2
    assert table.accepted["voter_id"].tolist() == ["101", "102"]
    assert table.accepted["last_name"].tolist() == ["Müller", "Peña"]
    assert table.accepted.geometry.y.tolist() == pytest.approx([ATL[0], BOS[0]])
    assert table.accepted.geometry.x.tolist() == pytest.approx([ATL[1], BOS[1]])


def test_utf16_little_endian_without_bom(tmp_path: Path) -> None:
    text = f"id\tlast_name\tlat\tlon\n7\tPeña\t{ATL[0]}\t{ATL[1]}\n"
    path = tmp_path / "voters.tsv"
    path.write_bytes(text.encode("utf-16-le"))

    table = read_voters(path)

    assert table.accepted["last_name"].tolist() == ["Peña"]
    assert table.accepted["voter_id"].tolist() == ["7"]


@pytest.mark.parametrize("encoding", ["latin-1", "cp1252"])
def test_single_byte_encoded_names(tmp_path: Path, encoding: str) -> None:
    names = ["Müller", "Peña", "Françoise"]
    if encoding == "cp1252":
        names.append("O’Brien")  # right single quote: 0x92 in cp1252, not in Latin-1
    rows = "".join(f"{i},{name},{ATL[0]},{ATL[1] + i / 1000}\n" for i, name in enumerate(names))
    path = tmp_path / "voters.csv"
    path.write_bytes(("voter_id,last_name,latitude,longitude\n" + rows).encode(encoding))

    table = read_voters(path)

    assert table.accepted["last_name"].tolist() == names


# --- packaging and formats ---------------------------------------------------------------------


def van_export_text() -> str:
    header = [
        "Voter File VANID", "LastName", "FirstName", "Address", "City", "State", "Zip5",
        "VAddressLatitude", "VAddressLongitude",
    ]  # fmt: skip
    atl, bos = [str(ATL[0]), str(ATL[1])], [str(BOS[0]), str(BOS[1])]
    rows = [
        ["100234", "Peña", "Iñaki", "12 Main St", "Atlanta", "GA", "30303", *atl],
        ["100235", "Müller", "Zoë", "5 Elm St", "Boston", "MA", "02134", *bos],
        ["100236", "Smith", "Ann", "", "Boston", "MA", "02134", "", ""],
    ]  # fmt: skip
    return "\r\n".join("\t".join(r) for r in [header, *rows]) + "\r\n"


def test_zipped_van_export_with_xls_that_is_utf16_text(tmp_path: Path) -> None:
    path = tmp_path / "VAN_export_1234.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("ExportFile_1234.xls", van_export_text().encode("utf-16"))

    table = read_voters(path)

    assert table.columns["voter_id"] == "Voter File VANID"
    assert table.columns["latitude"] == "VAddressLatitude"
    assert table.columns["longitude"] == "VAddressLongitude"
    assert table.total == 3
    assert table.accepted["voter_id"].tolist() == ["100234", "100235"]
    assert table.accepted["last_name"].tolist() == ["Peña", "Müller"]
    assert table.accepted["first_name"].tolist() == ["Iñaki", "Zoë"]
    assert table.accepted["zip"].tolist() == ["30303", "02134"]
    assert table.accepted.geometry.x.tolist() == pytest.approx([ATL[1], BOS[1]])
    assert table.accepted.geometry.y.tolist() == pytest.approx([ATL[0], BOS[0]])
    assert table.rejected["voter_id"].tolist() == ["100236"]
    assert "missing coordinates" in table.rejected["reason"].iloc[0]


def test_zip_with_macos_metadata_still_finds_the_table(tmp_path: Path) -> None:
    path = tmp_path / "voters.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("__MACOSX/._voters.csv", b"\x00\x05\x16\x07junk")
        archive.writestr("voters.csv", f"voter_id,lat,lon\nA,{ATL[0]},{ATL[1]}\n")

    table = read_voters(path)

    assert table.accepted["voter_id"].tolist() == ["A"]


def test_parquet(tmp_path: Path) -> None:
    frame = pd.DataFrame(
        {
            "voter_id": ["P1", "P2", "P3"],
            "last_name": ["Peña", "Müller", "Lee"],
            "zip": ["02134", "30303", "94103"],
            "latitude": [BOS[0], ATL[0], np.nan],
            "longitude": [BOS[1], ATL[1], np.nan],
        }
    )
    path = tmp_path / "voters.parquet"
    frame.to_parquet(path)

    table = read_voters(path)

    assert table.accepted["voter_id"].tolist() == ["P1", "P2"]
    assert table.accepted["zip"].tolist() == ["02134", "30303"]
    assert table.accepted.geometry.x.tolist() == pytest.approx([BOS[1], ATL[1]])
    assert table.rejected["voter_id"].tolist() == ["P3"]
    assert "missing coordinates" in table.rejected["reason"].iloc[0]


def test_geojson_points(tmp_path: Path) -> None:
    layer = gpd.GeoDataFrame(
        {"voter_id": ["G1", "G2"], "zip": ["02134", "30303"], "last_name": ["Peña", "Lee"]},
        geometry=[shapely.Point(BOS[1], BOS[0]), shapely.Point(ATL[1], ATL[0])],
        crs="EPSG:4326",
    )
    path = tmp_path / "voters.geojson"
    layer.to_file(path, driver="GeoJSON")

    table = read_voters(path)

    assert table.accepted["voter_id"].tolist() == ["G1", "G2"]
    assert table.accepted["zip"].tolist() == ["02134", "30303"]
    assert table.accepted["last_name"].tolist() == ["Peña", "Lee"]
    assert table.accepted.crs.to_epsg() == 4326
    assert table.accepted.geometry.x.tolist() == pytest.approx([BOS[1], ATL[1]])
    assert table.accepted.geometry.y.tolist() == pytest.approx([BOS[0], ATL[0]])


def test_geopackage_in_web_mercator_comes_back_as_lon_lat(tmp_path: Path) -> None:
    lonlat = gpd.GeoDataFrame(
        {"voter_id": ["M1", "M2"]},
        geometry=[shapely.Point(ATL[1], ATL[0]), shapely.Point(SFO[1], SFO[0])],
        crs="EPSG:4326",
    )
    projected = lonlat.to_crs(3857)
    assert projected.geometry.x.abs().min() > 1e6  # really metres, not degrees
    path = tmp_path / "voters.gpkg"
    projected.to_file(path, driver="GPKG")

    table = read_voters(path)

    assert table.accepted.crs.to_epsg() == 4326
    assert table.accepted.geometry.x.tolist() == pytest.approx([ATL[1], SFO[1]], abs=1e-7)
    assert table.accepted.geometry.y.tolist() == pytest.approx([ATL[0], SFO[0]], abs=1e-7)


# --- columns -----------------------------------------------------------------------------------


def test_headers_with_surrounding_spaces_and_odd_case(tmp_path: Path) -> None:
    header = ["  VOTER id ", " Last_Name", "ZIP Code ", " LATitude ", "  lonGITUDE"]
    path = write_csv(tmp_path / "v.csv", header, [["X9", "Lee", "02134", str(BOS[0]), str(BOS[1])]])

    table = read_voters(path)

    assert table.columns["latitude"] == "LATitude"
    assert table.columns["longitude"] == "lonGITUDE"
    assert table.accepted["voter_id"].tolist() == ["X9"]
    assert table.accepted["last_name"].tolist() == ["Lee"]
    assert table.accepted["zip"].tolist() == ["02134"]
    assert table.accepted.geometry.y.tolist() == pytest.approx([BOS[0]])


def test_zip_codes_keep_leading_zeros_in_accepted_and_rejected_rows(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "v.csv",
        ["voter_id", "zip", "latitude", "longitude"],
        [["1", "02134", str(BOS[0]), str(BOS[1])], ["2", "00501", "", ""]],
    )

    table = read_voters(path)

    assert table.accepted["zip"].tolist() == ["02134"]
    assert table.rejected["zip"].tolist() == ["00501"]


def test_explicit_column_mapping(tmp_path: Path) -> None:
    header = ["Person", "Y coord", "X coord", "Family"]
    path = write_csv(tmp_path / "v.csv", header, [["p-1", str(ATL[0]), str(ATL[1]), "Peña"]])
    with pytest.raises(InputError):
        read_voters(path)  # nothing to detect the coordinates by

    table = read_voters(
        path,
        columns={
            "voter_id": "Person",
            "latitude": "Y coord",
            "longitude": "X coord",
            "last_name": "Family",
        },
    )

    assert table.accepted["voter_id"].tolist() == ["p-1"]
    assert table.accepted["last_name"].tolist() == ["Peña"]
    assert table.accepted.geometry.y.tolist() == pytest.approx([ATL[0]])
    assert table.accepted.geometry.x.tolist() == pytest.approx([ATL[1]])


def test_explicit_mapping_overrides_detected_columns(tmp_path: Path) -> None:
    # The file's "lat"/"lon" are the wrong way round; the user says so with a mapping.
    path = write_csv(tmp_path / "v.csv", ["id", "lat", "lon"], [["1", str(SFO[1]), str(SFO[0])]])

    table = read_voters(path, columns={"latitude": "lon", "longitude": "lat"})

    assert table.accepted.geometry.y.tolist() == pytest.approx([SFO[0]])
    assert table.accepted.geometry.x.tolist() == pytest.approx([SFO[1]])


def test_mapping_naming_a_missing_column_raises(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "v.csv", ["id", "lat", "lon"], [["1", str(ATL[0]), str(ATL[1])]])

    with pytest.raises(InputError) as caught:
        read_voters(path, columns={"latitude": "Latitude_WGS84"})

    message = str(caught.value)
    assert str(path) in message
    assert "Latitude_WGS84" in message
    assert "'lat'" in message  # lists the columns that are there


def test_missing_latitude_column_raises_naming_the_file(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "no_coords.csv",
        ["voter_id", "street", "longitude"],
        [["1", "Main St", str(ATL[1])]],
    )

    with pytest.raises(InputError) as caught:
        read_voters(path)

    assert caught.value.path == str(path)
    assert str(path) in str(caught.value)
    assert "latitude" in str(caught.value)


# --- coordinate checks -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lat", "lon", "expected"),
    [
        ("", str(ATL[1]), "missing coordinates"),
        (str(ATL[0]), "", "missing coordinates"),
        ("", "", "missing coordinates"),
        ("   ", "  ", "missing coordinates"),
        ("0", "0", "0,0"),
        ("0.0", "-0.000", "0,0"),
        ("abc", str(ATL[1]), "not numbers"),
        (str(ATL[0]), "n/a", "not numbers"),
        (str(SFO[1]), str(SFO[0]), "swapped"),
        ("95.5", "-200", "out of range"),
        (str(ATL[0]), "-184.4", "out of range"),
        ("-91", "-100", "out of range"),
    ],
)
def test_bad_coordinates_are_rejected_with_a_reason(
    tmp_path: Path, lat: str, lon: str, expected: str
) -> None:
    path = write_csv(
        tmp_path / "v.csv",
        ["voter_id", "latitude", "longitude"],
        [["good", str(ATL[0]), str(ATL[1])], ["bad", lat, lon]],
    )

    table = read_voters(path)

    assert table.accepted["voter_id"].tolist() == ["good"]
    assert table.rejected["voter_id"].tolist() == ["bad"]
    assert table.rejected["row"].tolist() == [2]
    assert expected in table.rejected["reason"].iloc[0]


def test_blank_coordinates_never_become_a_point_at_0_0(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "v.csv",
        ["voter_id", "latitude", "longitude"],
        [["a", "", ""], ["b", str(ATL[0]), str(ATL[1])], ["c", "", ""]],
    )

    table = read_voters(path)

    points = table.accepted.geometry
    assert not ((points.x == 0) & (points.y == 0)).any()
    assert len(table.accepted) == 1
    assert set(table.rejected["voter_id"]) == {"a", "c"}


def test_coordinates_with_padding_spaces_are_usable(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "v.csv",
        ["voter_id", "latitude", "longitude"],
        [["a", f" {ATL[0]} ", f" {ATL[1]}"]],
    )

    table = read_voters(path)

    assert table.accepted.geometry.y.tolist() == pytest.approx([ATL[0]])


# --- ids and accounting ------------------------------------------------------------------------


def test_duplicate_voter_id_rejects_the_second_copy_naming_the_first_row(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "v.csv",
        ["voter_id", "last_name", "latitude", "longitude"],
        [
            ["A1", "Lee", str(ATL[0]), str(ATL[1])],
            ["B2", "Kim", str(ATL[0]), str(ATL[1])],
            [" A1 ", "Lee-Smith", str(BOS[0]), str(BOS[1])],
        ],
    )

    table = read_voters(path)

    assert table.accepted["voter_id"].tolist() == ["A1", "B2"]
    assert table.accepted["last_name"].tolist() == ["Lee", "Kim"]
    rejected = table.rejected.iloc[0]
    assert rejected["row"] == 3
    assert rejected["last_name"] == "Lee-Smith"
    assert "duplicate voter id" in rejected["reason"]
    assert "row 1" in rejected["reason"]


def test_blank_voter_id_in_a_csv_is_rejected(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "v.csv",
        ["voter_id", "latitude", "longitude"],
        [["", str(ATL[0]), str(ATL[1])], ["  ", str(ATL[0]), str(ATL[1])], ["C", "33.7", "-84.3"]],
    )

    table = read_voters(path)

    assert table.accepted["voter_id"].tolist() == ["C"]
    assert table.rejected["row"].tolist() == [1, 2]
    assert (table.rejected["reason"] == "blank voter id").all()


def test_missing_voter_ids_in_parquet_are_rejected_as_blank(tmp_path: Path) -> None:
    frame = pd.DataFrame(
        {
            "voter_id": ["A1", None, None, "A4"],
            "latitude": [ATL[0]] * 4,
            "longitude": [ATL[1]] * 4,
        }
    )
    path = tmp_path / "voters.parquet"
    frame.to_parquet(path)

    table = read_voters(path)

    assert table.accepted["voter_id"].tolist() == ["A1", "A4"]
    assert table.rejected["row"].tolist() == [2, 3]
    assert table.rejected["reason"].tolist() == ["blank voter id", "blank voter id"]


def test_every_row_is_accounted_for_and_rejected_rows_keep_their_fields(tmp_path: Path) -> None:
    header = ["VANID", "LastName", "Zip5", "Party", "Latitude", "Longitude"]
    rows = [
        ["1", "Peña", "02134", "D", str(BOS[0]), str(BOS[1])],
        ["2", "Müller", "02135", "R", "", ""],
        ["3", "Lee", "30303", "U", "abc", str(ATL[1])],
        ["4", "Kim", "30303", "D", "0", "0"],
        ["1", "Peña", "02134", "D", str(BOS[0]), str(BOS[1])],
        ["5", "Ngata", "94103", "G", str(SFO[1]), str(SFO[0])],
        ["6", "Olsen", "30303", "R", str(ATL[0]), str(ATL[1])],
    ]
    path = write_csv(tmp_path / "v.csv", header, rows)

    table = read_voters(path)

    assert table.total == len(rows)
    assert len(table.accepted) + len(table.rejected) == table.total
    assert accounted_rows(table.accepted["row"], table.rejected["row"]) == list(range(1, 8))
    assert table.accepted["voter_id"].tolist() == ["1", "6"]
    assert table.rejected["reason"].map(bool).all()
    # The rejected table keeps what the file said, so the organiser can fix and re-import it.
    by_row = table.rejected.set_index("row")
    assert by_row.loc[2, "LastName"] == "Müller"
    assert by_row.loc[2, "Zip5"] == "02135"
    assert by_row.loc[3, "Latitude"] == "abc"
    assert by_row.loc[4, "Party"] == "D"
    assert by_row.loc[5, "Zip5"] == "02134"
    assert by_row.loc[6, "Latitude"] == str(SFO[1])


def test_reject_rows_moves_voters_and_keeps_the_accounting(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "v.csv",
        ["voter_id", "zip", "latitude", "longitude"],
        [
            ["a", "02134", str(BOS[0]), str(BOS[1])],
            ["b", "30303", "", ""],
            ["c", "30303", str(ATL[0]), str(ATL[1])],
        ],
    )
    table = read_voters(path)

    moved = reject_rows(table, table.accepted["voter_id"] == "a", "outside every precinct")

    assert moved.accepted["voter_id"].tolist() == ["c"]
    assert len(moved.accepted) + len(moved.rejected) == moved.total == 3
    assert moved.rejected["row"].tolist() == [1, 2]
    first = moved.rejected.iloc[0]
    assert first["reason"] == "outside every precinct"
    assert first["zip"] == "02134"


# --- unreadable input --------------------------------------------------------------------------


@pytest.mark.parametrize("content", [b"", b"\n\n  \r\n", b"\xef\xbb\xbf"])
def test_empty_file_raises(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "empty.csv"
    path.write_bytes(content)

    with pytest.raises(InputError) as caught:
        read_voters(path)

    assert str(path) in str(caught.value)


def test_missing_file_raises(tmp_path: Path) -> None:
    path = tmp_path / "nope.csv"
    with pytest.raises(InputError, match="not found"):
        read_voters(path)


def zipped_csv_bytes() -> bytes:
    body = "voter_id,latitude,longitude\n" + "".join(
        f"{i},{ATL[0] + i / 10000},{ATL[1]}\n" for i in range(500)
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("voters.csv", body)
    return buffer.getvalue()


def test_truncated_zip_raises(tmp_path: Path) -> None:
    data = zipped_csv_bytes()
    path = tmp_path / "voters.zip"
    path.write_bytes(data[: len(data) // 2])  # an interrupted download

    with pytest.raises(InputError) as caught:
        read_voters(path)

    assert str(path) in str(caught.value)


def test_zip_with_corrupt_data_raises_input_error(tmp_path: Path) -> None:
    data = bytearray(zipped_csv_bytes())
    for i in range(60, 120):  # damage the compressed stream, keep the central directory
        data[i] ^= 0xFF
    path = tmp_path / "voters.zip"
    path.write_bytes(bytes(data))

    with pytest.raises(InputError) as caught:
        read_voters(path)

    assert str(path) in str(caught.value)


def test_zip_with_two_tables_raises(tmp_path: Path) -> None:
    path = tmp_path / "voters.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("a.csv", "id,lat,lon\n1,33.7,-84.3\n")
        archive.writestr("b.csv", "id,lat,lon\n2,33.7,-84.3\n")

    with pytest.raises(InputError, match=r"exactly one"):
        read_voters(path)


def test_damaged_parquet_raises_input_error(tmp_path: Path) -> None:
    good = tmp_path / "good.parquet"
    pd.DataFrame({"voter_id": ["1"], "latitude": [ATL[0]], "longitude": [ATL[1]]}).to_parquet(good)
    path = tmp_path / "voters.parquet"
    path.write_bytes(good.read_bytes()[:40])

    with pytest.raises(InputError) as caught:
        read_voters(path)

    assert str(path) in str(caught.value)
