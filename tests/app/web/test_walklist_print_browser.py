"""The HTML walk list printed from Debian's Chromium, as an organiser prints it (Ctrl+P).

The page asks for the plan's paper (``@page size``), every page after the first repeats the
street block and the address it continues above the column heads, and no page but the last
is left half empty. The page is opened from disk: printing it needs nothing from a network.
"""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from pypdf import PdfReader

from app.outputs.assets import copy_assets
from app.outputs.walklist_files import write_walklists
from app.plan_folder import PlanFolder
from app.services.survey import DEMO_SURVEY, printed
from tests.app.browser import PHONE, no_horizontal_overflow
from tests.app.conftest import BuiltPlan

TURFS = 4
SIZES_PT = {"Letter": (612, 792), "A4": (595, 842)}
FOOTER = re.compile(r"^page \d+ of \d+$")


@pytest.fixture(scope="module")
def printed_lists(
    demo_plan: BuiltPlan, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, PlanFolder]:
    """The first turfs' walk lists with the demo survey, on Letter and on A4."""
    folders = {}
    for paper in SIZES_PT:
        folder = PlanFolder(tmp_path_factory.mktemp(f"print-{paper}"))
        copy_assets(folder.assets_dir)
        ids = [turf.turf_id for turf in demo_plan.plan.turfs[:TURFS]]
        write_walklists(
            demo_plan.plan,
            folder,
            ids,
            plan_name="demo",
            paper=paper,  # type: ignore[arg-type]
            questions=printed(DEMO_SURVEY),
        )
        folders[paper] = folder
    return folders


def _lowest_text_pt(page: Any) -> float:
    """The height above the paper's bottom edge of the lowest line of text but the footer."""
    found: list[float] = []

    def visit(text: str, _cm: Any, tm: Any, _font: Any, _size: Any) -> None:
        if text.strip() and not FOOTER.match(text.strip()):
            found.append(float(tm[5]))

    page.extract_text(visitor_text=visit)
    return min(found)


@pytest.mark.parametrize("paper", list(SIZES_PT))
def test_html_walk_list_prints_like_the_pdf(
    chromium: Any,
    demo_plan: BuiltPlan,
    printed_lists: dict[str, PlanFolder],
    artifacts: Path,
    paper: str,
) -> None:
    folder = printed_lists[paper]
    context = chromium.new_context(viewport={"width": 816, "height": 1056})
    page = context.new_page()
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    figures = []
    try:
        for turf in demo_plan.plan.turfs[:TURFS]:
            page.goto(folder.walklist(turf.turf_id, "html").resolve().as_uri())
            # What Chromium's print dialog does: the page's own @page size, no forced format.
            pdf = page.pdf(prefer_css_page_size=True, print_background=True)
            (artifacts / f"walklist-html-{turf.turf_id}-{paper}.pdf").write_bytes(pdf)
            pages = PdfReader(io.BytesIO(pdf)).pages
            sizes = {
                (round(float(p.mediabox.width)), round(float(p.mediabox.height))) for p in pages
            }
            assert sizes == {SIZES_PT[paper]}
            texts = [p.extract_text() for p in pages]
            assert "How to mark" in texts[0] and "What matters most to you this year?" in texts[0]
            assert page.locator("svg.turf-sketch circle").count() == len(turf.route.stops)
            rows = pd.read_csv(folder.walklist(turf.turf_id, "csv"), dtype=str)
            address_of = dict(zip(rows["voter_id"], rows["address"], strict=True))
            for number, text in enumerate(texts[1:], start=2):
                # The first voter on a continued page sits under its stop's address, which
                # the page repeats when the stop began on the page before.
                at, voter = min((text.find(v), v) for v in address_of if v in text)
                assert address_of[voter] in text[:at], (turf.turf_id, number, voter)
                assert re.search(r"(odd|even) side|, \d", text[:at]), (turf.turf_id, number)
            # No half-empty pages: every page but the last is filled to its bottom fifth.
            height = SIZES_PT[paper][1]
            for number, sheet in enumerate(pages[:-1], start=1):
                assert _lowest_text_pt(sheet) < 0.2 * height, (turf.turf_id, number)
            pdf_pages = len(PdfReader(folder.walklist(turf.turf_id, "pdf")).pages)
            figures.append((turf.turf_id, len(pages), pdf_pages))
            assert len(pages) <= pdf_pages + 1
    finally:
        context.close()
    assert all(url.startswith("file://") for url in requests)
    print(f"{paper}: (turf, HTML pages, PDF pages) {figures}")


def test_walk_list_reads_on_a_phone(
    chromium: Any, demo_plan: BuiltPlan, printed_lists: dict[str, PlanFolder], artifacts: Path
) -> None:
    turf = demo_plan.plan.turfs[0].turf_id
    context = chromium.new_context(viewport=PHONE)
    page = context.new_page()
    try:
        page.goto(printed_lists["A4"].walklist(turf, "html").resolve().as_uri())
        no_horizontal_overflow(page)
        assert page.locator("svg.turf-sketch").bounding_box()["width"] <= PHONE["width"]
        page.screenshot(path=str(artifacts / "walklist-phone.png"))
    finally:
        context.close()
