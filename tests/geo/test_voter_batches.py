"""A big voter file is checked in batches, counted as it goes; the table is the one of one batch."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest

import geo.voters
from geo.voters import read_voters


class Stages:
    """Records the stages ``read_voters`` opens and what each one counted."""

    def __init__(self) -> None:
        self.opened: list[tuple[str, int | None]] = []
        self.counted: dict[str, list[int]] = {}

    @contextmanager
    def __call__(self, name: str, total: int | None = None) -> Iterator[Stages]:
        self.opened.append((name, total))
        self.counted[name] = []
        yield self

    def advance(self, count: int = 1) -> None:
        self.counted[self.opened[-1][0]].append(count)


def van_export(path: Path, addresses: gpd.GeoDataFrame) -> Path:
    """A VAN-style export (one-string addresses) where every address recurs 40 rows later.

    Every fifth row has blank coordinates (geocoded); a few rows are broken.
    """
    rows = []
    for i, point in enumerate(addresses.iloc[:40].itertuples()):
        address = f"{point.street} {point.house_number}, {point.postcode} Helsinki"
        rows.append([f"V{i}", address, f"{point.geometry.y:.7f}", f"{point.geometry.x:.7f}"])
    rows += [[f"W{i}", *row[1:]] for i, row in enumerate(rows)]
    for row in rows[::5]:
        row[2:] = ["", ""]
    rows += [
        ["X1", "Nowhere Street 7, 00100 Helsinki", "", ""],
        ["X2", "", "", ""],
        ["X3", rows[1][1], "0", "0"],
        ["V3", rows[3][1], rows[3][2], rows[3][3]],  # a repeated id
    ]
    header = "Voter File VANID\tAddress\tVAddressLatitude\tVAddressLongitude"
    text = "\r\n".join([header, *("\t".join(row) for row in rows)]) + "\r\n"
    path.write_bytes(text.encode("utf-16"))
    return path


def test_batches_give_the_table_of_one_batch(
    tmp_path: Path, helsinki_addresses: gpd.GeoDataFrame, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = van_export(tmp_path / "export.txt", helsinki_addresses)
    whole = read_voters(path, address_points=helsinki_addresses)
    monkeypatch.setattr(geo.voters, "CHECK_ROWS", 7)

    batched = read_voters(path, address_points=helsinki_addresses)

    assert whole.total == 84 and len(whole.accepted) > 60
    assert set(whole.accepted["source"]) == {"file", "osm_address", "interpolated"}
    pd.testing.assert_frame_equal(batched.accepted, whole.accepted, check_exact=True)
    pd.testing.assert_frame_equal(batched.rejected, whole.rejected, check_exact=True)
    assert batched.geocoding == whole.geocoding
    # Row numbers run on across batches, and an address repeated in a later batch is split
    # as it was the first time.
    accepted = batched.accepted.set_index("voter_id")
    assert accepted.loc["W39", "row"] == 80
    assert accepted.loc["W2", ["street", "house_number"]].tolist() == [
        helsinki_addresses["street"].iloc[2],
        helsinki_addresses["house_number"].iloc[2],
    ]
    assert batched.rejected.set_index("voter_id").loc["X3", "row"] == 83


def test_rows_are_counted_as_checked_and_geocoded(
    tmp_path: Path, helsinki_addresses: gpd.GeoDataFrame, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = van_export(tmp_path / "export.txt", helsinki_addresses)
    monkeypatch.setattr(geo.voters, "CHECK_ROWS", 20)
    stages = Stages()

    table = read_voters(path, address_points=helsinki_addresses, stages=stages)

    wanted = table.geocoding["with_address"]
    assert stages.opened == [("read_voters", None), ("check_voters", 84), ("geocode", wanted)]
    assert stages.counted["check_voters"] == [20, 20, 20, 20, 4]
    # Rows placed source by source, then the ones found nowhere: all of them in the end.
    assert sum(stages.counted["geocode"]) == wanted == 17
    assert len(stages.counted["geocode"]) > 1


def test_a_file_with_every_point_given_has_nothing_to_geocode(tmp_path: Path) -> None:
    path = tmp_path / "voters.csv"
    path.write_text("voter_id,lat,lon\nA,33.7,-84.4\nB,33.8,-84.3\n", encoding="utf-8")
    stages = Stages()

    read_voters(path, stages=stages)

    assert stages.opened == [("read_voters", None), ("check_voters", 2)]
    assert stages.counted["check_voters"] == [2]
