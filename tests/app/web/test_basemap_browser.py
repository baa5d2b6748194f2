"""Streets on every map with no tiles: the base map drawn from the plan's own OSM extract.

Debian's Chromium (Playwright) opens the volunteer phone page, a turf's map, the map of all turfs,
the organiser's plan page and the heatmap of the demo plan, at 390x844 and 1280x800, with every
request that leaves 127.0.0.1 aborted. Street names must be drawn inside the map (the streets of
the turf's own doors among them), buildings and house numbers when zoomed in, and no tile may be
asked for or credited: the server has no tile URL by default. A server that has one, whose tiles
cannot be reached, shows neither tiles nor their credit after one probe.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from app.settings import Settings
from app.store.links import create_volunteer_link
from app.web.app import create_app
from tests.app.browser import PHONE, WAIT_MS, serving
from tests.app.conftest import BuiltPlan

DESKTOP = {"width": 1280, "height": 800}
BLOCKED_TILES = "https://tiles.example.org/{z}/{x}/{y}.png"
TILE_CREDIT = "© OpenStreetMap contributors"
"""What a tile layer credits; the drawn base map says "Map data © ... (ODbL)" instead."""


@pytest.fixture(scope="module")
def workspace(demo_plan: BuiltPlan, tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("basemap-ws")
    shutil.copytree(demo_plan.out, root / "demo", ignore=shutil.ignore_patterns("*.pdf"))
    return root


@pytest.fixture(scope="module")
def site(workspace: Path) -> Iterator[tuple[str, str, str]]:
    """The app with its default settings (no tile URL): base URL, a volunteer token, its turf."""

    def make_app(base: str) -> Any:
        return create_app(
            Settings(workspace=workspace, database_url=f"sqlite:///{workspace / 'canvass.db'}")
        )

    with serving(make_app) as (base, app):
        turf = sorted(p.stem for p in (workspace / "demo" / "walklists").glob("*.csv"))[0]
        token = create_volunteer_link(app.state.services.db, "demo", turf)
        yield base, token, turf


class Watched:
    """A page whose requests leave 127.0.0.1 only to be aborted, and what went wrong on it."""

    def __init__(self, chromium: Any, viewport: dict[str, int]) -> None:
        self.context = chromium.new_context(viewport=viewport)
        self.outside: list[str] = []
        self.failed: list[str] = []
        self.errors: list[str] = []

        def route(r: Any) -> None:
            if r.request.url.startswith("http://127.0.0.1"):
                r.continue_()
            else:
                self.outside.append(r.request.url)
                r.abort()

        self.context.route("**/*", route)
        self.page = self.context.new_page()
        self.page.on("requestfailed", lambda request: self.failed.append(request.url))
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        self.page.on(
            "console",
            lambda message: self.errors.append(message.text) if message.type == "error" else None,
        )

    def labels_in_map(self, selector: str = ".bm-label") -> list[str]:
        """Texts of the labels drawn (not hidden) inside the map's box on screen."""
        found: list[str] = self.page.evaluate(
            """(selector) => {
                const box = document.querySelector(".leaflet-container").getBoundingClientRect();
                return [...document.querySelectorAll(selector)].filter((label) => {
                    const r = label.querySelector("span").getBoundingClientRect();
                    const shown = getComputedStyle(label).display !== "none" && r.width > 0;
                    return shown && r.left >= box.left && r.right <= box.right
                        && r.top >= box.top && r.bottom <= box.bottom;
                }).map((label) => label.textContent);
            }""",
            selector,
        )
        return found

    def attribution(self) -> str:
        text: str = self.page.evaluate(
            "[...document.querySelectorAll('.leaflet-control-attribution')]"
            ".map(e => e.textContent).join(' ')"
        )
        return text

    def quiet(self, *, expected: tuple[str, ...] = ()) -> None:
        """Nothing left 127.0.0.1, no request failed, no error was logged but ``expected``."""
        errors = [e for e in self.errors if not any(x in e for x in expected)]
        assert self.outside == [] and self.failed == [] and errors == []
        assert self.page.locator(".leaflet-tile").count() == 0
        assert TILE_CREDIT not in self.attribution().replace("Map data " + TILE_CREDIT, "")


def _street(address: str) -> str:
    """The street of an address such as ``1 Eerikinkatu`` or ``Eerikinkatu 1 A``."""
    return " ".join(w for w in address.split() if not any(c.isdigit() for c in w)).strip()


def _zoom_in(page: Any, clicks: int) -> None:
    for _ in range(clicks):
        page.click(".leaflet-control-zoom-in")
        page.wait_for_timeout(400)


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_the_phone_map_names_the_streets_of_its_doors_without_tiles(
    chromium: Any, site: tuple[str, str, str], artifacts: Path, viewport: dict[str, int]
) -> None:
    base, token, _ = site
    watched = Watched(chromium, viewport)
    page = watched.page
    try:
        page.goto(f"{base}/t/{token}")
        page.wait_for_selector("body[data-ready='yes']", timeout=WAIT_MS)
        page.wait_for_timeout(300)
        stops = page.evaluate(
            "fetch(location.pathname.replace('/t/', '/api/v/') + '/turf').then(r => r.json())"
        )["stops"]
        streets = {_street(s["address"]) for s in stops}
        shown = watched.labels_in_map()
        # Street names along the streets, and the streets of this turf's own doors among them.
        assert len(set(shown)) >= 3, shown
        assert streets & set(shown), (streets, shown)
        size = page.evaluate(
            "parseFloat(getComputedStyle(document.querySelector('.bm-label span')).fontSize)"
        )
        assert size >= 11
        assert page.locator(".leaflet-basemap-pane path").count() >= 3  # streets and buildings
        page.screenshot(path=str(artifacts / f"basemap-volunteer-{viewport['width']}.png"))
        _zoom_in(page, 2)
        assert len(watched.labels_in_map(".bm-number")) > 0  # house numbers, walking close
        page.screenshot(path=str(artifacts / f"basemap-volunteer-{viewport['width']}-near.png"))
        watched.quiet()
        assert "Map data © OpenStreetMap contributors" in watched.attribution()
    finally:
        watched.context.close()


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_the_turf_map_names_its_streets_without_tiles(
    chromium: Any, site: tuple[str, str, str], artifacts: Path, viewport: dict[str, int]
) -> None:
    base, _, turf = site
    watched = Watched(chromium, viewport)
    page = watched.page
    try:
        page.goto(f"{base}/files/demo/maps/{turf}.html")
        page.wait_for_selector(".stop-no", timeout=WAIT_MS)
        page.wait_for_timeout(300)
        shown = watched.labels_in_map()
        assert len(set(shown)) >= 3, shown
        labels = [t["label"] for t in page.evaluate("window.CANVASS_TURF.stops")]
        streets = {_street(re.sub(r"^\d+\.\s*", "", label.split(" — ")[0])) for label in labels}
        assert streets & set(shown), (streets, shown)
        page.screenshot(path=str(artifacts / f"basemap-turf-{viewport['width']}.png"))
        watched.quiet()
    finally:
        watched.context.close()


def test_the_plan_maps_draw_the_streets_without_tiles(
    chromium: Any, site: tuple[str, str, str], artifacts: Path
) -> None:
    base, _, _ = site
    # Names show from zoom 16 on these maps of a whole plan; the organiser's zooms by halves.
    for name, url, ready, clicks in [
        ("index", f"{base}/files/demo/maps/index.html", ".turf-label", 2),
        ("organiser", f"{base}/plans/demo", "body[data-ready='yes']", 4),
        ("heat", f"{base}/files/demo/maps/heat.html", ".heat-legend", 2),
    ]:
        watched = Watched(chromium, DESKTOP)
        page = watched.page
        try:
            page.goto(url)
            page.wait_for_selector(ready, timeout=WAIT_MS)
            page.wait_for_timeout(300)
            assert page.locator(".leaflet-basemap-pane path").count() >= 2, name
            _zoom_in(page, clicks)
            assert len(set(watched.labels_in_map())) >= 2, name
            page.screenshot(path=str(artifacts / f"basemap-{name}-1280.png"))
            # The organiser's page asks /api/me who is signed in: nobody, here (a 401).
            watched.quiet(expected=("status of 401",) if name == "organiser" else ())
        finally:
            watched.context.close()


def test_tiles_that_cannot_load_are_neither_shown_nor_credited(
    chromium: Any, workspace: Path, artifacts: Path
) -> None:
    def make_app(base: str) -> Any:
        return create_app(
            Settings(
                workspace=workspace,
                database_url=f"sqlite:///{workspace / 'tiles.db'}",
                tile_url=BLOCKED_TILES,
            )
        )

    with serving(make_app) as (base, app):
        turf = sorted(p.stem for p in (workspace / "demo" / "walklists").glob("*.csv"))[0]
        token = create_volunteer_link(app.state.services.db, "demo", turf)
        watched = Watched(chromium, PHONE)
        try:
            watched.page.goto(f"{base}/t/{token}")
            watched.page.wait_for_selector("body[data-ready='yes']", timeout=WAIT_MS)
            watched.page.wait_for_timeout(500)
            # One probe for one tile, then nothing: no tile layer, no tile credit.
            assert len(watched.outside) == 1 and "tiles.example.org" in watched.outside[0]
            assert watched.page.locator(".leaflet-tile").count() == 0
            assert TILE_CREDIT not in watched.attribution().replace("Map data " + TILE_CREDIT, "")
            assert len(set(watched.labels_in_map())) >= 3
        finally:
            watched.context.close()
