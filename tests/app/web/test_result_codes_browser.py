"""The richer door results on the phone, in Debian's Chromium at 390x844: the common results
on screen, the rare ones behind "More…" and still above the bottom bar, "Language barrier"
asking which language, "Deceased" for one person, and doors left open by "Not home" or
"Come back" shown (and walked back to) as "knock again"."""

from __future__ import annotations

import json
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.app.browser import PHONE, WAIT_MS, no_horizontal_overflow, serving
from tests.app.conftest import BuiltPlan

ARMING_WAIT_MS = 600  # a door opened by a result takes taps again after 500 ms


@dataclass(frozen=True)
class Site:
    base: str
    app: Any

    def link(self, turf: str) -> str:
        from app.store.links import create_volunteer_link

        return create_volunteer_link(self.app.state.services.db, "demo", turf)

    def turf(self, token: str) -> dict[str, Any]:
        with urllib.request.urlopen(f"{self.base}/api/v/{token}/turf", timeout=10) as answer:
            document: dict[str, Any] = json.load(answer)
        return document

    def post(self, token: str, results: list[dict[str, Any]]) -> None:
        request = urllib.request.Request(
            f"{self.base}/api/v/{token}/results",
            data=json.dumps({"results": results}).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=10) as answer:
            assert answer.status == 200

    def progress(self, turf: str) -> dict[str, Any]:
        from app.services.dashboard import activity_of
        from app.services.progress import progress_report

        report = progress_report(activity_of(self.app.state.services.db, "demo"))
        row: dict[str, Any] = next(t for t in report["turfs"] if t["turf"] == turf)
        return row


@pytest.fixture(scope="module")
def site(demo_plan: BuiltPlan, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    from app.settings import Settings
    from app.web.app import create_app

    database = tmp_path_factory.mktemp("codes-db") / "canvass.db"

    def make_app(base: str) -> Any:
        return create_app(
            Settings(
                workspace=demo_plan.out.parent,
                database_url=f"sqlite:///{database}",
                tile_url=f"{base}/no-tiles/{{z}}/{{x}}/{{y}}.png",
            )
        )

    with serving(make_app) as (base, app):
        yield Site(base, app)


def _box(locator: Any) -> dict[str, float]:
    box = locator.bounding_box()
    assert box is not None, locator
    return dict(box)


def _settle(page: Any) -> None:
    """Wait until a smooth scroll has come to rest."""
    last = -1.0
    for _ in range(50):
        now = float(page.evaluate("() => window.scrollY"))
        if now == last:
            return
        last = now
        page.wait_for_timeout(80)


def _assert_reachable(page: Any, door: Any) -> int:
    """Every result button of ``door`` and its "More…" lie between the header and the bottom
    bar, without scrolling; returns how many there are."""
    top = _box(page.locator("#top"))
    dock = _box(page.locator(".dock"))
    buttons = door.locator("button.code, button.more")
    for i in range(buttons.count()):
        box = _box(buttons.nth(i))
        label = buttons.nth(i).get_attribute("aria-label") or buttons.nth(i).inner_text()
        assert box["y"] >= top["y"] + top["height"] - 0.5, f"{label} is under the header: {box}"
        assert box["y"] + box["height"] <= dock["y"] + 0.5, f"{label} is under the bottom bar"
    return int(buttons.count())


def _phone(chromium: Any) -> tuple[Any, Any, list[str]]:
    # The phone's clock is in UTC, so "today" below is the same day for the test and the page.
    context = chromium.new_context(
        viewport=PHONE, service_workers="block", has_touch=True, timezone_id="UTC"
    )
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    return context, page, errors


def test_language_barrier_with_its_language_and_deceased_for_one_person(
    chromium: Any, site: Site, demo_plan: BuiltPlan, artifacts: Path
) -> None:
    turf_id = demo_plan.summary["turfs"][1]["turf"]
    token = site.link(turf_id)
    turf = site.turf(token)
    doors = [h for s in turf["stops"] for h in s["households"]]
    family = next(h for h in doors[1:] if len(h["voters"]) >= 2)
    context, page, errors = _phone(chromium)
    try:
        page.goto(f"{site.base}/t/{token}")
        page.wait_for_selector("body[data-ready='yes']", timeout=WAIT_MS)
        page.click("#next-door")
        _settle(page)
        door = page.locator("li.door.open")
        assert door.get_attribute("data-household") == doors[0]["household_id"]
        # The common results at once; the rare ones only behind "More…".
        for code in ("not_home", "come_back", "refused", "moved"):
            assert door.locator(f"button[data-code='{code}']:not([data-voter])").is_visible()
        assert door.locator("button[data-code='vacant']").count() == 0
        _assert_reachable(page, door)
        page.screenshot(path=str(artifacts / "codes-1-door-390x844.png"))

        door.locator("button.more").click()
        assert door.locator("button.more").get_attribute("aria-expanded") == "true"
        for code in ("inaccessible", "vacant", "language_barrier", "hostile"):
            assert door.locator(f"button[data-code='{code}']:not([data-voter])").count() == 1
        # Deceased and do not contact are about one person: on each voter's row, not the door.
        voters = len(doors[0]["voters"])
        for code in ("deceased", "do_not_contact"):
            assert door.locator(f"button[data-code='{code}'][data-voter]").count() == voters
            assert door.locator(f"button[data-code='{code}']:not([data-voter])").count() == 0
        page.screenshot(path=str(artifacts / "codes-2-more-390x844.png"))
        # 4 common results, "More...", 4 rare ones and deceased / do not contact per voter.
        assert _assert_reachable(page, door) >= 9 + 2 * voters
        no_horizontal_overflow(page)

        # "Language barrier" asks which language before it records.
        door.locator("button[data-code='language_barrier']").click()
        ask = door.locator("form.ask-language")
        assert ask.is_visible() and page.locator("#sync").inner_text() == "✓ All sent"
        ask.locator("input").fill("Somali")
        page.screenshot(path=str(artifacts / "codes-3-language-390x844.png"))
        ask.locator("button[type='submit']").click()
        page.wait_for_selector("#recorded[data-status='synced']", timeout=WAIT_MS)
        where = turf["stops"][0]["address"]
        assert page.inner_text("#recorded").startswith(
            f"Recorded: Language barrier (Somali) at {where}"
        )
        first = page.locator(f"li.door[data-household='{doors[0]['household_id']}']")
        assert "Language barrier (Somali)" in first.locator(".state").inner_text()
        assert first.get_attribute("data-open") == "done"  # final: not knocked again

        # "Deceased" for one person of a household: the door stays open for the others.
        other = page.locator(f"li.door[data-household='{family['household_id']}']")
        page.wait_for_timeout(ARMING_WAIT_MS)
        if other.locator("button.door-head").get_attribute("aria-expanded") != "true":
            other.locator("button.door-head").click()
        other.locator("button.more").click()
        gone = family["voters"][0]["voter_id"]
        other.locator(f"button[data-code='deceased'][data-voter='{gone}']").click()
        page.wait_for_selector("#recorded[data-status='synced']", timeout=WAIT_MS)
        # The phone takes its turf again after sending, then draws the doors afresh.
        page.wait_for_selector("#sync[data-sending='no']", state="attached", timeout=WAIT_MS)
        row = other.locator(f".voter[data-voter='{gone}']")
        person = row.locator(".voter-name b").inner_text()
        assert page.inner_text("#recorded").startswith(f"Recorded: Deceased for {person}")
        assert "Deceased" in row.inner_text()
        assert "open" in str(other.get_attribute("class"))
        other.scroll_into_view_if_needed()
        page.screenshot(path=str(artifacts / "codes-4-deceased-390x844.png"))
        assert page.locator("#sync").get_attribute("data-waiting") == "0"
    finally:
        context.close()
    assert errors == []
    stored = {r["household_id"]: r for r in site.turf(token)["results"]}  # one result per door here
    assert stored[doors[0]["household_id"]]["code"] == "language_barrier"
    assert stored[doors[0]["household_id"]]["language"] == "Somali"
    assert stored[family["household_id"]]["code"] == "deceased"
    assert stored[family["household_id"]]["voter_id"] == gone


def test_not_home_and_come_back_doors_are_walked_back_to_as_knock_again(
    chromium: Any, site: Site, demo_plan: BuiltPlan, artifacts: Path
) -> None:
    turf_id = demo_plan.summary["turfs"][2]["turf"]
    token = site.link(turf_id)
    doors = [h["household_id"] for s in site.turf(token)["stops"] for h in s["households"]]
    now = datetime.now(UTC)

    def result(door: str, code: str, at: datetime) -> dict[str, Any]:
        return {"client_id": uuid.uuid4().hex, "household_id": door, "code": code,
                "recorded_at": at.isoformat()}  # fmt: skip

    # Earlier: every door but the last two answered; the first not home this morning, the
    # second not home two days ago (a later visit knocks there again first).
    # "This morning" is still today shortly after midnight (a run at 00:10 once made it yesterday).
    this_morning = max(
        now - timedelta(minutes=30), now.replace(hour=0, minute=0, second=0, microsecond=0)
    )
    earlier = [result(doors[0], "not_home", this_morning)]
    earlier.append(result(doors[1], "not_home", now - timedelta(days=2)))
    earlier += [result(d, "refused", now - timedelta(days=2)) for d in doors[2:-1]]
    site.post(token, earlier)
    assert site.progress(turf_id)["status"] == "in progress"
    context, page, errors = _phone(chromium)
    try:
        page.goto(f"{site.base}/t/{token}")
        page.wait_for_selector("body[data-ready='yes']", timeout=WAIT_MS)
        first = page.locator(f"li.door[data-household='{doors[0]}']")
        assert first.get_attribute("data-open") == "again"
        assert "knock again" in first.locator(".state").inner_text()
        assert page.locator("#progress").get_attribute("data-again") == "2"
        # Not knocked yet and left open on an earlier day come first, in walking order.
        assert page.locator("li.door.is-next").get_attribute("data-household") == doors[1]
        page.click("#next-door")
        _settle(page)
        page.locator("li.door.open button[data-code='not_home']").click()
        page.wait_for_timeout(ARMING_WAIT_MS)
        assert page.locator("li.door.open").get_attribute("data-household") == doors[-1]
        page.locator("li.door.open button[data-code='come_back']").click()
        page.wait_for_selector("#sync[data-waiting='0']", timeout=WAIT_MS)
        # Every door knocked: back to the open ones, the least recently knocked first.
        assert page.locator("li.door.open").get_attribute("data-household") == doors[0]
        assert page.inner_text("#next-door") == "Knock again"
        assert page.locator("#progress").get_attribute("data-again") == "3"
        progress = " ".join(page.inner_text("#progress").split())
        assert progress == f"{len(doors) - 3} of {len(doors)} doors done 3 to knock again"
        page.screenshot(path=str(artifacts / "codes-5-knock-again-390x844.png"))
        assert site.progress(turf_id)["status"] == "knock again"

        page.wait_for_timeout(ARMING_WAIT_MS)
        page.locator("li.door.open .voter").first.locator("button[data-code='supporter_1']").click()
        page.wait_for_selector("#sync[data-waiting='0']", timeout=WAIT_MS)
        assert page.locator("#progress").get_attribute("data-again") == "2"
    finally:
        context.close()
    assert errors == []
    row = site.progress(turf_id)
    assert row["doors_knocked"] == len(doors)
    assert row["status"] == "knock again"


def test_more_results_fit_a_desktop_too(
    chromium: Any, site: Site, demo_plan: BuiltPlan, artifacts: Path
) -> None:
    token = site.link(demo_plan.summary["turfs"][3]["turf"])
    context = chromium.new_context(viewport={"width": 1280, "height": 800}, service_workers="block")
    page = context.new_page()
    try:
        page.goto(f"{site.base}/t/{token}")
        page.wait_for_selector("body[data-ready='yes']", timeout=WAIT_MS)
        page.click("#next-door")
        _settle(page)
        door = page.locator("li.door.open")
        door.locator("button.more").click()
        door.locator("button[data-code='language_barrier']").click()
        page.screenshot(path=str(artifacts / "codes-more-1280x800.png"))
        assert door.locator("form.ask-language input").is_visible()
        assert _assert_reachable(page, door) >= 10
        no_horizontal_overflow(page, 1280)
    finally:
        context.close()
