"""With a Dask scheduler configured, the web app's plan jobs compute on the cluster (issue 19):
a new plan and a turf edit are made by a worker process, their progress reaches the job's row,
and a task that fails, or whose workers keep dying, shows as a failed job with the reason."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from distributed.diagnostics.plugin import WorkerPlugin
from fastapi.testclient import TestClient

from app.services.accounts import create_user
from app.settings import Settings
from app.web.app import create_app
from geo.sample import write_demo_inputs
from tests.app.web.sessions import logged_in, upload_corner

PASSWORD = "cluster password"
DOOMED = "doomed"
"""Plans with this in their name lose their worker whenever their task starts."""


class KillsDoomedTasks(WorkerPlugin):
    """A worker plugin: the worker dies (SIGKILL) as a doomed plan's task starts on it."""

    name = "kills-doomed-tasks"

    def setup(self, worker: Any) -> None:
        """Nothing to prepare."""

    def teardown(self, worker: Any) -> None:
        """Nothing to undo."""

    def transition(self, key: Any, start: str, finish: str, **kwargs: Any) -> None:
        """Die when a doomed task starts executing here."""
        if finish == "executing" and DOOMED in str(key):
            os.kill(os.getpid(), signal.SIGKILL)


@pytest.fixture(scope="module")
def scheduler() -> Iterator[str]:
    """A LocalCluster of one worker process whose scheduler lets a task lose one worker."""
    import dask
    from distributed import Client, LocalCluster

    with (
        dask.config.set(
            {
                "distributed.scheduler.allowed-failures": 1,
                # The nanny restarts each killed worker; the LocalCluster must not close it
                # when the restart takes longer than 15 s (a busy machine), or no worker is left.
                "distributed.deploy.lost-worker-timeout": "1 day",
            }
        ),
        LocalCluster(
            n_workers=1,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=":0",
            scheduler_kwargs={"dashboard": False},
        ) as cluster,
        Client(cluster) as client,
    ):
        client.register_plugin(KillsDoomedTasks())
        yield str(cluster.scheduler_address)


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory, scheduler: str) -> Iterator[TestClient]:
    workspace = tmp_path_factory.mktemp("cluster-ws")
    # A job left without workers fails in a minute, not ten: a failing test never hangs.
    settings = Settings(
        workspace=workspace, dask_scheduler_address=scheduler, dask_no_workers_timeout_s=60
    )
    app = create_app(settings)
    create_user(app.state.services.db, "planner", PASSWORD, "organiser")
    with TestClient(app) as plain:
        yield logged_in(plain, "planner", PASSWORD)
    app.state.services.jobs.shutdown()
    app.state.services.db.dispose()


@pytest.fixture(scope="module")
def uploads(client: TestClient, tmp_path_factory: pytest.TempPathFactory) -> dict[str, int]:
    demo = write_demo_inputs(tmp_path_factory.mktemp("cluster-inputs"))
    return upload_corner(client, demo.voters, demo.precincts, 300)


def _new_plan(uploads: dict[str, int], name: str, target: str = "age >= 30") -> dict[str, Any]:
    return {
        "name": name,
        "voters_upload": uploads["voters"],
        "precincts_upload": uploads["precincts"],
        "streets": "demo",
        "target": target,
        "turf_minutes": None,
        "turf_doors": 30,
    }


def _finished(client: TestClient, job: dict[str, Any]) -> dict[str, Any]:
    """The job once it is done or failed."""
    for _ in range(480):  # bounded: at most about four minutes
        if job["status"] in ("done", "failed"):
            break
        time.sleep(0.5)
        job = client.get(f"/api/jobs/{job['id']}").json()
    return job


def _workers(client: TestClient) -> set[int]:
    cluster = client.app.state.services.planner.cluster  # type: ignore[attr-defined]
    dask_client = cluster.client()
    dask_client.wait_for_workers(1, timeout=120)
    return set(dask_client.run(os.getpid).values())


def test_a_new_plan_and_an_edit_are_made_on_the_cluster_and_served(
    client: TestClient, uploads: dict[str, int]
) -> None:
    started = client.post("/api/plans", json=_new_plan(uploads, "on-cluster"))
    assert started.status_code == 202, started.text
    job = _finished(client, started.json())
    assert job["status"] == "done", job
    done = job["stages_done"]
    # The worker's stages reached the job's row in order, then the server imported the plan.
    assert done.index("cut_turfs") < done.index("route_turfs") < done.index("write_turfs")
    assert done[-1] == "import" and job["url"] == "/plans/on-cluster"
    summary = client.get("/api/plans/on-cluster").json()
    assert summary["turfs"] and summary["target"]["expression"] == "age >= 30"
    assert client.get("/plans/on-cluster").status_code == 200
    turf = summary["turfs"][0]["turf"]
    assert client.get(f"/files/on-cluster/walklists/{turf}.html").status_code == 200
    assert os.getpid() not in _workers(client)  # made by another process

    split = client.post("/api/plans/on-cluster/turfs/split", json={"turf": turf})
    assert split.status_code == 202, split.text
    job = _finished(client, split.json())
    assert job["status"] == "done", job
    edited = client.get("/api/plans/on-cluster").json()
    assert len(edited["turfs"]) == len(summary["turfs"]) + 1
    assert edited["edits"][-1]["kind"] == "split"


def test_a_task_that_fails_on_the_cluster_fails_its_job_with_the_reason(
    client: TestClient, uploads: dict[str, int]
) -> None:
    started = client.post("/api/plans", json=_new_plan(uploads, "typo", "partyy = DEM"))
    assert started.status_code == 202, started.text
    job = _finished(client, started.json())
    assert job["status"] == "failed"
    assert "partyy" in job["error"] and "unexpected" not in job["error"]
    assert client.get("/plans/typo").status_code == 404


def test_a_plan_whose_workers_keep_dying_fails_and_the_next_one_runs(
    client: TestClient, uploads: dict[str, int]
) -> None:
    before = _workers(client)
    started = client.post("/api/plans", json=_new_plan(uploads, f"{DOOMED}-plan"))
    job = _finished(client, started.json())
    assert job["status"] == "failed"
    assert "workers died" in job["error"] and "out of memory" in job["error"]
    assert _workers(client).isdisjoint(before)  # the worker was killed and started afresh
    # The cluster and the server carry on: the same plan under another name is made.
    again = client.post("/api/plans", json=_new_plan(uploads, "survivor"))
    job = _finished(client, again.json())
    assert job["status"] == "done", job


def test_a_plan_from_the_page_split_by_region_runs_its_regions_on_the_cluster(
    client: TestClient, uploads: dict[str, int], scheduler: str
) -> None:
    body = {**_new_plan(uploads, "by-region"), "regions": "auto:100", "hours": 3}
    job = _finished(client, client.post("/api/plans", json=body).json())
    assert job["status"] == "done", job
    done = job["stages_done"]
    assert done.index("regions") < done.index("merge") < done.index("import")
    summary = client.get("/api/plans/by-region").json()
    regions = summary["regions"]
    assert regions["runner"] == f"Dask scheduler {scheduler}" and not regions["partial"]
    planned = [r["region"] for r in regions["list"] if r["status"] == "planned"]
    assert len(planned) >= 2
    assert {t["turf"].split("-")[0] for t in summary["turfs"]} == set(planned)
    assert summary["budget"]["hours"] == 3 and any(t["in_budget"] for t in summary["turfs"])
    page = client.get("/plans/by-region")
    assert page.status_code == 200 and "over every region&#39;s turfs" in page.text
    assert client.get("/files/by-region/maps/heat.html").status_code == 200
    # A file on the server is no region layer a form may name.
    for spec in ("/etc/passwd", "../voters.csv", "auto:lots"):
        refused = client.post("/api/plans", json={**body, "name": "other", "regions": spec})
        assert refused.status_code == 422, spec
        assert "auto:N" in refused.text


class KillsRegionTasks(WorkerPlugin):
    """A worker plugin: while ``marker`` exists, a region task that starts kills its worker."""

    name = "kills-region-tasks"

    def __init__(self, marker: str) -> None:
        self.marker = marker

    def setup(self, worker: Any) -> None:
        """Nothing to prepare."""

    def teardown(self, worker: Any) -> None:
        """Nothing to undo."""

    def transition(self, key: Any, start: str, finish: str, **kwargs: Any) -> None:
        """Die when a region's task starts executing here while the marker is there."""
        if finish == "executing" and "canvass-region" in str(key) and Path(self.marker).exists():
            os.kill(os.getpid(), signal.SIGKILL)


def test_a_region_plan_that_failed_is_planned_again_under_its_name(
    client: TestClient, uploads: dict[str, int], scheduler: str, tmp_path: Path
) -> None:
    from distributed import Client

    marker = tmp_path / "kill-regions"
    marker.touch()
    with Client(scheduler) as dask_client:
        dask_client.register_plugin(KillsRegionTasks(str(marker)))
    body = {**_new_plan(uploads, "by-region-retry"), "regions": "auto:100"}
    job = _finished(client, client.post("/api/plans", json=body).json())
    # Every region's workers died: the job says so (not an import error of an empty plan).
    assert job["status"] == "failed" and "no region could be planned" in job["error"], job
    assert "KilledWorker" in job["error"] and job["stage"] != "import"
    # Not made again without the same regions: the name is taken, and the error says how.
    other = client.post("/api/plans", json={**body, "regions": ""})
    assert other.status_code == 409 and "same regions" in other.text
    # The cause is gone: the same plan again is made under its name.
    marker.unlink()
    again = client.post("/api/plans", json=body)
    assert again.status_code == 202, again.text
    job = _finished(client, again.json())
    assert job["status"] == "done", job
    regions = client.get("/api/plans/by-region-retry").json()["regions"]
    assert not regions["partial"] and regions["failed"] == []
    assert {r["status"] for r in regions["list"]} <= {"planned", "no target voters"}
    # A finished plan is not made again under its name.
    assert client.post("/api/plans", json=body).status_code == 409
