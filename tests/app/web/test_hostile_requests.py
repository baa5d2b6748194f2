"""Bodies a JSON library would never send, sent anyway: NaN and Infinity get a 422, never a 500."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.services.accounts import create_user
from app.settings import Settings
from app.store.links import create_volunteer_link
from app.web.app import create_app

NOT_JSON = ("NaN", "Infinity", "-Infinity")


@pytest.fixture(scope="module")
def client(workspace: Path, database_url: str) -> Iterator[TestClient]:
    app = create_app(Settings(workspace=workspace, database_url=database_url))
    yield TestClient(app, raise_server_exceptions=False)
    app.state.services.jobs.shutdown()
    app.state.services.db.dispose()


def _bodies(schema: dict[str, Any], name: str) -> list[str]:
    """A body per field of the operation's JSON schema with that field NaN, and all of them."""
    fields = list(schema.get("properties", {})) or ["x"]
    bodies = [f'{{"{field}": {name}}}' for field in fields]
    bodies.append("{" + ", ".join(f'"{field}": {name}' for field in fields) + "}")
    return [*bodies, name, f"[{name}]"]


@pytest.fixture(scope="module")
def auth(client: TestClient) -> dict[str, str]:
    db = client.app.state.services.db  # type: ignore[attr-defined]
    create_user(db, "nan-organiser", "a long enough password", "organiser")
    login = client.post(
        "/api/login",
        json={"username": "nan-organiser", "password": "a long enough password", "bearer": True},
    )
    return {"Authorization": f"Bearer {login.json()['token']}"}


def test_non_finite_numbers_in_any_json_body_are_refused(
    client: TestClient, auth: dict[str, str]
) -> None:
    token = create_volunteer_link(client.app.state.services.db, "demo", "P01-01")  # type: ignore[attr-defined]
    spec = client.get("/openapi.json").json()
    components = spec["components"]["schemas"]
    sent = 0
    for path, methods in spec["paths"].items():
        url = re.sub(r"\{token\}", token, path)
        url = re.sub(r"\{name\}", "demo", url)
        url = re.sub(r"\{turf\}", "P01-01", url)
        url = re.sub(r"\{[a-z_]+\}", "1", url)
        for method, operation in methods.items():
            content = operation.get("requestBody", {}).get("content", {})
            if "application/json" not in content:
                continue
            reference = content["application/json"]["schema"].get("$ref", "")
            schema = components.get(reference.rsplit("/", 1)[-1], {})
            for name in NOT_JSON:
                for body in _bodies(schema, name):
                    for headers in ({}, auth):
                        answer = client.request(
                            method.upper(),
                            url,
                            content=body,
                            headers={"content-type": "application/json", **headers},
                        )
                        sent += 1
                        assert answer.status_code < 500, (method, url, body, answer.text)
    assert sent > 100


def test_a_nan_polygon_is_a_clear_422(client: TestClient, auth: dict[str, str]) -> None:
    body = (
        '{"geometry": {"type": "Polygon", "coordinates": [[[NaN, 60], [24.9, NaN], [24.9, 60.2]]]}}'
    )
    answer = client.post(
        "/api/plans/demo/inside", content=body, headers={"content-type": "application/json", **auth}
    )
    assert answer.status_code == 422 and "geometry" in answer.text


@pytest.mark.parametrize("moment", ["0001-01-01T00:00:00+00:01", "9999-12-31T23:59:59-00:01"])
def test_a_time_at_the_edge_of_the_calendar_is_a_422(client: TestClient, moment: str) -> None:
    # Converting these to UTC leaves the calendar (year 0 or 10000): found by the API fuzz test.
    token = create_volunteer_link(client.app.state.services.db, "demo", "P01-01")  # type: ignore[attr-defined]
    result = {"client_id": "edge-of-time", "household_id": "x", "code": "not_home",
              "recorded_at": moment}  # fmt: skip
    answer = client.post(f"/api/v/{token}/results", json={"results": [result]})
    assert answer.status_code == 422 and "2000 and 2100" in answer.text
