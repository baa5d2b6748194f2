"""Page weight: what a browser downloads for each page of the app, without map tiles.

Builds the demo plan (or reuses ``--workspace``), serves it on 127.0.0.1 with no tile URL (the
default: every map draws the plan's own base map), and opens in Debian's Chromium (Playwright,
a fresh profile per page: nothing cached) the volunteer phone page of the first turf and of the
turf with the largest base map (the demo's turfs walk 90-135 minutes), a turf's map page, the
organiser's plan page, the manager dashboard and a printable walk list. Prints per page the
requests, the bytes of every response body, split by type, and the time to the page's ``load``
event, and how much of it is the base map; the volunteer pages are checked against the goal
(< 400 KB without tiles). One run. From the repo root:

    python bench/bench_page_weight.py [--workspace canvass-data]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.cli import main as canvass
from app.plan_folder import PlanFolder
from app.settings import Settings
from app.store.links import create_volunteer_link
from app.web.app import create_app
from tests.app.browser import PHONE, launch_chromium, missing_browser, serving

GOAL_BYTES = 400_000
KINDS = {"script": "JS", "stylesheet": "CSS", "document": "HTML", "fetch": "JSON", "xhr": "JSON"}


def _weigh(browser: Any, url: str, viewport: dict[str, int]) -> tuple[int, Counter[str], float]:
    context = browser.new_context(viewport=viewport)
    page = context.new_page()
    sizes: Counter[str] = Counter()
    requests = 0

    def count(response: Any) -> None:
        nonlocal requests
        requests += 1
        try:
            size = len(response.body())
        except Exception:  # a redirect or an aborted request has no body
            size = 0
        kind = KINDS.get(response.request.resource_type, response.request.resource_type)
        sizes[kind] += size

    page.on("response", count)
    started = time.perf_counter()
    page.goto(url, wait_until="load")
    loaded = time.perf_counter() - started
    page.wait_for_load_state("networkidle")
    context.close()
    return requests, sizes, loaded


def _size(path: Path) -> int:
    return path.stat().st_size if path.is_file() else 0


def main() -> int:
    """Measure and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--workspace", type=Path, help="a workspace with a plan named demo")
    args = parser.parse_args()
    reason = missing_browser()
    if reason:
        print(f"cannot measure: {reason}")
        return 2
    with tempfile.TemporaryDirectory() as scratch:
        workspace = args.workspace
        if workspace is None:
            workspace = Path(scratch) / "ws"
            canvass(["demo", "--no-serve", "--out", str(workspace / "demo")])
        database = f"sqlite:///{Path(scratch) / 'canvass.db'}"

        def make_app(base: str) -> Any:
            return create_app(Settings(workspace=workspace, database_url=database))

        folder = PlanFolder(workspace / "demo")
        turfs = sorted(p.stem for p in folder.walklist_csvs())
        turf = turfs[0]
        largest = max(turfs, key=lambda t: _size(folder.turf_base_map(t)))
        minutes = {t["turf"]: t["minutes"] for t in folder.read_summary()["turfs"]}
        base_maps = {t: _size(folder.turf_base_map(t)) for t in (turf, largest)}
        with serving(make_app) as (base, app):
            token = create_volunteer_link(app.state.services.db, "demo", turf)
            big = create_volunteer_link(app.state.services.db, "demo", largest)
            pages = [
                (f"volunteer {turf} (phone)", f"{base}/t/{token}", PHONE),
                (f"volunteer {largest} (phone)", f"{base}/t/{big}", PHONE),
                (f"turf map {turf}", f"{base}/files/demo/maps/{turf}.html", PHONE),
                ("plan page (organiser)", f"{base}/plans/demo", {"width": 1280, "height": 900}),
                (
                    "dashboard (manager)",
                    f"{base}/plans/demo/dashboard",
                    {"width": 1280, "height": 900},
                ),
                (
                    "walk list (print)",
                    f"{base}/files/demo/walklists/{turf}.html",
                    {"width": 816, "height": 1056},
                ),
            ]
            browser_runs = launch_chromium()
            browser = next(browser_runs)
            try:
                rows = [(name, *_weigh(browser, url, size)) for name, url, size in pages]
            finally:
                browser_runs.close()
    kinds = ["HTML", "JS", "CSS", "JSON", "image"]
    print("Page weight without tiles (demo plan; bytes of response bodies)")
    for name, size in base_maps.items():
        print(f"  base map of {name} ({minutes[name]:.0f} min walk): {size / 1000:.1f} KB")
    print(
        f"{'page':<28} {'requests':>8} {'total KB':>9} "
        + " ".join(f"{k:>7}" for k in kinds)
        + f" {'load ms':>8}"
    )
    verdict = 0
    for name, requests, sizes, loaded in rows:
        total = sum(sizes.values())
        cells = " ".join(f"{sizes.get(k, 0) / 1000:7.1f}" for k in kinds)
        print(f"{name:<28} {requests:>8} {total / 1000:9.1f} {cells} {loaded * 1000:8.0f}")
        if name.startswith("volunteer"):
            ok = total < GOAL_BYTES
            verdict = max(verdict, 0 if ok else 1)
            print(f"   goal < {GOAL_BYTES / 1000:.0f} KB: {'met' if ok else 'MISSED'}")
    return verdict


if __name__ == "__main__":
    sys.exit(main())
