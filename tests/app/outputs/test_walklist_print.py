"""Printable walk lists: blocks by street and side in the HTML, and the PDF of every turf."""

from __future__ import annotations

import io
import itertools
import re
from pathlib import Path

import pytest
import segno
from fastapi.testclient import TestClient
from pypdf import PdfReader

import app.outputs.walklist_pdf as walklist_pdf
from app.outputs.walklist_page import walklist_html
from app.outputs.walklist_pdf import walklist_pdf as make_pdf
from app.outputs.walklist_pdf import write_walklist_pdf
from app.outputs.walklists import (
    WalkStop,
    block_heading,
    group_blocks,
    house_number_span,
    response_groups,
    street_side,
    walk_list,
    walklist_rows,
)
from app.privacy.fields import minimal_rows
from app.settings import Settings
from app.web.app import create_app
from tests.app.conftest import BuiltPlan

# -- grouping by street and side --------------------------------------------------------


def _stop(sequence: int, street: str, number: str) -> WalkStop:
    address = f"{number} {street}".strip()
    return WalkStop(sequence, address, street, number, leg_m=10, households=[])


@pytest.mark.parametrize(
    ("number", "span", "side"),
    [
        ("101", (101, 101), "odd"),
        ("31-33", (31, 33), "odd"),
        ("29–27", (27, 29), "odd"),
        ("12 B", (12, 12), "even"),
        ("36a", (36, 36), "even"),
        ("13 A, 5. krs./Floor 5", (13, 13), "odd"),
        ("7, Floors 1-3", (7, 7), "odd"),
        ("", None, None),
        ("B", None, None),
    ],
)
def test_house_number_gives_span_and_side(
    number: str, span: tuple[int, int] | None, side: str | None
) -> None:
    assert house_number_span(number) == span
    assert street_side(number) == side


def test_consecutive_stops_on_one_side_form_one_block() -> None:
    stops = [
        _stop(1, "Main St", "101"),
        _stop(2, "Main St", "117"),
        _stop(3, "Main St", "149"),
        _stop(4, "Main St", "148"),  # crossed the street
        _stop(5, "Oak Ave", "2-4"),
        _stop(6, "Main St", "151"),  # back on Main St: a new block, in walking order
        _stop(7, "Farm Road", "Farmhouse"),
        _stop(8, "", ""),
    ]
    blocks = group_blocks(stops)
    assert [b.heading for b in blocks] == [
        "Main St, odd side, 101-149",
        "Main St, even side, 148",
        "Oak Ave, even side, 2-4",
        "Main St, odd side, 151",
        "Farm Road",
        "No street address",
    ]
    assert [[s.sequence for s in b.stops] for b in blocks] == [[1, 2, 3], [4], [5], [6], [7], [8]]
    assert block_heading("Main St", "odd", [(101, 101), (149, 149)]) == "Main St, odd side, 101-149"


def test_response_codes_print_supporter_as_one_scale() -> None:
    groups = response_groups()
    assert [(g.label, g.boxes) for g in groups] == [
        ("", ("Not home",)),
        ("", ("Refused",)),
        ("", ("Moved",)),
        ("Supporter", ("1", "2", "3", "4", "5")),
        ("", ("Come back",)),
        ("", ("Inaccessible",)),
        ("", ("Vacant / wrong address",)),
        ("", ("Deceased",)),
        ("", ("Language barrier",)),
        ("", ("Hostile",)),
        ("", ("Do not contact",)),
    ]


def _blocks_of(html: str) -> list[tuple[str, str]]:
    """(heading, section html) of each street/side block, in page order."""
    sections = html.split('<section class="block">')[1:]
    headings = [re.search(r'<tr class="block-row"><th colspan="5">([^<]*)', s) for s in sections]
    return [(h.group(1).strip(), s) for h, s in zip(headings, sections, strict=True) if h]


def test_html_walk_list_groups_stops_by_street_and_side(demo_plan: BuiltPlan) -> None:
    plan = demo_plan.plan
    pairs_seen = 0
    sides: set[str] = set()
    for turf in plan.turfs:
        stops = plan.stops.loc[turf.route.stops]
        html = (demo_plan.out / "walklists" / f"{turf.turf_id}.html").read_text(encoding="utf-8")
        blocks = _blocks_of(html)
        sides.update(side for heading, _ in blocks for side in ("odd", "even") if side in heading)
        records = list(stops[["address", "street", "house_number"]].itertuples(index=False))
        for first, second in itertools.pairwise(records):
            side = street_side(first.house_number)
            if first.street != second.street or side is None:
                continue
            if side != street_side(second.house_number):
                continue
            # Two consecutive stops on one side of one street: under one heading.
            holding = [h for h, section in blocks if f"> {first.address}\n" in section]
            assert holding == [h for h, section in blocks if f"> {second.address}\n" in section]
            assert len(holding) == 1
            assert holding[0].startswith(f"{first.street}, {side} side, ")
            pairs_seen += 1
        # Every stop sits in exactly one block, and the blocks keep walking order.
        assert sum(section.count('<table class="stop') for _, section in blocks) == len(stops)
    assert pairs_seen > 0
    assert sides == {"odd", "even"}


# -- PDF ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def pdf_texts(demo_plan: BuiltPlan) -> dict[str, list[str]]:
    """The text of every page of every turf's PDF, read back with pypdf."""
    texts = {}
    for turf in demo_plan.plan.turfs:
        reader = PdfReader(demo_plan.out / "walklists" / f"{turf.turf_id}.pdf")
        texts[turf.turf_id] = [page.extract_text() for page in reader.pages]
    return texts


def test_every_turf_has_a_pdf_with_its_stops(
    demo_plan: BuiltPlan, pdf_texts: dict[str, list[str]]
) -> None:
    plan = demo_plan.plan
    for turf in plan.turfs:
        path = demo_plan.out / "walklists" / f"{turf.turf_id}.pdf"
        assert path.read_bytes()[:5] == b"%PDF-"
        pages = pdf_texts[turf.turf_id]
        text = "\n".join(pages)
        assert f"Turf {turf.turf_id}" in pages[0]
        assert "page 1 of " in pages[0]
        assert f"page {len(pages)} of {len(pages)}" in pages[-1]
        # Each stop's heading, "<sequence> <address>", in walking order.
        position = 0
        for sequence, address in enumerate(plan.stops.loc[turf.route.stops, "address"], 1):
            position = text.find(f"{sequence} {address}", position)
            assert position >= 0, (turf.turf_id, sequence, address)


def test_pdf_header_shows_the_turfs_figures(
    demo_plan: BuiltPlan, pdf_texts: dict[str, list[str]]
) -> None:
    turf = demo_plan.plan.turfs[0]
    row = demo_plan.summary["turfs"][0]
    assert row["turf"] == turf.turf_id
    first_page = pdf_texts[turf.turf_id][0]
    for figure in (row["precinct"], row["stops"], row["doors"], row["voters"]):
        assert f"\n{figure}\n" in first_page
    assert f"{round(turf.route.minutes)} min" in first_page
    assert f"{turf.route.walk_m / 1000:.1f} km" in first_page
    assert demo_plan.summary["target"]["expression"] in first_page
    assert "Supporter per voter: 1 strongest to 5 weakest" in first_page
    assert "NH Not home" in first_page and "DNC Do not contact" in first_page
    # A generic print carries no link into the voters' data: it says how to get one.
    assert "ask your organiser for your volunteer link" in " ".join(first_page.split())
    assert "http" not in first_page


def test_only_a_print_for_a_volunteer_has_a_qr_code_and_it_holds_their_link(
    demo_plan: BuiltPlan, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    payloads: list[str] = []
    make = segno.make

    def spy(content: str, **kwargs: object) -> segno.QRCode:
        payloads.append(content)
        return make(content, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(walklist_pdf.segno, "make", spy)
    turf = demo_plan.plan.turfs[0]
    rows = walklist_rows(demo_plan.plan, turf)
    write_walklist_pdf(
        demo_plan.plan,
        turf,
        rows,
        tmp_path / "turf.pdf",
        plan_name=demo_plan.out.name,
    )
    assert payloads == []
    link = "https://canvass.example.org/t/abc"
    document = make_pdf(
        walk_list(demo_plan.plan, turf, rows), map_url=link, plan_name=demo_plan.out.name
    )
    assert payloads == [link]
    text = PdfReader(io.BytesIO(document)).pages[0].extract_text()
    assert f"Your volunteer link: {link}" in " ".join(text.split())
    assert "Scan to open your turf" in text


def test_pdf_prints_on_a4_or_letter_with_non_ascii_names(
    demo_plan: BuiltPlan, tmp_path: Path
) -> None:
    plan = demo_plan.plan
    turf = plan.turfs[0]
    rows = walklist_rows(plan, turf)
    names = [("Väinö", "Mäkelä"), ("José", "Peña"), ("Łukasz", "Żółć"), ("Αλέξης", "Љубић")]
    for i, (first, last) in enumerate(names):
        rows.loc[i, ["first_name", "last_name"]] = [first, last]
    sizes = {}
    for paper in ("A4", "Letter"):
        path = tmp_path / f"{paper}.pdf"
        write_walklist_pdf(plan, turf, rows, path, plan_name="demo", paper=paper)
        reader = PdfReader(io.BytesIO(path.read_bytes()))
        box = reader.pages[0].mediabox
        sizes[paper] = (round(float(box.width)), round(float(box.height)))
        text = "\n".join(page.extract_text() for page in reader.pages)
        for first, last in names:
            assert f"{last}, {first}" in text
    assert sizes == {"A4": (595, 842), "Letter": (612, 792)}
    with pytest.raises(ValueError, match="paper must be one of A4, Letter"):
        write_walklist_pdf(plan, turf, rows, tmp_path / "x.pdf", plan_name="demo", paper="A3")  # type: ignore[arg-type]


def test_plan_page_links_each_turfs_pdf(demo_plan: BuiltPlan) -> None:
    client = TestClient(create_app(Settings(workspace=demo_plan.out.parent)))
    page = client.get(f"/plans/{demo_plan.out.name}").text
    for turf in demo_plan.plan.turfs:
        link = f"/files/{demo_plan.out.name}/walklists/{turf.turf_id}.pdf"
        assert f'href="{link}"' in page
    response = client.get(link)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"


@pytest.mark.parametrize("fields", [["party"], ["name", "party"]])
def test_fields_left_off_the_walk_lists_print_blank_never_none(
    demo_plan: BuiltPlan, fields: list[str]
) -> None:
    plan = demo_plan.plan
    turf = plan.turfs[0]
    rows = minimal_rows(walklist_rows(plan, turf), fields)
    listing = walk_list(plan, turf, rows)
    html = walklist_html(listing, map_url=None)
    cells = re.findall(r'<td class="voter">(.*?)</td>', html, re.DOTALL)
    assert cells and not any("None" in cell for cell in cells)
    text = "\n".join(
        page.extract_text()
        for page in PdfReader(io.BytesIO(make_pdf(listing, map_url=None, plan_name="demo"))).pages
    )
    assert "None" not in text
    first = rows.iloc[0]
    named = f"{first['last_name']}, {first['first_name']}"
    assert (named in html) == ("name" in fields)
