"""The README's pictures, taken in Debian's Chromium on the demo plan as people see it.

The test always runs (and fails when a page does not render or scrolls sideways); with
``CANVASS_README_SCREENSHOTS=DIR`` (``make screenshots``) it also writes the pictures the README
shows into DIR, normally ``docs/screenshots``.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from app.services.accounts import create_user
from app.services.survey import DEMO_SURVEY, SurveyStore
from app.settings import Settings
from app.store.assignments import assign_turf
from app.store.links import create_volunteer_link
from app.web.app import create_app
from tests.app.browser import PHONE, WAIT_MS, log_in, no_horizontal_overflow, serving
from tests.app.conftest import BuiltPlan

ROOT = Path(__file__).resolve().parents[3]
PICTURES = ("phone.png", "plan.png", "walklist.png")
PASSWORD = "organising password"
DESKTOP = {"width": 1280, "height": 800}
LETTER = {"width": 816, "height": 1056}  # Letter at 96 dpi


def test_the_readme_shows_pictures_that_exist() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    shown = re.findall(r"\]\((docs/screenshots/[^)]+)\)", readme)
    assert sorted(Path(p).name for p in shown) == sorted(PICTURES)
    for picture in shown:
        with Image.open(ROOT / picture) as image:
            assert image.width >= 390 and image.height >= 500, picture


@pytest.fixture(scope="module")
def campaign(
    demo_plan: BuiltPlan, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, Any, str]]:
    """The demo served with an organiser, a turf assigned and a few doors knocked."""
    root = tmp_path_factory.mktemp("readme-ws")
    shutil.copytree(demo_plan.out, root / "demo", ignore=shutil.ignore_patterns("*.pdf"))
    SurveyStore(root).save(DEMO_SURVEY)

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
        turfs = [t["turf"] for t in demo_plan.summary["turfs"]]
        db = app.state.services.db
        assign_turf(db, "demo", turfs[0], "Aino")
        token = create_volunteer_link(db, "demo", turfs[0], label="Aino")
        _knock(base, token, ["not_home", "supporter_1", "refused"])
        for turf in turfs[1:4]:
            _knock(base, create_volunteer_link(db, "demo", turf), ["not_home"] * 40)
        yield base, app, token


def _knock(base: str, token: str, codes: list[str]) -> None:
    with urllib.request.urlopen(f"{base}/api/v/{token}/turf", timeout=10) as answer:
        doors = [h["household_id"] for s in json.load(answer)["stops"] for h in s["households"]]
    results = [
        {
            "client_id": uuid.uuid4().hex,
            "household_id": door,
            "code": code,
            "recorded_at": "2026-12-03T10:15:00+00:00",
        }
        for door, code in zip(doors, codes, strict=False)
    ]
    request = urllib.request.Request(
        f"{base}/api/v/{token}/results",
        data=json.dumps({"results": results}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as answer:
        assert answer.status == 200


def _keep(shot: Path, name: str) -> None:
    """Copy a screenshot to the README's folder when asked, in few colours to keep it small."""
    folder = os.environ.get("CANVASS_README_SCREENSHOTS")
    if not folder:
        return
    target = Path(folder)
    target.mkdir(parents=True, exist_ok=True)
    with Image.open(shot) as image:
        small = image.convert("RGB").quantize(colors=96, method=Image.Quantize.MEDIANCUT)
        small.save(target / name, optimize=True)


def test_the_three_pictures_of_the_readme(
    chromium: Any, campaign: tuple[str, Any, str], demo_plan: BuiltPlan, artifacts: Path
) -> None:
    base, _, token = campaign
    requests: list[str] = []

    phone = chromium.new_context(viewport=PHONE, device_scale_factor=1, is_mobile=True)
    page = phone.new_page()
    page.on("request", lambda request: requests.append(request.url))
    page.goto(f"{base}/t/{token}")
    page.wait_for_selector(".leaflet-marker-icon, .leaflet-interactive", timeout=WAIT_MS)
    page.wait_for_timeout(500)
    no_horizontal_overflow(page)
    page.screenshot(path=str(artifacts / "readme-phone.png"))
    phone.close()

    office = chromium.new_context(viewport=DESKTOP)
    page = office.new_page()
    page.on("request", lambda request: requests.append(request.url))
    log_in(page, base, "olga", PASSWORD, "/plans/demo")
    page.wait_for_timeout(500)
    no_horizontal_overflow(page, DESKTOP["width"])
    page.screenshot(path=str(artifacts / "readme-plan.png"))

    turf = demo_plan.summary["turfs"][0]["turf"]
    page.set_viewport_size(LETTER)
    page.goto(f"{base}/plans/demo/print/{turf}.html")  # printed for Aino: her link's QR code
    page.emulate_media(media="print")
    no_horizontal_overflow(page, LETTER["width"])
    page.screenshot(path=str(artifacts / "readme-walklist.png"))
    office.close()

    assert [u for u in requests if not u.startswith(base)] == []
    for shot, name in zip(("phone", "plan", "walklist"), PICTURES, strict=True):
        path = artifacts / f"readme-{shot}.png"
        with Image.open(path) as image:
            # A blank page compresses to almost nothing; a page with a map and text does not.
            assert len(image.convert("L").getcolors(1 << 16) or []) > 20, name
        _keep(path, name)
