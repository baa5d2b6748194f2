"""Manual turf edits (split, merge, draw) on the demo plan: in the pipeline and through the API.

The pipeline tests make the edited plan in memory (about a second each); one test per
database backend goes through the HTTP API end to end (write, import, audit, results).
"""

from __future__ import annotations

import io
import json
import shutil
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import shapely
from fastapi.testclient import TestClient
from sqlalchemy import select

from app.outputs.tables import stop_table
from app.outputs.writer import write_plan
from app.planning.edits import PlanChangedError, TurfEdit, TurfEditError, next_turf_id
from app.planning.pipeline import Plan, run_plan
from app.planning.request import PlanInputsError, PlanRequest, request_from_plan
from app.services.accounts import create_user
from app.settings import Settings
from app.store.engine import utcnow
from app.store.links import create_volunteer_link, resolve_link
from app.store.models import AuditEntry, Household, Stop, Turf
from app.store.results import NewResult, record_results, turf_results
from app.web.app import create_app
from tests.app.conftest import BuiltPlan

PASSWORD = "editing password"


@pytest.fixture(scope="module")
def plan_copy(demo_plan: BuiltPlan, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """What an edit reads of the demo plan (summary.json, stops.csv), in a private folder."""
    folder = tmp_path_factory.mktemp("edits") / "demo"
    folder.mkdir()
    for name in ("summary.json", "stops.csv"):
        shutil.copy(demo_plan.out / name, folder / name)
    return folder


@pytest.fixture(scope="module")
def base(plan_copy: Path) -> PlanRequest:
    return request_from_plan(plan_copy, graph_cache_dir=Settings().graph_cache_dir)


@pytest.fixture(scope="module")
def before(plan_copy: Path) -> pd.DataFrame:
    return pd.read_csv(plan_copy / "stops.csv", dtype=str, keep_default_na=False)


def _members(stops: pd.DataFrame) -> dict[str, set[str]]:
    return {str(t): set(g["stop_id"]) for t, g in stops.groupby("turf")}


def _table(plan: Plan) -> pd.DataFrame:
    """The plan's stops.csv as written, read back as text."""
    return pd.read_csv(
        io.StringIO(stop_table(plan).to_csv(index=False)),
        dtype=str,
        keep_default_na=False,
    )


def _assert_untouched(after: pd.DataFrame, before: pd.DataFrame, changed: set[str]) -> None:
    """Turfs outside ``changed`` are row for row what they were, in walking order."""
    for turf in sorted(set(before["turf"]) - changed):
        old = before[before["turf"] == turf].reset_index(drop=True)
        new = after[after["turf"] == turf].reset_index(drop=True)
        pd.testing.assert_frame_equal(new[old.columns], old)


def _assert_routed(plan: Plan, turf_ids: set[str]) -> None:
    table = _table(plan)
    for turf in plan.turfs:
        if turf.turf_id in turf_ids:
            assert turf.route.walk_m > 0
            sequence = table.loc[table["turf"] == turf.turf_id, "sequence"].astype(int)
            assert list(sequence) == list(range(1, len(sequence) + 1))
    assert table["stop_id"].is_unique and (table["turf"] != "").all()


def _largest_turf(before: pd.DataFrame) -> str:
    return str(before["turf"].value_counts().sort_index().idxmax())


def test_new_turf_ids_never_reuse_a_number() -> None:
    taken = {"P01-01", "P01-02", "P01-06", "P02-09", "P010-04"}
    assert next_turf_id("P01", True, taken) == "P01-07"
    assert next_turf_id("P03", True, taken) == "P03-01"
    assert next_turf_id("", True, {"NONE-01"}) == "NONE-02"
    assert next_turf_id("", False, {"T01", "T04"}) == "T05"


def test_a_plan_request_is_rebuilt_from_its_folder(
    base: PlanRequest, demo_plan: BuiltPlan, plan_copy: Path, tmp_path: Path
) -> None:
    made = demo_plan.plan.request
    assert base.voters == made.voters.resolve() and base.voters.is_absolute()
    assert base.precincts == made.precincts.resolve()  # type: ignore[union-attr]
    assert base.streets == made.streets.resolve()
    assert (base.target, base.size, base.model) == (made.target, made.size, made.model)
    assert (base.start_latlon, base.max_snap_m, base.columns_file) == (None, 150.0, None)
    assert base.previous_stops is not None and len(base.previous_stops) == len(demo_plan.plan.stops)
    inputs = demo_plan.summary["inputs"]
    assert set(inputs) >= {"voters", "precincts", "streets", "columns_file", "start_latlon"}

    gone = tmp_path / "gone"
    shutil.copytree(plan_copy, gone)
    summary = json.loads((gone / "summary.json").read_text(encoding="utf-8"))
    summary["inputs"]["voters"] = str(tmp_path / "moved-away.csv")
    (gone / "summary.json").write_text(json.dumps(summary), encoding="utf-8")
    with pytest.raises(PlanInputsError, match=r"voters file .* is gone \(.*moved-away\.csv\)"):
        request_from_plan(gone)


def test_a_split_halves_one_turf_and_leaves_the_others(
    base: PlanRequest, before: pd.DataFrame
) -> None:
    turf = _largest_turf(before)
    precinct = turf.split("-")[0]
    highest = max(int(t.split("-")[1]) for t in before["turf"] if t.startswith(f"{precinct}-"))
    second = f"{precinct}-{highest + 1:02d}"

    plan = run_plan(replace(base, edit=TurfEdit("split", (turf,))))

    after = _table(plan)
    halves = _members(after)
    assert halves[turf] and halves[second]
    assert halves[turf] | halves[second] == _members(before)[turf]
    assert not halves[turf] & halves[second]
    assert set(halves) == set(_members(before)) | {second}
    _assert_routed(plan, {turf, second})
    _assert_untouched(after, before, {turf})
    assert plan.counts["edits"] == [
        {
            "kind": "split",
            "turfs": [turf],
            "new": [turf, second],
            "removed": [],
            "stops_moved": len(halves[second]),
        }
    ]
    assert plan.counts["recut"] == {"kept_turfs": len(halves) - 2, "new_turfs": 2}


def test_writing_an_edit_remakes_only_the_turfs_it_touched(
    demo_plan: BuiltPlan, before: pd.DataFrame, tmp_path: Path
) -> None:
    out = tmp_path / "demo"
    shutil.copytree(demo_plan.out, out)
    request = request_from_plan(out, graph_cache_dir=Settings().graph_cache_dir)
    turf = _largest_turf(before)
    old = {p.relative_to(out): (p.read_bytes(), p.stat().st_mtime_ns) for p in _turf_files(out)}
    time.sleep(0.02)  # a file made again now would have a later modification time

    plan = run_plan(replace(request, edit=TurfEdit("split", (turf,))))
    document = write_plan(plan, out)

    new = {p.relative_to(out): (p.read_bytes(), p.stat().st_mtime_ns) for p in _turf_files(out)}
    edited = {t for t in document["edits"][-1]["new"]}
    assert len(edited) == 2 and turf in edited
    for name, (content, mtime) in new.items():
        if name.stem.split(".")[0] in edited:
            continue
        assert old[name] == (content, mtime), f"{name} was made again"
    remade = [name for name in new if name.stem.split(".")[0] in edited]
    assert len(remade) == 2 * 6  # walk list CSV, HTML, PDF, map page, its data and base map
    assert document["turfs_carried_over"] == len(plan.turfs) - 2


def _turf_files(folder: Path) -> list[Path]:
    plan_wide = ("index", "heat")  # the maps of the whole plan are remade on every write
    maps = [p for p in folder.glob("maps/*") if p.name.split(".")[0] not in plan_wide]
    return sorted([*folder.glob("walklists/*"), *(p for p in maps if p.suffix in (".js", ".html"))])


def test_a_renamed_voter_remakes_the_files_of_their_turf_only(
    demo_plan: BuiltPlan, tmp_path: Path
) -> None:
    # The turf's figures stay the same: only its walk list tells that it changed.
    out = tmp_path / "demo"
    shutil.copytree(demo_plan.out, out)
    plan = demo_plan.plan
    voters = plan.voters.copy()
    row = voters.index[voters["target"] & voters["turf"].notna()][0]
    turf = str(voters.at[row, "turf"])
    voters.at[row, "last_name"] = "Renamed-Voter"
    old = {p.relative_to(out): p.read_bytes() for p in _turf_files(out)}

    document = write_plan(replace(plan, voters=voters), out)

    assert document["turfs_carried_over"] == len(plan.turfs) - 1
    assert "Renamed-Voter" in (out / "walklists" / f"{turf}.csv").read_text(encoding="utf-8")
    new = {p.relative_to(out): p.read_bytes() for p in _turf_files(out)}
    assert {name.stem.split(".")[0] for name in new if new[name] != old[name]} == {turf}


def test_a_merge_joins_turfs_and_a_later_edit_keeps_the_history(
    base: PlanRequest, before: pd.DataFrame
) -> None:
    # The two highest numbers of a precinct: the merge retires the highest.
    precinct = sorted(set(before["precinct"]))[0]
    first, second = sorted(t for t in set(before["turf"]) if t.startswith(f"{precinct}-"))[-2:]
    plan = run_plan(replace(base, edit=TurfEdit("merge", (first, second))))

    after = _table(plan)
    members = _members(after)
    assert second not in members
    assert members[first] == _members(before)[first] | _members(before)[second]
    _assert_routed(plan, {first})
    _assert_untouched(after, before, {first, second})
    assert plan.counts["edits"][-1]["removed"] == [second]

    # A split after the merge: the retired id is not given out again, and both edits are kept.
    again = run_plan(
        replace(
            base,
            previous_stops=stop_table(plan)[["stop_id", "turf", "sequence", "doors"]],
            previous_edits=tuple(plan.counts["edits"]),
            edit=TurfEdit("split", (first,)),
        )
    )
    assert [e["kind"] for e in again.counts["edits"]] == ["merge", "split"]
    number = int(second.split("-")[1])
    assert again.counts["edits"][-1]["new"] == [first, f"{precinct}-{number + 1:02d}"]
    assert second not in set(_table(again)["turf"])


def test_a_drawn_turf_takes_the_stops_inside_and_empties_old_turfs(
    base: PlanRequest, before: pd.DataFrame
) -> None:
    turfs = before.groupby("turf")
    small = str(before["turf"].value_counts().sort_index().idxmin())
    neighbour = next(t for t in sorted(set(before["turf"])) if t != small)
    chosen = pd.concat([turfs.get_group(small), turfs.get_group(neighbour).head(1)])
    points = shapely.points(chosen["lon"].astype(float), chosen["lat"].astype(float))
    polygon = shapely.union_all(shapely.buffer(points, 0.00003))  # about 3 m round each stop
    everything = shapely.points(before["lon"].astype(float), before["lat"].astype(float))
    inside = set(before.loc[shapely.covers(polygon, everything), "stop_id"])
    assert inside >= set(chosen["stop_id"])

    plan = run_plan(replace(base, edit=TurfEdit("draw", polygon=polygon)))

    after = _table(plan)
    record = plan.counts["edits"][-1]
    (drawn,) = record["new"]
    members = _members(after)
    assert members[drawn] == inside
    assert small in record["removed"] and small not in members
    assert neighbour in record["turfs"] and members[neighbour] == (
        _members(before)[neighbour] - inside
    )
    losers = set(before.loc[before["stop_id"].isin(inside), "turf"])
    assert set(record["turfs"]) == losers
    majority = chosen["precinct"].value_counts().sort_index().idxmax()
    assert drawn.startswith(f"{majority}-")
    _assert_routed(plan, {drawn} | (losers & set(members)))
    _assert_untouched(after, before, losers)
    assert sorted(after["stop_id"]) == sorted(before["stop_id"])


def test_an_edit_refuses_a_plan_whose_stops_changed(
    base: PlanRequest, before: pd.DataFrame
) -> None:
    assert base.previous_stops is not None
    fewer = base.previous_stops.iloc[1:]
    with pytest.raises(PlanChangedError, match="inputs changed since it was cut; cut it again"):
        run_plan(replace(base, previous_stops=fewer, edit=TurfEdit("split", (before["turf"][0],))))
    more_doors = base.previous_stops.assign(doors=base.previous_stops["doors"] + 1)
    with pytest.raises(PlanChangedError, match=r"stop\(s\) with other doors"):
        run_plan(replace(base, previous_stops=more_doors, edit=TurfEdit("merge", ("a", "b"))))
    with pytest.raises(TurfEditError, match="no turf 'NOPE'"):
        run_plan(replace(base, edit=TurfEdit("split", ("NOPE",))))
    with pytest.raises(TurfEditError, match="merged with itself"):
        TurfEdit("merge", ("P01-01", "P01-01"))
    far = shapely.box(0, 0, 0.001, 0.001)
    with pytest.raises(TurfEditError, match="contains no stop"):
        run_plan(replace(base, edit=TurfEdit("draw", polygon=far)))


# --- Through the API, on SQLite and PostgreSQL --------------------------------------------


@pytest.fixture(scope="module")
def served(
    demo_plan: BuiltPlan, database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[TestClient, Path]]:
    """An organiser's cookie session on a private copy of the demo workspace."""
    root = tmp_path_factory.mktemp("edit-ws")
    shutil.copytree(demo_plan.out, root / "demo", ignore=shutil.ignore_patterns("*.pdf", "maps"))
    app = create_app(Settings(workspace=root, database_url=database_url))
    create_user(app.state.services.db, "organiser", PASSWORD, "organiser")
    client = TestClient(app)
    login = client.post("/api/login", json={"username": "organiser", "password": PASSWORD})
    assert login.status_code == 200, login.text
    client.headers["X-CSRF-Token"] = login.json()["csrf_token"]
    yield client, root
    app.state.services.jobs.shutdown()
    app.state.services.db.dispose()


def _wait(client: TestClient, job: dict[str, Any]) -> dict[str, Any]:
    for _ in range(240):  # bounded: at most about two minutes
        if job["status"] in ("done", "failed"):
            return job
        time.sleep(0.25)
        job = client.get(f"/api/jobs/{job['id']}").json()
    raise AssertionError(f"job still {job['status']}: {job}")


def _lines_by_turf(folder: Path) -> dict[str, list[str]]:
    text = (folder / "stops.csv").read_text(encoding="utf-8")
    turfs = pd.read_csv(folder / "stops.csv", dtype=str, keep_default_na=False)["turf"]
    lines = text.splitlines()[1:]
    assert len(lines) == len(turfs)
    grouped: dict[str, list[str]] = {}
    for turf, line in zip(turfs, lines, strict=True):
        grouped.setdefault(turf, []).append(line)
    return grouped


def test_a_split_through_the_api_keeps_results_with_their_households(
    served: tuple[TestClient, Path],
) -> None:
    client, root = served
    folder = root / "demo"
    db = client.app.state.services.db  # type: ignore[attr-defined]
    lines_before = _lines_by_turf(folder)
    turf = max(sorted(lines_before), key=lambda t: len(lines_before[t]))
    with db.reading() as session:
        keys = session.scalars(
            select(Household.key)
            .join(Stop, Stop.id == Household.stop_id)
            .join(Turf, Turf.id == Stop.turf_id)
            .where(Turf.code == turf)
            .order_by(Stop.sequence, Household.key)
        ).all()
        household_ids = dict(
            session.execute(
                select(Household.key, Household.id).where(Household.key.in_(keys))
            ).all()
        )
    link = resolve_link(db, create_volunteer_link(db, "demo", turf))
    recorded = {key: str(uuid.uuid4()) for key in (keys[0], keys[-1])}
    stored, _ = record_results(
        db,
        link,
        [NewResult(client_id=c, household_id=k, code="refused", recorded_at=utcnow())
         for k, c in recorded.items()],
    )  # fmt: skip
    assert sorted(stored) == sorted(recorded.values())

    started = client.post("/api/plans/demo/turfs/split", json={"turf": turf})
    assert started.status_code == 202, started.text
    job = started.json()
    assert set(job) == {
        "id", "plan", "status", "stage", "stages_done", "done", "total", "error", "url"
    }  # fmt: skip
    assert job["plan"] == "demo" and job["status"] in ("queued", "running")
    job = _wait(client, job)
    assert job["status"] == "done", job
    assert job["url"] == "/plans/demo"
    assert {"read_plan", "cut_turfs", "route_turfs", "write_turfs", "import"} <= set(
        job["stages_done"]
    )

    summary = client.get("/api/plans/demo").json()
    (edit,) = summary["edits"]
    assert edit["kind"] == "split" and edit["turfs"] == [turf] and edit["new"][0] == turf
    second = edit["new"][1]
    lines_after = _lines_by_turf(folder)
    assert set(lines_after) == set(lines_before) | {second}
    for other in set(lines_before) - {turf}:
        assert lines_after[other] == lines_before[other], other
    halves = [{line.split(",")[0] for line in lines_after[t]} for t in (turf, second)]
    assert halves[0] | halves[1] == {line.split(",")[0] for line in lines_before[turf]}
    assert not halves[0] & halves[1]
    walks = {t["turf"]: t for t in summary["turfs"]}
    assert walks[turf]["walk_m"] > 0 and walks[second]["walk_m"] > 0
    assert (folder / "walklists" / f"{second}.csv").is_file()

    # Imported: the new turf is served, and results stay with the same household rows.
    progress = client.get("/api/plans/demo/progress").json()
    assert {t["turf"] for t in progress["turfs"]} == set(lines_after)
    with db.reading() as session:
        now = dict(
            session.execute(
                select(Household.key, Household.id).where(Household.key.in_(keys))
            ).all()
        )
        entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "plan.edit")).one()
    assert now == household_ids
    found = {r["client_id"] for t in (turf, second) for r in turf_results(db, link.plan_id, t)}
    assert set(recorded.values()) <= found
    assert entry.subject == "demo" and entry.details["new"] == [turf, second]
    assert entry.user_id is not None


def test_invalid_edits_are_refused_before_anything_runs(served: tuple[TestClient, Path]) -> None:
    client, root = served
    turfs = sorted(_lines_by_turf(root / "demo"))
    split = client.post("/api/plans/nope/turfs/split", json={"turf": turfs[0]})
    assert split.status_code == 404
    unknown = client.post("/api/plans/demo/turfs/split", json={"turf": "P99-99"})
    assert unknown.status_code == 422 and "'P99-99'" in unknown.json()["detail"]
    itself = client.post("/api/plans/demo/turfs/merge", json={"turfs": [turfs[0], turfs[0]]})
    assert itself.status_code == 422 and "itself" in itself.json()["detail"]
    one = client.post("/api/plans/demo/turfs/merge", json={"turfs": [turfs[0]]})
    assert one.status_code == 422
    nul = client.post("/api/plans/demo/turfs/split", json={"turf": "P01\x00"})
    assert nul.status_code == 422
    nowhere = {"type": "Polygon", "coordinates": [[[0, 0], [0.01, 0], [0.01, 0.01], [0, 0]]]}
    empty = client.post("/api/plans/demo/turfs/draw", json={"geometry": nowhere})
    assert empty.status_code == 422 and "contains no stop" in empty.json()["detail"]
    flat = {"type": "Polygon", "coordinates": [[[24.9, 60.1], [24.95, 60.1], [24.9, 60.1]]]}
    no_area = client.post("/api/plans/demo/turfs/draw", json={"geometry": flat})
    assert no_area.status_code == 422 and "no area" in no_area.json()["detail"]
    feet = {"type": "Polygon", "coordinates": [[[2e6, 6e5], [2.1e6, 6e5], [2e6, 7e5]]]}
    projected = client.post("/api/plans/demo/turfs/draw", json={"geometry": feet})
    assert projected.status_code == 422 and "longitude" in projected.json()["detail"]
    line = {"type": "LineString", "coordinates": [[24.9, 60.1], [24.95, 60.2]]}
    assert client.post("/api/plans/demo/turfs/draw", json={"geometry": line}).status_code == 422

    anonymous = TestClient(client.app)
    assert anonymous.post("/api/plans/demo/turfs/split", json={"turf": turfs[0]}).status_code == 401
    no_token = TestClient(client.app)
    no_token.post("/api/login", json={"username": "organiser", "password": PASSWORD})
    refused = no_token.post("/api/plans/demo/turfs/split", json={"turf": turfs[0]})
    assert refused.status_code == 403 and "CSRF" in refused.json()["detail"]

    # A plan whose voter file is gone cannot be made again: 410 naming the file.
    shutil.copytree(root / "demo", root / "orphan", ignore=shutil.ignore_patterns("walklists"))
    summary = json.loads((root / "orphan" / "summary.json").read_text(encoding="utf-8"))
    summary["inputs"]["voters"] = str(root / "deleted-voters.csv")
    (root / "orphan" / "summary.json").write_text(json.dumps(summary), encoding="utf-8")
    gone = client.post("/api/plans/orphan/turfs/split", json={"turf": turfs[0]})
    assert gone.status_code == 410 and "deleted-voters.csv" in gone.json()["detail"]
    shutil.rmtree(root / "orphan")


def test_one_edit_at_a_time_per_plan(served: tuple[TestClient, Path]) -> None:
    client, root = served
    planner = client.app.state.services.jobs  # type: ignore[attr-defined]
    turfs = sorted(_lines_by_turf(root / "demo"))
    release = threading.Event()
    blocker = planner.submit("demo", lambda on_stage: release.wait(30), conflict="busy")
    try:
        busy = client.post("/api/plans/demo/turfs/merge", json={"turfs": turfs[:2]})
        assert busy.status_code == 409 and "being changed" in busy.json()["detail"]
    finally:
        release.set()
    assert _wait(client, blocker.as_dict())["status"] == "done"
