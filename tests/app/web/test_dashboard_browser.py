"""The manager dashboard in a real browser (Debian's Chromium driven by Playwright).

A manager opens the dashboard of the demo plan at a 390x844 phone and at 1280x800: the page
never scrolls sideways (each turf and precinct becomes a card on the phone), and the time of
the last result reads as a local time ("3 Dec, 09:53" in Helsinki), not an ISO timestamp, also
after the figures refresh. The page itself asks nothing of any host but the app.
"""

from __future__ import annotations

import json
import re
import urllib.request
import uuid
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from app.store.links import create_volunteer_link
from tests.app.browser import PHONE, WAIT_MS, demo_site, log_in, no_horizontal_overflow
from tests.app.conftest import BuiltPlan

PASSWORD = "managing password"
DESKTOP = {"width": 1280, "height": 800}
YEAR = datetime.now().year  # a time of this year reads without its year
ISO = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")


@pytest.fixture(scope="module")
def site(
    demo_plan: BuiltPlan, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, Any]]:
    root = tmp_path_factory.mktemp("dashboard-ws")
    with demo_site(demo_plan.out, root, {"mona": "manager"}, PASSWORD) as served:
        yield served


def _post(base: str, app: Any, turf: str, recorded_at: str) -> None:
    token = create_volunteer_link(app.state.services.db, "demo", turf)
    with urllib.request.urlopen(f"{base}/api/v/{token}/turf", timeout=10) as answer:
        door = json.load(answer)["stops"][0]["households"][0]["household_id"]
    item = {
        "client_id": uuid.uuid4().hex,
        "household_id": door,
        "code": "supporter_2",
        "recorded_at": recorded_at,
    }
    request = urllib.request.Request(
        f"{base}/api/v/{token}/results",
        data=json.dumps({"results": [item]}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as answer:
        assert answer.status == 200


@pytest.mark.parametrize(
    ("viewport", "day"), [(PHONE, 3), (DESKTOP, 4)], ids=["390x844", "1280x800"]
)
def test_the_dashboard_fits_the_screen_and_reads_local_times(
    chromium: Any,
    site: tuple[str, Any],
    demo_plan: BuiltPlan,
    artifacts: Path,
    viewport: dict[str, int],
    day: int,
) -> None:
    base, app = site
    turfs = [t["turf"] for t in demo_plan.summary["turfs"]]
    first = f"{YEAR}-12-0{day}T07:53:00.511000+00:00"
    _post(base, app, turfs[0], first)
    context = chromium.new_context(viewport=viewport, locale="en-GB", timezone_id="Europe/Helsinki")
    # The embedded heatmap (a generated Folium page, not this page's code) asks for online
    # tiles of its own: nothing may leave this machine, so those are refused here.
    context.route(lambda url: not url.startswith(base), lambda route: route.abort())
    page = context.new_page()
    requests: list[str] = []
    page.on(
        "request",
        lambda request: requests.append(request.url) if request.frame == page.main_frame else None,
    )
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    name = f"{viewport['width']}x{viewport['height']}"
    try:
        log_in(page, base, "mona", PASSWORD, "/plans/demo/dashboard")
        page.wait_for_load_state("networkidle", timeout=WAIT_MS)

        # 07:53 UTC is 09:53 in Helsinki; the machine-readable time stays in the attribute.
        last = page.locator("#last-result")
        assert last.inner_text() == f"{day} Dec, 09:53"
        assert last.get_attribute("datetime") == first
        assert ISO.search(page.inner_text("body")) is None

        no_horizontal_overflow(page, viewport["width"])
        for table in ("#turfs", "#precincts"):
            box = page.locator(table).bounding_box()
            assert box is not None and box["x"] >= 0
            assert box["x"] + box["width"] <= viewport["width"]
        # Every figure of a turf is on screen, labelled.
        row = page.locator(f"#turfs tr[data-turf='{turfs[0]}']")
        for field in (
            "target_households",
            "doors_knocked",
            "doors_reknock",
            "coverage",
            "support_rate",
        ):
            cell = row.locator(f"[data-field='{field}']").bounding_box()
            assert cell is not None and cell["x"] + cell["width"] <= viewport["width"]
        assert row.locator("[data-field='status']").inner_text() == "in progress"
        page.screenshot(path=str(artifacts / f"dashboard-{name}.png"), full_page=True)

        # A newer result: the refreshed figures show its time the same way.
        _post(base, app, turfs[1], f"{YEAR}-12-0{day}T16:05:00+00:00")
        page.click("#reload-map")
        page.wait_for_selector(
            f"#last-result[datetime='{YEAR}-12-0{day}T16:05:00+00:00']", timeout=WAIT_MS
        )
        assert last.inner_text() == f"{day} Dec, 18:05"
        no_horizontal_overflow(page, viewport["width"])
    finally:
        context.close()
    assert errors == []
    assert [u for u in requests if not u.startswith(base)] == []
