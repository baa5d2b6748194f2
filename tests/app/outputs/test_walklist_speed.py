"""Fast walk lists are the same walk lists: rows, CSV, HTML and PDF bytes as before, fonts
parsed once per process, and no fontTools chatter in the logs."""

from __future__ import annotations

import logging
import re
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import app.outputs.pdf_fonts as pdf_fonts
from app.outputs.walklist_files import write_walklists
from app.outputs.walklist_pdf import FONT, _WalkListDocument, walklist_pdf
from app.outputs.walklists import (
    VOTER_FIELDS,
    Household,
    WalkList,
    walk_list,
    walklist_rows,
    walklist_rows_by_turf,
)
from app.outputs.writer import write_plan
from app.plan_folder import PlanFolder
from app.planning.pipeline import Plan, Turf
from app.privacy.fields import minimal_rows
from app.spreadsheet import neutralise_frame
from geo.households import natural_key
from tests.app.conftest import BuiltPlan

CREATED = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


def _rows_one_turf_at_a_time(plan: Plan, turf: Turf) -> pd.DataFrame:
    """How walk-list rows were made before they were made for all turfs at once."""
    stops = plan.stops.loc[turf.route.stops, ["stop_id", "address", "sequence", "leg_m"]]
    voters = plan.voters.loc[plan.voters["target"] & (plan.voters["turf"] == turf.turf_id)]
    rows = voters.drop(columns=["sequence"]).merge(stops, on="stop_id", how="inner")
    rows["unit_order"] = rows["unit"].map(natural_key)
    rows = rows.sort_values(
        ["sequence", "unit_order", "last_name", "first_name", "voter_id"], kind="stable"
    )
    out = pd.DataFrame(
        {
            "turf": turf.turf_id,
            "sequence": rows["sequence"].astype(int),
            "stop_id": rows["stop_id"],
            "address": rows["address"],
            "unit": rows["unit"],
            "household_id": rows["household_id"],
            **{f: rows[f] for f in VOTER_FIELDS},
            "precinct": rows["precinct"],
            "lat": rows.geometry.y.round(7),
            "lon": rows.geometry.x.round(7),
            "result": "",
            "notes": "",
        }
    )
    for column in ("age", "support_score", "turnout_score"):
        out[column] = out[column].astype("Int64")
    return out.reset_index(drop=True)


def test_rows_of_all_turfs_at_once_are_each_turfs_rows(demo_plan: BuiltPlan) -> None:
    plan = demo_plan.plan
    by_turf = walklist_rows_by_turf(plan)
    assert list(by_turf) == [turf.turf_id for turf in plan.turfs]
    for turf in plan.turfs:
        expected = _rows_one_turf_at_a_time(plan, turf)
        pd.testing.assert_frame_equal(by_turf[turf.turf_id], expected, check_exact=True)
        pd.testing.assert_frame_equal(walklist_rows(plan, turf), expected, check_exact=True)
    some = [plan.turfs[3], plan.turfs[1]]
    assert list(walklist_rows_by_turf(plan, some)) == [plan.turfs[3].turf_id, plan.turfs[1].turf_id]


def _without_dates(pdf: bytes) -> bytes:
    """A PDF without what changes from one run to the next (its date and the id made from it)."""
    return re.sub(rb"/CreationDate \([^)]*\)|/ID \[<[0-9A-F]+><[0-9A-F]+>\]", b"", pdf)


def test_write_walklists_writes_the_files_writing_each_turf_wrote(
    demo_plan: BuiltPlan, tmp_path: Path
) -> None:
    plan, written = demo_plan.plan, demo_plan.out / "walklists"
    folder = PlanFolder(tmp_path / "staging")
    write_walklists(plan, folder, plan_name=demo_plan.out.name)
    for turf in plan.turfs:
        for suffix in ("csv", "html"):
            ours = folder.walklist(turf.turf_id, suffix).read_bytes()
            assert ours == (written / f"{turf.turf_id}.{suffix}").read_bytes(), (turf, suffix)
        ours = folder.walklist(turf.turf_id, "pdf").read_bytes()
        before = (written / f"{turf.turf_id}.pdf").read_bytes()
        assert _without_dates(ours) == _without_dates(before), turf.turf_id


def test_csv_walk_lists_written_together_are_each_turfs_own(
    demo_plan: BuiltPlan, tmp_path: Path
) -> None:
    # Names with a line break (a quoted cell over two lines), a formula and quotes.
    plan = demo_plan.plan
    voters = plan.voters.copy()
    for turf, name in zip(plan.turfs[:3], ("Ann\nMarie", "=SUM(A1)", 'Jo "JJ"'), strict=True):
        first = voters.index[voters["target"] & (voters["turf"] == turf.turf_id)][0]
        voters.loc[first, "first_name"] = name
    for case, changed in (("plain", plan), ("odd names", replace(plan, voters=voters))):
        folder = PlanFolder(tmp_path / case.replace(" ", "-"))
        write_walklists(changed, folder, plan_name="demo")
        for turf in plan.turfs:
            rows = minimal_rows(walklist_rows(changed, turf), changed.request.walklist_fields)
            alone = neutralise_frame(rows).to_csv(index=False)
            assert folder.walklist(turf.turf_id, "csv").read_text("utf-8") == alone, (case, turf)
    assert "'=SUM(A1)" in folder.walklist(plan.turfs[1].turf_id, "csv").read_text("utf-8")


def test_write_walklists_writes_the_turfs_asked_for(demo_plan: BuiltPlan, tmp_path: Path) -> None:
    plan = demo_plan.plan
    folder = PlanFolder(tmp_path / "part")
    chosen = [plan.turfs[2].turf_id, plan.turfs[0].turf_id]
    write_walklists(plan, folder, chosen, plan_name="demo")
    assert sorted(p.name for p in folder.walklists_dir.iterdir()) == sorted(
        f"{turf}.{suffix}" for turf in chosen for suffix in ("csv", "html", "pdf")
    )
    with pytest.raises(KeyError, match="no such turfs in the plan: nowhere"):
        write_walklists(plan, folder, ["nowhere"], plan_name="demo")


class _Fpdf2Document(_WalkListDocument):
    """The walk list drawn with fpdf2's own methods: what ``FastPDF`` must write too."""

    def put_text(self, x: float, y: float, text: str) -> None:
        self.text(x, y, text)

    def put_cell(self, w: float, h: float, text: str, align: str = "L") -> None:
        self.cell(w, h, text, align=align)

    def put_rect(self, x: float, y: float, w: float, h: float, style: str = "D") -> None:
        self.rect(x, y, w, h, style)

    def put_line(self, x1: float, y1: float, x2: float, y2: float) -> None:
        self.line(x1, y1, x2, y2)

    def string_width(self, text: str) -> float:
        return self.get_string_width(text)

    def use_font(self, family: str, style: str, size_pt: float) -> None:
        self.set_font(family, style, size_pt)

    def use_text_color(self, rgb: tuple[int, int, int]) -> None:
        self.set_text_color(*rgb)

    def use_draw_color(self, rgb: tuple[int, int, int]) -> None:
        self.set_draw_color(*rgb)


def _fpdf2_pdf(listing: WalkList, map_url: str) -> bytes:
    document = _Fpdf2Document(listing, map_url=map_url, plan_name="demo", paper="A4")
    document.set_creation_date(CREATED)
    for style, path in pdf_fonts.font_files().items():
        document.add_font(FONT, style, path)  # parsed for this document, as fpdf2 does
    document.render()
    return bytes(document.output())


def _renamed(listing: WalkList, names: list[tuple[str, str]]) -> WalkList:
    """``listing`` with its first voters renamed."""
    queue = iter(names)
    stops = []
    for stop in listing.stops:
        households = []
        for household in stop.households:
            voters = []
            for voter in household.voters:
                name = next(queue, None)
                if name is not None:
                    voter = {**voter, "first_name": name[0], "last_name": name[1]}
                voters.append(voter)
            households.append(Household(household.unit, voters))
        stops.append(replace(stop, households=households))
    blocks = [
        replace(block, stops=[stops[listing.stops.index(s)] for s in block.stops])
        for block in listing.blocks
    ]
    return replace(listing, stops=stops, blocks=blocks)


@pytest.mark.parametrize(
    "names",
    [
        [],
        [("Jürgen", "Straße"), ("Łukasz", "Żółć"), ("Nguyễn", "Thị Ánh"), ("µ-Ø", "Ærø")],
        [("Αλέξης", "Παπαδόπουλος"), ("Љубица", "Јовановић"), ("José", "Peña")],
        [("=HYPERLINK(1)", "(paren) \\ back"), ("", "Only"), ("Tab\there", "€ ¥ — …")],
    ],
    ids=["demo", "latin-accents", "greek-cyrillic", "odd-text"],
)
def test_pdf_is_the_bytes_fpdf2_writes_on_its_own(
    demo_plan: BuiltPlan, names: list[tuple[str, str]]
) -> None:
    plan = demo_plan.plan
    for turf in plan.turfs[:3]:
        listing = _renamed(walk_list(plan, turf, walklist_rows(plan, turf)), names)
        url = f"https://canvass.example.org/t/volunteer-link-{turf.turf_id}"
        ours = walklist_pdf(listing, map_url=url, plan_name="demo", created=CREATED)
        assert ours == _fpdf2_pdf(listing, url), turf.turf_id
        again = walklist_pdf(listing, map_url=url, plan_name="demo", created=CREATED)
        assert again == ours


def _bound_glyphs(listing: WalkList) -> dict[str, int]:
    """How many glyphs the font each face's subset is cut from has, by font key."""
    document = _WalkListDocument(listing, map_url="http://x/m", plan_name="demo", paper="A4")
    pdf_fonts.add_fonts(document)
    document.render()
    pdf_fonts.bind_font_programs(document)
    return {key: len(font.ttfont.getGlyphOrder()) for key, font in document.fonts.items()}


def test_subsets_are_cut_from_the_common_glyphs_unless_a_name_needs_more(
    demo_plan: BuiltPlan,
) -> None:
    plan = demo_plan.plan
    turf = plan.turfs[0]
    listing = walk_list(plan, turf, walklist_rows(plan, turf))
    regular, bold = pdf_fonts.faces()
    common = {regular.key: len(regular.common.glyph_order), bold.key: len(bold.common.glyph_order)}
    assert common[regular.key] < len(regular.full.glyph_order) / 2
    assert _bound_glyphs(listing) == common
    greek = _bound_glyphs(_renamed(listing, [("Αλέξης", "Ωμέγα")]))
    assert greek == {regular.key: len(regular.full.glyph_order), bold.key: common[bold.key]}


def test_fonts_are_parsed_once_for_many_pdfs(
    demo_plan: BuiltPlan, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    parsed: list[Path] = []
    parse = pdf_fonts.parse_face

    def counting(style: str, path: Path) -> Any:
        parsed.append(path)
        return parse(style, path)

    monkeypatch.setattr(pdf_fonts, "parse_face", counting)
    pdf_fonts.faces.cache_clear()
    try:
        chosen = [turf.turf_id for turf in demo_plan.plan.turfs[:4]]
        write_walklists(demo_plan.plan, PlanFolder(tmp_path / "p"), chosen, plan_name="demo")
        assert sorted(p.name for p in parsed) == ["Roboto-Bold.ttf", "Roboto-Regular.ttf"]
        assert pdf_fonts.faces.cache_info().hits >= 2 * len(chosen) - 1
        for turf in chosen:
            assert (tmp_path / "p" / "walklists" / f"{turf}.pdf").read_bytes()[:5] == b"%PDF-"
    finally:
        pdf_fonts.faces.cache_clear()


def test_writing_a_plan_logs_no_fonttools_info(
    demo_plan: BuiltPlan, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)  # what the CLI shows
    write_plan(demo_plan.plan, tmp_path / "again")
    chatter = [r for r in caplog.records if r.name.split(".")[0] == "fontTools"]
    assert [r for r in chatter if r.levelno < logging.WARNING] == []
    assert logging.getLogger("fontTools").getEffectiveLevel() == logging.WARNING
