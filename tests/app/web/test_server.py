from __future__ import annotations

import json
import re

import pytest
from fastapi.testclient import TestClient

from app.settings import Settings
from app.web.app import create_app
from tests.app.conftest import BuiltPlan


@pytest.fixture(scope="module")
def client(demo_plan: BuiltPlan) -> TestClient:
    return TestClient(create_app(Settings(workspace=demo_plan.out.parent)))


def test_index_leads_to_the_only_plan(client: TestClient) -> None:
    response = client.get("/", follow_redirects=False)
    assert response.status_code == 307
    assert response.headers["location"] == "/plans/demo"


def test_plan_page_lists_every_turf_with_links(client: TestClient, demo_plan: BuiltPlan) -> None:
    response = client.get("/plans/demo")
    assert response.status_code == 200
    for turf in demo_plan.summary["turfs"]:
        assert f"/files/demo/maps/{turf['turf']}.html" in response.text
        assert f"/files/demo/walklists/{turf['turf']}.html" in response.text


def test_turf_pages_contain_their_stops(client: TestClient, demo_plan: BuiltPlan) -> None:
    plan = demo_plan.plan
    for turf in plan.turfs[:5]:
        addresses = list(plan.stops.loc[turf.route.stops, "address"])
        walk_list = client.get(f"/files/demo/walklists/{turf.turf_id}.html")
        assert walk_list.status_code == 200
        for address in addresses:
            assert address in walk_list.text
        # Stops appear in walking order.
        # Whole addresses only: "4 Lönnrotinkatu" must not match inside "14 Lönnrotinkatu".
        positions = [
            re.search(rf"(?<!\w){re.escape(a)}(?!\w)", walk_list.text).start()  # type: ignore[union-attr]
            for a in addresses
        ]
        assert positions == sorted(positions)
        fmap = client.get(f"/files/demo/maps/{turf.turf_id}.html")
        assert fmap.status_code == 200
        # The page runs no inline script: its code and its data come from files.
        assert re.search(r"<script>", fmap.text) is None
        data = client.get(f"/files/demo/maps/{turf.turf_id}.data.js").text
        payload = json.loads(data.removeprefix("window.CANVASS_TURF = ").rstrip().rstrip(";"))
        assert [s["label"].split(". ", 1)[1].rsplit(" — ", 1)[0] for s in payload["stops"]] == [
            a for a in addresses
        ]
        assert client.get("/files/demo/assets/turf-map.js").status_code == 200
        assert client.get("/files/demo/assets/leaflet.js").status_code == 200


def test_unknown_and_traversing_plan_names_are_404(client: TestClient) -> None:
    assert client.get("/plans/nope").status_code == 404
    assert client.get("/api/plans/..%2F..%2Fetc").status_code == 404
    assert client.get("/files/../../etc/passwd").status_code == 404


def test_api_returns_the_summary(client: TestClient, demo_plan: BuiltPlan) -> None:
    assert client.get("/api/plans").json() == ["demo"]
    assert client.get("/api/plans/demo").json()["voters"] == demo_plan.summary["voters"]
