"""Printed walk lists: their paper, the survey, the map on page 1, continuation heads."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pandas as pd
import pytest
from pypdf import PdfReader

from app.outputs.paper import choose_paper, on_letter_paper, parse_paper
from app.outputs.walklist_files import write_walklists
from app.outputs.walklist_marks import printed_questions
from app.plan_folder import PlanFolder
from app.services.survey import DEMO_SURVEY, printed
from tests.app.conftest import BuiltPlan

LETTER_PT, A4_PT = (612, 792), (595, 842)


def _written(
    demo_plan: BuiltPlan, folder: Path, *, turfs: int = 1, **options: object
) -> PlanFolder:
    plan_folder = PlanFolder(folder)
    ids = [turf.turf_id for turf in demo_plan.plan.turfs[:turfs]]
    write_walklists(demo_plan.plan, plan_folder, ids, plan_name="demo", **options)  # type: ignore[arg-type]
    return plan_folder


def _page_size(path: Path) -> tuple[int, int]:
    box = PdfReader(path).pages[0].mediabox
    return (round(float(box.width)), round(float(box.height)))


# -- paper ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lon", "lat", "letter"),
    [
        (-84.39, 33.75, True),  # Atlanta
        (-149.9, 61.2, True),  # Anchorage
        (-157.86, 21.31, True),  # Honolulu
        (-79.38, 43.65, True),  # Toronto
        (-99.13, 19.43, True),  # Mexico City
        (24.94, 60.17, False),  # Helsinki
        (-0.13, 51.51, False),  # London
        (-58.38, -34.6, False),  # Buenos Aires
        (-51.72, 64.18, False),  # Nuuk
    ],
)
def test_letter_is_the_paper_of_the_us_canada_and_mexico(
    lon: float, lat: float, letter: bool
) -> None:
    assert on_letter_paper(lon, lat) is letter


def test_paper_is_the_organisers_choice_else_the_datas(demo_plan: BuiltPlan) -> None:
    plan = demo_plan.plan
    chosen = choose_paper(plan)
    assert (chosen.paper, chosen.requested) == ("A4", None)  # Helsinki
    assert demo_plan.summary["paper"] == chosen.record()
    assert "outside the US" in demo_plan.summary["paper"]["reason"]
    asked = dataclasses.replace(plan, request=dataclasses.replace(plan.request, paper="Letter"))
    assert choose_paper(asked).record() == {
        "size": "Letter",
        "requested": "Letter",
        "reason": "chosen by the organiser",
    }
    van = dataclasses.replace(plan, counts={**plan.counts, "voters": {"layout": "van"}})
    assert choose_paper(van).paper == "Letter"
    assert [parse_paper(v) for v in ("LETTER", "a4", "auto", None)] == ["Letter", "A4", None, None]
    with pytest.raises(ValueError, match="letter, a4 or auto"):
        parse_paper("A3")


@pytest.mark.parametrize(("paper", "size_pt"), [("Letter", LETTER_PT), ("A4", A4_PT)])
def test_html_and_pdf_print_on_the_chosen_paper(
    demo_plan: BuiltPlan, tmp_path: Path, paper: str, size_pt: tuple[int, int]
) -> None:
    folder = _written(demo_plan, tmp_path, paper=paper)
    turf = demo_plan.plan.turfs[0].turf_id
    reader = PdfReader(folder.walklist(turf, "pdf"))
    assert {
        (round(float(p.mediabox.width)), round(float(p.mediabox.height))) for p in reader.pages
    } == {size_pt}
    page = folder.walklist(turf, "html").read_text(encoding="utf-8")
    assert f"@page {{ size: {paper.lower()}; }}" in page
    assert f'data-paper="{paper}"' in page


# -- survey -----------------------------------------------------------------------------------


def test_survey_questions_print_with_a_box_per_voter(demo_plan: BuiltPlan, tmp_path: Path) -> None:
    asked = [(q.text, q.choices) for q in DEMO_SURVEY.questions]
    questions = printed_questions([*asked, ("Pets & <kids> at home?", ["Dog", "Cat", "None"])])
    assert questions[:2] == printed(DEMO_SURVEY)
    folder = _written(demo_plan, tmp_path, questions=questions)
    turf = demo_plan.plan.turfs[0]
    voters = int(demo_plan.summary["turfs"][0]["voters"])
    page = folder.walklist(turf.turf_id, "html").read_text(encoding="utf-8")
    assert "What matters most to you this year?" in page and "Would you volunteer?" in page
    assert "Q3</b> Pets &amp; &lt;kids&gt; at home?" in page  # text from the organiser is data
    assert "<span>1 Housing</span>" in page and "<span>3 None</span>" in page
    assert page.count('<span class="answer">') == voters * 3
    pages = [p.extract_text() for p in PdfReader(folder.walklist(turf.turf_id, "pdf")).pages]
    assert "Q1 What matters most to you this year?" in pages[0]
    assert "Q3 Pets & <kids> at home?" in pages[0]
    assert "1\u00a0Dog" in pages[0] or "1 Dog" in pages[0]
    # Every voter line has its answer boxes: Q1 once per voter plus the question itself.
    assert sum(p.count("Q1") for p in pages) == voters + 1


def test_no_survey_prints_no_survey(demo_plan: BuiltPlan) -> None:
    turf = demo_plan.plan.turfs[0].turf_id
    page = (demo_plan.out / "walklists" / f"{turf}.html").read_text(encoding="utf-8")
    assert "Survey" not in page and 'class="answer"' not in page
    assert demo_plan.summary["printed_survey"] == []


# -- the map on page 1 --------------------------------------------------------------------------


def test_page_one_has_a_vector_map_of_the_turf(demo_plan: BuiltPlan) -> None:
    plan = demo_plan.plan
    turf = plan.turfs[0]
    stops = len(turf.route.stops)
    page = (demo_plan.out / "walklists" / f"{turf.turf_id}.html").read_text(encoding="utf-8")
    svg = re.search(r'<svg class="turf-sketch".*?</svg>', page, re.DOTALL)
    assert svg is not None
    drawing = svg.group()
    assert '<path class="outline"' in drawing and '<path class="route" d="M' in drawing
    assert drawing.count("<circle") == stops
    assert f">{stops}</text>" in drawing and ">1</text>" in drawing
    assert page.index("turf-sketch") < page.index('<table class="stop')  # page 1, above the list
    assert "tile" not in drawing and "<image" not in drawing
    reader = PdfReader(demo_plan.out / "walklists" / f"{turf.turf_id}.pdf")
    first = reader.pages[0].get_contents().get_data().decode("latin-1")
    later = reader.pages[1].get_contents().get_data().decode("latin-1")
    assert first.count("h B*") == 1 and "B*" not in later  # the turf outline, page 1 only
    # A circle (4 curves) per stop: drawn once, as a form, and placed at every stop.
    forms = reader.pages[0]["/Resources"]["/XObject"]
    circles = [
        name
        for name, form in forms.items()
        if len(re.findall(rb" c\b", form.get_object().get_data())) == 4
    ]
    assert sum(len(re.findall(rf"{name} Do", first)) for name in circles) >= stops
    assert re.search(r"1 J 1 j\n(?:[\d.]+ [\d.]+ [ml]\n){2,}S", first)  # the route, stroked


# -- continuation pages -----------------------------------------------------------------------


def test_pdf_pages_repeat_the_street_and_address_they_continue(demo_plan: BuiltPlan) -> None:
    checked = 0
    for turf in demo_plan.plan.turfs:
        listing = demo_plan.out / "walklists" / turf.turf_id
        rows = pd.read_csv(f"{listing}.csv", dtype=str)
        address_of = dict(zip(rows["voter_id"], rows["address"], strict=True))
        for text in [p.extract_text() for p in PdfReader(f"{listing}.pdf").pages][1:]:
            first = min((text.find(v), v) for v in address_of if v in text)  # first voter
            address = address_of[first[1]]
            assert address in text[: first[0]], (turf.turf_id, first[1], address)
            checked += 1
    assert checked > len(demo_plan.plan.turfs)
