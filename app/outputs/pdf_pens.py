"""What writing text in a font of one PDF document takes, worked out once per document.

``app.outputs.fast_pdf.FastPDF`` keeps, per font, each character's code in the document's
subset and its width, and each text it has written as a ``Tj`` operator; a ``Pen`` is a
font, size and text colour with those at hand.
"""

from __future__ import annotations

from dataclasses import dataclass

from fpdf.drawing_primitives import DeviceCMYK, DeviceGray, DeviceRGB
from fpdf.fonts import TTFFont

DeviceColour = DeviceGray | DeviceRGB | DeviceCMYK


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
    mm_per_unit: float
    """A glyph width (in thousandths of the size) in millimetres."""


class Encoded(dict[str, str]):
    """Texts as ``Tj`` operators in a font (``TTFFont.encode_text``), each encoded once."""

    def __init__(self, font: TTFFont) -> None:
        super().__init__()
        self.font = font
        self.codes = Codes(font)

    def __missing__(self, text: str) -> str:
        mapped = "".join(map(self.codes.__getitem__, text))
        encoded = self[text] = f"({self.font.escape_text(mapped)}) Tj"
        return encoded


class Codes(dict[str, str]):
    """A font's codes in a document's subset by character, as text (``TTFFont.encode_text``)."""

    def __init__(self, font: TTFFont) -> None:
        super().__init__()
        self.font = font

    def __missing__(self, char: str) -> str:
        code = self.font.subset.pick(ord(char))  # None: a glyph the font lacks (fpdf2 skips it)
        mapped = self[char] = "" if code is None else chr(code)
        return mapped


class Widths(dict[str, float]):
    """A font's glyph widths (thousandths of the size) by character."""

    def __init__(self, font: TTFFont) -> None:
        super().__init__()
        self.font = font

    def __missing__(self, char: str) -> float:
        width = self[char] = self.font.cw[ord(char)]
        return width
