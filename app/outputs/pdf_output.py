"""fpdf2's PDF output with each font's objects made once per process, not once per document.

fpdf2's ``output`` subsets every font a document uses with fontTools, saves the subset and
compresses it (with the code-to-glyph map) for every document: ~20 ms a face, half of a walk
list's time. What it writes depends only on the document's subset map (which glyph has which
code), and ``app.outputs.pdf_fonts`` starts every document's map with the same characters in
the same order, so most documents of a plan have the same map. ``SharedFontsOutput`` lets
fpdf2 write the font objects of a map the first time it sees it, keeps their contents, and
for the next document with that map makes the same objects from them.

The objects are made in the order fpdf2 makes them, with the same contents, so the PDF is the
same bytes as fpdf2's own output (``tests/app/outputs/test_walklist_speed.py`` compares them).

fpdf2 also finds each object's PDF keys by walking ``dir()`` of the object, about eighty names
of which a handful are keys; ``SharedFontsOutput`` gives each object it adds a walk over those
names only (the same keys in the same order): a tenth of writing a walk list.
"""

from __future__ import annotations

import contextlib
import functools
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from fpdf import FPDF
from fpdf.fonts import TTFFont
from fpdf.output import CIDSystemInfo, OutputProducer, PDFFont, PDFFontStream
from fpdf.syntax import Name, PDFArray, PDFContentStream, PDFObject, build_obj_dict

from app.outputs import pdf_fonts
from geo.disk_cache import pickled

if TYPE_CHECKING:
    from pathlib import Path

    from fpdf.fonts import Glyph

MAX_CACHED = 32
"""Subset maps kept per process (~50 KB each): a plan's usual one and its rarer letters."""


@dataclass(frozen=True)
class FontObjects:
    """What fpdf2 wrote for one font with one subset map, to write again as it is."""

    base_font: str
    widths: str
    to_unicode: bytes
    glyph_map: bytes
    """The compressed CIDToGIDMap stream."""
    program: bytes
    """The compressed font subset stream."""
    program_bytes: int
    """Its length before compression (``/Length1``)."""


SubsetKey = tuple[str, tuple[tuple["Glyph | None", int], ...]]
Stream = TypeVar("Stream", bound=PDFContentStream)


class _Cache:
    """Font objects by (font key, subset map), the most recently used kept."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._items: OrderedDict[SubsetKey, FontObjects] = OrderedDict()
        self._lock = threading.Lock()  # the web app writes PDFs from its thread pool
        self.hits = self.misses = 0

    def get(self, key: SubsetKey) -> FontObjects | None:
        with self._lock:
            found = self._items.get(key)
            if found is None:
                self.misses += 1
            else:
                self.hits += 1
                self._items.move_to_end(key)
            return found

    def peek(self, key: SubsetKey) -> FontObjects | None:
        """The objects kept by ``key``, if any, not counted as a use."""
        with self._lock:
            return self._items.get(key)

    def put(self, key: SubsetKey, objects: FontObjects) -> None:
        with self._lock:
            self._items[key] = objects
            while len(self._items) > self.size:
                self._items.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self.hits = self.misses = 0


font_objects = _Cache(MAX_CACHED)
"""Per process: pure values derived from the fonts shipped with the app, never from requests."""


def make_usual_font_objects(cache_dir: Path | None = None) -> None:
    """Make and keep the font objects of every face with the map all documents start with.

    A walk list drawn with ``BASE_CHARACTERS`` only has that map, so a process forked after
    this finds its fonts' objects from its first walk list on, instead of each worker making
    them again (~0.1 s of CPU a process). With ``cache_dir`` (the street-graph cache folder)
    they are kept on disk too, beside the parsed faces, and a new process reads them.
    """
    document = FPDF()
    pdf_fonts.add_fonts(document)
    document.add_page()
    faces = {face.key: face for face in pdf_fonts.faces()}
    fonts = sorted(document.fonts.values(), key=lambda font: font.i)
    keys = [_key(font, faces) for font in fonts]
    if all(key is not None and font_objects.peek(key) is not None for key in keys):
        return  # made earlier in this process (a server writing its next plan)
    if cache_dir is None or any(key is None for key in keys):
        document.output(output_producer_class=SharedFontsOutput)
        return

    def made(key: SubsetKey) -> FontObjects:
        objects = font_objects.peek(key)
        if objects is None:  # the document's output makes every face's
            document.output(output_producer_class=SharedFontsOutput)
            objects = font_objects.peek(key)
        assert objects is not None
        return objects

    for font, key in zip(fonts, keys, strict=True):
        assert key is not None
        entry = faces[font.fontkey].cache_entry(cache_dir, "objects")
        objects = pickled(entry, FontObjects, functools.partial(made, key), what="font")
        font_objects.put(key, objects)


class SharedFontsOutput(OutputProducer):
    """``OutputProducer`` for documents whose fonts ``pdf_fonts.add_fonts`` added.

    Pass as ``document.output(output_producer_class=SharedFontsOutput)``.
    """

    def _add_pdf_obj(self, pdf_obj: PDFObject, trace_label: str | None = None) -> int:
        _quick_keys(pdf_obj)
        number: int = super()._add_pdf_obj(pdf_obj, trace_label)
        return number

    def _add_fonts(self, *args: Any, **kwargs: Any) -> dict[int, Any]:
        fonts = sorted(self.fpdf.fonts.values(), key=lambda font: font.i)
        faces = {face.key: face for face in pdf_fonts.faces()}
        keys = [_key(font, faces) for font in fonts]
        found = [font_objects.get(key) if key is not None else None for key in keys]
        if self.fpdf._compliance is not None or any(objects is None for objects in found):
            # fpdf2 writes them; its subsets are cut from the font programs bound here.
            for font in fonts:
                if isinstance(font, TTFFont) and font.ttfont is None:
                    names = frozenset(font.subset.get_all_glyph_names())
                    font.ttfont = pdf_fonts.font_program(faces[font.fontkey], names).open()
            written: dict[int, Any] = super()._add_fonts(*args, **kwargs)
            for font, key in zip(fonts, keys, strict=True):
                if key is not None and self.fpdf._compliance is None:
                    font_objects.put(key, _kept(written[font.i]))
            return written
        written = {}
        for font, objects in zip(fonts, found, strict=True):
            assert isinstance(font, TTFFont) and objects is not None
            written[font.i] = self._add_font(font, objects)
        return written

    def _add_font(self, font: TTFFont, objects: FontObjects) -> PDFFont:
        """The objects fpdf2 makes for a TrueType font, in its order, from ``objects``."""
        composite = PDFFont(subtype="Type0", base_font=objects.base_font, encoding="Identity-H")
        self._add_pdf_obj(composite, "fonts")
        cid_font = PDFFont(
            subtype="CIDFontType2",
            base_font=objects.base_font,
            d_w=font.desc.missing_width,
            w=objects.widths,
        )
        self._add_pdf_obj(cid_font, "fonts")
        composite.descendant_fonts = PDFArray([cid_font])
        to_unicode = PDFContentStream(objects.to_unicode)
        self._add_pdf_obj(to_unicode, "fonts")
        composite.to_unicode = to_unicode
        system_info = CIDSystemInfo()
        self._add_pdf_obj(system_info, "fonts")
        cid_font.c_i_d_system_info = system_info
        descriptor = font.desc
        descriptor.font_name = Name(objects.base_font)
        self._add_pdf_obj(descriptor, "fonts")
        cid_font.font_descriptor = descriptor
        glyph_map = _compressed(PDFContentStream(b""), objects.glyph_map)
        self._add_pdf_obj(glyph_map, "fonts")
        cid_font.c_i_d_to_g_i_d_map = glyph_map
        program = _compressed(PDFFontStream(b""), objects.program)
        program.length1 = objects.program_bytes
        self._add_pdf_obj(program, "fonts")
        descriptor.font_file2 = program  # type: ignore[attr-defined]
        # What fpdf2 does after writing a font: its caches hold every map they have seen.
        font.subset.pick.cache_clear()
        font.subset.get_glyph.cache_clear()
        return composite


_CLASS_KEYS: dict[type, tuple[str, ...]] = {}
"""Per class: the names of ``dir()`` that may be PDF keys (public, neither ``id`` nor ``ref``)."""


def _class_keys(kind: type) -> tuple[str, ...]:
    keys = _CLASS_KEYS.get(kind)
    if keys is None:
        keys = _CLASS_KEYS[kind] = tuple(name for name in dir(kind) if _may_be_key(name))
    return keys


def _may_be_key(name: str) -> bool:
    return not name.startswith("_") and name not in ("id", "ref")


def _quick_keys(pdf_obj: PDFObject) -> None:
    """Let ``pdf_obj`` build its key map from the names that may be keys, not all of ``dir()``.

    ``dir()`` of an object is its class's names and its own, sorted; ``build_obj_dict`` drops
    the private ones and ``id`` and ``ref`` whatever their values, so leaving them out first
    gives the same map. Objects whose class builds its map otherwise are left alone.
    """
    if type(pdf_obj)._build_obj_dict is not PDFObject._build_obj_dict:
        return

    def build(security_handler: Any = None) -> dict[str, object]:
        own = [name for name in vars(pdf_obj) if _may_be_key(name)]
        names = sorted({*_class_keys(type(pdf_obj)), *own})
        values = {name: getattr(pdf_obj, name) for name in names}
        return build_obj_dict(values, _security_handler=security_handler, _obj_id=pdf_obj.id)

    with contextlib.suppress(AttributeError):  # one without a __dict__ keeps fpdf2's way
        pdf_obj._build_obj_dict = build  # type: ignore[method-assign]


def _key(font: object, faces: dict[str, pdf_fonts.Face]) -> SubsetKey | None:
    """What a font's objects are kept by; None if fpdf2 must write them.

    fpdf2 writes fonts that are not ours, and ours when drawn with glyphs they lack (it warns).
    """
    if (
        isinstance(font, TTFFont)
        and font.fontkey in faces
        and font.color_font is None
        and not font.is_cff
        and not font.missing_glyphs
    ):
        return font.fontkey, tuple(font.subset.items())
    return None


def _kept(composite: PDFFont) -> FontObjects:
    """The contents of the objects fpdf2 wrote for one font (``composite`` holds them all)."""
    assert composite.descendant_fonts is not None and composite.to_unicode is not None
    (cid_font,) = composite.descendant_fonts
    descriptor, glyph_map = cid_font.font_descriptor, cid_font.c_i_d_to_g_i_d_map
    assert descriptor is not None and glyph_map is not None and cid_font.w is not None
    program = descriptor.font_file2
    return FontObjects(
        base_font=str(composite.base_font),
        widths=cid_font.w,
        to_unicode=composite.to_unicode.content_stream(),
        glyph_map=glyph_map.content_stream(),
        program=program.content_stream(),
        program_bytes=program.length1,
    )


def _compressed(stream: Stream, data: bytes) -> Stream:
    """``stream`` holding ``data``, already compressed (``PDFContentStream(compress=True)``)."""
    stream._contents = data
    stream.filter = Name("FlateDecode")
    stream.length = len(data)
    return stream
