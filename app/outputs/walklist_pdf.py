"""Walk lists as PDF: each turf's printable walk list, for A4 or Letter paper.

Pure Python, so it runs wherever the app installs: fpdf2 lays out the pages, segno makes the
QR code (drawn as vector squares) and the text is set in Roboto from the ``font-roboto``
package (Latin with its accents, Greek and Cyrillic). The content is
``app.outputs.walklists.walk_list``,
the same as the HTML walk list: a header with the turf's figures and a QR code to its map, a
map of the turf (vector paths, ``app.outputs.sketch_pdf``), how to mark and the survey
questions, then the stops in walking order in blocks by street and side, each voter with
support boxes and a box per survey question, each household with its door-result codes and
a notes line; every page repeats the column heads, the code legend, the street block and the
address it continues, and says "page N of M".

A county has hundreds of turfs, so a document costs milliseconds: the fonts are parsed once per
process (``app.outputs.pdf_fonts``) and the thousands of strings and boxes are drawn with
``app.outputs.fast_pdf.FastPDF``, which writes what fpdf2's own methods write, faster.
"""

from __future__ import annotations

import logging
import re
from datetime import datetime
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
import segno

from app.outputs import pdf_fonts
from app.outputs import walklist_pdf_marks as marks
from app.outputs.fast_pdf import FastPDF
from app.outputs.paper import PAPERS, Paper
from app.outputs.pdf_output import SharedFontsOutput
from app.outputs.pdf_pens import Pen
from app.outputs.qr_codes import qr_code
from app.outputs.walklist_marks import legend
from app.outputs.walklist_pdf_marks import INK, LINE_MM, MUTED, Kind
from app.outputs.walklist_pdf_overview import draw_overview
from app.outputs.walklists import (
    Block,
    Household,
    WalkList,
    WalkStop,
    voter_name,
    walk_list,
)

if TYPE_CHECKING:
    from app.planning.pipeline import Plan, Turf

logger = logging.getLogger(__name__)

FONT = pdf_fonts.FAMILY

# Layout in millimetres; sizes in points.
MARGIN_MM = 12.0
FOOTER_MM = 14.0  # the list stops this far above the paper's bottom edge
QR_MM = 30.0
UNIT_MM, AGE_MM, PARTY_MM = 14.0, 9.0, 11.0
MARKS_MM = 64.0  # support boxes and survey answer boxes, per voter
RULE = (201, 207, 218)
_DARK_RUN = re.compile(b"[^\x00]+")  # dark QR modules side by side
WHITE = (255, 255, 255)


def write_walklist_pdf(
    plan: Plan,
    turf: Turf,
    rows: pd.DataFrame,
    path: Path,
    *,
    plan_name: str,
    paper: Paper = "A4",
) -> None:
    """Write the generic walk list of ``turf`` (its ``walklist_rows``) as a PDF to ``path``.

    ``plan_name`` is the plan's folder name; ``paper`` is ``"A4"`` or ``"Letter"``.
    """
    listing = walk_list(plan, turf, rows)
    document = walklist_pdf(listing, map_url=None, plan_name=plan_name, paper=paper)
    path.write_bytes(document)
    logger.debug("walk list %s: %s (%d bytes)", turf.turf_id, path, len(document))


def walklist_pdf(
    listing: WalkList,
    *,
    map_url: str | None,
    plan_name: str,
    paper: Paper = "A4",
    created: datetime | None = None,
    qr: segno.QRCode | None = None,
) -> bytes:
    """The PDF document of one walk list.

    ``created`` is the document's creation date (now if None); fpdf2 derives the file id from
    it, so two documents of one walk list made with the same date are the same bytes.
    ``map_url`` is the volunteer link of the person the turf is given to, printed with its QR
    code; None for a generic print, which says to ask the organiser for a link instead. ``qr``
    is ``qr_code(map_url)`` if the caller has it already.
    """
    if paper not in PAPERS:
        raise ValueError(f"paper must be one of {', '.join(PAPERS)}, not {paper!r}")
    document = _WalkListDocument(listing, map_url=map_url, plan_name=plan_name, paper=paper, qr=qr)
    if created is not None:
        document.set_creation_date(created)
    pdf_fonts.add_fonts(document)  # parsed once per process, not per document
    document.render()
    return bytes(document.output(output_producer_class=SharedFontsOutput))


class _WalkListDocument(FastPDF):
    def __init__(
        self,
        listing: WalkList,
        *,
        map_url: str | None,
        plan_name: str,
        paper: Paper,
        qr: segno.QRCode | None = None,
    ) -> None:
        super().__init__(orientation="portrait", unit="mm", format=paper.lower())
        self.listing = listing
        self.map_url = map_url
        self.qr = qr if qr is not None or map_url is None else qr_code(map_url)
        self.plan_name = plan_name
        self.set_margins(MARGIN_MM, MARGIN_MM, MARGIN_MM)
        # Breaks are placed by hand, between households, never inside one.
        self.set_auto_page_break(False, margin=FOOTER_MM)
        self.set_title(f"Walk list {listing.turf.turf_id}")
        self.set_author("Canvass Planner")
        self.set_creator("Canvass Planner")
        self.set_lang("en")
        self.width_mm = self.w - 2 * MARGIN_MM
        self.voter_mm = self.width_mm - UNIT_MM - AGE_MM - PARTY_MM - MARKS_MM
        self._voter_lines: list[marks.Line] = []
        self._door_lines: list[marks.Line] = []
        self._stamps: dict[int, tuple[str, tuple[int, ...]]] = {}
        self._continuing: tuple[Block, WalkStop | None] | None = None
        self._fits: dict[tuple[object, ...], str] = {}

    # -- pages --------------------------------------------------------------------------
    def render(self) -> None:
        listing = self.listing
        self._voter_lines = marks.voter_marks(
            listing.support[1], listing.questions, MARKS_MM - 1, self._text_mm
        )
        self._skip, self._blank = [[marks.Piece(0.0, marks.SKIP_DOOR, "label")]], list[marks.Line]()
        self._door_lines = marks.door_marks(
            listing.door_marks, self.width_mm - UNIT_MM - 1, self._text_mm
        )
        with self.batched():
            self.add_page()
            self._title_block()
            self._overview()
            self._column_heads()
            for block in self.listing.blocks:
                self._block(block)
        self._number_pages()

    def header(self) -> None:
        if self.page_no() == 1:
            return
        turf = self.listing.turf
        self.set_xy(MARGIN_MM, MARGIN_MM - 4)
        self.write_cell(
            self._pen(8, bold=True), self.width_mm / 2, 4, f"Turf {turf.turf_id} · walk list"
        )
        self.write_cell(
            self._pen(8, color=MUTED),
            self.width_mm / 2,
            4,
            f"Precinct {turf.precinct or '—'} · printed {self.listing.today}",
            align="R",
        )
        self._rule(MARGIN_MM + 0.8, 0.3, INK)
        self.set_xy(MARGIN_MM, MARGIN_MM + 1.2)
        legend_pen = self._pen(6.3, color=MUTED)
        legend_line = self._fitted(legend_pen, self._legend, self.width_mm)
        self.write_cell(legend_pen, self.width_mm, 3.2, legend_line)
        self.set_y(MARGIN_MM + 4.8)
        self._column_heads()
        if self._continuing is not None:
            block, stop = self._continuing
            self._block_heading(block, continued=True)
            if stop is not None:
                self._stop_heading(stop, continued=True)

    def footer(self) -> None:
        y = self.h - FOOTER_MM + 5
        self._rule(y - 1, 0.2, RULE)
        self.set_xy(MARGIN_MM, y)
        self.write_cell(
            self._pen(7.5, color=MUTED),
            self.width_mm / 2,
            4,
            f"Canvass Planner · plan {self.plan_name} · turf {self.listing.turf.turf_id}",
        )

    def _number_pages(self) -> None:
        """Write "page N of M" in every footer once M is known.

        fpdf2's alias for M costs a slow cell on every page, and it kept the width of its
        placeholder, so the number stood short of the right margin.
        """
        total = self.page
        self.use_pen(self._pen(7.5, color=MUTED))
        for page in range(1, total + 1):
            with self.on_page(page):
                self.set_xy(MARGIN_MM + self.width_mm / 2, self.h - FOOTER_MM + 5)
                self.put_cell(self.width_mm / 2, 4, f"page {page} of {total}", align="R")

    def _room_for(self, height_mm: float) -> None:
        if self.get_y() + height_mm > self.page_break_trigger:
            self.add_page()

    # -- first page ---------------------------------------------------------------------
    def _title_block(self) -> None:
        listing, turf = self.listing, self.listing.turf
        left_mm = self.width_mm - QR_MM - 6
        if self.qr is not None:
            self._qr(self.w - MARGIN_MM - QR_MM, MARGIN_MM)
        self.set_xy(MARGIN_MM, MARGIN_MM)
        self.write_cell(self._pen(18, bold=True), left_mm, 8, f"Turf {turf.turf_id}")
        facts = [
            ("Precinct", turf.precinct or "—"),
            ("Stops", str(len(listing.stops))),
            ("Doors", str(listing.doors)),
            ("Voters", str(listing.voters)),
            ("Estimated", f"{round(listing.minutes)} min"),
            ("Walk", f"{listing.walk_km:.1f} km"),
            ("Printed", listing.today),
        ]
        y = MARGIN_MM + 10
        widths = [self._fact_width(label, value) for label, value in facts]
        x = MARGIN_MM
        for (label, value), width in zip(facts, widths, strict=True):
            if x + width > MARGIN_MM + left_mm:
                x, y = MARGIN_MM, y + 9
            self.set_xy(x, y)
            self.write_cell(self._pen(7, color=MUTED), width, 3.5, label.upper())
            self.set_xy(x, y + 3.5)
            self.write_cell(self._pen(10.5, bold=True), width, 5, value)
            x += width
        self.set_xy(MARGIN_MM, y + 10)
        self.use_pen(self._pen(8.5))
        self.put_multi_cell(left_mm, 4, f"Target: {listing.target}")
        self.use_pen(self._pen(7.5, color=MUTED))
        self.put_multi_cell(left_mm, 3.6, self._link_line())
        self.set_y(max(self.get_y(), MARGIN_MM + QR_MM + 5) + 2)
        self._rule(self.get_y(), 0.5, INK)
        self.set_y(self.get_y() + 1.5)

    def _fact_width(self, label: str, value: str) -> float:
        value_mm = self.text_width(FONT, "B", 10.5, value)
        return max(value_mm, self.text_width(FONT, "", 7, label.upper())) + 6

    @property
    def _legend(self) -> str:
        return legend(self.listing.door_marks)

    def _overview(self) -> None:
        """The map of the turf beside how to mark and the survey questions."""
        bottom = draw_overview(
            self, self.listing, x=MARGIN_MM, y=self.get_y() + 1, width_mm=self.width_mm, font=FONT
        )
        self._rule(bottom + 2, 0.5, INK)
        self.set_y(bottom + 3.5)

    def _link_line(self) -> str:
        notice = self.listing.privacy_notice
        link = f"Your volunteer link: {self.map_url} (or scan the code)" if self.map_url else ""
        return (
            link or "To record results on your phone, ask your organiser for your volunteer link."
        ) + (f"\nWhat we do with personal data: {notice}" if notice else "")

    def _qr(self, x: float, y: float) -> None:
        assert self.qr is not None
        quiet = 2  # modules of white around it; the page margin adds the rest
        rows = [list(row) for row in self.qr.matrix_iter(scale=1, border=quiet)]
        module = QR_MM / len(rows)
        self.set_fill_color(0, 0, 0)
        with self.batched():
            self._qr_modules(rows, x, y, module)
        self.set_xy(x, y + QR_MM)
        self.write_cell(self._pen(7, color=MUTED), QR_MM, 3.5, "Scan to open your turf", "C")

    def _qr_modules(self, rows: list[list[int]], x: float, y: float, module: float) -> None:
        runs = [
            # A hair taller than a module, so rows print without seams between them.
            (x + run.start() * module, y + r * module, len(run[0]) * module, module + 0.02)
            for r, row in enumerate(rows)
            for run in _DARK_RUN.finditer(bytes(row))
        ]
        self.put_rects(runs, "F")

    # -- the list -----------------------------------------------------------------------
    def _column_heads(self) -> None:
        y = self.get_y()
        pen = self._pen(7, bold=True, color=MUTED)
        x = MARGIN_MM
        for label, width in (
            ("UNIT", UNIT_MM),
            ("VOTER", self.voter_mm),
            ("AGE", AGE_MM),
            ("PARTY", PARTY_MM),
            (self._marks_head, MARKS_MM),
        ):
            self.set_xy(x, y)
            self.write_cell(pen, width, 4, label)
            x += width
        self.set_y(y + 4.5)

    def _block(self, block: Block) -> None:
        first = block.stops[0]
        self._room_for(9 + 7 + self._household_mm(first.households[0]))
        self._block_heading(block)
        for stop in block.stops:
            self._continuing = (block, None)
            self._room_for(7 + self._household_mm(stop.households[0]))
            self._stop_heading(stop)
            self._continuing = (block, stop)
            for household in stop.households:
                self._room_for(self._household_mm(household))
                self._household(household)
        self._continuing = None

    def _block_heading(self, block: Block, *, continued: bool = False) -> None:
        y = self.get_y() + (0.5 if continued else 1.5)
        self._rule(y, 0.6, INK)
        self.set_xy(MARGIN_MM, y + 0.6)
        pen = self._heading_pen
        heading = self._fit(
            pen, block.heading + (" (continued)" if continued else ""), self.width_mm * 0.7
        )
        self.write_cell(pen, self.width_mm * 0.7, 6, heading)
        stops = len(block.stops)
        self.write_cell(
            self._detail_pen,
            self.width_mm * 0.3,
            6,
            f"{stops} stop{'s' if stops != 1 else ''} · {_doors(block.doors)}",
            align="R",
        )
        self._rule(y + 6.8, 0.2, INK)
        self.set_y(y + 7.3)

    def _stop_heading(self, stop: WalkStop, *, continued: bool = False) -> None:
        y = self.get_y() + 0.6
        badge = self._badge_pen
        number = str(stop.sequence)
        badge_mm = max(5.5, self.pen_width(badge, number) + 2.6)
        self.use_fill_color(INK)
        self.put_rounded_rect(MARGIN_MM, y + 0.5, badge_mm, 4.6, 2.3, "F")
        self.set_xy(MARGIN_MM, y + 0.5)
        self.write_cell(badge, badge_mm, 4.6, number, align="C")
        pen = self._address_pen
        self.set_xy(MARGIN_MM + badge_mm + 1.5, y)
        address = stop.address + (" (continued)" if continued else "")
        self.write_cell(pen, self.pen_width(pen, address) + 2, 5.6, address)
        detail = _doors(stop.doors)
        if stop.sequence > 1:
            detail += f" · {stop.leg_m} m from stop {stop.sequence - 1}"
        pen = self._detail_pen
        self.write_cell(pen, self.pen_width(pen, detail) + 2, 5.6, detail)
        self.set_y(y + 6.2)

    @property
    def _marks_head(self) -> str:
        label = self.listing.support[0].upper()
        return f"{label} · SURVEY" if self.listing.questions else label

    def _household_mm(self, household: Household) -> float:
        lines = len(household.voters) * max(1, len(self._voter_lines)) + len(self._door_lines)
        return lines * LINE_MM + 1.6

    def _household(self, household: Household) -> None:
        top = self.get_y()
        height = self._household_mm(household)
        per_voter = max(1, len(self._voter_lines)) * LINE_MM
        skip = household.skip  # the budget leaves the door out: no marks, a line saying so
        self._rule(top, 0.35, INK)
        y = top + 1.0
        self.set_xy(MARGIN_MM, y)
        pen = self._unit_pen
        self.write_cell(pen, UNIT_MM, LINE_MM, self._fit(pen, marks.unit_label(household), UNIT_MM))
        x_voter = MARGIN_MM + UNIT_MM
        x_marks = MARGIN_MM + self.width_mm - MARKS_MM + 1
        for i, voter in enumerate(household.voters):
            line_y = y + i * per_voter
            self._voter(voter, x_voter, line_y)
            self._pieces(self._blank if skip else self._voter_lines, x_marks, line_y)
        door_y = y + len(household.voters) * per_voter
        self._pieces(self._skip if skip else self._door_lines, x_voter + 1, door_y)
        self.set_y(top + height)

    def _voter(self, voter: dict[str, object], x: float, y: float) -> None:
        name = voter_name(voter)
        voter_id = "" if voter.get("voter_id") is None else str(voter["voter_id"])
        pen, id_pen = self._name_pen, self._voter_id_pen
        id_mm = self.pen_width(id_pen, voter_id) + 1.5 if voter_id else 0
        name = self._fit(pen, name, self.voter_mm - id_mm - 1.5)
        left = x + self.c_margin
        texts = [(pen, left, name)]
        if voter_id:
            texts.append((id_pen, left + self.pen_width(pen, name) + 1.5, voter_id))
        age, party = voter.get("age"), voter.get("party")
        if age is not None:
            texts.append((pen, left + self.voter_mm, str(age)))
        if party is not None:
            party_x = left + self.voter_mm + AGE_MM
            texts.append((pen, party_x, self._fit(pen, str(party), PARTY_MM)))
        self.write_texts(self._baseline(y, pen), texts)
        self.use_pen(pen)  # the line ends in the name's font, whatever it printed last

    def _pieces(self, lines: list[marks.Line], x: float, y: float) -> None:
        """Boxes, labels and a notes rule laid out by ``walklist_pdf_marks``, from ``x``, ``y``."""
        stamp = self._stamps.get(id(lines))
        if stamp is None:
            right_mm = MARGIN_MM + self.width_mm - 1 - x
            stamp = self._stamps[id(lines)] = marks.stamp(self, lines, right_mm=right_mm, font=FONT)
        self.put_stamp(stamp[0], x, y, stamp[1])

    def _baseline(self, top: float, pen: Pen) -> float:
        """Where text in ``pen`` sits on a line of ``LINE_MM`` starting at ``top``."""
        return top + LINE_MM / 2 + 0.3 * (pen.size_pt / self.k)  # 0.3 * FPDF.font_size

    def _text_mm(self, kind: Kind, text: str) -> float:
        if kind == "code":
            return self.text_width(FONT, "B", 7, text)
        return self.text_width(FONT, "", 7.5, text)

    # Pens of the list, looked up once a document (the fonts are added after __init__).
    @cached_property
    def _heading_pen(self) -> Pen:
        return self._pen(10.5, bold=True)

    @cached_property
    def _detail_pen(self) -> Pen:
        return self._pen(8, color=MUTED)

    @cached_property
    def _badge_pen(self) -> Pen:
        return self._pen(8.5, bold=True, color=WHITE)

    @cached_property
    def _address_pen(self) -> Pen:
        return self._pen(10, bold=True)

    @cached_property
    def _unit_pen(self) -> Pen:
        return self._pen(8.5, bold=True)

    @cached_property
    def _name_pen(self) -> Pen:
        return self._pen(8.5)

    @cached_property
    def _voter_id_pen(self) -> Pen:
        return self._pen(6.5, color=MUTED)

    # -- helpers --------------------------------------------------------------------------
    def _pen(self, size_pt: float, *, bold: bool = False, color: tuple[int, int, int] = INK) -> Pen:
        return self.pen(FONT, "B" if bold else "", size_pt, color)

    def _rule(self, y: float, width_mm: float, color: tuple[int, int, int]) -> None:
        self.put_rule(MARGIN_MM, MARGIN_MM + self.width_mm, y, width_mm, color)

    def _fitted(self, pen: Pen, text: str, width_mm: float) -> str:
        """``_fit``, kept for the document (the legend repeats on every page)."""
        key = (text, width_mm, pen)
        if key not in self._fits:
            self._fits[key] = self._fit(pen, text, width_mm)
        return self._fits[key]

    def _fit(self, pen: Pen, text: str, width_mm: float) -> str:
        """``text`` cut with an ellipsis to fit ``width_mm`` in ``pen``."""
        room = width_mm - 2 * self.c_margin
        if self.pen_width(pen, text) <= room:
            return text
        while text and self.pen_width(pen, text + "…") > room:
            text = text[:-1]
        return text + "…"


def _doors(count: int) -> str:
    return f"{count} door{'s' if count != 1 else ''}"
