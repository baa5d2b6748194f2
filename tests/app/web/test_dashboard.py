"""The manager dashboard: live progress from results posted on volunteer links."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from app.services.accounts import create_user
from app.settings import Settings
from app.store.links import create_volunteer_link
from app.web.app import create_app
from segments.hot_spots import HotSpots


@pytest.fixture(scope="module")
def client(workspace: Path, database_url: str) -> Iterator[TestClient]:
    app = create_app(Settings(workspace=workspace, database_url=database_url))
    yield TestClient(app)
    app.state.services.db.dispose()


def _post(client: TestClient, token: str, household: str, code: str) -> None:
    item = {
        "client_id": str(uuid.uuid4()),
        "household_id": household,
        "code": code,
        "recorded_at": "2026-11-23T18:30:00+00:00",
    }
    response = client.post(f"/api/v/{token}/results", json={"results": [item]})
    assert response.status_code == 200, response.text


def test_progress_follows_the_results_as_they_arrive(client: TestClient) -> None:
    before = client.get("/api/plans/demo/progress").json()
    assert before["results"] == 0 and before["totals"]["doors_knocked"] == 0
    assert {t["status"] for t in before["turfs"]} == {"not started"}
    assert before["totals"]["contact_rate"] is None  # no knock yet: undefined, not 0

    turf = before["turfs"][0]["turf"]
    db = client.app.state.services.db  # type: ignore[attr-defined]
    token = create_volunteer_link(db, "demo", turf)
    doors = [h["household_id"] for s in client.get(f"/api/v/{token}/turf").json()["stops"]
             for h in s["households"]]  # fmt: skip
    assert len(doors) >= 4
    # Door 1 not home then a supporter on the second knock; door 2 refused; door 3 moved.
    _post(client, token, doors[0], "not_home")
    _post(client, token, doors[0], "supporter_1")
    _post(client, token, doors[1], "refused")
    _post(client, token, doors[2], "moved")

    after = client.get("/api/plans/demo/progress").json()
    row = next(t for t in after["turfs"] if t["turf"] == turf)
    assert row["doors_knocked"] == 3  # a door knocked twice counts once
    assert row["doors_contacted"] == 2 and row["doors_supporting"] == 1
    assert row["contact_rate"] == pytest.approx(2 / 3)
    assert row["support_rate"] == pytest.approx(1 / 2)
    assert row["coverage"] == pytest.approx(3 / row["target_households"])
    assert row["status"] == "in progress"
    assert after["results"] == 4
    # Precinct rows and turf rows both add up to the plan's totals.
    for rows in (after["turfs"], after["precincts"]):
        table = pd.DataFrame(rows)
        for column in ("target_households", "doors_knocked", "doors_contacted"):
            assert table[column].sum() == after["totals"][column]


def test_dashboard_page_and_live_map(client: TestClient) -> None:
    page = client.get("/plans/demo/dashboard")
    assert page.status_code == 200
    report = client.get("/api/plans/demo/progress").json()
    for turf in report["turfs"]:
        assert f'data-turf="{turf["turf"]}"' in page.text
    assert "/static/dashboard/dashboard.js" in page.text
    assert "<script>" not in page.text  # the page's CSP forbids inline scripts
    assert client.get("/static/dashboard/dashboard.js").status_code == 200

    fmap = client.get("/plans/demo/dashboard/map")
    assert fmap.status_code == 200
    assert "/files/demo/assets/leaflet.js" in fmap.text
    assert "../assets/" not in fmap.text and "cdn." not in fmap.text
    assert "Coverage" in fmap.text and "Contact rate" in fmap.text
    # Its inline scripts run by their hashes; no 'unsafe-inline' for scripts.
    scripts = fmap.headers["content-security-policy"].split("script-src ")[1].split(";")[0]
    assert "'unsafe-inline'" not in scripts and scripts.count("'sha256-") >= 1
    assert client.get("/files/demo/assets/leaflet.js").status_code == 200


def test_the_map_analyses_a_plan_once(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    assert client.get("/plans/demo/dashboard/map").status_code == 200

    def refit(*args: object, **kwargs: object) -> None:
        raise AssertionError("hot spots fitted again for the same plan")

    # Results keep arriving, the plan does not change: its hot spots are not fitted again.
    monkeypatch.setattr(HotSpots, "fit", refit)
    again = client.get("/plans/demo/dashboard/map")
    assert again.status_code == 200 and "Hot spots" in again.text


def test_unknown_plans_and_logged_out_managers(client: TestClient) -> None:
    assert client.get("/api/plans/nope/progress").status_code == 404
    assert client.get("/plans/..%2Fetc/dashboard").status_code == 404
    db = client.app.state.services.db  # type: ignore[attr-defined]
    create_user(db, "dashboard-manager", "a long enough password", "manager")
    anonymous = TestClient(client.app)
    assert anonymous.get("/api/plans/demo/progress").status_code == 401
    page = anonymous.get("/plans/demo/dashboard", follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"].startswith("/login")
    assert anonymous.get("/plans/demo/dashboard/map").status_code == 401


def test_the_live_map_uses_the_configured_tiles(workspace: Path, tmp_path: Path) -> None:
    app = create_app(
        Settings(
            workspace=workspace,
            database_url=f"sqlite:///{tmp_path / 'tiles.db'}",
            tile_url="https://tiles.example.org/{z}/{x}/{y}.png",
        )
    )
    try:
        page = TestClient(app).get("/plans/demo/dashboard/map")
        assert page.status_code == 200
        assert "tiles.example.org" in page.text and "tile.openstreetmap.org" not in page.text
    finally:
        app.state.services.db.dispose()
