"""Turf assignments: organisers give turfs to volunteers; everyone logged in sees who walks what."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from fastapi.testclient import TestClient
from sqlalchemy import delete, select

from app.services.accounts import create_user
from app.settings import Settings
from app.store.models import AuditEntry, Base, Plan, Turf
from app.web.app import create_app
from tests.app.web.sessions import logged_in

PASSWORD = "assigning password"
POSTGIS_EXTRAS = {"spatial_ref_sys", "ix_stops_point"}


@pytest.fixture(scope="module")
def client(workspace: Path, database_url: str) -> Iterator[TestClient]:
    app = create_app(Settings(workspace=workspace, database_url=database_url))
    create_user(app.state.services.db, "olive", PASSWORD, "organiser")
    create_user(app.state.services.db, "manny", PASSWORD, "manager")
    yield TestClient(app)
    app.state.services.db.dispose()


def test_turfs_are_assigned_changed_and_taken_back(client: TestClient) -> None:
    organiser, manager = logged_in(client, "olive", PASSWORD), logged_in(client, "manny", PASSWORD)
    url = "/api/plans/demo/turfs/P01-01/assignment"
    assert client.get("/api/plans/demo/assignments").status_code == 401
    assert manager.get("/api/plans/demo/assignments").json() == []
    body = {"volunteer": "Ana & Ben", "note": "starts 10:00 at the library"}
    assert manager.put(url, json=body).status_code == 403
    no_csrf = TestClient(client.app, cookies=organiser.cookies)
    assert no_csrf.put(url, json=body).status_code == 403

    given = organiser.put(url, json=body)
    assert given.status_code == 200, given.text
    assert given.json()["volunteer"] == "Ana & Ben" and given.json()["turf_exists"] is True
    again = organiser.put(url, json={"volunteer": "Carla"})
    assert again.status_code == 200
    listed = manager.get("/api/plans/demo/assignments").json()
    assert [(a["turf"], a["volunteer"], a["note"], a["assigned_by"]) for a in listed] == [
        ("P01-01", "Carla", "", "olive")
    ]

    assert organiser.put("/api/plans/demo/turfs/P99-99/assignment", json=body).status_code == 404
    assert organiser.put("/api/plans/nope/turfs/P01-01/assignment", json=body).status_code == 404
    for bad in ({"volunteer": ""}, {"volunteer": "x" * 201}, {"volunteer": "A\x00"}, {}):
        assert organiser.put(url, json=bad).status_code == 422, bad

    assert organiser.delete(url).json() == {"removed": True}
    assert organiser.delete(url).json() == {"removed": False}
    assert manager.get("/api/plans/demo/assignments").json() == []

    db = client.app.state.services.db  # type: ignore[attr-defined]
    with db.reading() as session:
        entries = session.scalars(
            select(AuditEntry).where(AuditEntry.action.in_(["turf.assign", "turf.unassign"]))
        ).all()
    assert [e.action for e in entries] == ["turf.assign", "turf.assign", "turf.unassign"]
    # Names of volunteers are personal data: never in the audit log.
    assert not any("Ana" in f"{e.subject}{e.details}" or "Carla" in e.subject for e in entries)


def test_an_assignment_whose_turf_went_away_is_still_listed(client: TestClient) -> None:
    organiser = logged_in(client, "olive", PASSWORD)
    assert (
        organiser.put(
            "/api/plans/demo/turfs/P01-02/assignment", json={"volunteer": "Dana"}
        ).status_code
        == 200
    )
    db = client.app.state.services.db  # type: ignore[attr-defined]
    with db.writing() as session:  # as a re-cut that drops the turf would leave it
        plan_id = session.scalar(select(Plan.id).where(Plan.name == "demo"))
        session.execute(delete(Turf).where(Turf.plan_id == plan_id, Turf.code == "P01-02"))
    listed = organiser.get("/api/plans/demo/assignments").json()
    assert [(a["turf"], a["volunteer"], a["turf_exists"]) for a in listed] == [
        ("P01-02", "Dana", False)
    ]


def test_the_migrations_build_exactly_the_models(client: TestClient) -> None:
    db = client.app.state.services.db  # type: ignore[attr-defined]
    with db.engine.connect() as connection:
        context = MigrationContext.configure(
            connection,
            # PostGIS's own table and migration 0003's expression index on stop points are
            # database-side extras, not models.
            opts={"include_name": lambda name, kind, _: name not in POSTGIS_EXTRAS},
        )
        differences = compare_metadata(context, Base.metadata)
    assert differences == []
