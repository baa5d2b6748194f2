"""The walk lists' PDF fonts, read and parsed once per process and shared by every document.

fpdf2's ``FPDF.add_font`` parses the TrueType file again for every document (cmap, metrics,
glyph names: ~40 ms for Roboto's two faces), and its ``output`` subsets each face with
fontTools, which decompiles the whole font again (~15 ms a face). fpdf2 has no API to share a
font between documents, so this module does it with fpdf2's own objects:

- each face is parsed once (``faces()``, cached): a ``TTFFont`` made by ``add_font`` is kept
  as a prototype, and every document gets a light copy of it (``add_fonts``) that shares the
  read-only tables (character map, glyph ids, descriptor values) and has its own subset map,
  widths and a lazily opened font program to subset;
- every document's subset starts with the same characters in the same order
  (``BASE_CHARACTERS``: printable ASCII, Latin-1 and the few symbols the walk lists print), so
  most documents of a plan embed the same subset and ``app.outputs.pdf_output`` makes its
  font objects once per process; a name with other letters adds its glyphs after them;
- a subset that is made is cut, when every glyph the document uses is in it, from the face
  already cut to ``COMMON_RANGES`` (Latin, punctuation, currency: ~1,000 of Roboto's 3,359
  glyphs) with the options fpdf2 subsets with, so fontTools has a third of the font to read;
  otherwise from the whole face (``font_program``).

Given the same subset map the PDF is the same, byte for byte, as fpdf2's ``add_font`` and
``output`` on a fresh document (a test compares them): cutting a font in two steps keeps the
same glyphs, in the same order, with the same metrics and the same character map entries.

fontTools logs every subsetting step at INFO (a county plan printed ~24,000 lines through the
CLI's INFO logging); that is an implementation detail of these PDFs, so its logger is set to
WARNING here.
"""

from __future__ import annotations

import copy
import io
import logging
import threading
from collections import defaultdict
from dataclasses import dataclass, replace
from importlib import resources
from pathlib import Path

from fontTools import subset as ftsubset  # type: ignore[import-untyped]
from fontTools import version as fonttools_version
from fontTools.ttLib import TTFont  # type: ignore[import-untyped]
from fpdf import FPDF, FPDF_VERSION
from fpdf.fonts import SubsetMap, TTFFont

from geo.disk_cache import file_digest, pickled

logging.getLogger("fontTools").setLevel(logging.WARNING)

FAMILY = "Roboto"
FONT_FILES = {"": "Roboto-Regular.ttf", "B": "Roboto-Bold.ttf"}
"""Roboto faces by fpdf2 style, as shipped in the ``font_roboto`` package."""
COMMON_RANGES = (
    (0x0000, 0x024F),  # Basic Latin to Latin Extended-B (fpdf2 maps U+0000 in every document)
    (0x1E00, 0x1EFF),  # Latin Extended Additional (Vietnamese, Welsh, ...)
    (0x2000, 0x206F),  # General Punctuation (– — … ·)
    (0x20A0, 0x20CF),  # Currency Symbols
)
"""What most walk lists print; a document with any other glyph embeds from the whole face."""
BASE_CHARACTERS = (
    "".join(map(chr, range(0x20, 0x7F)))  # printable ASCII
    + "".join(chr(c) for c in range(0xC0, 0x100) if c not in (0xD7, 0xF7))  # Latin-1 letters
    + "\u00a0·–—‘’“”…€"  # what the walk lists print besides names and addresses
)
"""Every document's subset starts with these, in this order: their glyphs and codes are the
same in every document, and so is the whole font subset of a document without other letters
(~165 glyphs where a walk list uses ~70: ~8 KB more per document, both faces)."""
_FACE_VERSION = 2
"""Raise when ``_parse_face`` or ``_cut`` change: cached faces are then parsed again."""
# The options fpdf2's OutputProducer subsets fonts with (fpdf2 2.8): the common cut is made
# with the same, so subsetting it again gives what subsetting the whole face gives.
_FPDF_DROPPED_TABLES = (
    "FFTM", "GDEF", "GPOS", "GSUB", "MATH", "hdmx", "meta", "sbix", "CBDT", "CBLC", "EBDT",
    "EBLC", "EBSC", "SVG ", "CPAL", "COLR",
)  # fmt: skip


@dataclass(frozen=True)
class FontProgram:
    """A TrueType font as bytes, with the glyph names fpdf2 knows its glyphs by."""

    data: bytes
    glyph_order: tuple[str, ...]
    covers: frozenset[str]
    """The glyphs a document may use for its subset to be cut from this font: glyphs whose
    every character map entry this font has (all of them for a whole face)."""

    def open(self) -> TTFont:
        """A fresh fontTools font over the bytes (tables are read when first used)."""
        font = TTFont(io.BytesIO(self.data), recalcTimestamp=False, lazy=True)
        # Roboto has no glyph names (post table format 3): give the ones fpdf2 derived.
        font.setGlyphOrder(list(self.glyph_order))
        return font


@dataclass(frozen=True)
class Face:
    """One parsed face: what every document's copy of it starts from."""

    key: str
    """fpdf2's font key (``"roboto"``, ``"robotoB"``)."""
    prototype: TTFFont
    full: FontProgram
    common: FontProgram
    """The face cut to ``COMMON_RANGES``."""
    base: SubsetMap
    """The subset map every document's starts as: ``BASE_CHARACTERS`` picked in order."""
    path: Path
    """The font file."""

    def cache_entry(self, cache_dir: Path, kind: str) -> Path:
        """Where ``cache_dir`` keeps what is made of this face as ``kind`` (``"objects"``)."""
        return _cache_entry(self.path, cache_dir, kind)


def _cache_entry(path: Path, cache_dir: Path, kind: str) -> Path:
    """Where ``cache_dir`` keeps what is made of the font file ``path`` as ``kind``.

    Keyed by the font's bytes, the versions of what makes it and ours, and the ranges and
    characters it is made for.
    """
    extra = (
        f"{kind} {_FACE_VERSION} {FPDF_VERSION} {fonttools_version} {COMMON_RANGES}"
        f" {BASE_CHARACTERS}"
    )
    return cache_dir / "fonts" / f"{kind}-{file_digest(path, extra)}.pickle"


def font_files() -> dict[str, Path]:
    """Roboto regular and bold as shipped in the ``font_roboto`` package.

    font-roboto installs as plain files (it is not zip-safe), so these are real paths.
    """
    folder = resources.files("font_roboto") / "files"
    return {style: Path(str(folder / name)) for style, name in FONT_FILES.items()}


_faces: tuple[Face, ...] | None = None
_faces_lock = threading.Lock()  # the web app writes PDFs from its thread pool


def faces(cache_dir: Path | None = None) -> tuple[Face, ...]:
    """Every face, parsed on first use and kept for the life of the process.

    With ``cache_dir`` (the street-graph cache folder) each parsed face is kept on disk too, so
    a new process (the CLI, a worker of a plan split by region) reads a face in a few
    milliseconds instead of parsing it (~40 ms) and cutting it (~200 ms).
    """
    global _faces
    with _faces_lock:
        if _faces is None:
            _faces = tuple(
                parse_face(style, path, cache_dir) for style, path in font_files().items()
            )
        return _faces


def parse_face(style: str, path: Path, cache_dir: Path | None = None) -> Face:
    """Read and parse one font file (what ``faces`` keeps), or find it parsed in ``cache_dir``.

    A parsed face is kept whole on disk (~1 MB: the font's bytes, its common cut and fpdf2's
    tables): a new process reads it in a few milliseconds instead of ~40 ms a face.
    """
    if cache_dir is None:
        return _parse_face(style, path)
    entry = _cache_entry(path, cache_dir, "face")
    face = pickled(entry, Face, lambda: _parse_face(style, path), what="font")
    # The same bytes may sit elsewhere (another environment sharing the cache folder).
    face.prototype.ttffile = path
    return replace(face, path=path)


def _parse_face(style: str, path: Path) -> Face:
    holder = FPDF()
    holder.add_font(FAMILY, style, path)
    key = f"{FAMILY.lower()}{style}"
    prototype = holder.fonts[key]
    assert isinstance(prototype, TTFFont) and prototype.color_font is None
    order = tuple(prototype.ttfont.getGlyphOrder())
    full = FontProgram(path.read_bytes(), order, frozenset(order))
    prototype.ttfont.close()  # each subset is cut from a font program opened for it
    prototype.ttfont = None
    # fpdf2's default for characters without a width is a lambda, which pickle cannot keep.
    widths = prototype.cw
    assert isinstance(widths, defaultdict) and widths.default_factory is not None
    prototype.cw = defaultdict(_Width(widths.default_factory()), widths)
    base = SubsetMap(prototype)
    for char in BASE_CHARACTERS:
        if ord(char) in prototype.glyph_ids:  # a missing one would be reported by every document
            base.pick(ord(char))
    base.pick.cache_clear()  # fpdf2 caches picks per map, in one cache for all of them
    return Face(key, prototype, full, _cut(full, prototype.cmap), base, path)


@dataclass(frozen=True)
class _Width:
    """The width fpdf2 gives a character the font has no width for."""

    value: float

    def __call__(self) -> float:
        return self.value


def _cut(full: FontProgram, cmap: dict[int, str]) -> FontProgram:
    """``full`` subset to the glyphs of ``COMMON_RANGES``, as fpdf2 would subset it.

    The cut keeps every character map entry of those glyphs (``µ`` and Greek ``μ`` are one
    glyph), so that subsetting it again to some of them gives the character map a subset of the
    whole face has. It also has the pieces accented glyphs are built from and the glyphs fpdf2
    always keeps, but a document using one of those directly is cut from the whole face.
    """
    covers = {cmap[c] for low, high in COMMON_RANGES for c in range(low, high + 1) if c in cmap}
    font = full.open()
    subsetter = ftsubset.Subsetter(subset_options())
    subsetter.populate(
        glyphs=sorted(covers), unicodes=sorted(c for c, glyph in cmap.items() if glyph in covers)
    )
    subsetter.subset(font)
    order = tuple(font.getGlyphOrder())
    data = io.BytesIO()
    font.save(data)
    font.close()
    return FontProgram(data.getvalue(), order, frozenset(covers))


def subset_options() -> ftsubset.Options:
    """fpdf2's subsetting options (``fpdf.output.OutputProducer._add_fonts``)."""
    options = ftsubset.Options(notdef_outline=True, recommended_glyphs=True)
    options.drop_tables += list(_FPDF_DROPPED_TABLES)
    return options


def add_fonts(document: FPDF) -> None:
    """Make every face available to ``document`` (``set_font(FAMILY, style, size)``).

    Replaces ``document.add_font(FAMILY, style, path)`` for each face, without parsing, and
    picks ``BASE_CHARACTERS``. Write the document with
    ``output(output_producer_class=pdf_output.SharedFontsOutput)``: fpdf2's own output would
    look for a font program these copies do not open.
    """
    for face in faces():
        document.fonts[face.key] = _copy(face, index=len(document.fonts) + 1)


def _copy(face: Face, *, index: int) -> TTFFont:
    """A document's own ``TTFFont`` of ``face``: shared read-only tables, fresh state."""
    prototype = face.prototype
    font = TTFFont.__new__(TTFFont)
    for name in TTFFont.__slots__:
        if hasattr(prototype, name):
            setattr(font, name, getattr(prototype, name))
    font.i = index
    font.desc = copy.copy(prototype.desc)  # output names it and numbers it as a PDF object
    font.cw = copy.copy(prototype.cw)  # a defaultdict: unknown characters get the default
    font.missing_glyphs = []
    font.biggest_size_pt = 0
    font._hbfont = None
    font.ttfont = None  # drawing does not read it; pdf_output subsets a font program
    font.subset = _base_map(face, font)
    return font


def _base_map(face: Face, font: TTFFont) -> SubsetMap:
    """A fresh subset map for ``font`` with ``BASE_CHARACTERS`` picked, as ``face.base``."""
    subset = copy.copy(face.base)
    subset.font = font
    subset._reserved = list(face.base._reserved)
    subset._char_id_per_glyph = dict(face.base._char_id_per_glyph)
    return subset


def pick_base_characters(font: TTFFont) -> None:
    """Pick ``BASE_CHARACTERS`` in ``font``'s subset map, as every document of ours does.

    For a font fpdf2's ``add_font`` made, on a document that has drawn nothing yet.
    """
    for char in BASE_CHARACTERS:
        if ord(char) in font.glyph_ids:
            font.subset.pick(ord(char))


def font_program(face: Face, glyph_names: frozenset[str]) -> FontProgram:
    """The font a subset of ``glyph_names`` is cut from: the common cut if it has them all."""
    return face.common if glyph_names <= face.common.covers else face.full
