"""A plan's walk lists show only the chosen fields, yet the dashboard and links keep every field.

The plan folder's ``voter_data.csv`` carries party and scores for the database import; it is
served to organisers and admins only (erasure and the retention sweep are in test_privacy).
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from app.cli import main
from app.services.accounts import create_user
from app.services.progress import plan_activity
from app.settings import Settings
from app.store.links import create_volunteer_link
from app.web.app import create_app
from segments.engagement import engagement_by_precinct
from tests.app.privacy.conftest import Inputs

PASSWORD = "correct horse battery"


@pytest.fixture(scope="module")
def workspace(inputs: Inputs, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A workspace with one plan written with the default walk-list fields (name, age band)."""
    root = tmp_path_factory.mktemp("ws")
    code = main(
        ["-q", "plan", "--voters", str(inputs.voters), "--precincts", str(inputs.precincts),
         "--streets", str(inputs.streets), "--turf-doors", "40", "--out", str(root / "plan")]
    )  # fmt: skip
    assert code == 0
    return root


@pytest.fixture(scope="module")
def client(workspace: Path, database_url: str) -> Iterator[TestClient]:
    app = create_app(Settings(workspace=workspace, database_url=database_url))
    db = app.state.services.db
    create_user(db, "org", PASSWORD, "organiser")
    create_user(db, "watcher", PASSWORD, "manager")
    with TestClient(app) as test_client:
        yield test_client
    db.dispose()


def _walklist(workspace: Path) -> list[dict[str, str]]:
    rows = []
    for path in sorted((workspace / "plan" / "walklists").glob("*.csv")):
        with path.open(encoding="utf-8") as handle:
            rows += list(csv.DictReader(handle))
    return rows


def test_the_dashboard_means_are_the_plan_voters_means(
    client: TestClient, workspace: Path, inputs: Inputs
) -> None:
    walked = _walklist(workspace)
    # The walk lists hold no scores (default fields)...
    assert walked and all(r["support_score"] == r["party"] == "" for r in walked)
    # ...but the manager's precinct means are those of the plan's voters' input scores.
    scores = pd.DataFrame(inputs.rows).drop_duplicates("voter_id").set_index("voter_id")
    db = client.app.state.services.db  # type: ignore[attr-defined]
    activity = plan_activity(db, "plan")
    assert activity is not None
    voters = activity.voters
    assert sorted(voters["voter_id"]) == sorted(r["voter_id"] for r in walked)
    expected = {}
    for column in ("support_score", "turnout_score"):
        numbers = pd.to_numeric(scores[column], errors="coerce")
        expected[column] = numbers.reindex(voters["voter_id"]).groupby(
            voters["precinct"].to_numpy()
        ).mean()  # fmt: skip
    table = engagement_by_precinct(voters)
    assert table["mean_support"].to_dict() == pytest.approx(expected["support_score"].to_dict())
    assert table["mean_turnout"].to_dict() == pytest.approx(expected["turnout_score"].to_dict())

    client.post("/api/login", json={"username": "watcher", "password": PASSWORD})
    page = client.get("/plans/plan/dashboard/map")
    assert page.status_code == 200
    # The precinct layer's tooltips: what a manager reads on the map.
    features = [json.loads(p) for p in re.findall(r'"properties": (\{[^{}]*\})', page.text)]
    shown = {
        f["Precinct"]: (f["Mean support"], f["Mean turnout"]) for f in features if "Precinct" in f
    }
    assert set(expected["support_score"].index) <= set(shown)
    for precinct, support in expected["support_score"].items():
        turnout = expected["turnout_score"][precinct]
        assert shown[precinct] == (f"{support:.0f}", f"{turnout:.0f}"), precinct


def test_a_link_with_party_shows_the_party_though_the_walk_lists_do_not(
    client: TestClient, workspace: Path, inputs: Inputs
) -> None:
    summary = json.loads((workspace / "plan" / "summary.json").read_text(encoding="utf-8"))
    assert summary["privacy"]["walklist_fields"] == ["name", "age_band"]
    turf = summary["turfs"][0]["turf"]
    db = client.app.state.services.db  # type: ignore[attr-defined]
    token = create_volunteer_link(db, "plan", turf, fields=("name", "age", "party"))
    body = client.get(f"/api/v/{token}/turf").json()
    voters = [v for s in body["stops"] for h in s["households"] for v in h["voters"]]
    party = {r["voter_id"]: r["party"] for r in inputs.rows}
    age = {r["voter_id"]: int(r["age"]) for r in inputs.rows if r["age"]}
    assert voters and any(v["party"] for v in voters)
    assert all(v["party"] == party[v["voter_id"]] for v in voters)
    assert all(v["age"] == age.get(v["voter_id"]) for v in voters)  # not the band of the list


def test_only_organisers_get_the_voter_data_file(client: TestClient) -> None:
    client.post("/api/login", json={"username": "watcher", "password": PASSWORD})
    assert client.get("/files/plan/summary.json").status_code == 200
    assert client.get("/files/plan/voter_data.csv").status_code == 403
    client.post("/api/login", json={"username": "org", "password": PASSWORD})
    got = client.get("/files/plan/voter_data.csv")
    assert got.status_code == 200 and "support_score" in got.text
