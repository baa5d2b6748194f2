from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from app.outputs.writer import write_plan
from app.planning.pipeline import Plan, run_plan
from app.planning.request import PlanRequest
from geo.sample import DemoInputs, write_demo_inputs
from tests.app.browser import launch_chromium

DEMO_TARGET = "support_score >= 55 and turnout_score between 20 and 85"


@dataclass(frozen=True)
class BuiltPlan:
    inputs: DemoInputs
    plan: Plan
    out: Path
    summary: dict[str, Any]


@pytest.fixture(scope="session")
def demo_plan(tmp_path_factory: pytest.TempPathFactory) -> BuiltPlan:
    """The demo plan built once for the session, through the same code as `canvass demo`."""
    root = tmp_path_factory.mktemp("workspace")
    inputs = write_demo_inputs(root / "demo-inputs")
    plan = run_plan(
        PlanRequest(
            voters=inputs.voters,
            precincts=inputs.precincts,
            streets=inputs.streets,
            target=DEMO_TARGET,
        )
    )
    out = root / "demo"
    summary = write_plan(plan, out)
    return BuiltPlan(inputs=inputs, plan=plan, out=out, summary=summary)


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    """Debian's Chromium driven by Playwright (see ``tests/app/browser.py``)."""
    yield from launch_chromium()


@pytest.fixture
def artifacts(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where screenshots go: $CANVASS_TEST_ARTIFACTS if set, else a temporary folder."""
    folder = os.environ.get("CANVASS_TEST_ARTIFACTS")
    path = Path(folder) if folder else tmp_path_factory.mktemp("browser-artifacts")
    path.mkdir(parents=True, exist_ok=True)
    return path


# The database fixtures: each API and storage test module runs on SQLite and PostgreSQL.
from tests.app.databases import database_url, workspace  # noqa: E402, F401
