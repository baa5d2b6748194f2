"""Voter ingest through the whole plan: layouts, geocoding, and voters outside every precinct."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest

from app.cli import main
from app.planning.pipeline import Plan, run_plan
from app.planning.recut import turf_ids
from app.planning.request import PlanRequest
from geo.effort import TurfSize
from tests.app.conftest import BuiltPlan

TAMPERE = ("61.4978", "23.7610")  # ~160 km from Helsinki: not a near miss


def van_style_file(demo_plan: BuiltPlan, folder: Path) -> tuple[Path, pd.DataFrame]:
    """~600 demo voters with VAN-ish headers, 3% blank coordinates and one far-away row."""
    voters = pd.read_csv(demo_plan.inputs.voters, dtype=str, keep_default_na=False)
    voters = voters.sample(n=600, random_state=7).reset_index(drop=True)
    voters.loc[::33, ["latitude", "longitude"]] = ""  # 19 rows to geocode
    voters.loc[5, ["latitude", "longitude"]] = TAMPERE
    van = voters.rename(
        columns={"voter_id": "Voter File VANID", "house_number": "StreetNo",
                 "street": "StreetName", "zip": "Zip5", "latitude": "Y Coord",
                 "longitude": "X Coord"}
    )  # fmt: skip
    path = folder / "van.csv"
    van.to_csv(path, index=False)
    return path, voters


def half_the_precincts(demo_plan: BuiltPlan, folder: Path) -> Path:
    precincts = gpd.read_file(demo_plan.inputs.precincts)
    path = folder / "half.geojson"
    precincts.iloc[: len(precincts) // 2].to_file(path, driver="GeoJSON")
    return path


@pytest.fixture(scope="module")
def outside_plan(demo_plan: BuiltPlan, tmp_path_factory: pytest.TempPathFactory) -> Plan:
    folder = tmp_path_factory.mktemp("outside")
    mapping = folder / "columns.toml"
    mapping.write_text('latitude = "y coord"\nlongitude = "X Coord"\n', encoding="utf-8")
    voters, _ = van_style_file(demo_plan, folder)
    return run_plan(
        PlanRequest(
            voters=voters,
            precincts=half_the_precincts(demo_plan, folder),
            streets=demo_plan.inputs.streets,
            size=TurfSize(minutes=None, doors=80),
            columns_file=mapping,
        )
    )


def test_voters_outside_every_precinct_are_kept_and_counted(outside_plan: Plan) -> None:
    join = outside_plan.counts["precinct_join"]
    voters = outside_plan.voters
    assert join["outside"] > 100 and join["matched"] > 100
    assert join["join_rate"] == round(join["matched"] / (join["matched"] + join["outside"]), 4)
    assert (voters["precinct"] == "").sum() <= join["outside"]  # some may fail snapping later
    assert (voters["precinct"] == "").sum() > 100
    # They are targeted and turfed like anyone else, in turfs named for having no precinct.
    outside_turfs = [t for t in outside_plan.turfs if t.precinct == ""]
    assert outside_turfs and all(t.turf_id.startswith("NONE-") for t in outside_turfs)
    assert voters.loc[voters["precinct"] == "", "turf"].str.startswith("NONE-").all()


def test_far_away_points_are_rejected_with_a_reason(outside_plan: Plan) -> None:
    rejected = outside_plan.rejected
    far = rejected.loc[rejected["reason"].str.startswith("far outside the precinct file")]
    assert far["row"].tolist() == [6]
    assert " km beyond it" in far["reason"].iloc[0]
    assert outside_plan.counts["precinct_join"]["rejected_far"] == 1


def test_layout_geocoding_and_books_balance(outside_plan: Plan) -> None:
    counts = outside_plan.counts
    voters = counts["voters"]
    assert voters["layout"] == "van"
    assert voters["columns"]["latitude"] == "Y Coord"
    assert voters["accepted"] + voters["rejected"] == voters["total"] == 600
    assert len(outside_plan.rejected) == voters["rejected"]
    # The blank rows sit at real OSM addresses of the extract: all found.
    assert counts["geocoding"]["blank_coordinates"] == 19
    assert counts["geocoding"]["match_rate"] == 1.0
    assert voters["source"]["osm_address"] + voters["source"]["interpolated"] >= 18
    assert sum(voters["source"].values()) == voters["accepted"]


def test_turf_ids_without_a_precinct() -> None:
    ids = turf_ids(["P02", "", "P02", ""], [3.0, 2.0, 1.0, 1.0], with_precincts=True)
    assert ids == ["P02-02", "NONE-02", "P02-01", "NONE-01"]
    assert turf_ids(["", ""], [2.0, 1.0], with_precincts=False) == ["T02", "T01"]


def test_plan_command_takes_a_column_mapping(
    demo_plan: BuiltPlan, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    voters, _ = van_style_file(demo_plan, tmp_path)
    mapping = tmp_path / "columns.json"
    mapping.write_text(json.dumps({"latitude": "Y Coord", "longitude": "X Coord"}), "utf-8")
    out = tmp_path / "plan"
    code = main(
        ["plan", "--voters", str(voters), "--columns", str(mapping),
         "--streets", str(demo_plan.inputs.streets), "--turf-doors", "200", "--out", str(out)]
    )  # fmt: skip
    assert code == 0
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["voters"]["layout"] == "van"
    assert summary["geocoding"]["with_address"] == 19
    rejected = pd.read_csv(out / "rejected.csv", dtype=str)
    assert summary["voters"]["accepted"] + len(rejected) == 600


def test_plan_command_reports_a_bad_mapping_file(
    demo_plan: BuiltPlan, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    voters, _ = van_style_file(demo_plan, tmp_path)
    mapping = tmp_path / "columns.toml"
    mapping.write_text('latitude = "Lat DD"\n', encoding="utf-8")
    out = tmp_path / "plan"
    code = main(
        ["plan", "--voters", str(voters), "--columns", str(mapping),
         "--streets", str(demo_plan.inputs.streets), "--out", str(out)]
    )  # fmt: skip
    assert code == 2
    err = capsys.readouterr().err
    assert "van.csv" in err and "Lat DD" in err and "Traceback" not in err
    assert not out.exists()
