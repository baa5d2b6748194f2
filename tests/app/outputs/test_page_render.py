"""A folium page renders its parts once, as text, in the thread rendering it; pages built and
rendered by other threads meanwhile are as branca makes them (their own templates run)."""

from __future__ import annotations

import threading

import branca.element
import folium

from app.outputs import page_render
from app.outputs.page_render import render_page


def _map_with_a_tooltip(text: str) -> folium.Map:
    fmap = folium.Map(tiles=None)
    folium.Marker([60.17, 24.94], tooltip=folium.Tooltip(text)).add_to(fmap)
    return fmap


def test_rendered_text_is_not_rendered_again() -> None:
    page = render_page(_map_with_a_tooltip("{{ 6*7 }} {% if %}"))
    assert "{{ 6*7 }} {% if %}" in page
    assert 'class="folium-map"' in page


def test_a_page_made_in_another_thread_meanwhile_is_whole() -> None:
    made: dict[str, str] = {}

    def elsewhere() -> None:
        made["page"] = _map_with_a_tooltip("plain").get_root().render()
        # As branca's Div (and code of our own) make an element of a template to run.
        made["element"] = branca.element.Element("<b>{{ 6*7 }}</b>").render()

    with page_render._parts_kept_as_text():
        other = threading.Thread(target=elsewhere)
        other.start()
        other.join()
    assert "{% for" not in made["page"]
    assert 'class="folium-map"' in made["page"]
    assert "plain" in made["page"]
    assert made["element"] == "<b>42</b>"
