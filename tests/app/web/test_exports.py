"""Exports carry what volunteers recorded: support level per person, notes, the canvasser's name."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from app.services.accounts import create_user
from app.settings import Settings
from app.store.links import create_volunteer_link
from app.web.app import create_app

PASSWORD = "a long enough password"


@pytest.fixture(scope="module")
def organiser(workspace: Path, database_url: str) -> Iterator[TestClient]:
    app = create_app(Settings(workspace=workspace, database_url=database_url))
    create_user(app.state.services.db, "exporter", PASSWORD, "organiser")
    client = TestClient(app)
    login = client.post(
        "/api/login", json={"username": "exporter", "password": PASSWORD, "bearer": True}
    )
    client.headers["Authorization"] = f"Bearer {login.json()['token']}"
    yield client
    app.state.services.db.dispose()


def _rows(text: str) -> list[dict[str, str]]:
    lines = [line.split("\t") for line in text.split("\r\n") if line]
    return [dict(zip(lines[0], line, strict=True)) for line in lines[1:]]


def test_exports_carry_support_notes_and_the_canvasser(organiser: TestClient) -> None:
    db = organiser.app.state.services.db  # type: ignore[attr-defined]
    link = create_volunteer_link(db, "demo", "P01-02")
    assigned = organiser.put(
        "/api/plans/demo/turfs/P01-02/assignment", json={"volunteer": "Ana Ruiz"}
    )
    assert assigned.status_code == 200
    door = next(
        h for s in organiser.get(f"/api/v/{link}/turf").json()["stops"]
        for h in s["households"] if len(h["voters"]) >= 2
    )  # fmt: skip
    voter = door["voters"][0]["voter_id"]
    result = {
        "client_id": uuid.uuid4().hex,
        "household_id": door["household_id"],
        "voter_id": voter,
        "code": "supporter_3",
        "notes": "Dog in the yard;\tcome after 6",
        "recorded_at": "2026-11-23T18:30:00+00:00",
    }
    stored = organiser.post(f"/api/v/{link}/results", json={"results": [result]})
    assert stored.status_code == 200, stored.text

    history = _rows(organiser.get("/api/plans/demo/results.tsv").text)
    mine = [r for r in history if r["Voter File VANID"] == voter]
    assert len(mine) == 1  # per person: the other voter at the door has no result
    assert mine[0]["Result"] == "Canvassed" and mine[0]["Canvassed By"] == "Ana Ruiz"
    assert mine[0]["Notes"] == "Dog in the yard; come after 6"

    responses = _rows(organiser.get("/api/plans/demo/survey-responses.tsv").text)
    support = [r for r in responses if r["Survey Question Name"] == "Support ID"]
    assert [(r["Voter File VANID"], r["Survey Response"]) for r in support] == [(voter, "3")]
    assert support[0]["Canvassed By"] == "Ana Ruiz"
