"""What writing text in a font of one PDF document takes, worked out once per document.

``app.outputs.fast_pdf.FastPDF`` keeps, per font, each character's code in the document's
subset and its width, and each text it has written as a ``Tj`` operator; a ``Pen`` is a
font, size and text colour with those at hand. Colours, the same in every document, are
converted once per process.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from fpdf.drawing_primitives import DeviceCMYK, DeviceGray, DeviceRGB, convert_to_device_color
from fpdf.fonts import TTFFont

DeviceColour = DeviceGray | DeviceRGB | DeviceCMYK
Rgb = tuple[int, int, int]


@lru_cache(maxsize=256)
def device_colour(rgb: Rgb) -> DeviceColour:
    """``rgb`` as fpdf2's ``set_text_color`` and the like convert it, once per process."""
    return convert_to_device_color(*rgb)


@lru_cache(maxsize=256)
def fill_operator(colour: DeviceColour | None) -> str:
    """``colour`` as fpdf2 sets it for text (``0.3569 0.3961 0.4706 rg``), once per process."""
    assert colour is not None  # fpdf2 documents always have a text colour
    return colour.serialize().lower()


@dataclass(slots=True, eq=False)
class Pen:
    """A font, size and text colour of one document (``FastPDF.pen``)."""

    family: str
    style: str
    size_pt: float
    font: TTFFont
    colour: DeviceColour
    colour_operator: str
    """The colour as fpdf2 sets it for text (``0.3569 0.3961 0.4706 rg``)."""
    encoded: Encoded
    widths: Widths
    drop: float
    """How far below the middle of a cell its text's baseline is (mm), as ``FPDF.cell``."""
    _fill: DeviceColour | None = None
    _differs: bool = True

    def differs_from(self, fill: DeviceColour | None) -> bool:
        """Whether the colour is not ``fill`` (fpdf2 then sets it around the text), kept."""
        if fill is not self._fill:
            self._fill, self._differs = fill, self.colour != fill
        return self._differs


class Encoded(dict[str, str]):
    """Texts as ``Tj`` operators in a font (``TTFFont.encode_text``), each encoded once."""

    def __init__(self, font: TTFFont) -> None:
        super().__init__()
        self.codes = Codes(font)

    def __missing__(self, text: str) -> str:
        encoded = self[text] = f"({text.translate(self.codes)}) Tj"
        return encoded


class Codes(dict[int, str]):
    """A font's codes in a document's subset by character, escaped as in a ``Tj`` string.

    ``TTFFont.encode_text`` one character at a time (its escapes are of single characters),
    for ``str.translate``.
    """

    def __init__(self, font: TTFFont) -> None:
        super().__init__()
        self.font = font
        # The codes of characters the subset map holds already (a document's map starts with
        # many), read as pick() would find them: the glyph of the character's own cmap entry.
        self.picked = {
            glyph.unicode[0]: code
            for glyph, code in font.subset.items()
            if glyph is not None
            and isinstance(glyph.unicode, tuple)
            and len(glyph.unicode) == 1
            and font.glyph_ids.get(glyph.unicode[0]) == glyph.glyph_id
        }

    def __missing__(self, char: int) -> str:
        code = self.picked.get(char)
        if code is None:
            code = self.font.subset.pick(char)  # None: a glyph the font lacks (fpdf2 skips it)
        escaped = self[char] = "" if code is None else self.font.escape_text(chr(code))
        return escaped


class Widths(dict[str, float]):
    """A font's glyph widths (thousandths of the size) by character."""

    def __init__(self, font: TTFFont) -> None:
        super().__init__()
        self.font = font

    def __missing__(self, char: str) -> float:
        width = self[char] = self.font.cw[ord(char)]
        return width
