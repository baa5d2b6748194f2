"""The plan page of a plan with volunteer-hours: what they reach, the curve, turfs by priority."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from app.outputs.writer import write_plan
from app.planning.pipeline import run_plan
from app.planning.request import PlanRequest
from app.services.accounts import create_user
from app.settings import Settings
from app.web.app import create_app
from geo.effort import TurfSize
from tests.app.browser import PHONE, WAIT_MS, log_in, no_horizontal_overflow, serving
from tests.app.conftest import BuiltPlan

PASSWORD = "organising password"


@pytest.fixture(scope="module")
def site(
    demo_plan: BuiltPlan, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, dict[str, Any], Any]]:
    root = tmp_path_factory.mktemp("budget-ws")
    voters = pd.read_csv(demo_plan.inputs.voters, dtype=str, keep_default_na=False)
    path = root / "voters.csv"
    voters.sort_values(["street", "house_number"]).head(600).to_csv(path, index=False)
    plan = run_plan(
        PlanRequest(
            voters=path,
            streets=demo_plan.inputs.streets,
            size=TurfSize(minutes=None, doors=20),
            hours=2.0,
            value="age < 30",
        )
    )
    summary = write_plan(plan, root / "weekend")

    def make_app(base: str) -> Any:
        app = create_app(
            Settings(
                workspace=root,
                database_url=f"sqlite:///{root / 'canvass.db'}",
                tile_url=f"{base}/no-tiles/{{z}}/{{x}}/{{y}}.png",
            )
        )
        create_user(app.state.services.db, "olga", PASSWORD, "organiser")
        return app

    with serving(make_app) as (base, app):
        yield base, summary, app


@pytest.mark.parametrize("viewport", [{"width": 1280, "height": 800}, PHONE])
def test_the_plan_page_shows_the_budget_and_colours_turfs_by_priority(
    chromium: Any, site: tuple[str, dict[str, Any], Any], artifacts: Path, viewport: dict[str, int]
) -> None:
    base, summary, _ = site
    budget = summary["budget"]
    context = chromium.new_context(viewport=viewport)
    page = context.new_page()
    log_in(page, base, "olga", PASSWORD, "/plans/weekend")
    section = page.locator("#budget")
    assert "Budget: 2.0 volunteer-hours" in section.inner_text()
    assert f"Work {budget['turfs']} turfs" in section.inner_text()
    recut = budget["recut"]
    if recut["cuts_tried"]:  # the page says what whole turfs would reach, and which it kept
        said = page.locator("#budget-recut").inner_text()
        assert f"{recut['whole_value']:,.0f}" in said and f"{recut['trimmed_value']:,.0f}" in said
        assert ("re-cut so that the hours end on whole turfs" in said) == recut["used"]
    points = page.locator("#budget polyline").get_attribute("points") or ""
    assert len(points.split()) == len(budget["curve"])
    in_budget = page.locator("td.priority.in-budget")
    assert in_budget.count() == budget["turfs"]
    first = budget["order"][0]
    assert page.locator(f"tr[data-turf='{first}'] td.priority").inner_text().startswith("1")
    outside = next(t["turf"] for t in summary["turfs"] if not t["in_budget"])
    page.select_option("#colour-by", "priority")
    fills = page.evaluate(
        """() => Object.fromEntries(Array.from(document.querySelectorAll('path[data-turf]'))
             .map(p => [p.dataset.turf, p.getAttribute('fill')]))"""
    )
    assert fills[outside] == "#9aa3ad"
    assert fills[first] != "#9aa3ad" and fills[first].startswith("hsl(140")
    no_horizontal_overflow(page, viewport["width"])
    # No knocks recorded yet: the page says the next pass needs some.
    page.click("#next-pass")
    page.wait_for_selector("#notice:not([hidden])", timeout=WAIT_MS)
    assert "no results yet" in page.locator("#notice").inner_text()
    page.screenshot(path=str(artifacts / f"budget-{viewport['width']}.png"), full_page=True)
    context.close()


def test_the_phone_page_greys_the_doors_the_budget_skips(
    chromium: Any, site: tuple[str, dict[str, Any], Any], artifacts: Path
) -> None:
    from app.store.links import create_volunteer_link

    base, summary, app = site
    trimmed = next(t for t in summary["turfs"] if t["in_budget"] and t["knock_value_min"])
    skipped = trimmed["doors"] - trimmed["budget_doors"]
    assert skipped > 0
    token = create_volunteer_link(app.state.services.db, "weekend", trimmed["turf"])
    context = chromium.new_context(viewport=PHONE)
    page = context.new_page()
    page.goto(f"{base}/t/{token}")
    page.wait_for_selector("body[data-ready='yes']", timeout=WAIT_MS)
    # Every door is listed (the canvasser walks past them); the skipped ones say so, greyed,
    # and the next door is never one of them.
    assert page.locator("li.door").count() == trimmed["doors"]
    assert page.locator("li.door.skip").count() == skipped
    assert page.locator("li.door.skip .state.skip").count() == skipped
    assert page.locator("li.door.is-next.skip").count() == 0
    assert page.locator("li.door.is-next").count() == 1
    # The count of doors is this pass's work: the skipped doors are said apart, not left "to do".
    progress = page.locator("#progress")
    assert progress.get_attribute("data-total") == str(trimmed["budget_doors"])
    assert progress.get_attribute("data-skipped") == str(skipped)
    assert f"0 of {trimmed['budget_doors']} door" in progress.inner_text()
    assert f"{skipped} skipped this pass" in progress.inner_text()
    page.screenshot(path=str(artifacts / "budget-phone-skip.png"), full_page=True)
    page.screenshot(path=str(artifacts / "budget-phone-skip-dock.png"))
    context.close()


def test_a_turf_is_done_on_the_dashboard_once_the_budget_doors_are(
    chromium: Any, site: tuple[str, dict[str, Any], Any], artifacts: Path
) -> None:
    """The doors the budget leaves for a later pass do not keep a worked turf "in progress"."""
    from fastapi.testclient import TestClient

    from app.store.links import create_volunteer_link

    base, summary, app = site
    trimmed = next(t for t in summary["turfs"] if t["in_budget"] and t["knock_value_min"])
    skipped = trimmed["doors"] - trimmed["budget_doors"]
    token = create_volunteer_link(app.state.services.db, "weekend", trimmed["turf"])
    # Without a with-block: the served app's start-up and shut-down stay the server's.
    http, organiser = TestClient(app), TestClient(app)
    doors = [
        (door["household_id"], bool(door.get("skip")))
        for stop in http.get(f"/api/v/{token}/turf").json()["stops"]
        for door in stop["households"]
    ]
    organiser.post("/login", data={"username": "olga", "password": PASSWORD})

    def row() -> dict[str, Any]:
        report = organiser.get("/api/plans/weekend/progress").json()
        found: dict[str, Any] = next(t for t in report["turfs"] if t["turf"] == trimmed["turf"])
        return found

    def knock(household: str) -> None:
        result = {"client_id": uuid.uuid4().hex, "household_id": household,
                  "code": "refused", "recorded_at": "2026-12-05T10:00:00+00:00"}  # fmt: skip
        sent = http.post(f"/api/v/{token}/results", json={"results": [result]})
        assert sent.status_code == 200, sent.text

    assert row()["doors_skipped"] == skipped and row()["status"] == "not started"
    budget_doors = [h for h, skip in doors if not skip]
    for household in budget_doors[:-1]:
        knock(household)
    assert row()["status"] == "in progress"
    knock(budget_doors[-1])
    assert row()["status"] == "done" and row()["coverage"] < 1
    # A skipped door knocked anyway is work done, no longer "skipped".
    knock(next(h for h, skip in doors if skip))
    assert row()["doors_skipped"] == skipped - 1 and row()["status"] == "done"
    # The manager sees it: the turf's row says done, and how many doors were left for later.
    for viewport in (PHONE, {"width": 1280, "height": 800}):
        context = chromium.new_context(viewport=viewport)
        page = context.new_page()
        log_in(page, base, "olga", PASSWORD, "/plans/weekend/dashboard")
        line = page.locator(f"#turfs tr[data-turf='{trimmed['turf']}']")
        assert line.locator("td.status").inner_text() == "done"
        assert line.locator("small.skipped").inner_text() == f"{skipped - 1} skipped"
        no_horizontal_overflow(page, viewport["width"])
        line.scroll_into_view_if_needed()
        page.screenshot(path=str(artifacts / f"dashboard-budget-{viewport['width']}.png"))
        context.close()
