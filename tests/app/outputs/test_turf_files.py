"""Turf files written by worker processes are the files written in process, every one of
them; a worker's failure fails the plan and leaves nothing half-written."""

from __future__ import annotations

import gc
import os
import re
import shutil
import time
from pathlib import Path
from typing import Any

import pytest

import app.outputs.turf_files as turf_files
import app.outputs.writer as writer_module
from app.outputs.turf_files import POOL_MIN_TURFS, worker_count
from app.outputs.writer import write_plan
from app.planning.progress import Progress
from tests.app.conftest import BuiltPlan


def _without_dates(pdf: bytes) -> bytes:
    """A PDF without what changes from one run to the next (its date and the id made from it)."""
    return re.sub(rb"/CreationDate \([^)]*\)|/ID \[<[0-9A-F]+><[0-9A-F]+>\]", b"", pdf)


def _files(root: Path) -> dict[str, bytes]:
    """Every file under ``root`` but the summary (it holds timings), PDFs without dates and
    the heat map without the random element ids Folium gives."""
    found = {}
    for path in sorted(root.rglob("*")):
        if path.is_file() and path.name != "summary.json":
            data = path.read_bytes()
            if path.suffix == ".pdf":
                data = _without_dates(data)
            elif path.name.startswith("heat"):
                data = re.sub(rb"_[0-9a-f]{32}", b"_id", data)
            found[str(path.relative_to(root))] = data
    return found


class Counts(Progress):
    def __init__(self) -> None:
        self.stages: list[tuple[str, int | None]] = []
        self.done: dict[str, int] = {}

    def stage(self, name: str, total: int | None = None) -> None:
        self.stages.append((name, total))
        self.done[name] = 0

    def advance(self, count: int = 1) -> None:
        self.done[self.stages[-1][0]] += count


def test_workers_write_the_same_files_as_one_process(demo_plan: BuiltPlan, tmp_path: Path) -> None:
    plan = demo_plan.plan
    assert len(plan.turfs) >= POOL_MIN_TURFS  # so two workers are used
    assert worker_count(len(plan.turfs), 2) == 2
    progress = Counts()
    # One plan name: the QR codes point to it.
    pooled = write_plan(plan, tmp_path / "pooled" / "plan", workers=2, progress=progress)
    alone = write_plan(plan, tmp_path / "alone" / "plan", workers=1)
    files = _files(tmp_path / "pooled" / "plan")
    assert files == _files(tmp_path / "alone" / "plan")
    turf_ids = [turf.turf_id for turf in plan.turfs]
    for turf_id in turf_ids:
        for name in ("walklists/{}.pdf", "walklists/{}.csv", "maps/{}.html", "maps/{}.data.js"):
            assert name.format(turf_id) in files
    # Every turf is counted once, whichever worker finished first.
    assert ("write_turfs", len(turf_ids)) in progress.stages
    assert progress.done["write_turfs"] == len(turf_ids)
    assert pooled["turfs"] == alone["turfs"]
    assert pooled["timings_s"]["write_walklists"] > 0
    assert pooled["timings_s"]["write_turf_maps"] > 0


def test_writing_a_plan_leaves_the_heap_frozen_or_not_as_it_found_it(
    demo_plan: BuiltPlan, tmp_path: Path, thawed: None
) -> None:
    # As the CLI: what writing froze is thawed after (else its cycles are never freed).
    write_plan(demo_plan.plan, tmp_path / "cli", workers=2)
    assert gc.get_freeze_count() == 0
    # As the web server, which freezes what it starts with so that full collections are
    # short: writing a plan (its workers, the heat map's process) must not thaw that.
    gc.freeze()
    frozen = gc.get_freeze_count()
    write_plan(demo_plan.plan, tmp_path / "server", workers=2)
    # (A few frozen objects die meanwhile: freed as any other.)
    assert gc.get_freeze_count() > 0.99 * frozen


def test_a_failing_worker_fails_the_plan_and_leaves_no_folder(
    demo_plan: BuiltPlan, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    broken = demo_plan.plan.turfs[-1].turf_id

    def write_turf_map(data: dict[str, object], path: Path) -> list[Path]:
        if data["turf"] == broken:
            raise OSError(f"disk full writing {path.name}")
        return []

    # Set before the workers are forked, so they have it too.
    monkeypatch.setattr(turf_files, "write_turf_map", write_turf_map)
    with pytest.raises(OSError, match=f"disk full writing {broken}.html"):
        write_plan(demo_plan.plan, tmp_path / "plan", workers=2)
    assert list(tmp_path.iterdir()) == []


def test_few_turfs_or_one_core_write_in_process() -> None:
    assert worker_count(POOL_MIN_TURFS - 1, 2) == 1
    assert worker_count(500, 1) == 1
    assert worker_count(500, 2) == 2
    assert worker_count(POOL_MIN_TURFS, 64) <= -(-POOL_MIN_TURFS // turf_files.WRITE_BATCH)


_PID_FILES: list[Path] = []


def _heatmap_in(plan: object, turfs: object, path: Path) -> Path:
    """The heat map, noting the process that wrote it."""
    _PID_FILES[0].write_text(str(os.getpid()))
    return _WRITE_HEATMAP(plan, turfs, path)


_WRITE_HEATMAP = writer_module.write_heatmap


def _overview_in(*args: Any) -> None:
    """The overview map, noting the process that wrote it."""
    _PID_FILES[1].write_text(str(os.getpid()))
    _WRITE_OVERVIEW(*args)


_WRITE_OVERVIEW = writer_module._write_overview_map


@pytest.mark.skipif(len(os.sched_getaffinity(0)) < 2, reason="one core: all is written in process")
def test_a_rewrite_with_few_turfs_to_make_writes_the_plan_pages_in_a_worker(
    demo_plan: BuiltPlan, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # As after a turf edit: the turfs' files are carried over or few, the pages are not.
    out = tmp_path / "plan"
    shutil.copytree(demo_plan.out, out)
    _PID_FILES[:] = [tmp_path / "heat.pid", tmp_path / "overview.pid"]
    monkeypatch.setattr(writer_module, "write_heatmap", _heatmap_in)
    monkeypatch.setattr(writer_module, "_write_overview_map", _overview_in)

    document = write_plan(demo_plan.plan, out)

    assert document["turfs_carried_over"] == len(demo_plan.plan.turfs)
    pages_process = int((tmp_path / "heat.pid").read_text())
    assert pages_process != os.getpid()
    assert int((tmp_path / "overview.pid").read_text()) == pages_process
    written, before = _files(out), _files(demo_plan.out)
    for page in ("maps/heat.html", "maps/index.html", "maps/index.basemap.js"):
        assert written[page] == before[page]


def test_one_process_asked_for_writes_the_heat_map_in_process(
    demo_plan: BuiltPlan, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _PID_FILES[:] = [tmp_path / "heat.pid"]
    monkeypatch.setattr(writer_module, "write_heatmap", _heatmap_in)

    write_plan(demo_plan.plan, tmp_path / "plan", workers=1)

    assert int((tmp_path / "heat.pid").read_text()) == os.getpid()


@pytest.mark.skipif(len(os.sched_getaffinity(0)) < 2, reason="one core: all is written in process")
def test_with_turf_workers_the_writing_process_writes_the_plan_pages_meanwhile(
    demo_plan: BuiltPlan, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # It would only wait for the workers: a process of the pages' own is one more to fork and
    # one more on the cores the workers use.
    _PID_FILES[:] = [tmp_path / "heat.pid", tmp_path / "overview.pid"]
    monkeypatch.setattr(writer_module, "write_heatmap", _heatmap_in)
    monkeypatch.setattr(writer_module, "_write_overview_map", _overview_in)
    turfs_left: list[int] = []
    heat_map = writer_module.write_heatmap

    def while_the_workers_write(*args: Any) -> Path:
        made = tmp_path.glob(".plan.*/walklists/*.pdf")
        turfs_left.append(len(demo_plan.plan.turfs) - len(list(made)))
        return heat_map(*args)

    monkeypatch.setattr(writer_module, "write_heatmap", while_the_workers_write)
    write_plan(demo_plan.plan, tmp_path / "plan", workers=2)

    assert int((tmp_path / "overview.pid").read_text()) == os.getpid()
    assert int((tmp_path / "heat.pid").read_text()) == os.getpid()
    assert turfs_left and turfs_left[0] > 0  # not after the workers were done


@pytest.mark.parametrize("where", ["pages' process", "writing process"])
@pytest.mark.skipif(len(os.sched_getaffinity(0)) < 2, reason="one core: all is written in process")
def test_a_failing_heat_map_fails_the_plan_and_leaves_the_folder_as_it_was(
    demo_plan: BuiltPlan, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, where: str
) -> None:
    def broken(plan: object, turfs: object, path: Path) -> Path:
        raise OSError(f"disk full writing {path.name}")

    out = tmp_path / "plan"
    if where == "pages' process":  # a rewrite with every turf carried over (a turf edit)
        shutil.copytree(demo_plan.out, out)
    monkeypatch.setattr(writer_module, "write_heatmap", broken)
    with pytest.raises(OSError, match=r"disk full writing heat\.html"):
        write_plan(demo_plan.plan, out, workers=2)
    assert [p.name for p in tmp_path.iterdir()] == (["plan"] if out.exists() else [])
    if out.exists():
        assert _files(out) == _files(demo_plan.out)


@pytest.mark.skipif(len(os.sched_getaffinity(0)) < 2, reason="one core: all is written in process")
def test_the_heat_map_written_first_does_not_trip_up_the_rest(
    demo_plan: BuiltPlan, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # After a turf edit the pages' process may finish before this one writes the tables.
    out = tmp_path / "plan"
    shutil.copytree(demo_plan.out, out)
    write_tables = writer_module._write_tables
    waited: list[bool] = []

    def after_the_pages(*args: Any) -> Any:
        deadline = time.monotonic() + 30
        pages = ("heat.html", "index.html")
        while time.monotonic() < deadline and not all(
            list(tmp_path.glob(f".plan.*/maps/{page}")) for page in pages
        ):
            time.sleep(0.02)
        waited.append(time.monotonic() < deadline)
        return write_tables(*args)

    monkeypatch.setattr(writer_module, "_write_tables", after_the_pages)
    write_plan(demo_plan.plan, out, workers=2)
    assert waited == [True]
    assert _files(out) == _files(demo_plan.out)


@pytest.mark.skipif(len(os.sched_getaffinity(0)) < 2, reason="one core: all is written in process")
def test_the_writing_process_writes_the_batches_no_worker_has_started(
    demo_plan: BuiltPlan, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # With its pages written it takes turfs too, not only waits: two cores, one worker.
    writer_process = os.getpid()
    log = tmp_path / "batches.log"
    write_batch = turf_files.write_batch

    def noted(job: turf_files.TurfFilesJob, batch: list[int]) -> dict[str, float]:
        if os.getpid() != writer_process:
            time.sleep(0.2)  # a slow worker: batches are left for the writing process
        with log.open("a") as file:
            file.write(f"{os.getpid()} {' '.join(map(str, batch))}\n")
        return write_batch(job, batch)

    monkeypatch.setattr(turf_files, "write_batch", noted)
    progress = Counts()
    write_plan(demo_plan.plan, tmp_path / "plan", workers=2, progress=progress)

    by_process: dict[int, list[int]] = {}
    for line in log.read_text().splitlines():
        pid, *positions = map(int, line.split())
        by_process.setdefault(pid, []).extend(positions)
    assert len(by_process) == 2 and writer_process in by_process
    written = sorted(p for positions in by_process.values() for p in positions)
    assert written == list(range(len(demo_plan.plan.turfs)))  # each turf once
    assert progress.done["write_turfs"] == len(demo_plan.plan.turfs)
    files = _files(tmp_path / "plan")
    assert all(f"walklists/{turf.turf_id}.pdf" in files for turf in demo_plan.plan.turfs)
