"""A run on a Dask scheduler that has no worker left fails its tasks with that reason after
the timeout, instead of waiting for ever (the web job showed a spinner until the server
stopped)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from app.planning.cluster import TaskOutcome, run_tasks
from app.services.accounts import create_user
from app.settings import Settings
from app.web.app import create_app
from geo.sample import write_demo_inputs
from tests.app.web.sessions import logged_in, upload_corner


@pytest.fixture(scope="module")
def workerless() -> Iterator[str]:
    """A scheduler with no worker at all (as after every worker died and none came back)."""
    from distributed import LocalCluster

    with LocalCluster(
        n_workers=0,
        processes=True,
        host="127.0.0.1",
        dashboard_address=":0",
        scheduler_kwargs={"dashboard": False},
    ) as cluster:
        yield str(cluster.scheduler_address)


def _double(x: int) -> int:
    return 2 * x


def test_tasks_without_a_worker_fail_after_the_timeout_with_the_reason(workerless: str) -> None:
    from distributed import Client

    heard: list[TaskOutcome] = []
    started = time.monotonic()
    with Client(workerless) as client:
        outcomes = run_tasks(client, _double, {"A": (1,), "B": (2,)}, retries=0, token="t",
                             on_done=heard.append, no_workers_timeout_s=1.0)  # fmt: skip
        assert not client.who_has()  # nothing left on the scheduler
    assert 1.0 <= time.monotonic() - started < 30
    assert [o.key for o in heard] == ["A", "B"] and list(outcomes) == ["A", "B"]
    for outcome in outcomes.values():
        assert not outcome.ok and "no worker for" in str(outcome.error), outcome


def test_a_web_plan_job_on_a_scheduler_without_workers_fails_saying_so(
    workerless: str, tmp_path: Path
) -> None:
    settings = Settings(
        workspace=tmp_path / "ws", dask_scheduler_address=workerless, dask_no_workers_timeout_s=1
    )
    app = create_app(settings)
    create_user(app.state.services.db, "planner", "workerless password", "organiser")
    demo = write_demo_inputs(tmp_path / "in")
    with TestClient(app) as plain:
        client = logged_in(plain, "planner", "workerless password")
        uploads = upload_corner(client, demo.voters, demo.precincts, 200)
        body = {
            "name": "stuck",
            "voters_upload": uploads["voters"],
            "precincts_upload": uploads["precincts"],
            "streets": "demo",
            "target": "age >= 30",
            "turf_minutes": None,
            "turf_doors": 30,
        }
        for regions in ("", "auto:100"):
            job = client.post("/api/plans", json={**body, "regions": regions}).json()
            for _ in range(120):  # bounded: a minute
                if job["status"] in ("done", "failed"):
                    break
                time.sleep(0.5)
                job = client.get(f"/api/jobs/{job['id']}").json()
            assert job["status"] == "failed", (regions, job)
            assert "no worker for" in job["error"] and "start its workers" in job["error"], job
            body["name"] = "stuck-regions"
    app.state.services.jobs.shutdown()
    app.state.services.db.dispose()
