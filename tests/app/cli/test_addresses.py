"""`canvass plan --addresses FILE`: address files place voters without coordinates."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from app.cli import main
from app.cli.parser import build_parser
from app.planning.request import request_from_plan
from geo.sample import write_demo_inputs


def test_the_option_repeats() -> None:
    args = build_parser().parse_args(
        ["plan", "--voters", "v.csv", "--streets", "s.osm.pbf", "--out", "o",
         "--addresses", "oa.csv", "--addresses", "tl_2023_13067_addrfeat.zip"]
    )  # fmt: skip
    assert args.addresses == [Path("oa.csv"), Path("tl_2023_13067_addrfeat.zip")]
    plain = build_parser().parse_args(["plan", "--voters", "v", "--streets", "s", "--out", "o"])
    assert plain.addresses == []


@pytest.fixture(scope="module")
def planned(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, pd.DataFrame]:
    """A plan of 300 demo voters, 30 without coordinates, with an OpenAddresses-style file."""
    folder = tmp_path_factory.mktemp("addresses")
    inputs = write_demo_inputs(folder / "demo")
    voters = pd.read_csv(inputs.voters, dtype=str, keep_default_na=False)
    # Intact rows only (the demo breaks a few on purpose), from a few streets.
    lat, lon = pd.to_numeric(voters["latitude"]), pd.to_numeric(voters["longitude"])
    intact = lat.between(59, 61) & lon.between(24, 26) & (voters["street"] != "")
    voters = voters.loc[intact].drop_duplicates("voter_id", keep=False)
    voters = voters.sort_values(["street", "house_number"]).head(300).reset_index(drop=True)
    blank = voters.index[::10]
    # The address file holds the blanked voters' addresses (spelled in capitals) at their
    # true points; the first blanked voter gets an address that is nowhere.
    known = voters.loc[blank[1:]].drop_duplicates(["street", "house_number"])
    oa = pd.DataFrame(
        {
            "LON": known["longitude"], "LAT": known["latitude"],
            "NUMBER": known["house_number"], "STREET": known["street"].str.upper(),
            "UNIT": "", "CITY": "HELSINKI", "DISTRICT": "", "REGION": "",
            "POSTCODE": known["zip"], "ID": "", "HASH": "",
        }
    )  # fmt: skip
    addresses = folder / "fi-helsinki-addresses.csv"
    oa.to_csv(addresses, index=False)
    voters.loc[blank, ["latitude", "longitude"]] = ""
    voters.loc[blank[0], ["street", "house_number"]] = ["Olematon katu", "7"]
    path = folder / "voters.csv"
    voters.to_csv(path, index=False)
    out = folder / "plan"
    code = main(
        ["plan", "--voters", str(path), "--streets", str(inputs.streets), "--addresses",
         str(addresses), "--turf-doors", "60", "--out", str(out)]
    )  # fmt: skip
    assert code == 0
    return out, addresses, voters.loc[blank]


def test_plan_places_voters_on_the_address_file_first(
    planned: tuple[Path, Path, pd.DataFrame],
) -> None:
    out, addresses, _ = planned
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))

    assert summary["inputs"]["addresses"] == [str(addresses.resolve())]
    sources = summary["voters"]["source"]
    assert set(sources) == {"file", "address_points", "osm_address", "address_range",
                            "interpolated"}  # fmt: skip
    assert sources["file"] == 270
    assert sources["address_points"] == 29
    assert sources["osm_address"] == sources["address_range"] == sources["interpolated"] == 0
    geocoding = summary["geocoding"]
    assert geocoding["with_address"] == 30
    assert geocoding["not_found"] == 1
    assert geocoding["not_found_reasons"] == {"street not in the address data": 1}
    assert geocoding["reference"]["address_files"] == [
        {"path": str(addresses), "kind": "points", "rows": len(pd.read_csv(addresses))}
    ]
    rejected = pd.read_csv(out / "rejected.csv", dtype=str)
    assert rejected["reason"].tolist() == ["address not found: street not in the address data"]


def test_a_re_run_reads_the_address_files_from_the_summary(
    planned: tuple[Path, Path, pd.DataFrame],
) -> None:
    out, addresses, _ = planned
    assert request_from_plan(out).addresses == (addresses.resolve(),)
