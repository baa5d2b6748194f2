"""Giving a turf to a volunteer in a real browser, on a phone and on a desktop.

The organiser adds a person to the people list, picks them for a turf in the table, and sees
the link at once with its QR code and SMS / email buttons; the walk list printed for that
person carries the same link, and a phone with nobody logged in opens the turf from the
printed code. No sideways scrolling at either width; no request leaves 127.0.0.1.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest

from tests.app.browser import WAIT_MS, demo_site, log_in, no_horizontal_overflow
from tests.app.conftest import BuiltPlan
from tests.app.qr import decode_qr, pdf_page_png

PASSWORD = "people browser password"
SCREENS = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1280, "height": 800}}


@pytest.fixture(scope="module")
def site(
    demo_plan: BuiltPlan, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, Any]]:
    root = tmp_path_factory.mktemp("people-ws")
    with demo_site(demo_plan.out, root, {"opal": "organiser"}, PASSWORD) as served:
        yield served


@pytest.mark.parametrize("screen", list(SCREENS))
def test_add_a_person_assign_a_turf_and_hand_over_the_link(
    chromium: Any, site: tuple[str, Any], demo_plan: BuiltPlan, artifacts: Path, screen: str
) -> None:
    base, _ = site
    viewport = SCREENS[screen]
    turf = demo_plan.summary["turfs"][1 if screen == "phone" else 2]["turf"]
    name = {"phone": "Ana Lee", "desktop": "Ben Okafor"}[screen]
    context = chromium.new_context(viewport=viewport)
    page = context.new_page()
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        log_in(page, base, "opal", PASSWORD, "/plans/demo")

        # Add a person.
        if page.locator("#people").get_attribute("open") is None:
            page.click("#people summary")
        page.fill("#person-add input[name='name']", name)
        page.fill("#person-add input[name='phone']", "+1 555 010 2000")
        page.fill("#person-add input[name='email']", "volunteer@example.org")
        page.click("#person-add button[type='submit']")
        page.wait_for_selector(f"#people-list li .name:text('{name}')", timeout=WAIT_MS)
        no_horizontal_overflow(page, viewport["width"])
        page.screenshot(path=str(artifacts / f"people-1-added-{screen}.png"), full_page=True)

        # Give them the turf: the link is made in the same step and shown at once.
        row = f"#turfs tr[data-turf='{turf}']"
        page.click(f"{row} button[data-action='assign']")
        page.select_option(
            f"{row} form.assign select[name='person']", label=f"{name} · +1 555 010 2000"
        )
        page.click(f"{row} form.assign button[type='submit']")
        page.wait_for_selector("dialog#share[open]", timeout=WAIT_MS)
        url = page.input_value("#share-url")
        assert url.startswith(f"{base}/t/")
        assert page.inner_text("#share-title") == f"Turf {turf} for {name}"
        sms = page.get_attribute("#share-sms", "href") or ""
        mail = page.get_attribute("#share-mail", "href") or ""
        assert sms.startswith("sms:+15550102000?&body=") and url in unquote(sms)
        assert mail.startswith("mailto:volunteer@example.org?subject=") and url in unquote(mail)
        qr = page.locator("#share-qr")
        box = qr.bounding_box()
        assert box is not None and box["width"] >= 150
        assert box["x"] >= 0 and box["x"] + box["width"] <= viewport["width"]
        assert decode_qr(qr.screenshot()) == [url]  # the code on screen holds the link
        no_horizontal_overflow(page, viewport["width"])
        page.screenshot(path=str(artifacts / f"people-2-link-shown-{screen}.png"))
        page.click("#share-close")
        page.wait_for_selector(f"{row} [data-field='assigned'] .who:text('{name}')")
        assert page.locator(f"{row} button[data-action='share']").count() == 1
        no_horizontal_overflow(page, viewport["width"])
        page.screenshot(path=str(artifacts / f"people-3-assigned-{screen}.png"), full_page=True)

        # Shown again: the same link; the printed walk list carries it too.
        page.click(f"{row} button[data-action='share']")
        page.wait_for_selector("dialog#share[open]", timeout=WAIT_MS)
        assert page.input_value("#share-url") == url
        with context.expect_page() as opened:
            page.click("#share-print")
        printed = opened.value
        printed.wait_for_load_state()
        printed.emulate_media(media="print")
        assert decode_qr(printed.locator("img.qr").screenshot()) == [url]
        assert printed.locator("p.volunteer-link a").inner_text() == url
        pdf = printed.pdf(format="Letter", print_background=True)
        (artifacts / f"people-walklist-{turf}-{screen}.pdf").write_bytes(pdf)
        assert decode_qr(pdf_page_png(pdf)) == [url]
        printed.close()

        # A phone with nobody logged in opens the turf from the printed code.
        phone = chromium.new_context(viewport=SCREENS["phone"])
        try:
            volunteer = phone.new_page()
            assert volunteer.goto(url).status == 200
            assert volunteer.inner_text("#turf-id") == turf
        finally:
            phone.close()
    finally:
        context.close()
    assert errors == []
    assert [u for u in requests if not u.startswith(base)] == []
