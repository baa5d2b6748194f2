"""The console of a plan split into hundreds of regions stays a screenful (issue 19).

The regions are stood in for by ``plan_by_region`` reporting 300 outcomes the way the real
one does (its stages, one step per region, the summary's ``regions`` block), so the test is
about what the person at the console reads, not about planning.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from app.cli.main import main
from app.planning.cluster import TaskOutcome
from app.planning.progress import Progress
from app.services import region_plans
from app.services.region_plans import RegionRun
from geo.sample import write_demo_inputs

REGIONS = 300
FAILED = {f"A{n:03d}": f"StreetDataError: no street within 200 m of A{n:03d}\nsecond line"
          for n in (7, 19, 120, 121, 122, 123, 124, 125, 126, 127, 128, 250)}  # fmt: skip


def _records() -> list[dict[str, Any]]:
    records = []
    for n in range(1, REGIONS + 1):
        region = f"A{n:03d}"
        failed = region in FAILED
        records.append(
            {
                "region": region,
                "status": "failed" if failed else "kept" if n > 290 else "planned",
                "voters": 2000,
                "error": FAILED.get(region),
                "seconds": None if failed or n > 290 else 3.0 + (n % 97) / 10,
            }
        )
    return records


def _fake_plan_by_region(
    request: Any,
    out: Path,
    spec: Any,
    *,
    on_region: Any,
    progress: Progress,
    **_: Any,
) -> RegionRun:
    """The driver's stages and 300 regions heard one by one, as ``plan_by_region`` reports."""
    for stage in ("read_voters", "read_precincts", "precinct_join", "households", "split_regions"):
        progress.stage(stage)
        progress.finish()
    records = _records()
    progress.stage("regions", total=REGIONS - 10)
    for record in records[: REGIONS - 10]:
        progress.advance()
        on_region(TaskOutcome(record["region"], error=record["error"]))
    progress.finish()
    progress.stage("merge")
    progress.finish()
    summary = {
        "voters": {"total": 600_000, "accepted": 576_000, "rejected": 24_000},
        "turfs": [{"turf": "A001-P01-01"}] * 40,
        "regions": {"count": REGIONS, "failed": sorted(FAILED), "list": records},
    }
    return RegionRun(summary=summary, failed=dict(FAILED))


@pytest.fixture
def plan_args(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    monkeypatch.setattr(region_plans, "plan_by_region", _fake_plan_by_region)
    demo = write_demo_inputs(tmp_path / "inputs")
    return ["plan", "--voters", str(demo.voters), "--streets", str(demo.streets),
            "--precincts", str(demo.precincts), "--regions", "auto:2000",
            "--out", str(tmp_path / "plan")]  # fmt: skip


def test_hundreds_of_regions_print_a_screenful(
    plan_args: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    status = main(plan_args)
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.strip()]
    assert status == 3
    assert len(lines) <= 25, err
    assert "regions" in err and "290/290" in err  # the bar of the regions, full
    assert "Regions: 12 failed, 10 kept, 278 planned" in err
    # The slowest three by name (3.0 + 96/10 s at n = 96, 193 and 290), ties by name.
    assert "slowest: A096 12.6 s, A193 12.6 s, A290 12.6 s" in err
    # The first ten failed regions with the first line of their error, then how many more.
    for region in sorted(FAILED)[:10]:
        assert f"region {region} failed: StreetDataError: no street within 200 m of {region}" in err
    assert "second line" not in err
    assert "and 2 more failed regions" in err
    assert "A250" not in err.split("... and")[0]
    assert "Partial plan" in err and "and 2 more" in err.split("Partial plan")[1]


def test_verbose_lists_every_region(
    plan_args: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    main(["--verbose", *plan_args])
    err = capsys.readouterr().err
    for n in range(1, REGIONS - 9):
        assert f"region A{n:03d}" in err
