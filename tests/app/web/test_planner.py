"""Organisers make a plan in the browser: uploads, live target counts, background cutting."""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from app.services.accounts import create_user
from app.settings import Settings
from app.web.app import create_app
from tests.app.conftest import BuiltPlan
from tests.app.web.sessions import upload_corner
from tests.geo.test_layouts import ncvoter_file

PASSWORD = "planning password"


@pytest.fixture(scope="module")
def client(workspace: Path, database_url: str) -> Iterator[TestClient]:
    # A cache of its own: plans made in the browser must fill it, as the CLI's do.
    cache = workspace.parent / f"{workspace.name}-graph-cache-{database_url.split(':')[0]}"
    app = create_app(Settings(workspace=workspace, database_url=database_url, cache_dir=cache))
    create_user(app.state.services.db, "planner", PASSWORD, "organiser")
    client = TestClient(app)
    login = client.post("/api/login", json={"username": "planner", "password": PASSWORD})
    assert login.status_code == 200
    # A cookie session, as the page has: writes carry the CSRF token.
    client.headers["X-CSRF-Token"] = login.json()["csrf_token"]
    yield client
    app.state.services.jobs.shutdown()
    app.state.services.db.dispose()


@pytest.fixture(scope="module")
def uploads(client: TestClient, demo_plan: BuiltPlan) -> dict[str, int]:
    return upload_corner(client, demo_plan.inputs.voters, demo_plan.inputs.precincts, 500)


def test_the_target_is_counted_live_and_bad_filters_point_at_the_mistake(
    client: TestClient, uploads: dict[str, int]
) -> None:
    base = {"voters_upload": uploads["voters"], "precincts_upload": uploads["precincts"]}
    everyone = client.post("/api/universe", json={**base, "target": ""})
    assert everyone.status_code == 200, everyone.text
    counts = everyone.json()
    assert counts["voters"]["total"] == 500
    assert counts["voters"]["accepted"] + counts["voters"]["rejected"] == 500
    assert counts["target"]["voters"] == counts["voters"]["accepted"]
    older = client.post("/api/universe", json={**base, "target": "age >= 60"}).json()
    assert 0 < older["target"]["voters"] < counts["target"]["voters"]
    assert older["target"]["households"] <= counts["target"]["households"]
    assert older["target"]["hours"] < counts["target"]["hours"]

    typo = client.post("/api/universe", json={**base, "target": "partyy = DEM"})
    assert typo.status_code == 422
    detail = typo.json()["detail"]
    assert detail["position"] == 0 and "partyy" in detail["message"]
    assert "party" in detail["fields"] and "age" in detail["fields"]
    assert client.post("/api/universe", json={**base, "voters_upload": 9999}).status_code == 404
    streets = client.get("/api/streets").json()
    assert streets[0]["id"] == "demo"


def test_a_plan_is_cut_in_the_background_and_served(
    client: TestClient, uploads: dict[str, int], workspace: Path, database_url: str
) -> None:
    name = f"corner-{database_url.split(':')[0].split('+')[0]}"  # the workspace is shared
    body = {
        "name": name,
        "voters_upload": uploads["voters"],
        "precincts_upload": uploads["precincts"],
        "streets": "demo",
        "target": "age >= 30",
        "turf_minutes": None,
        "turf_doors": 40,
        "paper": "Letter",
    }
    started = client.post("/api/plans", json=body)
    assert started.status_code == 202, started.text
    job = started.json()
    for _ in range(240):  # bounded: at most about two minutes
        if job["status"] in ("done", "failed"):
            break
        time.sleep(0.5)
        job = client.get(f"/api/jobs/{job['id']}").json()
    assert job["status"] == "done", job
    assert job["url"] == f"/plans/{name}"
    assert "cut_turfs" in job["stages_done"] and "import" in job["stages_done"]
    done = job["stages_done"]
    assert done.index("route_turfs") < done.index("write_turfs") < done.index("import")
    assert job["total"] is None and job["done"] >= 0
    # The browser's plan used the same street-graph cache as the command line.
    cache_dir = client.app.state.services.settings.graph_cache_dir  # type: ignore[attr-defined]
    assert list(cache_dir.glob("graph-*.pickle"))

    summary = client.get(f"/api/plans/{name}").json()
    assert summary["turfs"] and summary["target"]["expression"] == "age >= 30"
    assert (workspace / name / "walklists").is_dir()
    # Printed on the paper asked for, with the campaign's survey (none set here).
    assert summary["paper"]["size"] == "Letter" and summary["paper"]["requested"] == "Letter"
    assert summary["printed_survey"] == []
    assert client.get(f"/plans/{name}").status_code == 200
    # Imported: the dashboard and volunteer links work on it at once.
    progress = client.get(f"/api/plans/{name}/progress").json()
    assert {t["turf"] for t in progress["turfs"]} == {t["turf"] for t in summary["turfs"]}

    again = client.post("/api/plans", json=body)
    assert again.status_code == 409
    bad_name = client.post("/api/plans", json={**body, "name": "../etc"})
    assert bad_name.status_code == 422
    bad_paper = client.post("/api/plans", json={**body, "name": "other", "paper": "A3"})
    assert bad_paper.status_code == 422


def test_the_page_needs_an_organiser(client: TestClient) -> None:
    page = client.get("/plans/new")
    assert page.status_code == 200
    assert "/static/planner/planner.js" in page.text and "<script>" not in page.text
    assert '<select id="paper"' in page.text and '<option value="Letter">' in page.text
    assert client.get("/static/planner/planner.js").status_code == 200
    anonymous = TestClient(client.app)
    assert anonymous.get("/plans/new", follow_redirects=False).status_code == 303
    assert anonymous.post("/api/universe", json={"voters_upload": 1}).status_code == 401
    # A cookie session without the CSRF token cannot start a plan.
    no_token = TestClient(client.app)
    no_token.post("/api/login", json={"username": "planner", "password": PASSWORD})
    refused = no_token.post("/api/plans", json={"name": "x", "voters_upload": 1})
    assert refused.status_code == 403


def test_a_voter_file_without_coordinates_is_accepted_and_geocoded_on_the_streets(
    client: TestClient, demo_plan: BuiltPlan, tmp_path: Path
) -> None:
    # A state voter file (ncvoter layout) has no coordinates: the upload cannot place its rows
    # yet, so it must not refuse them; the live count places them on the chosen streets.
    voters = pd.read_csv(demo_plan.inputs.voters, dtype=str, keep_default_na=False)
    sample = voters.loc[voters["unit"] == ""].drop_duplicates(["street", "house_number"]).head(6)
    addresses = [
        (f"{row.house_number} {row.street.upper()}", "HELSINKI", "00100")
        for row in sample.itertuples()
    ]
    addresses.append(("999 NOWHERE RD APT 2", "HELSINKI", "00100"))
    path = ncvoter_file(tmp_path / "ncvoter92.txt", addresses)
    upload = client.post("/api/uploads/voters", files={"file": (path.name, path.read_bytes())})
    assert upload.status_code == 201, upload.text
    report = upload.json()
    assert report["layout"] == "ncvoter"
    assert (report["accepted"], report["to_geocode"], report["rejected"]) == (0, 7, 0)

    counted = client.post("/api/universe", json={"voters_upload": report["id"], "target": ""})
    assert counted.status_code == 200, counted.text
    placed = counted.json()["voters"]
    assert (placed["total"], placed["accepted"], placed["rejected"]) == (7, 6, 1)


def test_address_data_upload_places_voters_the_streets_cannot(
    client: TestClient, demo_plan: BuiltPlan, tmp_path: Path
) -> None:
    # The OSM extract knows six of the addresses; an OpenAddresses file knows the seventh.
    voters = pd.read_csv(demo_plan.inputs.voters, dtype=str, keep_default_na=False)
    sample = voters.loc[voters["unit"] == ""].drop_duplicates(["street", "house_number"]).head(6)
    addresses = [
        (f"{row.house_number} {row.street.upper()}", "HELSINKI", "00100")
        for row in sample.itertuples()
    ]
    addresses.append(("999 NOWHERE RD APT 2", "HELSINKI", "00100"))
    path = ncvoter_file(tmp_path / "ncvoter92.txt", addresses)
    voter_upload = client.post(
        "/api/uploads/voters", files={"file": (path.name, path.read_bytes())}
    )
    assert voter_upload.status_code == 201, voter_upload.text
    nowhere = sample.iloc[0]
    oa = (
        "LON,LAT,NUMBER,STREET,UNIT,CITY,DISTRICT,REGION,POSTCODE,ID,HASH\n"
        f"{nowhere.longitude},{nowhere.latitude},999,NOWHERE ROAD,,HELSINKI,,,00100,,0\n"
    )
    refused = client.post(
        "/api/uploads/addresses", files={"file": ("people.csv", b"name,lat,lon\nA,60,24\n")}
    )
    assert refused.status_code == 422
    assert "no house number and street columns" in refused.json()["detail"]
    upload = client.post("/api/uploads/addresses", files={"file": ("oa.csv", oa.encode())})
    assert upload.status_code == 201, upload.text
    assert {k: upload.json()[k] for k in ("kind", "contents", "rows")} == {
        "kind": "addresses",
        "contents": "points",
        "rows": 1,
    }

    base = {"voters_upload": voter_upload.json()["id"], "target": ""}
    without = client.post("/api/universe", json=base).json()["voters"]
    with_file = client.post(
        "/api/universe", json={**base, "addresses_upload": upload.json()["id"]}
    ).json()["voters"]
    assert (without["accepted"], with_file["accepted"]) == (6, 7)


def test_a_plan_with_volunteer_hours_gets_a_budget_and_a_bad_value_is_refused(
    client: TestClient, uploads: dict[str, int], database_url: str
) -> None:
    name = f"weekend-{database_url.split(':')[0].split('+')[0]}"
    body = {
        "name": name,
        "voters_upload": uploads["voters"],
        "streets": "demo",
        "turf_minutes": None,
        "turf_doors": 20,
        "hours": 1.5,
        "value": "support_score * (100 - turnout_scor) / 100",
    }
    refused = client.post("/api/plans", json=body)
    assert refused.status_code == 422
    assert refused.json()["detail"]["position"] == 23
    assert "turnout_scor" not in str(client.get("/api/plans").json())

    started = client.post("/api/plans", json={**body, "value": "support_score >= 60"})
    assert started.status_code == 202, started.text
    job = started.json()
    for _ in range(240):  # bounded: at most about two minutes
        if job["status"] in ("done", "failed"):
            break
        time.sleep(0.5)
        job = client.get(f"/api/jobs/{job['id']}").json()
    assert job["status"] == "done", job
    summary = client.get(f"/api/plans/{name}").json()
    budget = summary["budget"]
    assert budget["hours"] == 1.5 and 0 < budget["hours_used"] <= 1.5
    assert budget["value_of"] == "support_score >= 60"
    assert sum(bool(t["in_budget"]) for t in summary["turfs"]) == budget["turfs"]
    page = client.get(f"/plans/{name}").text
    assert 'id="budget"' in page and "<polyline" in page


def test_plan_the_next_pass_from_the_stored_results(
    client: TestClient, workspace: Path, database_url: str
) -> None:
    import uuid

    from app.store.links import create_volunteer_link

    CODES = ["not_home", "supporter_1", "moved", "come_back"]  # noqa: N806
    db = client.app.state.services.db  # type: ignore[attr-defined]
    none_yet = client.post("/api/plans/demo/next-pass")
    assert none_yet.status_code == 422 and "no results yet" in none_yet.text
    link = create_volunteer_link(db, "demo", "P01-02")
    doors = [h for s in client.get(f"/api/v/{link}/turf").json()["stops"] for h in s["households"]]
    results = [
        {
            "client_id": uuid.uuid4().hex,
            "household_id": door["household_id"],
            "voter_id": door["voters"][0]["voter_id"],
            "code": code,
            "recorded_at": "2026-11-23T18:30:00+00:00",
        }
        for door, code in zip(doors[:4], CODES, strict=True)
    ]
    stored = client.post(f"/api/v/{link}/results", json={"results": results})
    assert stored.status_code == 200, stored.text
    started = client.post("/api/plans/demo/next-pass")
    assert started.status_code == 202, started.text
    job = started.json()
    for _ in range(480):  # bounded: at most about four minutes
        if job["status"] in ("done", "failed"):
            break
        time.sleep(0.5)
        job = client.get(f"/api/jobs/{job['id']}").json()
    assert job["status"] == "done", job
    assert job["url"] == "/plans/demo-p2"
    first = client.get("/api/plans/demo").json()
    second = client.get("/api/plans/demo-p2").json()
    assert all(t["turf"].endswith("-p2") for t in second["turfs"])
    # Canvassed and moved close two doors; not home and come back stay in the pass.
    assert second["target"]["households"] == first["target"]["households"] - 2
    assert client.post("/api/plans/demo/next-pass").status_code == 409
    # The dashboard counts each pass: knocks of the first pass stay with it; the second pass
    # knocks a door twice (two attempts, one door) and reaches someone the second time.
    again = create_volunteer_link(db, "demo-p2", second["turfs"][0]["turf"])
    door = client.get(f"/api/v/{again}/turf").json()["stops"][0]["households"][0]
    knocks = [
        {"client_id": uuid.uuid4().hex, "household_id": door["household_id"], "code": code,
         "recorded_at": f"2026-11-30T1{hour}:00:00+00:00"}
        for hour, code in enumerate(["not_home", "supporter_2"])
    ]  # fmt: skip
    assert client.post(f"/api/v/{again}/results", json={"results": knocks}).status_code == 200
    passes = client.get("/api/plans/demo-p2/progress").json()["passes"]
    assert [(p["pass"], p["plan"]) for p in passes] == [(1, "demo"), (2, "demo-p2")]
    assert [(p["attempts"], p["doors_knocked"], p["doors_reached"]) for p in passes] == [
        (4, 4, 1),  # canvassed: a contact; moved, not home and come back: none
        (2, 1, 1),
    ]
    assert passes[1]["target_doors"] == second["target"]["households"]
    page = client.get("/plans/demo-p2/dashboard").text
    assert 'id="passes"' in page and 'data-pass="2"' in page
    # The workspace is shared by this module's SQLite and PostgreSQL runs: leave it as found.
    shutil.rmtree(workspace / "demo-p2")
