"""The HTML walk list: text from the data is escaped wherever the page prints it."""

from __future__ import annotations

from dataclasses import replace

from markupsafe import escape

from app.outputs.walklist_page import walklist_html
from app.outputs.walklists import Household, group_blocks, walk_list, walklist_rows
from tests.app.conftest import BuiltPlan

HOSTILE = (
    "<script>window.__xss=1</script>",
    '"><b id=x>x</b>',
    "'; alert(1); '",
    '=HYPERLINK("http://evil.example","x")',
    "Fish & <Chips>",
)


def test_hostile_text_in_every_printed_field_comes_out_escaped(demo_plan: BuiltPlan) -> None:
    plan = demo_plan.plan
    turf = plan.turfs[0]
    listing = walk_list(plan, turf, walklist_rows(plan, turf))
    n = iter(range(10**6))

    def hostile() -> str:
        return HOSTILE[next(n) % len(HOSTILE)]

    stops = [
        replace(
            stop,
            address=hostile(),
            street=hostile(),
            households=[
                Household(
                    hostile(),
                    [{field: hostile() for field in voter} for voter in household.voters],
                    skip=index % 2 == 1,
                )
                for index, household in enumerate(stop.households)
            ],
        )
        for stop in listing.stops
    ]
    hostile_listing = replace(
        listing, stops=stops, blocks=group_blocks(stops), support=(hostile(), ("1", "2"))
    )
    page = walklist_html(hostile_listing, map_url=None)
    for text in HOSTILE:
        assert str(escape(text)) in page
        if escape(text) != text:
            assert text not in page
    assert "<script" not in page and "<b id=x>" not in page
    voters = sum(len(h.voters) for stop in stops for h in stop.households)
    assert page.count('<tr class="voter">') == voters
    assert page.count('class="household skip"') == sum(
        h.skip for stop in stops for h in stop.households
    )
