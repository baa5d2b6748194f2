"""Fast walk lists are the same walk lists: rows, CSV, HTML as before, PDFs that read and look
as fpdf2 writes them (the same bytes given the same font subset map), fonts parsed and font
subsets made once per process, and no fontTools chatter in the logs."""

from __future__ import annotations

import io
import logging
import re
import subprocess
import tempfile
from collections import defaultdict
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from fontTools.ttLib import TTFont
from fpdf.enums import PDFResourceType
from PIL import Image
from pypdf import PdfReader

import app.outputs.pdf_fonts as pdf_fonts
import app.outputs.pdf_output as pdf_output
from app.outputs.fast_pdf import FastPDF
from app.outputs.pdf_pens import Codes, Pen
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

Rgb = tuple[int, int, int]
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

    def put_rects(self, rects: list[tuple[float, float, float, float]], style: str = "D") -> None:
        for x, y, w, h in rects:
            self.rect(x, y, w, h, style)

    def put_line(self, x1: float, y1: float, x2: float, y2: float) -> None:
        self.line(x1, y1, x2, y2)

    def put_rule(self, x1: float, x2: float, y: float, width: float, rgb: Rgb) -> None:
        self.set_draw_color(*rgb)
        self.set_line_width(width)
        self.line(x1, y, x2, y)

    def string_width(self, text: str) -> float:
        return self.get_string_width(text)

    def use_font(self, family: str, style: str, size_pt: float) -> None:
        self.set_font(family, style, size_pt)

    def text_width(self, family: str, style: str, size_pt: float, text: str) -> float:
        font = self.fonts[family.lower() + style]
        return float(font.get_text_width(text, size_pt, None)[1]) / self.k

    def use_text_color(self, rgb: tuple[int, int, int]) -> None:
        self.set_text_color(*rgb)

    def use_pen(self, pen: Pen) -> None:
        self.set_font(pen.family, pen.style, pen.size_pt)
        self.set_text_color(pen.colour)

    def pen_width(self, pen: Pen, text: str) -> float:
        return float(pen.font.get_text_width(text, pen.size_pt, None)[1]) / self.k

    def write_cell(self, pen: Pen, w: float, h: float, text: str, align: str = "L") -> None:
        self.use_pen(pen)
        self.cell(w, h, text, align=align)

    def write_texts(self, y: float, texts: list[tuple[Pen, float, str]]) -> None:
        for pen, x, text in texts:
            self.use_pen(pen)
            self.text(x, y, text)

    def use_draw_color(self, rgb: tuple[int, int, int]) -> None:
        self.set_draw_color(*rgb)

    def use_fill_color(self, rgb: tuple[int, int, int]) -> None:
        self.set_fill_color(*rgb)

    def put_multi_cell(self, w: float, h: float, text: str) -> None:
        x = self.x
        self.multi_cell(w, h, text)
        self.set_x(x)

    def put_circle(self, x: float, y: float, radius: float, style: str = "D") -> None:
        self._place((radius, radius, -1.0, style), x, y, lambda: self.circle(0, 0, radius, style))

    def put_rounded_rect(
        self, x: float, y: float, w: float, h: float, radius: float, style: str = "F"
    ) -> None:
        # fpdf2's own rounded rectangle, placed as FastPDF places the path it draws itself.
        def draw() -> None:
            self.rect(0, 0, w, h, style, round_corners=True, corner_radius=radius)

        self._place((w, h, radius, style), x, y, draw)


class _InlineFpdf2Document(_Fpdf2Document):
    """As ``_Fpdf2Document``, with every stamp and shape drawn where it goes (no forms)."""

    def _place(self, key: Any, x: float, y: float, draw: Any) -> None:
        self._out(f"q 1 0 0 1 {x * self.k:.2f} {-y * self.k:.2f} cm")
        draw()
        self._out("Q")

    def put_stamp(self, operators: str, x: float, y: float, fonts: tuple[int, ...] = ()) -> None:
        for number in fonts:
            self._resource_catalog.add(PDFResourceType.FONT, number, self.page)
        self._out(f"q 1 0 0 1 {x * self.k:.2f} {-y * self.k:.2f} cm\n{operators}\nQ")


def _fpdf2_pdf(
    listing: WalkList, map_url: str, *, base: bool = True, inline: bool = False
) -> bytes:
    """The walk list as fpdf2 writes it: its methods, its font parsing, its output.

    ``base``: with the characters every document of ours starts its font subset with.
    ``inline``: every stamp and shape drawn in the page where it goes, not kept as a form.
    """
    kind = _InlineFpdf2Document if inline else _Fpdf2Document
    document = kind(listing, map_url=map_url, plan_name="demo", paper="A4")
    document.set_creation_date(CREATED)
    for style, path in pdf_fonts.font_files().items():
        document.add_font(FONT, style, path)  # parsed for this document, as fpdf2 does
        if base:
            pdf_fonts.pick_base_characters(document.fonts[f"{FONT.lower()}{style}"])
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


NAME_SETS = [
    [],
    [("Jürgen", "Straße"), ("Łukasz", "Żółć"), ("Nguyễn", "Thị Ánh"), ("µ-Ø", "Ærø")],
    [("Αλέξης", "Παπαδόπουλος"), ("Љубица", "Јовановић"), ("José", "Peña")],
    [("=HYPERLINK(1)", "(paren) \\ back"), ("", "Only"), ("Tab\there", "€ ¥ — …")],
]
NAME_SET_IDS = ["demo", "latin-accents", "greek-cyrillic", "odd-text"]


@pytest.mark.parametrize("names", NAME_SETS, ids=NAME_SET_IDS)
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


def _page_pictures(pdf: bytes) -> list[bytes]:
    """Every page as poppler draws it (greyscale pixels at 100 dpi)."""
    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / "list.pdf"
        source.write_bytes(pdf)
        subprocess.run(["pdftoppm", "-gray", "-r", "100", str(source), f"{folder}/p"], check=True)
        return [Image.open(p).tobytes() for p in sorted(Path(folder).glob("p-*.pgm"))]


def _pdf_text(pdf: bytes) -> str:
    return subprocess.run(
        ["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True, check=True
    ).stdout.decode()


@pytest.mark.parametrize("names", NAME_SETS, ids=NAME_SET_IDS)
def test_pdf_looks_and_reads_as_fpdf2_draws_it_on_its_own(
    demo_plan: BuiltPlan, names: list[tuple[str, str]]
) -> None:
    # fpdf2 on its own numbers glyphs in the order a document first uses them, and draws every
    # stamp and shape where it goes; ours start with the same characters in every document and
    # keep each stamp once, as a form: other bytes, the same pages.
    plan = demo_plan.plan
    turf = plan.turfs[1]
    listing = _renamed(walk_list(plan, turf, walklist_rows(plan, turf)), names)
    url = "https://canvass.example.org/t/volunteer-link"
    ours = walklist_pdf(listing, map_url=url, plan_name="demo", created=CREATED)
    fpdf2 = _fpdf2_pdf(listing, url, base=False, inline=True)
    assert ours != fpdf2
    text = _pdf_text(ours)
    assert text == _pdf_text(fpdf2)
    for first, last in names:
        assert (f"{last}, {first}" if first.isalpha() else last) in text
    pictures = _page_pictures(ours)
    assert len(pictures) >= 2
    assert pictures == _page_pictures(fpdf2)


def test_each_stamp_is_stored_once_and_placed_on_every_line_that_has_it(
    demo_plan: BuiltPlan,
) -> None:
    plan = demo_plan.plan
    turf = max(plan.turfs, key=lambda t: len(t.route.stops))
    listing = walk_list(plan, turf, walklist_rows(plan, turf))
    reader = PdfReader(io.BytesIO(walklist_pdf(listing, map_url=None, plan_name="demo")))
    forms: set[str] = set()
    placed = 0
    for page in reader.pages:
        xobjects = page["/Resources"].get("/XObject", {})
        for name, ref in xobjects.items():
            if ref.get_object()["/Subtype"] == "/Form":
                forms.add(ref.idnum)
                # A stamp's fonts are in its resources: pdftotext reads its letters.
                assert "/Font" in ref.get_object()["/Resources"], name
        placed += len(re.findall(rb"/I\d+ Do", page.get_contents().get_data()))
    voters = sum(len(h.voters) for stop in listing.stops for h in stop.households)
    assert placed > voters  # every voter's boxes, every household's marks, badges
    assert 2 <= len(forms) <= 12, forms  # each stamp once per document


def _embedded_fonts(pdf: bytes) -> dict[str, bytes]:
    """The font programs a PDF embeds, by font name (``MPDFAA+Roboto-Bold``, ...)."""
    fonts = {}
    for page in PdfReader(io.BytesIO(pdf)).pages:
        for font in page["/Resources"]["/Font"].values():
            descriptor = font.get_object()["/DescendantFonts"][0].get_object()["/FontDescriptor"]
            fonts[str(descriptor["/FontName"])] = descriptor["/FontFile2"].get_object().get_data()
    return fonts


def test_walk_lists_without_rare_letters_embed_one_font_subset_made_once(
    demo_plan: BuiltPlan,
) -> None:
    plan = demo_plan.plan
    listings = [walk_list(plan, turf, walklist_rows(plan, turf)) for turf in plan.turfs[:4]]
    pdf_output.font_objects.clear()
    fonts = [
        _embedded_fonts(walklist_pdf(listing, map_url=None, plan_name="demo"))
        for listing in listings
    ]
    assert len(fonts[0]) == 2
    assert all(embedded == fonts[0] for embedded in fonts)
    assert (pdf_output.font_objects.misses, pdf_output.font_objects.hits) == (2, 6)
    # A name in Greek adds its letters to the regular face's subset, for that document only.
    greek = _renamed(listings[0], [("Αλέξης", "Ωμέγα")])
    with_greek = _embedded_fonts(walklist_pdf(greek, map_url=None, plan_name="demo"))
    regular, bold = "/MPDFAA+Roboto", "/MPDFAA+RobotoBold"
    assert with_greek[bold] == fonts[0][bold]
    assert with_greek[regular] != fonts[0][regular]
    assert ord("Ω") in TTFont(io.BytesIO(with_greek[regular])).getBestCmap()
    assert ord("Ω") not in TTFont(io.BytesIO(fonts[0][regular])).getBestCmap()
    again = _embedded_fonts(walklist_pdf(listings[1], map_url=None, plan_name="demo"))
    assert again == fonts[0]


def test_fonts_are_parsed_once_for_many_pdfs(
    demo_plan: BuiltPlan, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    parsed: list[Path] = []
    parse = pdf_fonts.parse_face

    def counting(style: str, path: Path, cache_dir: Path | None = None) -> Any:
        parsed.append(path)
        return parse(style, path, cache_dir)

    monkeypatch.setattr(pdf_fonts, "parse_face", counting)
    monkeypatch.setattr(pdf_fonts, "_faces", None)  # as in a new process; restored after
    chosen = [turf.turf_id for turf in demo_plan.plan.turfs[:4]]
    write_walklists(demo_plan.plan, PlanFolder(tmp_path / "p"), chosen, plan_name="demo")
    assert sorted(p.name for p in parsed) == ["Roboto-Bold.ttf", "Roboto-Regular.ttf"]
    for turf in chosen:
        assert (tmp_path / "p" / "walklists" / f"{turf}.pdf").read_bytes()[:5] == b"%PDF-"


def test_a_new_process_reads_each_parsed_face_from_the_cache_folder(
    demo_plan: BuiltPlan, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    plan = demo_plan.plan
    listing = walk_list(plan, plan.turfs[0], walklist_rows(plan, plan.turfs[0]))
    # Greek letters: that document's regular face is cut from the whole face, not the common cut.
    listings = [listing, _renamed(listing, [("Αλέξης", "Ωμέγα")])]

    def pdfs() -> list[bytes]:
        pdf_output.font_objects.clear()
        return [
            walklist_pdf(each, map_url=None, plan_name="demo", created=CREATED) for each in listings
        ]

    monkeypatch.setattr(pdf_fonts, "_faces", None)  # as in a new process; restored after
    parsed = pdf_fonts.faces()
    expected = pdfs()
    for style, path in pdf_fonts.font_files().items():
        pdf_fonts.parse_face(style, path, tmp_path)
    assert len(list((tmp_path / "fonts").glob("face-*.pickle"))) == 2

    def parse_again(*args: object) -> None:
        raise AssertionError("the face was parsed again")

    monkeypatch.setattr(pdf_fonts, "_parse_face", parse_again)
    monkeypatch.setattr(pdf_fonts, "_faces", None)
    from_disk = pdf_fonts.faces(tmp_path)
    assert [face.path for face in from_disk] == list(pdf_fonts.font_files().values())
    for mine, theirs in zip(from_disk, parsed, strict=True):
        assert mine.common == theirs.common and mine.full == theirs.full
        widths = mine.prototype.cw
        assert isinstance(widths, defaultdict) and widths.default_factory is not None
        assert widths.default_factory() == theirs.prototype.desc.missing_width
    assert pdfs() == expected


def test_a_new_process_reads_the_usual_font_objects_from_the_cache_folder(
    demo_plan: BuiltPlan, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    plan = demo_plan.plan
    listing = walk_list(plan, plan.turfs[0], walklist_rows(plan, plan.turfs[0]))
    pdf_output.font_objects.clear()
    by_fpdf2 = walklist_pdf(listing, map_url=None, plan_name="demo", created=CREATED)
    pdf_output.font_objects.clear()
    pdf_output.make_usual_font_objects(tmp_path)
    assert len(list((tmp_path / "fonts").glob("objects-*.pickle"))) == 2

    def no_subsetting(*args: object, **kwargs: object) -> None:
        raise AssertionError("fpdf2 made the font objects again")

    pdf_output.font_objects.clear()  # as in a new process
    monkeypatch.setattr(pdf_output.OutputProducer, "_add_fonts", no_subsetting)
    pdf_output.make_usual_font_objects(tmp_path)
    from_disk = walklist_pdf(listing, map_url=None, plan_name="demo", created=CREATED)
    assert from_disk == by_fpdf2
    assert (pdf_output.font_objects.misses, pdf_output.font_objects.hits) == (0, 2)


def test_writing_a_plan_logs_no_fonttools_info(
    demo_plan: BuiltPlan, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)  # what the CLI shows
    write_plan(demo_plan.plan, tmp_path / "again")
    chatter = [r for r in caplog.records if r.name.split(".")[0] == "fontTools"]
    assert [r for r in chatter if r.levelno < logging.WARNING] == []
    assert logging.getLogger("fontTools").getEffectiveLevel() == logging.WARNING


def test_codes_read_from_a_documents_subset_map_are_those_pick_gives() -> None:
    # A document's map starts with the base characters: pens read their codes from it rather
    # than ask pick() for each (which would give the same code, slower).
    document = FastPDF()
    pdf_fonts.add_fonts(document)
    for font in document.fonts.values():
        codes = Codes(font)
        assert len(codes.picked) >= len(pdf_fonts.BASE_CHARACTERS)
        assert all(font.subset.pick(char) == code for char, code in codes.picked.items())
