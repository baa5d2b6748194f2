"""The organiser's plan page in a real browser: map, status, assignments, links and edit tools.

An organiser logs in, sees the turfs on the map and in the table, gives a turf to a volunteer,
creates a volunteer link (its URL is shown once), revokes it, and asks for a split that the
server refuses (the page shows why). No request may leave 127.0.0.1.
"""

from __future__ import annotations

import io
import json
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from pypdf import PdfReader
from sqlalchemy import select

from app.store.assignments import assign_turf
from app.store.links import create_volunteer_link
from app.store.models import VolunteerLink
from app.store.people import add_person
from tests.app.browser import PHONE, WAIT_MS, demo_site, log_in, no_horizontal_overflow
from tests.app.conftest import BuiltPlan

PASSWORD = "organising password"


@pytest.fixture(scope="module")
def site(
    demo_plan: BuiltPlan, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, Any]]:
    root = tmp_path_factory.mktemp("organiser-ws")
    with demo_site(
        demo_plan.out, root, {"olga": "organiser", "mona": "manager"}, PASSWORD
    ) as served:
        yield served


def _logged_in_page(
    chromium: Any, base: str, viewport: dict[str, int], username: str = "olga"
) -> tuple[Any, Any, list[str]]:
    context = chromium.new_context(viewport=viewport)
    page = context.new_page()
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    log_in(page, base, username, PASSWORD, "/plans/demo")
    return context, page, requests


def test_an_organiser_assigns_a_turf_and_manages_its_link(
    chromium: Any, site: tuple[str, Any], artifacts: Path
) -> None:
    base, app = site
    context, page, requests = _logged_in_page(chromium, base, {"width": 1280, "height": 900})
    try:
        rows = page.locator("#turfs tbody tr[data-turf]")
        first = rows.first.get_attribute("data-turf")
        assert rows.count() >= 10
        # The map shows every turf outline and the routes, with no tiles.
        assert page.locator("#map path.leaflet-interactive").count() >= rows.count()
        status = page.locator(f"tr[data-turf='{first}'] [data-field='status']").inner_text()
        assert status.startswith("not started")

        # Assign the turf to a person of the list (tests/app/web/test_people_browser.py
        # follows the link it shows); close the link it hands over.
        add_person(app.state.services.db, "Ana & Ben")
        page.reload()
        page.wait_for_selector("body[data-ready='yes']", timeout=WAIT_MS)
        page.click(f"tr[data-turf='{first}'] button[data-action='assign']")
        page.select_option(f"tr[data-turf='{first}'] select[name='person']", label="Ana & Ben")
        page.fill(f"tr[data-turf='{first}'] input[name='note']", "start at the library")
        page.click(f"tr[data-turf='{first}'] form.assign button[type='submit']")
        page.wait_for_selector("dialog#share[open]", timeout=WAIT_MS)
        page.click("#share-close")
        page.wait_for_selector(
            f"tr[data-turf='{first}'] [data-field='assigned'] .who:text('Ana & Ben')"
        )

        # A link for it: the URL is shown once, labelled with the volunteer.
        page.click(f"tr[data-turf='{first}'] button[data-action='new-link']")
        page.wait_for_selector("#new-link:not([hidden])", timeout=WAIT_MS)
        url = page.input_value("#new-link-url")
        assert url.startswith(f"{base}/t/")
        with app.state.services.db.reading() as session:
            link = session.scalar(
                select(VolunteerLink)
                .where(VolunteerLink.turf_code == first)
                .order_by(VolunteerLink.id.desc())
            )
        assert link is not None and link.label == "Ana & Ben"
        page.wait_for_selector(f"tr[data-turf='{first}'] span.link[data-link='{link.id}']")
        page.screenshot(path=str(artifacts / "organiser-1-assigned-and-linked.png"), full_page=True)

        # Revoke it: the row no longer lists it, and the link shows the friendly page.
        page.click(f"tr[data-turf='{first}'] span.link[data-link='{link.id}'] button")
        page.wait_for_selector(
            f"tr[data-turf='{first}'] span.link[data-link='{link.id}']", state="detached"
        )
        gone = context.new_page()
        assert gone.goto(url).status == 410
        gone.close()
    finally:
        context.close()
    assert [u for u in requests if not u.startswith(base)] == []


def test_edit_tools_send_the_edit_and_show_a_refusal(
    chromium: Any, site: tuple[str, Any], artifacts: Path
) -> None:
    base, _ = site
    context, page, requests = _logged_in_page(chromium, base, PHONE)
    try:
        no_horizontal_overflow(page)
        sent: list[dict[str, Any]] = []

        def refuse(route: Any) -> None:
            sent.append(json.loads(route.request.post_data or "{}"))
            route.fulfill(
                status=422,
                content_type="application/json",
                body=json.dumps({"detail": "turf 'X' has one stop and cannot be split"}),
            )

        page.route("**/api/plans/demo/turfs/split", refuse)
        assert page.is_disabled("#split") and page.is_disabled("#merge")
        assert page.is_hidden("#new-link")  # until a link is made
        first = page.locator("#turfs tbody tr[data-turf]").first
        turf = first.get_attribute("data-turf")
        first.locator("td").first.click()
        assert page.is_enabled("#split") and page.is_disabled("#merge")
        page.click("#split")
        page.wait_for_selector("#notice:not([hidden])", timeout=WAIT_MS)
        assert "cannot be split" in page.inner_text("#notice")
        assert sent == [{"turf": turf}]
        page.locator("#turfs tbody tr[data-turf]").nth(1).locator("td").first.click()
        assert page.is_enabled("#merge") and page.is_disabled("#split")
        page.screenshot(path=str(artifacts / "organiser-2-phone.png"), full_page=True)
    finally:
        context.close()
    assert [u for u in requests if not u.startswith(base)] == []


def test_the_walk_list_prints_from_the_browser_without_a_link(
    chromium: Any, site: tuple[str, Any], demo_plan: BuiltPlan, artifacts: Path
) -> None:
    base, _ = site
    turf = demo_plan.summary["turfs"][0]["turf"]
    first_voter = pd.read_csv(demo_plan.out / "walklists" / f"{turf}.csv", dtype=str).iloc[0]
    context, page, requests = _logged_in_page(chromium, base, {"width": 816, "height": 1056})
    try:
        page.goto(f"{base}/files/demo/walklists/{turf}.html")
        page.emulate_media(media="print")
        no_horizontal_overflow(page, 816)  # Letter at 96 dpi
        assert page.is_hidden("header .no-print")
        # The plan's own list is for whoever holds it: no QR code, no link into the voters'
        # data, but how to get one (the print for an assignment carries the volunteer's).
        assert page.locator("img.qr").count() == 0
        assert "ask your organiser for your volunteer link" in page.inner_text("header")
        page.screenshot(path=str(artifacts / "walklist-print.png"), full_page=True)
        for paper in ("A4", "Letter"):
            pdf = page.pdf(format=paper, print_background=True)
            (artifacts / f"walklist-{turf}-{paper}.pdf").write_bytes(pdf)
            reader = PdfReader(io.BytesIO(pdf))
            text = " ".join(p.extract_text() for p in reader.pages)
            assert 1 <= len(reader.pages) <= 12, paper
            assert f"Turf {turf}" in text and str(first_voter["last_name"]) in text, paper
    finally:
        context.close()
    assert [u for u in requests if not u.startswith(base)] == []


def test_a_manager_sees_the_plan_page_read_only(chromium: Any, site: tuple[str, Any]) -> None:
    base, _ = site
    context, page, requests = _logged_in_page(
        chromium, base, {"width": 1280, "height": 900}, username="mona"
    )
    try:
        assert page.locator("#map path.leaflet-interactive").count() >= 10
        assert page.is_hidden("#tools")
        assert page.locator("button[data-action]").count() == 0  # no assign, link or revoke
        status = page.locator("#turfs tbody tr[data-turf] [data-field='status']").first
        assert status.inner_text().startswith(("not started", "in progress", "done"))
    finally:
        context.close()
    assert [u for u in requests if not u.startswith(base)] == []


DESKTOP = {"width": 1280, "height": 800}
SIZES = pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["390x844", "1280x800"])
COLOURS = {
    "not started": "#5f6b7d",
    "in progress": "#c96a00",
    "knock again": "#7a3fb0",
    "done": "#1e7b34",
}


def _knock(base: str, app: Any, turf: str, every_door: bool, code: str = "not_home") -> None:
    """Results on a turf through its volunteer link: one door, or every door."""
    token = create_volunteer_link(app.state.services.db, "demo", turf)
    with urllib.request.urlopen(f"{base}/api/v/{token}/turf", timeout=10) as answer:
        doors = [h["household_id"] for s in json.load(answer)["stops"] for h in s["households"]]
    results = [
        {
            "client_id": uuid.uuid4().hex,
            "household_id": door,
            "code": code,
            "recorded_at": "2026-12-03T07:53:00.511000+00:00",
        }
        for door in (doors if every_door else doors[:1])
    ]
    request = urllib.request.Request(
        f"{base}/api/v/{token}/results",
        data=json.dumps({"results": results}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as answer:
        assert answer.status == 200


def _outline(page: Any, turf: str) -> dict[str, str]:
    path = page.locator(f"#map path[data-turf='{turf}']")
    return {k: str(path.get_attribute(k)) for k in ("stroke", "stroke-width", "data-status")}


def _background(page: Any, turf: str) -> str:
    return str(
        page.locator(f"#turfs tr[data-turf='{turf}']").evaluate(
            "row => getComputedStyle(row.querySelector('td')).backgroundColor + ' ' + "
            "getComputedStyle(row).backgroundColor"
        )
    )


@SIZES
def test_the_plan_map_shows_status_labels_legend_and_an_obvious_selection(
    chromium: Any,
    site: tuple[str, Any],
    demo_plan: BuiltPlan,
    artifacts: Path,
    viewport: dict[str, int],
) -> None:
    base, app = site
    turfs = [t["turf"] for t in demo_plan.summary["turfs"]]
    done, busy, again = turfs[-1], turfs[-2], turfs[-3]
    if viewport is PHONE:  # once per module: one turf done, one in progress, one to knock again
        _knock(base, app, done, every_door=True, code="refused")
        _knock(base, app, busy, every_door=False)
        _knock(base, app, again, every_door=True)
    # A long volunteer name, a note and a labelled link: the table must still fit.
    assign_turf(
        app.state.services.db, "demo", turfs[1], "Marie-Christine Vanderberghe-Lindqvist",
        "meet at the north entrance of the community library at ten",
    )  # fmt: skip
    create_volunteer_link(
        app.state.services.db, "demo", turfs[1], label="Marie-Christine Vanderberghe-Lindqvist"
    )
    name = f"{viewport['width']}x{viewport['height']}"
    context, page, requests = _logged_in_page(chromium, base, viewport)
    try:
        rows = page.locator("#turfs tbody tr[data-turf]")
        assert rows.count() == len(turfs)
        # Every turf outlined in its status colour and labelled with its id.
        assert page.locator("#map path[data-turf]").count() == len(turfs)
        assert _outline(page, done)["stroke"] == COLOURS["done"]
        assert _outline(page, busy)["stroke"] == COLOURS["in progress"]
        # Every door knocked but nobody home: open for another pass, not done.
        assert _outline(page, again)["stroke"] == COLOURS["knock again"]
        knock_again = page.locator(f"tr[data-turf='{again}'] [data-field='status']").inner_text()
        assert knock_again.startswith("knock again · 0/") and "to knock again" in knock_again
        assert "null" not in page.locator("#turfs tbody").inner_text()
        assert _outline(page, turfs[5])["stroke"] == COLOURS["not started"]
        assert _outline(page, done)["data-status"] == "done"
        labels = page.locator("#map .turf-label[data-turf]")
        assert labels.count() == len(turfs)
        shown = page.locator("#map .turf-label[data-turf]:not(.crowded)").count()
        assert shown >= (6 if viewport is PHONE else 10)
        # The legend: the four statuses (with how many turfs are in each) and the selection.
        legend = page.locator("#legend")
        assert legend.is_visible()
        for status in COLOURS:
            assert legend.locator(f"[data-status='{status}']").is_visible()
        text = legend.inner_text()
        assert "Not started" in text and "In progress" in text and "Done" in text
        assert "Done (1)" in " ".join(text.split())
        assert "Knock again (1)" in " ".join(text.split())

        # The map is framed on the turfs: they fill its width or its height, none cut off.
        frame = page.locator("#map").bounding_box()
        extent = page.evaluate(
            """() => {
              const boxes = [...document.querySelectorAll('#map path[data-turf]')]
                .map(p => p.getBoundingClientRect());
              return {left: Math.min(...boxes.map(b => b.left)),
                      right: Math.max(...boxes.map(b => b.right)),
                      top: Math.min(...boxes.map(b => b.top)),
                      bottom: Math.max(...boxes.map(b => b.bottom))};
            }"""
        )
        assert frame is not None
        fill = max(
            (extent["right"] - extent["left"]) / frame["width"],
            (extent["bottom"] - extent["top"]) / frame["height"],
        )
        assert fill >= 0.85, f"the turfs fill {fill:.0%} of the map"
        assert extent["left"] >= frame["x"] - 1 and extent["top"] >= frame["y"] - 1
        assert extent["right"] <= frame["x"] + frame["width"] + 1
        assert extent["bottom"] <= frame["y"] + frame["height"] + 1

        # The table fits: no sideways scrolling, the last column on screen.
        no_horizontal_overflow(page, viewport["width"])
        table = page.locator("#turfs")
        assert table.evaluate("t => t.scrollWidth <= t.parentElement.clientWidth")
        last = page.locator(f"#turfs tr[data-turf='{turfs[1]}'] td.open")
        box = last.bounding_box()
        assert box is not None and box["x"] + box["width"] <= viewport["width"]
        if viewport is DESKTOP:
            assert page.locator("#turfs thead th").last.is_visible()
        else:  # cards: one turf per card, as wide as the screen
            card = rows.first.bounding_box()
            assert card is not None and card["width"] <= viewport["width"] - 20
        page.screenshot(path=str(artifacts / f"organiser-map-{name}.png"))

        # Selecting from the table: a thick outline on the map and a highlighted row.
        plain = _background(page, turfs[3])
        before = _outline(page, busy)
        rows.nth(len(turfs) - 2).locator("td").first.click()
        after = _outline(page, busy)
        assert float(after["stroke-width"]) >= 3 * float(before["stroke-width"])
        assert after["stroke"] != before["stroke"]
        assert "selected" in str(rows.nth(len(turfs) - 2).get_attribute("class"))
        assert _background(page, busy) != plain
        label = page.locator(f"#map .turf-label[data-turf='{busy}']")
        assert "picked" in str(label.get_attribute("class")) and label.is_visible()
        # Selecting on the map highlights its row too.
        page.locator(f"#map path[data-turf='{turfs[3]}']").dispatch_event("click")
        assert float(_outline(page, turfs[3])["stroke-width"]) >= 6
        assert "selected" in str(
            page.locator(f"#turfs tr[data-turf='{turfs[3]}']").get_attribute("class")
        )
        assert _background(page, turfs[3]) != plain
        page.screenshot(path=str(artifacts / f"organiser-selected-{name}.png"))
        page.screenshot(path=str(artifacts / f"organiser-page-{name}.png"), full_page=True)
        # Deselecting puts the turf back as it was.
        rows.nth(len(turfs) - 2).locator("td").first.click()
        assert _outline(page, busy) == before
    finally:
        context.close()
    assert [u for u in requests if not u.startswith(base)] == []
