"""fpdf2 drawing without its per-call overhead, for documents of many small, similar pieces.

A walk list draws a few thousand strings, boxes and rules; fpdf2's ``text``, ``cell``, ``line``
and ``get_string_width`` are general (text shaping, markdown, underline, colour conversion) and
cost most of the time. ``FastPDF``'s methods write exactly the operators of the fpdf2 calls they
stand for and fall back to them whenever the document uses something they do not handle. Text
is drawn with pens (``app.outputs.pdf_pens``: each text encoded and each character measured once
a document), what is drawn inside ``batched()`` goes onto its page in one piece, and shapes
and stamps drawn many times are kept once as forms (``app.outputs.pdf_forms``).
``tests/app/outputs/test_walklist_speed.py`` draws a walk list both ways and compares the bytes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from fpdf import FPDF
from fpdf.enums import PDFResourceType, RenderStyle, TextMode
from fpdf.fonts import TTFFont
from fpdf.graphics_state import GraphicsState

from app.outputs.pdf_forms import Forms
from app.outputs.pdf_pens import Encoded, Pen, Rgb, Widths, device_colour, fill_operator

Shape = tuple[float, float, float, str]  # width, height, radius and style of a shape drawn once
_OPERATORS = {"D": "S", "F": "f", "DF": "B"}  # fpdf.enums.RenderStyle.operator


class FastPDF(FPDF):
    """``FPDF`` with faster ``put_text``, ``put_cell``, ``put_line``, ``write_cell`` and more."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self._encodings: dict[str, Encoded] = {}
        self._widths: dict[str, Widths] = {}
        self._selects: dict[tuple[int, float], str] = {}
        self._fonts_on_pages: set[tuple[int, int]] = set()
        self._pens: dict[tuple[str, str, float, Rgb], Pen] = {}
        self._shapes: dict[Shape, str] = {}
        self._forms = Forms()
        self._fonts_by_name: dict[tuple[str, str], Any] = {}
        self._batch: list[str] | None = None
        self._plain: bool | None = None
        """Inside ``batched()``: ``_plain_ttf_text()`` as last checked (None: check again)."""

    def _is_plain(self) -> bool:
        """``_plain_ttf_text()``, checked once per ``batched()`` block and font change."""
        if self._batch is None:
            return self._plain_ttf_text()
        if self._plain is None:
            self._plain = self._plain_ttf_text()
        return self._plain

    def _plain_ttf_text(self) -> bool:
        """Whether text is set the simple way these methods reproduce."""
        return (
            isinstance(self.current_font, TTFFont)
            and not self.underline
            and not self.strikethrough
            and not self._record_text_quad_points
            and self.text_mode == TextMode.FILL
            and self.text_shaping is None
            and self.char_spacing == 0
            and self.font_stretching == 100
            and not self.current_font.is_symbol
        )

    def put_text(self, x: float, y: float, text: str) -> None:
        """What ``FPDF.text(x, y, text)`` writes."""
        font = self.current_font
        if not self.page or not self._is_plain():
            self.text(x, y, text)
            return
        assert isinstance(font, TTFFont)
        k, colour, fill = self.k, self.text_color, self.fill_color
        operators = f"BT {x * k:.2f} {(self.h - y) * k:.2f} Td {self._encoding(font)[text]} ET"
        if colour is not fill and colour != fill:
            operators = f"q {fill_operator(colour)} {operators} Q"
        if not self.current_font_is_set_on_page:
            operators = f"{self._font_on_page()}\n{operators}"
        self._out(operators)

    def _font_on_page(self) -> str:
        """fpdf2's ``_set_font_for_page``: the font's ``Tf``, its resource added once a page."""
        font, size = self.current_font, self.font_size_pt
        assert font is not None
        if (self.page, font.i) not in self._fonts_on_pages:
            self._fonts_on_pages.add((self.page, font.i))
            self._resource_catalog.add(PDFResourceType.FONT, font.i, self.page)
        self.current_font_is_set_on_page = True
        select = self._selects.get((font.i, size))
        if select is None:
            select = self._selects[font.i, size] = f"BT /F{font.i} {size:.2f} Tf ET"
        return select

    def pen(self, family: str, style: str, size_pt: float, rgb: Rgb) -> Pen:
        """A font already added (style B or ""), its size and a text colour, made once."""
        key = (family, style, size_pt, rgb)
        pen = self._pens.get(key)
        if pen is None:
            font = self.fonts[family.lower() + style]
            assert isinstance(font, TTFFont) and not font.is_symbol
            colour = device_colour(rgb)
            pen = self._pens[key] = Pen(
                family=family,
                style=style,
                size_pt=size_pt,
                font=font,
                colour=colour,
                colour_operator=fill_operator(colour),
                encoded=self._encoding(font),
                widths=self._widths_of(font),
                drop=0.3 * (size_pt / self.k),
            )
        return pen

    def use_pen(self, pen: Pen) -> None:
        """``use_font`` and ``use_text_color`` of ``pen``."""
        state = self._state()
        if state.current_font is not pen.font or state.font_size_pt != pen.size_pt:
            self.use_font(pen.family, pen.style, pen.size_pt)
        if state.text_color is not pen.colour:
            state.text_color = pen.colour

    def pen_width(self, pen: Pen, text: str) -> float:
        """``string_width(text)`` in ``pen``, without selecting it."""
        return sum(map(pen.widths.__getitem__, text)) * pen.size_pt * 0.001 / self.k

    def write_texts(self, y: float, texts: list[tuple[Pen, float, str]]) -> None:
        """``use_pen(pen)``, then ``put_text(x, y, text)``, for each of ``texts``."""
        batch = self._batch
        if batch is None or not self._plain_batch():
            for pen, x, text in texts:
                self.use_pen(pen)
                self.put_text(x, y, text)
            return
        k, state = self.k, self._state()
        top = f"{(self.h - y) * k:.2f}"
        for pen, x, text in texts:
            if state.current_font is not pen.font or state.font_size_pt != pen.size_pt:
                self.use_font(pen.family, pen.style, pen.size_pt)
            colour, fill = pen.colour, state.fill_color
            state.text_color = colour
            if not state.current_font_is_set_on_page:
                batch.append(self._font_on_page())
            if colour is fill or not pen.differs_from(fill):
                batch.append(f"BT {x * k:.2f} {top} Td {pen.encoded[text]} ET")
            else:
                operators = f"BT {x * k:.2f} {top} Td {pen.encoded[text]} ET"
                batch.append(f"q {pen.colour_operator} {operators} Q")

    def write_cell(self, pen: Pen, w: float, h: float, text: str, align: str = "L") -> None:
        """``use_pen(pen)``, then ``put_cell(w, h, text, align)``."""
        state = self._state()
        if state.current_font is not pen.font or state.font_size_pt != pen.size_pt:
            self.use_font(pen.family, pen.style, pen.size_pt)
        state.text_color = pen.colour
        batch, alias = self._batch, self.str_alias_nb_pages
        if (
            batch is None
            or not w
            or not text
            or not self._plain_batch()
            or (alias and alias in text)
        ):
            self.put_cell(w, h, text, align)
            return
        k = self.k
        if align == "L":
            dx = self.c_margin
        else:
            width = sum(map(pen.widths.__getitem__, text)) * pen.size_pt * 0.001 / k
            dx = w - self.c_margin - width if align == "R" else (w - width) / 2
        operators = (
            f"BT {(self.x + dx) * k:.2f} {(self.h - self.y - 0.5 * h - pen.drop) * k:.2f} Td"
        )
        if not state.current_font_is_set_on_page:
            batch.append(self._font_on_page())
        colour, fill = pen.colour, state.fill_color
        if colour is fill or not pen.differs_from(fill):
            batch.append(f"{operators} {pen.encoded[text]} ET")
        else:
            batch.append(f"q {operators} {pen.colour_operator} {pen.encoded[text]} ET Q")
        self._lasth = h
        self.x += w

    def _plain_batch(self) -> bool:
        """Inside ``batched()``: whether pens may write their text as ``put_cell`` does."""
        plain = self._plain
        if plain is None:
            plain = self._plain = self._plain_ttf_text()
        return (
            plain and bool(self.page) and not self.auto_page_break and not self._fallback_font_ids
        )

    def _state(self) -> GraphicsState:
        """fpdf2's graphics state, whose fields the font and colour properties stand for."""
        return self._GraphicsStateMixin__statestack[-1]  # type: ignore[attr-defined]

    def put_rects(self, rects: list[tuple[float, float, float, float]], style: str = "D") -> None:
        """What ``FPDF.rect(x, y, w, h, style)`` writes (square corners) for each of ``rects``."""
        if not self.page:
            for x, y, w, h in rects:
                self.rect(x, y, w, h, style)
            return
        k, top, operator = self.k, self.h, _OPERATORS[style]
        self._out(
            "\n".join(
                f"{x * k:.2f} {(top - y) * k:.2f} {w * k:.2f} {-h * k:.2f} re {operator}"
                for x, y, w, h in rects
            )
        )

    def put_rule(self, x1: float, x2: float, y: float, width: float, rgb: Rgb) -> None:
        """``use_draw_color(rgb)``, ``set_line_width(width)``, then ``put_line(x1, y, x2, y)``."""
        state, colour = self._state(), device_colour(rgb)
        if state.draw_color is not colour and state.draw_color != colour:
            self.set_draw_color(colour)
        if not self.page:
            self.set_line_width(width)
            self.line(x1, y, x2, y)
            return
        k, top = self.k, (self.h - y) * self.k
        line = f"{x1 * k:.2f} {top:.2f} m {x2 * k:.2f} {top:.2f} l S"
        if state.line_width != width:
            state.line_width = width
            line = f"{width * k:.2f} w\n{line}"
        self._out(line)

    def put_line(self, x1: float, y1: float, x2: float, y2: float) -> None:
        """What ``FPDF.line(x1, y1, x2, y2)`` writes."""
        if not self.page:
            self.line(x1, y1, x2, y2)
            return
        self._out(
            f"{x1 * self.k:.2f} {(self.h - y1) * self.k:.2f} m {x2 * self.k:.2f} "
            f"{(self.h - y2) * self.k:.2f} l S"
        )

    def put_cell(self, w: float, h: float, text: str, align: str = "L") -> None:
        """What ``FPDF.cell(w, h, text, align=align)`` writes, for one line of plain text.

        No border, fill or link; the position moves right by ``w``, as ``cell`` does.
        """
        font = self.current_font
        if (
            not self.page
            or not w
            or not text
            or self.auto_page_break
            or self._fallback_font_ids
            or (self.str_alias_nb_pages and self.str_alias_nb_pages in text)
            or not self._is_plain()
        ):
            self.cell(w, h, text, align=align)
            return
        assert isinstance(font, TTFFont)
        if align == "L":
            dx = self.c_margin
        else:
            width = sum(map(self._widths_of(font).__getitem__, text))
            width *= self.font_size_pt * 0.001 / self.k
            dx = w - self.c_margin - width if align == "R" else (w - width) / 2
        encoded = self._encoding(font)[text]
        k = self.k
        top = (self.h - self.y - 0.5 * h - 0.3 * self.font_size) * k
        operators = f"BT {(self.x + dx) * k:.2f} {top:.2f} Td"
        colour, fill = self.text_color, self.fill_color
        if colour is not fill and colour != fill:
            operators = f"q {operators} {fill_operator(colour)} {encoded} ET Q"
        else:
            operators = f"{operators} {encoded} ET"
        if not self.current_font_is_set_on_page:
            operators = f"{self._font_on_page()}\n{operators}"
        self._out(operators)
        self._lasth = h
        self.x += w

    def string_width(self, text: str) -> float:
        """``FPDF.get_string_width(text)``: the same sum, without fpdf2's text fragments."""
        font = self.current_font
        if (
            not text
            or not self._is_plain()
            or self._fallback_font_ids
            or (self.str_alias_nb_pages and self.str_alias_nb_pages in text)
        ):
            return self.get_string_width(text)
        assert isinstance(font, TTFFont)
        # fpdf.fonts.TTFFont.get_text_width, then fpdf.line_break.Fragment.get_width
        size_pt = self.font_size_pt
        return sum(map(self._widths_of(font).__getitem__, text)) * size_pt * 0.001 / self.k

    def text_width(self, family: str, style: str, size_pt: float, text: str) -> float:
        """``text``'s width in a font already added, without selecting it (``string_width``)."""
        font = self.fonts[family.lower() + style]
        if not isinstance(font, TTFFont) or font.is_symbol:
            return float(font.get_text_width(text, size_pt, None)[1]) / self.k
        return sum(map(self._widths_of(font).__getitem__, text)) * size_pt * 0.001 / self.k

    def _widths_of(self, font: TTFFont) -> Widths:
        widths = self._widths.get(font.fontkey)
        if widths is None:
            widths = self._widths[font.fontkey] = Widths(font)
        return widths

    def _encoding(self, font: TTFFont) -> Encoded:
        """Text as ``Tj`` operators in ``font`` (``TTFFont.encode_text``), by text."""
        encoded = self._encodings.get(font.fontkey)
        if encoded is None:
            encoded = self._encodings[font.fontkey] = Encoded(font)
        return encoded

    def put_rounded_rect(
        self, x: float, y: float, w: float, h: float, radius: float, style: str = "F"
    ) -> None:
        """``FPDF.rect(x, y, w, h, style, round_corners=True, corner_radius=radius)``, moved.

        fpdf2 draws the path at the page's top-left corner once per size (its arcs cost a
        millisecond a hundred), and the page places it with a ``cm`` like ``put_stamp``.
        """

        def draw() -> None:
            self._draw_rounded_rect(0, 0, w, h, RenderStyle.coerce(style), True, radius)

        self._place((w, h, radius, style), x, y, draw)

    def put_circle(self, x: float, y: float, radius: float, style: str = "D") -> None:
        """``FPDF.circle(x, y, radius, style)`` (centred on x, y), drawn once per size and moved."""
        self._place((radius, radius, -1.0, style), x, y, lambda: self.circle(0, 0, radius, style))

    def _place(self, key: Shape, x: float, y: float, draw: Callable[[], object]) -> None:
        """What ``draw`` draws at the page's top-left corner (kept by ``key``), placed at x, y."""
        shape = self._shapes.get(key)
        if shape is None:
            outer, self._batch = self._batch, []  # what draw() writes, kept from the page
            try:
                draw()
                shape = self._shapes[key] = "\n".join(self._batch)
            finally:
                self._batch = outer
        self._put_form(shape, x, y)

    def _put_form(self, operators: str, x: float, y: float, fonts: tuple[int, ...] = ()) -> None:
        form = self._forms.place(self, operators, fonts)
        self._out(f"q 1 0 0 1 {x * self.k:.2f} {-y * self.k:.2f} cm /I{form} Do Q")

    def put_multi_cell(self, w: float, h: float, text: str) -> None:
        """``FPDF.multi_cell(w, h, text)``, then back to the left edge.

        As ``put_cell`` when the text is one line that fits (multi_cell justifies every line
        but the last, so longer text is left to it).
        """
        x = self.x
        if "\n" in text or self.string_width(text) > w - 2 * self.c_margin:
            self.multi_cell(w, h, text)
            self.set_x(x)
            return
        self.put_cell(w, h, text)
        self.set_xy(x, self.y + h)

    def put_paragraph(self, w: float, h: float, text: str) -> None:
        """Plain text across ``w``, then back to the left edge below it.

        Broken at the last space that fits, ragged right; a word wider than ``w`` runs over.
        """
        x, room = self.x, w - 2 * self.c_margin
        line = ""
        for word in text.split(" "):
            wider = f"{line} {word}" if line else word
            if line and self.string_width(wider) > room:
                self.put_cell(w, h, line)
                self.set_xy(x, self.y + h)
                wider = word
            line = wider
        self.put_cell(w, h, line)
        self.set_xy(x, self.y + h)

    def use_font(self, family: str, style: str, size_pt: float) -> None:
        """``FPDF.set_font(family, style, size_pt)`` for a font already added (style B or "")."""
        font = self._fonts_by_name.get((family, style))
        if font is None:
            font = self.fonts.get(family.lower() + style)
            if font is None or style not in ("", "B"):
                self.set_font(family, style, size_pt)
                return
            self._fonts_by_name[family, style] = font
        state = self._state()
        if state.underline or state.strikethrough:
            self.set_font(family, style, size_pt)
            return
        if state.current_font is font and state.font_size_pt == size_pt:
            return  # one font object per family and style: nothing changes
        # What set_font does once it has checked its arguments ("Select it").
        state.font_family = family.lower()
        state.font_style = style
        state.font_size_pt = size_pt
        state.current_font = font
        state.current_font_is_set_on_page = False
        if not isinstance(font, TTFFont) or font.is_symbol:
            self._plain = None

    def set_font(self, *args: Any, **kwargs: Any) -> None:  # noqa: D102
        super().set_font(*args, **kwargs)
        self._plain = None

    def _beginpage(self, *args: Any, **kwargs: Any) -> None:
        # Inside batched(), add_page draws the footer and the header too: what was drawn goes
        # onto the page it was drawn on before the next one begins.
        batch = self._batch
        if batch:
            super()._out("\n".join(batch))
            batch.clear()
        super()._beginpage(*args, **kwargs)
        self._plain = None

    def use_text_color(self, rgb: Rgb) -> None:
        """``FPDF.set_text_color(*rgb)``, with the colour converted once."""
        if self.text_color != (colour := device_colour(rgb)):
            self.text_color = colour

    def use_fill_color(self, rgb: Rgb) -> None:
        """``FPDF.set_fill_color(*rgb)``, with the colour converted once."""
        colour = device_colour(rgb)
        if self.fill_color != colour:
            self.set_fill_color(colour)

    def use_draw_color(self, rgb: Rgb) -> None:
        """``FPDF.set_draw_color(*rgb)``, with the colour converted once."""
        colour = device_colour(rgb)
        if self.draw_color != colour:
            self.set_draw_color(colour)

    def stamp_font(self, family: str, style: str, size_pt: float) -> tuple[int, str]:
        """A font for ``put_stamp`` operators: its number and its ``Tf`` operator."""
        font = self.fonts[family.lower() + style]
        return font.i, f"/F{font.i} {size_pt:.2f} Tf"

    def stamp_text(self, family: str, style: str, text: str) -> str:
        """``text`` encoded in a font for ``put_stamp`` operators (its ``Tj``)."""
        font = self.fonts[family.lower() + style]
        assert isinstance(font, TTFFont)
        return str(font.encode_text(text))

    def put_stamp(self, operators: str, x: float, y: float, fonts: tuple[int, ...] = ()) -> None:
        """Write ``operators`` made for the page's top-left corner with that corner at x, y.

        A stamp is drawn once per document and placed many times (a line of boxes on every
        household): it is stored once, as a form, in its own graphics state (colours, line
        width and font it sets end with it); ``fonts`` are the numbers of the fonts it uses.
        """
        self._put_form(operators, x, y, fonts)

    @contextmanager
    def on_page(self, page: int) -> Iterator[None]:
        """Draw on ``page``, already drawn on, then go on where the document was.

        What is drawn there is set apart (``q``/``Q``) with the fill colour the document has
        now, so colours compare as they do on the current page.
        """
        assert self._batch is None, "not inside batched()"
        current = self.page
        self.page = page
        self.current_font_is_set_on_page = False
        fill = self.fill_color
        self._out("q" if fill is None else f"q {fill.serialize().lower()}")
        try:
            yield
        finally:
            self._out("Q")
            self.page = current
            self.current_font_is_set_on_page = False

    @contextmanager
    def batched(self) -> Iterator[None]:
        """Write everything drawn inside as one piece of each page it draws on.

        The page gets the same bytes: each ``_out`` adds its text and a newline. Inside, the
        text state (underline, spacing, text mode, ...) is checked once, so draw with this
        class's methods and ``set_font`` only.
        """
        if self._batch is not None:
            yield
            return
        self._batch = []
        self._plain = None
        try:
            yield
        finally:
            batch, self._batch, self._plain = self._batch, None, None
            if batch:
                super()._out("\n".join(batch))

    def _out(self, s: str | bytes) -> None:
        if self._batch is None:
            super()._out(s)
        else:
            self._batch.append(s.decode("latin1") if isinstance(s, bytes) else str(s))
