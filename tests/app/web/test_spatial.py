"""Stops, doors and voters inside a drawn polygon: PostGIS on PostgreSQL, shapely on SQLite."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from app.settings import Settings
from app.store.spatial import has_postgis
from app.web.app import create_app


@pytest.fixture(scope="module")
def client(workspace: Path, database_url: str) -> Iterator[TestClient]:
    app = create_app(Settings(workspace=workspace, database_url=database_url))
    yield TestClient(app)
    app.state.services.db.dispose()


def _box(west: float, south: float, east: float, north: float) -> dict:
    ring = [[west, south], [east, south], [east, north], [west, north], [west, south]]
    return {"type": "Polygon", "coordinates": [ring]}


def test_stops_inside_a_drawn_polygon(client: TestClient, workspace: Path) -> None:
    stops = pd.read_csv(workspace / "demo" / "stops.csv", dtype={"stop_id": str})
    west, east = stops["lon"].quantile([0.2, 0.6])
    south, north = stops["lat"].quantile([0.3, 0.8])
    expected = stops[stops["lon"].between(west, east) & stops["lat"].between(south, north)]
    assert 0 < len(expected) < len(stops)
    response = client.post(
        "/api/plans/demo/inside", json={"geometry": _box(west, south, east, north)}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert sorted(s["stop_id"] for s in body["stops"]) == sorted(expected["stop_id"])
    walk = pd.concat(
        pd.read_csv(p, dtype=str) for p in (workspace / "demo" / "walklists").glob("*.csv")
    )
    inside = walk[walk["stop_id"].isin(expected["stop_id"])]
    assert body["voters"] == len(inside)
    assert body["households"] == inside.groupby(["stop_id", "household_id"]).ngroups
    db = client.app.state.services.db  # type: ignore[attr-defined]
    if db.backend == "postgresql" and os.environ.get("CANVASS_TEST_POSTGIS"):
        assert has_postgis(db)  # .ci/postgres.sh installed PostGIS: the database answers
    assert body["method"] == ("postgis" if has_postgis(db) else "shapely")


def test_bad_polygons_are_refused(client: TestClient) -> None:
    for geometry in (
        {"type": "Point", "coordinates": [24.9, 60.1]},
        {"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [0, 0]]]},
        {"type": "Polygon", "coordinates": "nope"},
        _box(2000, 0, 2001, 1),
    ):
        response = client.post("/api/plans/demo/inside", json={"geometry": geometry})
        assert response.status_code == 422, (geometry, response.text)
    missing = client.post("/api/plans/nope/inside", json={"geometry": _box(0, 0, 1, 1)})
    assert missing.status_code == 404
