"""The volunteer phone page in a real browser: Debian's Chromium driven by Playwright.

The real app runs under uvicorn on 127.0.0.1 (SQLite in a temporary folder) with the demo plan;
a volunteer link to one turf is opened at a 390x844 phone viewport. The page must show the map
and the doors, record a result, keep two more in its outbox while offline (also across a reload
served by the service worker), send them when back online, and leave exactly three results on
the server, never a duplicate. No request may leave 127.0.0.1 (the tile URL points at the app
itself, where there are no tiles: the map must still show the route and stops).

Skipped only when Chromium or Playwright is missing, and then only outside CI: with
``CI_REQUIRE_BROWSER=1`` (set by ``.ci/run``) a missing browser fails the run.
"""

from __future__ import annotations

import json
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.app.browser import PHONE, WAIT_MS, no_horizontal_overflow, serving
from tests.app.conftest import BuiltPlan


@dataclass(frozen=True)
class LiveServer:
    base: str
    token: str
    turf_id: str
    db: Any

    def turf(self) -> dict[str, Any]:
        with urllib.request.urlopen(f"{self.base}/api/v/{self.token}/turf", timeout=10) as r:
            document: dict[str, Any] = json.load(r)
        return document

    def stored_answers(self, client_id: str) -> dict[str, str]:
        from sqlalchemy import select

        from app.store.models import Result

        with self.db.reading() as session:
            answers = session.scalar(select(Result.answers).where(Result.client_id == client_id))
        return dict(answers or {})


@pytest.fixture(scope="module")
def live_server(
    demo_plan: BuiltPlan, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    from app.services.survey import DEMO_SURVEY, SurveyStore
    from app.settings import Settings
    from app.store.links import create_volunteer_link
    from app.web.app import create_app

    database = tmp_path_factory.mktemp("volunteer-db") / "canvass.db"
    survey = SurveyStore(demo_plan.out.parent)
    survey.save(DEMO_SURVEY)

    def make_app(base: str) -> Any:
        # Tiles from the app itself, which has none: every request stays on 127.0.0.1 and
        # the map has to show the route and stops with no tiles.
        return create_app(
            Settings(
                workspace=demo_plan.out.parent,
                database_url=f"sqlite:///{database}",
                tile_url=f"{base}/no-tiles/{{z}}/{{x}}/{{y}}.png",
            )
        )

    try:
        with serving(make_app) as (base, app):
            turf_id = demo_plan.summary["turfs"][0]["turf"]
            token = create_volunteer_link(app.state.services.db, demo_plan.out.name, turf_id)
            yield LiveServer(base=base, token=token, turf_id=turf_id, db=app.state.services.db)
    finally:
        survey.path.unlink()


def _waiting(page: Any) -> str:
    return str(page.get_attribute("#sync", "data-waiting"))


def test_volunteer_records_results_offline_and_each_is_stored_once(
    chromium: Any, live_server: LiveServer, artifacts: Path
) -> None:
    turf = live_server.turf()
    assert turf["results"] == []
    context = chromium.new_context(
        viewport=PHONE,
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
        geolocation={
            "latitude": turf["turf"]["drop_off"]["lat"],
            "longitude": turf["turf"]["drop_off"]["lon"],
        },
        permissions=["geolocation"],
    )
    requests: list[str] = []
    context.on("request", lambda request: requests.append(request.url))
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        page.goto(f"{live_server.base}/t/{live_server.token}")
        page.wait_for_selector("body[data-ready='yes']", timeout=WAIT_MS)

        # The map: the route along the streets, every stop numbered, the drop-off.
        stops = turf["stops"]
        assert page.locator(".leaflet-overlay-pane path").count() >= 1
        assert page.locator(".leaflet-marker-pane .stop-pin").count() == len(stops)
        assert page.locator(".leaflet-marker-pane .drop-pin").count() == 1
        # The list: every door, in walking order, the first one marked as next.
        doors = [h["household_id"] for s in stops for h in s["households"]]
        listed = page.locator("li.door").evaluate_all("els => els.map(e => e.dataset.household)")
        assert listed == doors
        assert page.locator("li.door.is-next").get_attribute("data-household") == doors[0]
        assert stops[0]["address"] in page.locator("section.stop").first.inner_text()
        no_horizontal_overflow(page)

        # "Where am I": the phone's position on the map.
        page.click("button.locate")
        page.wait_for_selector(".leaflet-overlay-pane path.leaflet-interactive", timeout=WAIT_MS)

        # The service worker controls the page (needed for the offline reload below).
        # (Polled from here: wait_for_function evaluates a string, which the page's CSP forbids.)
        deadline = time.monotonic() + WAIT_MS / 1000
        while not page.evaluate("() => navigator.serviceWorker.controller !== null"):
            assert time.monotonic() < deadline, "no service worker controls the page"
            page.wait_for_timeout(100)
        page.screenshot(path=str(artifacts / "volunteer-1-opened.png"))

        # One tap records a result for the next door; it is sent at once.
        page.click(f"li.door[data-household='{doors[0]}'] button[data-code='not_home']")
        page.wait_for_selector(
            f"li.door[data-household='{doors[0]}'][data-status='synced']", timeout=WAIT_MS
        )
        assert _waiting(page) == "0"
        assert page.locator("li.door.is-next").get_attribute("data-household") == doors[1]

        # Offline: two more, one for the next door and one for one voter of the door after.
        context.set_offline(True)
        page.click(f"li.door[data-household='{doors[1]}'] button[data-code='refused']")
        # A support level is about one person: it is tapped on that voter's row.
        third = page.locator(f"li.door[data-household='{doors[2]}']")
        voter = third.locator(".voter[data-voter]").first
        voter_id = voter.get_attribute("data-voter")
        # An optional survey answer goes with the result; a second tap would take it back.
        housing = third.locator("button[data-question='top_issue']", has_text="Housing")
        housing.click()
        assert (
            third.locator("button[data-question='top_issue'][aria-pressed='true']").inner_text()
            == "Housing"
        )
        third.locator("button.add-note").click()
        third.locator("textarea").fill("Asked for a yard sign")
        no_horizontal_overflow(page)
        voter.locator("button[data-code='supporter_1']").click()
        page.wait_for_selector("#sync[data-waiting='2']", timeout=WAIT_MS)
        assert "waiting" in page.inner_text("#sync").lower()
        for household in doors[1:3]:
            status = page.get_attribute(f"li.door[data-household='{household}']", "data-status")
            assert status == "waiting"
        page.screenshot(path=str(artifacts / "volunteer-2-offline-waiting.png"))
        assert len(live_server.turf()["results"]) == 1

        # Reload with no network: the service worker serves the page and the turf, and the
        # outbox still holds the two results.
        page.reload()
        page.wait_for_selector("body[data-ready='yes']", timeout=WAIT_MS)
        assert page.locator("li.door").count() == len(doors)
        assert _waiting(page) == "2"
        assert "saved on this phone" in page.inner_text("#notice")
        page.screenshot(path=str(artifacts / "volunteer-3-offline-reload.png"))

        # Back online: the outbox is sent by itself.
        context.set_offline(False)
        page.wait_for_selector("#sync[data-waiting='0']", timeout=WAIT_MS)
        page.screenshot(path=str(artifacts / "volunteer-4-synced.png"))
    finally:
        context.close()

    results = live_server.turf()["results"]
    assert len(results) == 3
    assert len({r["client_id"] for r in results}) == 3
    by_household = {r["household_id"]: r for r in results}
    assert by_household[doors[0]]["code"] == "not_home"
    assert by_household[doors[1]]["code"] == "refused"
    assert by_household[doors[2]]["code"] == "supporter_1"
    assert by_household[doors[2]]["voter_id"] == voter_id
    stored = live_server.stored_answers(by_household[doors[2]]["client_id"])
    assert stored == {"top_issue": "Housing"}
    assert errors == []
    outside = [url for url in requests if not url.startswith(live_server.base)]
    assert outside == []


def test_a_lost_answer_is_sent_again_and_counted_once(
    chromium: Any, live_server: LiveServer
) -> None:
    """The server stores a result but its answer never reaches the phone: the retry of the
    same client id is a duplicate, and the turf still has that result once."""
    before = len(live_server.turf()["results"])
    context = chromium.new_context(viewport=PHONE, service_workers="block")
    page = context.new_page()
    lost: list[str] = []

    def lose_the_first_answer(route: Any) -> None:
        if lost:
            route.continue_()
            return
        response = route.fetch()  # reaches the server, which stores the result
        lost.append(response.text())
        route.abort("connectionreset")

    try:
        page.route(f"**/api/v/{live_server.token}/results", lose_the_first_answer)
        page.goto(f"{live_server.base}/t/{live_server.token}")
        page.wait_for_selector("body[data-ready='yes']", timeout=WAIT_MS)
        next_door = page.locator("li.door.is-next")
        household = next_door.get_attribute("data-household")
        next_door.locator("button[data-code='come_back']").click()
        # The first answer is lost; the page backs off, sends again and hears "duplicate".
        page.wait_for_selector(
            f"li.door[data-household='{household}'][data-status='synced']", timeout=WAIT_MS
        )
        assert _waiting(page) == "0"
    finally:
        context.close()
    assert lost and json.loads(lost[0])["stored"]
    results = live_server.turf()["results"]
    assert len(results) == before + 1
    assert [r["code"] for r in results if r["household_id"] == household] == ["come_back"]


def test_a_double_tap_records_one_door_not_the_next_one_too(
    chromium: Any, live_server: LiveServer
) -> None:
    before = len(live_server.turf()["results"])
    context = chromium.new_context(viewport=PHONE, service_workers="block", has_touch=True)
    page = context.new_page()
    try:
        page.goto(f"{live_server.base}/t/{live_server.token}")
        page.wait_for_selector("body[data-ready='yes']", timeout=WAIT_MS)
        door = page.locator("li.door.is-next")
        household = door.get_attribute("data-household")
        button = door.locator("button[data-code='not_home']")
        button.scroll_into_view_if_needed()
        box = button.bounding_box()
        assert box is not None
        x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
        page.mouse.click(x, y)
        page.mouse.click(x, y)  # lands wherever the next door's buttons now are
        page.wait_for_selector(
            f"li.door[data-household='{household}'][data-status='synced']", timeout=WAIT_MS
        )
        page.wait_for_timeout(300)
        assert page.get_attribute("#sync", "data-waiting") == "0"
    finally:
        context.close()
    assert len(live_server.turf()["results"]) == before + 1


DESKTOP = {"width": 1280, "height": 800}
ARMING_WAIT_MS = 600  # a door opened by a result takes taps again after 500 ms
SIZES = pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["390x844", "1280x800"])


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


def _assert_in_view(page: Any, viewport: dict[str, int]) -> tuple[float, float]:
    """The sticky header (door, send state, last result) is on screen; returns the free band
    between the header's bottom and the bottom bar's top."""
    top = _box(page.locator("#top"))
    dock = _box(page.locator(".dock"))
    assert abs(top["y"]) < 1, f"the header scrolled away: {top}"
    assert abs(dock["y"] + dock["height"] - viewport["height"]) < 1
    for part in ("#here", "#sync", "#recorded"):
        box = _box(page.locator(part))
        assert box["y"] >= 0 and box["y"] + box["height"] <= dock["y"], (part, box)
    return top["y"] + top["height"], dock["y"]


def _assert_buttons_reachable(page: Any, door: Any, band: tuple[float, float]) -> None:
    """Every result button of the door is between the header and the bottom bar, unscrolled."""
    buttons = door.locator("button.code")
    assert buttons.count() >= 5
    for i in range(buttons.count()):
        box = _box(buttons.nth(i))
        label = buttons.nth(i).get_attribute("aria-label") or buttons.nth(i).inner_text()
        assert box["y"] >= band[0] - 0.5, f"{label} is under the header: {box}"
        assert box["y"] + box["height"] <= band[1] + 0.5, f"{label} is under the bottom bar: {box}"


def _where(turf: dict[str, Any], household: str) -> str:
    for stop in turf["stops"]:
        for h in stop["households"]:
            if h["household_id"] == household:
                return f"{stop['address']} ({h['unit']})" if h["unit"] else str(stop["address"])
    raise AssertionError(household)


@SIZES
def test_after_a_result_the_door_the_result_and_the_buttons_stay_in_view(
    chromium: Any, live_server: LiveServer, artifacts: Path, viewport: dict[str, int]
) -> None:
    turf = live_server.turf()
    name = f"{viewport['width']}x{viewport['height']}"
    context = chromium.new_context(viewport=viewport, service_workers="block", has_touch=True)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        page.goto(f"{live_server.base}/t/{live_server.token}")
        page.wait_for_selector("body[data-ready='yes']", timeout=WAIT_MS)
        no_horizontal_overflow(page, viewport["width"])
        # The page's bottom padding is the bottom bar's height: nothing ends up behind it.
        padding = page.evaluate("() => parseFloat(getComputedStyle(document.body).paddingBottom)")
        assert abs(padding - _box(page.locator(".dock"))["height"]) < 1

        # "Next door" brings the door with all its result buttons on screen.
        page.click("#next-door")
        _settle(page)
        band = _assert_in_view(page, viewport)
        door = page.locator("li.door.open")
        household = str(door.get_attribute("data-household"))
        assert page.inner_text("#here").endswith(_where(turf, household))
        _assert_buttons_reachable(page, door, band)

        # A result: the page moves on to the next door, and still shows what was recorded
        # where, whether it is sent, and every button of the next door.
        door.locator("button[data-code='not_home']").click()
        page.wait_for_selector("#recorded[data-status='synced']", timeout=WAIT_MS)
        band = _assert_in_view(page, viewport)
        recorded = page.inner_text("#recorded")
        assert recorded.startswith(f"Recorded: Not home at {_where(turf, household)}"), recorded
        assert "sent" in recorded
        # The door the result opened ignores taps for a moment, then is drawn again: its
        # buttons are measured once it takes taps (measuring mid-redraw finds none).
        page.wait_for_selector("li.door.open:not([inert])", timeout=WAIT_MS)
        following = page.locator("li.door.open")
        assert following.get_attribute("data-household") != household
        _assert_buttons_reachable(page, following, band)
        no_horizontal_overflow(page, viewport["width"])
        page.screenshot(path=str(artifacts / f"volunteer-recorded-{name}.png"))

        # The line stays (the door opened by the result re-renders once it takes taps again).
        page.wait_for_timeout(700)
        assert page.inner_text("#recorded") == recorded
        _assert_in_view(page, viewport)
    finally:
        context.close()
    assert errors == []


def test_a_support_level_is_recorded_for_one_voter_not_the_whole_door(
    chromium: Any, live_server: LiveServer, artifacts: Path
) -> None:
    turf = live_server.turf()
    knocked = {r["household_id"] for r in turf["results"]}
    household = next(
        h
        for s in turf["stops"]
        for h in s["households"]
        if len(h["voters"]) >= 2 and h["household_id"] not in knocked
    )
    hid = household["household_id"]
    voters = [str(v["voter_id"]) for v in household["voters"]]
    context = chromium.new_context(viewport=PHONE, service_workers="block", has_touch=True)
    page = context.new_page()
    try:
        page.goto(f"{live_server.base}/t/{live_server.token}")
        page.wait_for_selector("body[data-ready='yes']", timeout=WAIT_MS)
        door = page.locator(f"li.door[data-household='{hid}']")
        if door.locator("button.door-head").get_attribute("aria-expanded") != "true":
            door.locator("button.door-head").click()
        # Door results once, for the door; support levels once per voter, on that voter's row;
        # no support button records for the whole door.
        assert door.locator("button[data-code='not_home']").count() == 1
        assert door.locator("button[data-code='not_home'][data-voter]").count() == 0
        for code in ("supporter_1", "supporter_5"):
            assert door.locator(f"button[data-code='{code}']").count() == len(voters)
        assert door.locator("button[data-code^='supporter_']:not([data-voter])").count() == 0
        assert (
            door.locator(".voter[data-voter]").evaluate_all(
                "rows => rows.map(r => r.dataset.voter)"
            )
            == voters
        )

        row = door.locator(f".voter[data-voter='{voters[1]}']")
        person = row.locator(".voter-name b").inner_text()
        row.locator("button[data-code='supporter_2']").click()
        page.wait_for_selector("#recorded[data-status='synced']", timeout=WAIT_MS)
        assert page.inner_text("#recorded").startswith(
            f"Recorded: Supporter 2 for {person} at {_where(turf, hid)}"
        )
        # The others at the door have not said yet: the door stays open for them.
        assert "open" in str(door.get_attribute("class"))
        assert "Supporter 2" in row.inner_text()
        page.screenshot(path=str(artifacts / "volunteer-per-voter-390x844.png"))

        # Once every voter has a level, the door is done and the next one opens.
        for voter in [voters[0], *voters[2:]]:
            door.locator(f".voter[data-voter='{voter}'] button[data-code='supporter_4']").click()
            page.wait_for_timeout(ARMING_WAIT_MS)
        page.wait_for_selector("#sync[data-waiting='0']", timeout=WAIT_MS)
        assert page.locator("li.door.open").get_attribute("data-household") != hid
    finally:
        context.close()
    stored = [
        (r["code"], r["voter_id"])
        for r in live_server.turf()["results"]
        if r["household_id"] == hid
    ]
    assert sorted(stored) == sorted(
        [("supporter_2", voters[1])] + [("supporter_4", v) for v in [voters[0], *voters[2:]]]
    )
