"""Issue 21 in Debian's Chromium: the phone page's privacy notice and a "Do not contact" that
takes the person off the phone at its next sync; New plan's walk-list field picker."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from tests.app.browser import PHONE, WAIT_MS, demo_site, log_in, no_horizontal_overflow
from tests.app.conftest import BuiltPlan

PASSWORD = "organising password"
NOTICE = "https://campaign.example.org/privacy?lang=en&v=2"
LAPTOP = {"width": 1280, "height": 800}


@dataclass(frozen=True)
class Site:
    base: str
    app: Any
    root: Path

    def turf(self, token: str) -> dict[str, Any]:
        with urllib.request.urlopen(f"{self.base}/api/v/{token}/turf", timeout=10) as answer:
            document: dict[str, Any] = json.load(answer)
        return document


@pytest.fixture(scope="module")
def site(demo_plan: BuiltPlan, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    root = tmp_path_factory.mktemp("privacy-ws")
    accounts = {"olga": "organiser"}
    with demo_site(demo_plan.out, root, accounts, PASSWORD, privacy_notice_url=NOTICE) as served:
        yield Site(*served, root)


def test_do_not_contact_on_the_phone_takes_the_person_off_it_and_the_notice_is_there(
    chromium: Any, site: Site, demo_plan: BuiltPlan, artifacts: Path
) -> None:
    from app.store.links import create_volunteer_link

    turf_id = demo_plan.summary["turfs"][3]["turf"]
    token = create_volunteer_link(site.app.state.services.db, "demo", turf_id)
    doors = [h for s in site.turf(token)["stops"] for h in s["households"]]
    family = next(h for h in doors[1:] if len(h["voters"]) >= 2)
    asked, stays = family["voters"][0]["voter_id"], family["voters"][1]["voter_id"]
    context = chromium.new_context(viewport=PHONE, has_touch=True)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        page.goto(f"{site.base}/t/{token}")
        page.wait_for_selector("body[data-ready='yes']", timeout=WAIT_MS)
        notice = page.locator(".privacy-notice a")
        assert notice.get_attribute("href") == NOTICE and notice.inner_text() == NOTICE
        door = page.locator(f"li.door[data-household='{family['household_id']}']")
        if door.locator("button.door-head").get_attribute("aria-expanded") != "true":
            door.locator("button.door-head").click()
        door.locator("button.more").click()
        door.locator(f"button[data-code='do_not_contact'][data-voter='{asked}']").click()
        page.wait_for_selector("#recorded[data-status='synced']", timeout=WAIT_MS)
        # Sent: the phone takes its turf again, without the person who asked.
        page.wait_for_selector(f".voter[data-voter='{asked}']", state="detached", timeout=WAIT_MS)
        assert door.locator(f".voter[data-voter='{stays}']").count() == 1
        page.screenshot(path=str(artifacts / "privacy-phone-390x844.png"))
        notice.scroll_into_view_if_needed()
        page.screenshot(path=str(artifacts / "privacy-notice-390x844.png"))
        no_horizontal_overflow(page)
        # A reload shows the same: the server leaves them out of the turf it sends.
        page.reload()
        page.wait_for_selector("body[data-ready='yes']", timeout=WAIT_MS)
        assert page.locator(f".voter[data-voter='{asked}']").count() == 0
        assert page.locator(f"li.door[data-household='{family['household_id']}']").count() == 1
        page.set_viewport_size(LAPTOP)
        page.screenshot(path=str(artifacts / "privacy-phone-1280x800.png"))
    finally:
        context.close()
    assert errors == []
    shown = json.dumps(site.turf(token)["stops"])
    assert asked not in shown and stays in shown


@pytest.mark.parametrize("viewport", [LAPTOP, PHONE])
def test_new_plan_offers_the_walk_list_fields_and_records_the_choice(
    chromium: Any, site: Site, demo_plan: BuiltPlan, artifacts: Path, viewport: dict[str, int]
) -> None:
    voters = pd.read_csv(demo_plan.inputs.voters, dtype=str, keep_default_na=False)
    path = site.root / "few-voters.csv"
    voters.sort_values(["street", "house_number"]).head(200).to_csv(path, index=False)
    name = f"fields-{viewport['width']}"
    context = chromium.new_context(viewport=viewport)
    page = context.new_page()
    try:
        log_in(page, site.base, "olga", PASSWORD, "/plans/new", ready="#walklist-fields")
        boxes = page.locator("input[name='walklist_fields']")
        checked = [
            boxes.nth(i).get_attribute("value")
            for i in range(boxes.count())
            if boxes.nth(i).is_checked()
        ]
        assert checked == ["name", "age_band"]
        page.set_input_files("#voters-file", str(path))
        page.wait_for_selector("#voters-report:has-text('rows')", timeout=WAIT_MS)
        page.uncheck("input[name='walklist_fields'][value='age_band']")
        page.check("input[name='walklist_fields'][value='party']")
        page.fill("#name", name)
        page.check("input[name='size'][value='doors']")
        page.fill("#turf-doors", "40")
        page.locator("#walklist-fields").scroll_into_view_if_needed()
        no_horizontal_overflow(page, viewport["width"])
        page.screenshot(path=str(artifacts / f"privacy-new-plan-{viewport['width']}.png"))
        page.locator("fieldset.regions").scroll_into_view_if_needed()
        no_horizontal_overflow(page, viewport["width"])
        page.screenshot(path=str(artifacts / f"new-plan-regions-{viewport['width']}.png"))
        page.click("#cut")
        page.wait_for_selector("#job a", timeout=120_000)
    finally:
        context.close()
    summary = json.loads((site.root / name / "summary.json").read_text(encoding="utf-8"))
    assert summary["privacy"]["walklist_fields"] == ["name", "party"]
    rows = pd.concat(pd.read_csv(p) for p in (site.root / name / "walklists").glob("*.csv"))
    assert rows["party"].notna().any() and rows["age"].isna().all()
