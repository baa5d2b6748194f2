"""A plan split by region on Dask distributed: same plan on 1 or 2 workers or a real scheduler,
a killed task retried, a broken region reported while the others finish (issue 19)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import pytest
import shapely

from app.cli import main
from app.planning.cluster import ClusterOptions
from app.planning.regions import parse_regions
from app.planning.request import PlanRequest
from app.services.region_plans import plan_by_region
from app.services.region_task import RegionTask, run_region
from geo.sample import write_demo_inputs

ROOT = Path(__file__).resolve().parents[3]
TARGET = "support_score >= 80 and turnout_score >= 50"
DISTRICTS = {"P01": "North", "P02": "North", "P03": "South", "P04": "South", "P05": "South",
             "P06": "East", "P07": "East", "P08": "East"}  # fmt: skip
HARBOUR = (24.9605, 60.1659)
"""A point ~400 m from the demo extract's nearest walkable street (in the water)."""
QUAY = (24.9605, 60.1600)
"""Further south: voters none of whom is a target (region Quay has nothing to plan)."""
COMPARED = ("turfs.geojson", "routes.geojson", "routes.gpx", "stops.csv", "turfs.csv",
            "rejected.csv", "voter_data.csv", "maps/index.data.js")  # fmt: skip


@dataclass(frozen=True)
class Inputs:
    voters: Path
    precincts: Path
    streets: Path
    regions: Path
    """North, South, East (the districts) and Harbour, whose voters reach no street."""
    broken_voters: Path
    """``voters`` plus 40 voters in the harbour."""


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> Inputs:
    root = tmp_path_factory.mktemp("regions-inputs")
    demo = write_demo_inputs(root)
    precincts = gpd.read_file(demo.precincts)
    precincts["district"] = precincts["precinct_id"].map(DISTRICTS)
    with_district = root / "precincts-districts.geojson"
    precincts.to_file(with_district, driver="GeoJSON")
    regions = precincts.dissolve("district").reset_index()[["district", "geometry"]]
    harbour = shapely.box(HARBOUR[0] - 0.003, HARBOUR[1] - 0.002, *(HARBOUR[0] + 0.003,
                          HARBOUR[1] + 0.002))  # fmt: skip
    quay = shapely.box(QUAY[0] - 0.003, QUAY[1] - 0.001, QUAY[0] + 0.003, QUAY[1] + 0.001)
    regions = pd.concat(
        [
            regions,
            gpd.GeoDataFrame({"district": ["Harbour", "Quay"]}, geometry=[harbour, quay], crs=4326),
        ]
    )
    regions_path = root / "regions.geojson"
    regions.to_file(regions_path, driver="GeoJSON")
    voters = pd.read_csv(demo.voters, dtype=str, keep_default_na=False)
    boat = voters.head(40).copy()
    boat["voter_id"] = [f"BOAT{i:03d}" for i in range(40)]
    boat["house_number"] = [str(i + 1) for i in range(40)]
    boat["street"] = "Laiturinkatu"
    boat[["latitude", "longitude"]] = [str(HARBOUR[1]), str(HARBOUR[0])]
    boat[["support_score", "turnout_score"]] = ["90", "90"]
    ashore = boat.head(10).copy()
    ashore["voter_id"] = [f"QUAY{i:03d}" for i in range(10)]
    ashore[["latitude", "longitude"]] = [str(QUAY[1]), str(QUAY[0])]
    ashore[["support_score", "turnout_score"]] = ["10", "10"]
    broken = root / "voters-broken.csv"
    pd.concat([voters, boat, ashore]).to_csv(broken, index=False)
    return Inputs(demo.voters, with_district, demo.streets, regions_path, broken)


def _plan(inputs: Inputs, out: Path, *options: str, voters: Path | None = None) -> int:
    return main(
        [
            "plan", "--voters", str(voters or inputs.voters), "--precincts",
            str(inputs.precincts), "--streets", str(inputs.streets), "--target", TARGET,
            "--turf-doors", "60", "--out", str(out), *options,
        ]
    )  # fmt: skip


def _summary(out: Path) -> dict[str, Any]:
    document = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    document.pop("timings_s")
    for record in document["regions"]["list"]:
        for key in ("timings_s", "worker", "seconds", "cpu_seconds", "worker_peak_rss_mb"):
            record.pop(key, None)
    document["regions"].pop("runner")
    return document


def _same_plans(one: Path, other: Path) -> None:
    for name in COMPARED:
        assert (one / name).read_bytes() == (other / name).read_bytes(), name
    assert sorted(p.name for p in (one / "walklists").iterdir()) == sorted(
        p.name for p in (other / "walklists").iterdir()
    )
    for path in (one / "walklists").glob("*.csv"):
        assert path.read_bytes() == (other / "walklists" / path.name).read_bytes()
    assert _summary(one) == _summary(other)


KILLED_ONCE = "killed-once"


def _killing_task(task: RegionTask) -> dict[str, Any]:
    """Kills its worker process the first time it runs region North (as the OOM killer would)."""
    marker = task.work.parent / KILLED_ONCE
    if task.region == "North" and not marker.exists():
        marker.write_text(str(os.getpid()))
        time.sleep(0.5)  # mid-run: the task has started on the worker
        os.kill(os.getpid(), signal.SIGKILL)
    return run_region(task)


def _request(inputs: Inputs, voters: Path | None = None) -> PlanRequest:
    from geo.effort import TurfSize

    return PlanRequest(
        voters=voters or inputs.voters,
        precincts=inputs.precincts,
        streets=inputs.streets,
        target=TARGET,
        size=TurfSize(minutes=None, doors=60),
    )


@pytest.fixture(scope="module")
def two_workers(inputs: Inputs, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The plan on a LocalCluster of 2 processes, one of which is killed in region North."""
    out = tmp_path_factory.mktemp("two") / "plan"
    run = plan_by_region(
        _request(inputs),
        out,
        parse_regions("district"),
        cluster=ClusterOptions(workers=2),
        task=_killing_task,
    )
    assert not run.partial
    return out


def test_two_workers_make_the_serial_plan(
    inputs: Inputs, two_workers: Path, tmp_path: Path
) -> None:
    serial = tmp_path / "plan"
    assert _plan(inputs, serial, "--regions", "district", "--workers", "1") == 0
    _same_plans(two_workers, serial)
    summary = _summary(two_workers)
    # One plan folder: every region's turfs, ids with the region's prefix, counts adding up.
    turfs = [t["turf"] for t in summary["turfs"]]
    assert {t.split("-")[0] for t in turfs} == {"East", "North", "South"}
    assert len(set(turfs)) == len(turfs)
    voters = summary["voters"]
    assert voters["accepted"] + voters["rejected"] == voters["total"]
    rejected = pd.read_csv(two_workers / "rejected.csv")
    assert len(rejected) == voters["rejected"]
    assert sum(t["voters"] for t in summary["turfs"]) == summary["target"]["voters"]
    assert sum(r["voters"] for r in summary["regions"]["list"]) == voters["accepted"]
    assert summary["regions"]["failed"] == [] and summary["regions"]["partial"] is False
    features = json.loads((two_workers / "turfs.geojson").read_text())["features"]
    assert sorted(f["properties"]["turf"] for f in features) == sorted(turfs)
    for turf in turfs:
        for kind in ("csv", "html", "pdf"):
            assert (two_workers / "walklists" / f"{turf}.{kind}").is_file()
        assert (two_workers / "maps" / f"{turf}.html").is_file()
    assert (two_workers / "maps" / "index.html").is_file()


def test_the_merged_plan_imports_into_the_store(two_workers: Path, tmp_path: Path) -> None:
    from app.store.engine import open_database
    from app.store.plans import import_plan

    summary = _summary(two_workers)
    database = open_database(None, tmp_path)
    try:
        report = import_plan(database, two_workers)
    finally:
        database.dispose()
    assert report.imported and report.turfs == len(summary["turfs"])
    assert report.voters == summary["target"]["voters"]


def _labels(data: dict[str, Any]) -> set[tuple[float, float, str]]:
    return {(lat, lon, data["names"][name]) for lat, lon, _, name in data["labels"]}


def test_the_merged_plan_has_its_heatmap_and_streets_under_its_maps(two_workers: Path) -> None:
    from app.outputs.maps import read_data_file

    summary = _summary(two_workers)
    target = summary["target"]
    heat = (two_workers / "maps" / "heat.html").read_text(encoding="utf-8")
    # Drawn from every region's voters: the page's target universe is the whole plan's.
    universe = f"{target['voters']:,} voters · {target['households']:,} doors"
    assert f"{universe} · {target['stops']:,} stops" in heat
    assert list((two_workers / "maps").glob("heat.*.js"))
    merged = read_data_file(two_workers / "maps" / "index.basemap.js")
    assert merged is not None
    # Every region's streets and their names, labels pointing at the same names as before.
    for region in ("East", "North", "South"):
        part = read_data_file(two_workers.parent / ".plan.regions" / region / "plan" / "maps" /
                              "index.basemap.js")  # fmt: skip
        assert part is not None and part["streets"]["minor"]
        for kind, lines in part["streets"].items():
            assert all(line in merged["streets"][kind] for line in lines[:20])
        assert _labels(part) <= _labels(merged)
    south, west, north, east = merged["bbox"]
    turf_west, turf_south, turf_east, turf_north = gpd.read_file(
        two_workers / "turfs.geojson"
    ).total_bounds
    assert west <= turf_west and south <= turf_south
    assert east >= turf_east and north >= turf_north


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def scheduler() -> Iterator[str]:
    """A ``dask scheduler`` and two ``dask worker`` processes on 127.0.0.1."""
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    dask = str(Path(sys.executable).with_name("dask"))
    commands = [
        [dask, "scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard",
         "--dashboard-address", ":0"],
        *[
            [dask, "worker", address, "--nthreads", "1", "--host", "127.0.0.1",
             "--no-dashboard", "--name", f"w{i}"]
            for i in range(2)
        ],
    ]  # fmt: skip
    processes = [
        subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for command in commands
    ]
    try:
        from distributed import Client

        with Client(address, timeout="60s") as client:
            client.wait_for_workers(2, timeout=120)
        yield address
    finally:
        for process in reversed(processes):
            process.send_signal(signal.SIGINT)
        for process in reversed(processes):
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def test_a_running_scheduler_makes_the_same_plan(
    inputs: Inputs, two_workers: Path, scheduler: str, tmp_path: Path
) -> None:
    out = tmp_path / "plan"
    assert _plan(inputs, out, "--regions", "district", "--scheduler", scheduler) == 0
    _same_plans(two_workers, out)
    workers = {r["worker"] for r in json.loads((out / "summary.json").read_text())["regions"][
        "list"]}  # fmt: skip
    assert os.getpid() not in {int(str(w).rsplit(":", 1)[1]) for w in workers}


def test_a_killed_task_is_run_again_and_the_plan_completes(two_workers: Path) -> None:
    killed = two_workers.parent / ".plan.regions" / KILLED_ONCE
    assert killed.is_file()  # region North's first worker died mid-task
    summary = json.loads((two_workers / "summary.json").read_text(encoding="utf-8"))
    regions = {r["region"]: r for r in summary["regions"]["list"]}
    assert regions["North"]["status"] == "planned"
    assert regions["North"]["worker"].rsplit(":", 1)[1] != killed.read_text()
    assert any(t["turf"].startswith("North-") for t in summary["turfs"])


def test_a_broken_region_is_reported_while_the_others_finish(
    inputs: Inputs, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "plan"
    options = ("--regions", str(inputs.regions), "--workers", "2")
    assert _plan(inputs, out, *options, voters=inputs.broken_voters) == 3  # partial
    err = capsys.readouterr().err
    assert "region Harbour failed" in err and "Partial plan" in err
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    regions = {r["region"]: r for r in summary["regions"]["list"]}
    assert summary["regions"]["failed"] == ["Harbour"] and summary["regions"]["partial"]
    assert "does not cover" in regions["Harbour"]["error"]
    assert {r: regions[r]["status"] for r in ("East", "North", "South")} == dict.fromkeys(
        ("East", "North", "South"), "planned"
    )
    assert {t["turf"].split("-")[0] for t in summary["turfs"]} == {"East", "North", "South"}
    # A region without target voters is not planned, and its voters are not rejected.
    assert regions["Quay"]["status"] == "no target voters" and regions["Quay"]["voters"] == 10
    # Its voters are accounted for, in rejected.csv with the region's error.
    voters = summary["voters"]
    assert voters["accepted"] + voters["rejected"] == voters["total"]
    rejected = pd.read_csv(out / "rejected.csv", dtype=str)
    boats = rejected.loc[rejected["voter_id"].str.startswith("BOAT")]
    assert len(boats) == 40 and boats["reason"].str.contains("region Harbour").all()
    assert not rejected["voter_id"].str.startswith("QUAY").any()
    assert len(rejected) == voters["rejected"]
    # Running it again recomputes the failed region only.
    assert _plan(inputs, out, *options, voters=inputs.broken_voters) == 3
    again = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    statuses = {r["region"]: r["status"] for r in again["regions"]["list"]}
    assert statuses == {"East": "kept", "North": "kept", "South": "kept", "Harbour": "failed",
                        "Quay": "no target voters"}  # fmt: skip
    assert again["turfs"] == summary["turfs"]


def test_a_scheduler_that_does_not_answer_is_explained(inputs: Inputs, tmp_path: Path) -> None:
    from geo._errors import InputError

    address = f"tcp://127.0.0.1:{_free_port()}"
    with pytest.raises(InputError, match="cannot reach the Dask scheduler at tcp://127"):
        plan_by_region(
            _request(inputs),
            tmp_path / "plan",
            parse_regions("district"),
            cluster=ClusterOptions(scheduler=address, connect_timeout_s=2),
        )
    assert not (tmp_path / "plan").exists()


def test_hours_are_spent_over_every_region_at_once(
    inputs: Inputs, two_workers: Path, tmp_path: Path
) -> None:
    # The regions as two_workers planned them: the hours do not make them plan again.
    shutil.copytree(two_workers.parent / ".plan.regions", tmp_path / ".plan.regions")
    out = tmp_path / "plan"
    everything = _summary(two_workers)["turfs"]
    hours = round(0.4 * sum(t["minutes"] for t in everything) / 60.0, 1)
    request = replace(_request(inputs), hours=hours)
    run = plan_by_region(request, out, parse_regions("district"), cluster=ClusterOptions())
    summary = run.summary
    statuses = {r["region"]: r["status"] for r in summary["regions"]["list"]}
    assert statuses == {"East": "kept", "North": "kept", "South": "kept"}
    budget, turfs = summary["budget"], summary["turfs"]
    assert summary["plan_budget"]["hours"] == hours and budget["hours"] == hours
    chosen = [t for t in turfs if t["in_budget"]]
    assert budget["turfs"] == len(chosen) and 0 < len(chosen) < len(turfs)
    # Whole turfs, each paying the reach to it, within the hours.
    spent = sum(t["minutes"] + request.model.minutes_per_turf for t in chosen) / 60.0
    assert budget["hours_used"] == pytest.approx(spent, abs=0.05) and spent <= hours
    assert budget["doors_skipped"] == 0 and all(t["knock_value_min"] == 0 for t in chosen)
    # One ranking over all regions, and the hours go where the value is, whichever region.
    assert sorted(t["priority"] for t in turfs) == list(range(1, len(turfs) + 1))
    assert len({t["turf"].split("-")[0] for t in chosen}) >= 2
    rate = {t["turf"]: t["value"] / (t["minutes"] + request.model.minutes_per_turf) for t in turfs}
    first = min(turfs, key=lambda t: t["priority"])["turf"]
    assert rate[first] == max(rate.values())
    # The turf files say the same as the summary.
    layer = gpd.read_file(out / "turfs.geojson").set_index("turf")
    table = pd.read_csv(out / "turfs.csv").set_index("turf")
    for turf in turfs:
        assert bool(layer.loc[turf["turf"], "in_budget"]) == turf["in_budget"]
        assert int(table.loc[turf["turf"], "priority"]) == turf["priority"]
