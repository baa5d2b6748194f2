"""A folium page rendered once: what each element renders is kept as text.

branca keeps what an element of a page rendered (its header, html and script parts) as
``Element(text)``, which compiles the text as a Jinja template and renders it again with the
page. Text from the organiser's files (a precinct id in a tooltip, a turf id) is in that text,
so a precinct called ``{{ cycler.__init__.__globals__.os.getcwd() }}`` ran as Python on the
machine that wrote the plan. And compiling re-reads every embedded GeoJSON: a fifth to a quarter
of a heat map's time. ``render_page`` renders a page with those parts kept as plain text; in
other threads meanwhile, branca makes its elements as ever.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import branca.element
import folium

_JINJA = branca.element.Template
_rendering = threading.local()


class _RenderedText:
    """What an element rendered, standing where branca puts a template made of it."""

    def __init__(self, text: str) -> None:
        self.text = text

    def render(self, *args: Any, **kwargs: Any) -> str:
        return self.text


def _template(source: str, *args: Any, **kwargs: Any) -> Any:
    # branca makes every ``Element(text)`` through this name. Only while this thread renders a
    # page is the text one that was rendered already; a page built meanwhile (in another
    # thread, say) gets its templates (the figure's own) as ever.
    if getattr(_rendering, "page", False):
        return _RenderedText(source)
    return _JINJA(source, *args, **kwargs)


branca.element.Template = _template  # type: ignore[misc,assignment]


@contextmanager
def _parts_kept_as_text() -> Iterator[None]:
    _rendering.page = True
    try:
        yield
    finally:
        _rendering.page = False


def render_page(fmap: folium.Map) -> str:
    """The HTML page of ``fmap``, rendered once (no text of it runs as a template)."""
    with _parts_kept_as_text():
        page: str = fmap.get_root().render()
    return page
