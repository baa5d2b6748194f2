"""Stamps kept once per document as PDF Form XObjects and placed on pages with ``Do``.

A walk list draws the same marks on every line (a voter's answer boxes, a household's marks,
a badge): drawn in place they were three quarters of a page's content, which fpdf2 compresses
for every page. As forms they are written and compressed once; each place is one short line.
A form drawn in place inherits the graphics state (colours, line width) as its operators did
inline, and keeps what it sets to itself, so the page looks the same
(``tests/app/outputs/test_walklist_speed.py`` compares the pages drawn both ways).
"""

from __future__ import annotations

from fpdf import FPDF
from fpdf.enums import PDFResourceType
from fpdf.output import PDFPage
from fpdf.syntax import Name, PDFArray, PDFContentStream, PDFObject

FIRST_FORM = 100_000
"""Forms are numbered from here, far above fpdf2's image numbers (1, 2, ... per image)."""


class StampForm(PDFContentStream):
    """A Form XObject holding ``operators``, drawn from the page's origin.

    Its resources are those of ``page``, the first page it is placed on, which lists its fonts;
    fpdf2 makes them while writing the document.
    """

    def __init__(self, operators: str, *, compress: bool, box: list[str], page: PDFPage) -> None:
        super().__init__(operators.encode("latin-1"), compress=compress)
        self.type = Name("XObject")
        self.subtype = Name("Form")
        self.b_box = PDFArray(box)
        self._page = page

    @property
    def resources(self) -> PDFObject:
        """The resources object of the first page the form is placed on."""
        resources = self._page.resources
        assert isinstance(resources, PDFObject), "fpdf2's output gives every page its resources"
        return resources


class Forms:
    """The forms of one document, by their operators, and the pages each is placed on."""

    def __init__(self) -> None:
        self._numbers: dict[str, int] = {}
        self._on_pages: set[tuple[int, int]] = set()

    def place(self, pdf: FPDF, operators: str, fonts: tuple[int, ...] = ()) -> int:
        """The number of the form holding ``operators`` (made on first use) on ``pdf``'s page.

        The page's resources get the form and ``fonts``, the numbers of the fonts it uses.
        """
        number = self._numbers.get(operators)
        if number is None:
            number = self._numbers[operators] = FIRST_FORM + len(self._numbers)
            # Room all round: a shape drawn at the origin reaches beyond the page's corner.
            w, h = pdf.w_pt, pdf.h_pt
            box = [f"{-w:.2f}", f"{-h:.2f}", f"{2 * w:.2f}", f"{2 * h:.2f}"]
            page = pdf.pages[pdf.page]
            form = StampForm(operators, compress=pdf.compress, box=box, page=page)
            pdf._resource_catalog.form_xobjects.append((number, form))
        if (pdf.page, number) not in self._on_pages:
            self._on_pages.add((pdf.page, number))
            pdf._resource_catalog.add(PDFResourceType.X_OBJECT, number, pdf.page)
            for font in fonts:
                pdf._resource_catalog.add(PDFResourceType.FONT, font, pdf.page)
        return number
