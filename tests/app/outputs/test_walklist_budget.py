"""A turf the budget works only in part: its printed walk list marks the doors to skip."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from pypdf import PdfReader

from app.outputs.walklist_page import walklist_html
from app.outputs.walklist_pdf import walklist_pdf
from app.outputs.walklist_reprint import read_walk_list
from app.outputs.walklists import walk_list, walklist_rows
from app.outputs.writer import write_plan
from app.plan_folder import PlanFolder
from app.planning.pipeline import Plan, run_plan
from app.planning.request import PlanRequest
from tests.app.conftest import BuiltPlan

VALUE = "support_score * (100 - turnout_score) / 100"


@pytest.fixture(scope="module")
def budget_plan(demo_plan: BuiltPlan) -> Plan:
    inputs = demo_plan.inputs
    return run_plan(
        PlanRequest(
            voters=inputs.voters,
            precincts=inputs.precincts,
            streets=inputs.streets,
            target=demo_plan.plan.request.target,
            hours=8.0,
            value=VALUE,
        )
    )


def test_skipped_doors_are_marked_on_the_html_and_pdf_walk_list(budget_plan: Plan) -> None:
    plan = budget_plan
    assert plan.budget is not None
    table, record = plan.budget.turfs, plan.budget.record
    # On the demo a piece of a turf still reaches more than whole turfs (the re-cut's value is
    # recorded beside): those pieces are what the paper has to show.
    assert record["turfs_trimmed"] > 0 and not record["recut"]["used"]
    assert record["recut"]["whole_value"] < record["recut"]["trimmed_value"] == record["value"]
    assert record["doors_skipped"] == len(plan.budget.skipped) > 0
    trimmed = table.loc[table["in_budget"] & (table["knock_value_min"] > 0)].index
    whole = table.loc[table["in_budget"] & (table["knock_value_min"] == 0)].index
    turfs = {t.turf_id: t for t in plan.turfs}
    for turf_id in [trimmed[0], *whole[:1]]:
        turf = turfs[turf_id]
        listing = walk_list(plan, turf, walklist_rows(plan, turf))
        households = [h for stop in listing.stops for h in stop.households]
        skipped = sum(h.skip for h in households)
        knocked = int(table.loc[turf_id, "budget_doors"])
        # Exactly the doors the budget leaves out; the others are the budget's doors.
        assert skipped == len(households) - knocked
        assert skipped > 0 if turf_id in trimmed else skipped == 0
        html = walklist_html(listing, map_url=None)
        assert html.count('class="household skip"') == skipped
        assert html.count("Skip this door") == skipped
        if skipped:
            assert f"Knock {knocked} of {len(households)} doors." in html
        pdf = walklist_pdf(listing, map_url=None, plan_name="demo")
        text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
        assert text.count("SKIP this door") == skipped
        assert text.count("SKIP ") >= 2 * skipped  # the unit column says it too


def test_a_walk_list_printed_again_for_a_volunteer_marks_the_same_doors(
    budget_plan: Plan, tmp_path: Path
) -> None:
    """An assignment's reprint is read back from the folder: its SKIP marks come from there."""
    write_plan(budget_plan, tmp_path / "weekend")
    assert budget_plan.budget is not None
    table = budget_plan.budget.turfs
    trimmed = str(table.loc[table["in_budget"] & (table["knock_value_min"] > 0)].index[0])
    listing = read_walk_list(PlanFolder(tmp_path / "weekend"), trimmed)
    skipped = sum(h.skip for stop in listing.stops for h in stop.households)
    assert skipped > 0
    reprint = walklist_html(listing, map_url=None)
    generic = (tmp_path / "weekend" / "walklists" / f"{trimmed}.html").read_text(encoding="utf-8")

    def body(page: str) -> str:
        return page[page.index("<main>") :]

    assert body(reprint) == body(generic)
    assert reprint.count("Skip this door") == skipped
