"""A plan from a state voter file (no coordinates, vote history) and a multi-part precinct layer."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from app.planning.pipeline import Plan, run_plan
from app.planning.request import PlanRequest
from geo.effort import TurfSize
from tests.app.conftest import BuiltPlan

ELECTIONS = ["PRIMARY-03/17/2020", "GENERAL-11/03/2020", "GENERAL-11/08/2022", "GENERAL-11/05/2024"]
TARGET = 'voted("GENERAL-11/05/2024") and general_votes >= 2 and age >= 30'


def swvf_from_demo(demo_plan: BuiltPlan, folder: Path) -> Path:
    """~400 demo voters in the Ohio SWVF layout: one-string addresses, birth dates, history."""
    demo = pd.read_csv(demo_plan.inputs.voters, dtype=str, keep_default_na=False)
    demo = demo.loc[demo["street"] != ""].sample(n=400, random_state=3).reset_index(drop=True)
    rng = np.random.default_rng(3)
    born = [dt.date(2024 - int(a or 40), 1, 1) for a in demo["age"]]
    swvf = pd.DataFrame(
        {
            "SOS_VOTERID": "OH" + demo["voter_id"],
            "COUNTY_NUMBER": "25",
            "LAST_NAME": demo["last_name"].str.upper(),
            "FIRST_NAME": demo["first_name"].str.upper(),
            "DATE_OF_BIRTH": [d.isoformat() for d in born],
            "PARTY_AFFILIATION": demo["party"].str[:1],
            "RESIDENTIAL_ADDRESS1": demo["house_number"] + " " + demo["street"].str.upper(),
            "RESIDENTIAL_SECONDARY_ADDR": demo["unit"],
            "RESIDENTIAL_CITY": "HELSINKI",
            "RESIDENTIAL_STATE": "OH",
            "RESIDENTIAL_ZIP": demo["zip"],
            "CITY": "COLUMBUS CITY",
            "PRECINCT_CODE": "25AAA",
        }
    )
    for election in ELECTIONS:
        swvf[election] = rng.choice(["", "X", "X"], len(swvf))
    path = folder / "SWVF_1_22.txt"
    swvf.to_csv(path, index=False)
    return path


def halved_precincts(demo_plan: BuiltPlan, folder: Path) -> Path:
    """The demo precincts, each stored as two rows (west and east of its centroid)."""
    precincts = gpd.read_file(demo_plan.inputs.precincts)
    rows = []
    for row in precincts.itertuples():
        x = row.geometry.centroid.x
        west, south, east, north = row.geometry.bounds
        for half in (shapely.box(west, south, x, north), shapely.box(x, south, east, north)):
            rows.append({"PRECCODE": row.precinct_id, "PRECNAME": row.name, "geometry": half})
    layer = gpd.GeoDataFrame(rows, crs=precincts.crs)
    whole = precincts.set_index("precinct_id").geometry.loc[layer["PRECCODE"]].to_numpy()
    layer["geometry"] = shapely.intersection(layer.geometry.to_numpy(), whole)
    path = folder / "precincts.gpkg"
    layer.to_file(path, driver="GPKG")
    return path


@pytest.fixture(scope="module")
def state_plan(demo_plan: BuiltPlan, tmp_path_factory: pytest.TempPathFactory) -> Plan:
    folder = tmp_path_factory.mktemp("state")
    return run_plan(
        PlanRequest(
            voters=swvf_from_demo(demo_plan, folder),
            precincts=halved_precincts(demo_plan, folder),
            streets=demo_plan.inputs.streets,
            size=TurfSize(minutes=None, doors=80),
            target=TARGET,
        )
    )


def test_state_file_is_read_geocoded_and_targeted_by_history(state_plan: Plan) -> None:
    counts = state_plan.counts
    assert counts["voters"]["layout"] == "ohio_swvf"
    assert counts["voters"]["columns"]["address"] == "RESIDENTIAL_ADDRESS1"
    assert counts["geocoding"]["blank_coordinates"] == 400
    assert counts["geocoding"]["match_rate"] > 0.9
    voters = state_plan.voters
    expected = (
        (voters["GENERAL-11/05/2024"] == "X")
        & (voters["general_votes"] >= 2)
        & (voters["age"] >= 30)
    )
    assert voters["target"].tolist() == expected.tolist()
    assert 0 < counts["target"]["voters"] == int(expected.sum()) < len(voters)


def test_multipart_precincts_reach_the_summary(state_plan: Plan) -> None:
    join = state_plan.counts["precinct_join"]
    assert (join["precincts"], join["rows"], join["multipart_precincts"]) == (8, 16, 8)
    assert join["id_column"] == "PRECCODE"
    assert join["id_reason"].startswith("PRECCODE looks like a precinct code; 8 precincts")
    assert join["overlapping_voters"] == 0
    assert set(state_plan.voters["precinct"]) <= {f"P0{i}" for i in range(1, 9)} | {""}
