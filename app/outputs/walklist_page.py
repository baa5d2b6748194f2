"""The printable HTML page of a walk list (``walklists/<turf>.html``).

The template (``templates/walklist.html``) lays the page out; the tables of the stops, a row
per voter and most of the page, are written here (``stop_tables``): through jinja every field
of every voter cost a template lookup and an escape, 4 of the 5 ms a page took. Every value
from the data goes through ``markupsafe.escape``, the function the template's autoescaping
calls, so the page is the same as the template alone made it.
"""

from __future__ import annotations

import re
from dataclasses import fields

import segno
from jinja2 import Environment, PackageLoader, Template, select_autoescape
from markupsafe import Markup, escape

from app.outputs.paper import Paper
from app.outputs.qr_codes import qr_code, qr_svg_data_uri
from app.outputs.turf_sketch import sketch_svg
from app.outputs.walklist_marks import legend, marks_html
from app.outputs.walklists import Household, WalkList, WalkStop, voter_name

_templates = Environment(
    loader=PackageLoader("app.outputs", "templates"),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)
# Text inside a CSS string (the page's margin boxes): no quote or backslash ends it early.
_templates.filters["css_string"] = lambda text: re.sub(
    r"[\\\"\n<]", lambda m: f"\\{ord(m.group()):x} ", str(text)
)

_COLUMNS = (
    '  <colgroup><col class="unit"><col class="voter"><col class="age"><col class="party">'
    '<col class="marks"></colgroup>\n'
)
_SKIPPED_DOOR = (
    '<tr class="door"><td colspan="4">Skip this door: left for a later pass.</td></tr>\n'
)


def load_walklist_template() -> Template:
    """The walk-list page's template, compiled on first use and kept."""
    return _templates.get_template("walklist.html")


def walklist_html(
    listing: WalkList,
    *,
    map_url: str | None,
    qr: segno.QRCode | None = None,
    paper: Paper = "A4",
    files: str = "..",
) -> str:
    """The printable HTML page of a walk list, with a QR code of ``map_url``.

    ``map_url`` is the volunteer link of the person the turf is given to; None for a generic
    print, which carries no link and says to ask the organiser for one (a link opens the
    voters' data: it is never printed for whoever picks the paper up). ``qr`` is
    ``qr_code(map_url)`` if the caller has it already; ``paper`` is the page size the page asks
    the browser to print on (``@page size``); ``files`` is where the plan's files are from the
    page (``..`` beside them in the plan folder).
    """
    context = {f.name: getattr(listing, f.name) for f in fields(listing)}
    code = None if map_url is None else qr_svg_data_uri(qr_code(map_url) if qr is None else qr)
    sketch = listing.sketch
    title = f"Map of turf {listing.turf.turf_id}: the route and the stops in walking order"
    marks = marks_html(listing.door_marks, listing.support, listing.questions)
    return load_walklist_template().render(
        **context,
        qr_url=map_url,
        qr=code,
        files=files,
        paper=paper,
        legend=legend(listing.door_marks),
        skips=sum(h.skip for stop in listing.stops for h in stop.households),
        stop_tables=stop_tables(listing, **marks),
        sketch_svg="" if sketch is None else sketch_svg(sketch, title=title),
    )


def stop_tables(listing: WalkList, *, door_boxes: Markup, voter_marks: Markup) -> Markup:
    """The blocks of the walk list: a table per stop, a row per voter and one per door.

    ``door_boxes`` and ``voter_marks`` are what every door and voter row prints to mark
    (``walklist_marks.marks_html``).
    """
    survey = " · Survey" if listing.questions else ""
    heads = (
        '    <tr class="heads"><th class="unit">Unit</th><th class="voter">Voter</th>'
        '<th class="age">Age</th><th class="party">Party</th>'
        f'<th class="marks">{escape(listing.support[0])}{survey}</th></tr>\n'
    )
    door_row = f'<tr class="door"><td colspan="4">{door_boxes}<span class="notes">Notes</span>'
    door_row += "</td></tr>"
    voter_cells = f'      <td class="marks">{voter_marks}</td>\n    </tr>\n'
    parts = []
    for block in listing.blocks:
        parts.append('<section class="block">\n')
        stops, doors = len(block.stops), block.doors
        block_row = (
            f'    <tr class="block-row"><th colspan="5">{escape(block.heading)}\n'
            f"      <small>{stops} stop{_plural(stops)} · {doors} door{_plural(doors)}</small>"
            "</th></tr>\n"
        )
        for number, stop in enumerate(block.stops):
            start = " block-start" if number == 0 else ""
            parts.append(f'<table class="stop{start}">\n{_COLUMNS}  <thead>\n{block_row}')
            parts.append(_stop_row(stop))
            parts.append(f"{heads}  </thead>\n")
            for household in stop.households:
                parts.append(_household_rows(household, voter_cells))
                parts.append(_SKIPPED_DOOR if household.skip else door_row)
                parts.append("  </tbody>\n")
            parts.append("</table>\n")
        parts.append("</section>\n")
    return Markup("".join(parts))


def _stop_row(stop: WalkStop) -> str:
    doors, sequence = stop.doors, stop.sequence  # numbers: nothing to escape
    walk = f" · {stop.leg_m} m from stop {sequence - 1}" if sequence > 1 else ""
    return (
        f'    <tr class="stop-row"><th colspan="5"><span class="seq">{sequence}</span> '
        f"{escape(stop.address)}\n"
        f"      <small>{doors} door{_plural(doors)}{walk}</small></th></tr>\n"
    )


def _household_rows(household: Household, voter_cells: str) -> str:
    """The ``tbody`` of a door up to its door row: a row per voter."""
    skip = " skip" if household.skip else ""
    rows = [f'  <tbody class="household{skip}">\n']
    for number, voter in enumerate(household.voters):
        rows.append('    <tr class="voter">\n')
        if number == 0:
            mark = ' <b class="skip-mark">SKIP</b>' if household.skip else ""
            rows.append(
                f'<td class="unit" rowspan="{len(household.voters) + 1}">'
                f"{escape(household.unit or '—')}{mark}</td>"
            )
        age, voter_id = voter["age"], voter["voter_id"]
        rows.append(
            f'      <td class="voter">{escape(voter_name(voter))}'
            f' <span class="vid">{escape(voter_id if voter_id is not None else "")}</span></td>\n'
            f'      <td class="age">{escape(age if age is not None else "")}</td>\n'
            f'      <td class="party">{escape(voter["party"] or "")}</td>\n'
            f"{voter_cells}"
        )
    return "".join(rows)


def _plural(count: int) -> str:
    return "s" if count != 1 else ""
