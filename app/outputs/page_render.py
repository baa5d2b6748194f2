"""A folium page rendered once: what each element renders is kept as text.

branca keeps what an element of a page rendered (its header, html and script parts) as
``Element(text)``, which compiles the text as a Jinja template and renders it again with the
page. Text from the organiser's files (a precinct id in a tooltip, a turf id) is in that text,
so a precinct called ``{{ cycler.__init__.__globals__.os.getcwd() }}`` ran as Python on the
machine that wrote the plan. And compiling re-reads every embedded GeoJSON: a fifth to a quarter
of a heat map's time. ``render_page`` renders a page with those parts kept as plain text.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import branca.element
import folium

_RENDERING = threading.Lock()


class _RenderedText:
    """What an element rendered, standing where branca puts a template made of it."""

    def __init__(self, text: str) -> None:
        self.text = text

    def render(self, *args: Any, **kwargs: Any) -> str:
        return self.text


@contextmanager
def _parts_kept_as_text() -> Iterator[None]:
    # While a page renders, every ``Element(text)`` branca and folium make holds text they have
    # rendered already (the page's own templates were compiled when their classes were made).
    with _RENDERING:
        template = branca.element.Template
        branca.element.Template = _RenderedText  # type: ignore[misc,assignment]
        try:
            yield
        finally:
            branca.element.Template = template  # type: ignore[misc]


def render_page(fmap: folium.Map) -> str:
    """The HTML page of ``fmap``, rendered once (no text of it runs as a template)."""
    with _parts_kept_as_text():
        page: str = fmap.get_root().render()
    return page
