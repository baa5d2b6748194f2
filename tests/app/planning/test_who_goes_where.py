"""Who goes where from the command line: volunteers read, turfs suggested, files written."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from app.cli import main
from segments.assign import great_circle_km
from tests.app.conftest import BuiltPlan


def _voters(demo_plan: BuiltPlan, folder: Path, rows: int = 300) -> Path:
    voters = pd.read_csv(demo_plan.inputs.voters, dtype=str, keep_default_na=False)
    path = folder / "voters.csv"
    voters.sort_values(["street", "house_number"]).head(rows).to_csv(path, index=False)
    return path


def _command(demo_plan: BuiltPlan, folder: Path, volunteers: Path) -> list[str]:
    return ["plan", "--voters", str(_voters(demo_plan, folder)),
            "--streets", str(demo_plan.inputs.streets), "--turf-doors", "20",
            "--volunteers", str(volunteers), "--out", str(folder / "plan")]  # fmt: skip


def test_plan_command_suggests_who_goes_where_within_hours_and_pairs(
    demo_plan: BuiltPlan, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    volunteers = tmp_path / "volunteers.csv"
    volunteers.write_text(
        "name,address,lat,lon,hours,pairs with\n"
        "=Ana Virtanen,Mannerheimintie 5,,,3,\n"  # a home address, geocoded like a voter's
        "Ben Lahti,,60.170,24.940,2.5,=Ana Virtanen\n"
        "Cai Nieminen,,60.160,24.930,,\n"  # no hours: one turf
        "Dee Korhonen,,60.175,24.950,8,\n"
        "Eli Mäkinen,,60.165,24.945,0.1,\n",  # too few hours for any turf
        encoding="utf-8",
    )

    assert main(_command(demo_plan, tmp_path, volunteers)) == 0

    assert "Who goes where:" in capsys.readouterr().err
    out = tmp_path / "plan"
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    record = summary["assignments_suggested"]
    rows = pd.read_csv(out / "assignments_suggested.csv", dtype=str, keep_default_na=False)
    stops = pd.read_csv(out / "stops.csv", dtype={"turf": str})
    turfs = {t["turf"]: t for t in summary["turfs"]}
    # No names in the summary: counts and travel only.
    assert "Ana" not in json.dumps(record)
    assert record["volunteers"] == 5 and record["pairs"] == 1
    assert record["turfs_assigned"] == len(rows) > 0
    assert record["turfs_assigned"] + record["turfs_unassigned"] == len(turfs)
    # Names stay text in the spreadsheet (a leading '=' is not a formula).
    assert set(rows["volunteer"]) <= {"'=Ana Virtanen", "Cai Nieminen", "Dee Korhonen"}
    pair = rows.loc[rows["volunteer"] == "'=Ana Virtanen"]
    assert (pair["with"] == "Ben Lahti").all() and (pair["hours"] == "2.5").all()
    minutes = {name: rows.loc[rows["volunteer"] == name, "turf"].map(
        lambda t: turfs[t]["minutes"]).sum() for name in set(rows["volunteer"])}  # fmt: skip
    assert minutes.get("'=Ana Virtanen", 0) <= 2.5 * 60  # the pair has Ben's hours
    assert minutes.get("Dee Korhonen", 0) <= 8 * 60
    assert (rows["volunteer"] == "Cai Nieminen").sum() <= 1
    assert "Eli Mäkinen" not in set(rows["volunteer"])
    # Travel is from home to each turf's first stop.
    first = stops.sort_values("sequence").drop_duplicates("turf").set_index("turf")
    cai = rows.loc[rows["volunteer"] == "Cai Nieminen"]
    for _, row in cai.iterrows():
        expected = great_circle_km([60.160], [24.930], [first.at[row["turf"], "lat"]],
                                   [first.at[row["turf"], "lon"]])[0, 0]  # fmt: skip
        assert float(row["travel_km"]) == pytest.approx(expected, abs=0.01)
    assert record["travel_km"] == pytest.approx(rows["travel_km"].astype(float).sum(), abs=0.05)
    ours = (record["turfs_assigned"], -record["travel_km"])
    for baseline in record["baselines"].values():
        assert ours >= (baseline["turfs_assigned"], -baseline["travel_km"])


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ("name,lat,lon,hours\nAna,60.17,24.94,many\n", "row 2, column 'hours'"),
        ("name,lat,lon\nAna,60.17,24.94\n,60.16,24.93\n", "row 3, column 'name'"),
        ("name,address\nAna,Nowhere Road 77\n", "row 2, column 'address'"),
        ("name,lat,lon,pairs with\nAna,60.17,24.94,Zed\n", "row 2, column 'pairs with'"),
    ],
)
def test_a_bad_volunteer_row_stops_the_plan_naming_file_row_and_column(
    demo_plan: BuiltPlan,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    text: str,
    where: str,
) -> None:
    volunteers = tmp_path / "volunteers.csv"
    volunteers.write_text(text, encoding="utf-8")

    assert main(_command(demo_plan, tmp_path, volunteers)) == 2

    err = " ".join(capsys.readouterr().err.split())
    assert f"volunteers.csv, {where}" in err
    assert not (tmp_path / "plan").exists()
