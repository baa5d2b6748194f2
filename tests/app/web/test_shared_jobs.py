"""Several server processes on one database see the same plan jobs (--workers N, containers)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.errors import ConflictError
from app.services.accounts import create_user
from app.settings import Settings
from app.web.app import create_app

PASSWORD = "a long enough password"


@pytest.fixture
def two_servers(workspace: Path, database_url: str) -> Iterator[tuple[Any, Any]]:
    first = create_app(Settings(workspace=workspace, database_url=database_url))
    second = create_app(Settings(workspace=workspace, database_url=database_url))
    yield first, second
    for app in (first, second):
        app.state.services.jobs.shutdown()
        app.state.services.db.dispose()


def _organiser(app: Any, name: str) -> TestClient:
    client = TestClient(app)
    login = client.post("/api/login", json={"username": name, "password": PASSWORD, "bearer": True})
    client.headers["Authorization"] = f"Bearer {login.json()['token']}"
    return client


def test_a_job_started_on_one_process_is_seen_and_respected_by_another(
    two_servers: tuple[Any, Any],
) -> None:
    first, second = two_servers
    create_user(first.state.services.db, "worker-organiser", PASSWORD, "organiser")
    other = _organiser(second, "worker-organiser")
    release = threading.Event()

    def work(progress: Any) -> None:
        progress.stage("route_turfs", total=3)
        progress.advance(2)
        release.wait(30)

    job = first.state.services.jobs.submit("demo", work, conflict="busy")
    try:
        deadline = time.monotonic() + 10
        seen = other.get(f"/api/jobs/{job.id}").json()
        while seen["stage"] != "route_turfs":
            assert time.monotonic() < deadline, seen
            time.sleep(0.05)
            seen = other.get(f"/api/jobs/{job.id}").json()
        assert seen["status"] == "running" and seen["total"] == 3
        # The other process refuses a second job of that plan while this one runs.
        assert second.state.services.jobs.busy("demo")
        with pytest.raises(ConflictError):
            second.state.services.jobs.submit("demo", lambda progress: None, conflict="busy")
        edit = other.post("/api/plans/demo/turfs/merge", json={"turfs": ["P01-01", "P01-02"]})
        assert edit.status_code == 409
    finally:
        release.set()
    deadline = time.monotonic() + 10
    while (seen := other.get(f"/api/jobs/{job.id}").json())["status"] != "done":
        assert time.monotonic() < deadline, seen
        time.sleep(0.05)
    assert seen["stages_done"] == ["route_turfs"] and not second.state.services.jobs.busy("demo")
    assert other.get("/api/jobs/not-a-job").status_code == 404
