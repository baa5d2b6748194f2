"""The whole demo plan, checked the way an organiser would check it."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET

import geopandas as gpd
import pandas as pd
import pytest
import shapely

from app.cli.main import DEMO_TARGET as CLI_DEMO_TARGET
from tests.app.conftest import DEMO_TARGET, BuiltPlan


def test_demo_uses_the_same_target_as_the_cli() -> None:
    assert DEMO_TARGET == CLI_DEMO_TARGET


def test_every_input_row_is_accounted_for(demo_plan: BuiltPlan) -> None:
    voters = demo_plan.summary["voters"]
    raw_rows = len(pd.read_csv(demo_plan.inputs.voters, dtype=str))
    rejected = pd.read_csv(demo_plan.out / "rejected.csv", dtype=str)
    assert voters["total"] == raw_rows
    assert voters["accepted"] + voters["rejected"] == voters["total"]
    assert len(rejected) == voters["rejected"]
    assert rejected["reason"].str.len().gt(0).all()
    # The demo breaks five rows on purpose; each is reported with the right reason.
    reasons = " | ".join(rejected["reason"])
    assert reasons.count("missing coordinates") == 2
    assert "0,0" in reasons
    assert "swapped" in reasons
    assert "duplicate voter id" in reasons
    # Rows are traceable: row numbers point at the input file's data rows.
    assert rejected["row"].astype(int).between(1, raw_rows).all()


def test_households_and_stops_group_apartment_buildings(demo_plan: BuiltPlan) -> None:
    voters = demo_plan.plan.voters
    assert demo_plan.summary["households"] < len(voters)
    assert demo_plan.summary["stops"] < demo_plan.summary["households"]
    doors_per_stop = voters.groupby("stop_id")["household_id"].nunique()
    assert doors_per_stop.max() >= 10  # apartment buildings: many doors, one stop
    # One household never spans two stops.
    assert voters.groupby("household_id")["stop_id"].nunique().max() == 1


def test_every_target_stop_is_in_exactly_one_turf(demo_plan: BuiltPlan) -> None:
    plan = demo_plan.plan
    target_stops = set(plan.voters.loc[plan.voters["target"], "stop_id"])
    routed = [plan.stops.at[i, "stop_id"] for t in plan.turfs for i in t.route.stops]
    assert len(routed) == len(set(routed))
    assert set(routed) == target_stops
    assert demo_plan.summary["target"]["stops"] == len(target_stops)
    turfs = demo_plan.summary["turfs"]
    assert sum(t["stops"] for t in turfs) == len(target_stops)
    assert sum(t["voters"] for t in turfs) == demo_plan.summary["target"]["voters"]


def test_turfs_keep_inside_precincts_and_are_sized_for_a_shift(demo_plan: BuiltPlan) -> None:
    plan = demo_plan.plan
    for turf in plan.turfs:
        precincts = set(plan.stops.loc[turf.route.stops, "precinct"])
        assert precincts == {turf.precinct}
        assert turf.turf_id.startswith(f"{turf.precinct}-")
    minutes = [t["minutes"] for t in demo_plan.summary["turfs"]]
    # 120-minute target; the simple cutter lands near it (tighter bounds are issue 5's).
    assert min(minutes) > 60 and max(minutes) < 180
    assert abs(sum(minutes) / len(minutes) - 120) < 15


def test_walk_lists_visit_each_stop_once_in_order(demo_plan: BuiltPlan) -> None:
    for turf in demo_plan.summary["turfs"]:
        rows = pd.read_csv(demo_plan.out / "walklists" / f"{turf['turf']}.csv", dtype=str)
        sequences = rows["sequence"].astype(int)
        assert sequences.is_monotonic_increasing
        stops_in_order = rows.drop_duplicates("stop_id")
        assert list(stops_in_order["sequence"].astype(int)) == list(range(1, turf["stops"] + 1))
        assert rows.groupby("stop_id")["sequence"].nunique().max() == 1
        assert len(rows) == turf["voters"]
        assert rows["household_id"].nunique() == turf["doors"]


def test_route_lines_follow_the_streets(demo_plan: BuiltPlan) -> None:
    plan = demo_plan.plan
    graph = plan.graph
    network = shapely.union_all(graph.edges.geometry.to_numpy())
    routes = gpd.read_file(demo_plan.out / "routes.geojson")
    assert list(routes["turf"]) == [t.turf_id for t in plan.turfs]
    for turf in plan.turfs:
        line = turf.route.line_xy
        if len(line) < 2:
            continue
        # Continuous: consecutive vertices never jump (the longest street segment is short).
        steps = shapely.length(shapely.linestrings(line))
        assert steps == pytest.approx(turf.route.walk_m, rel=0.02, abs=2.0)
        # On the graph: every vertex lies on a street, not across a block.
        assert max(network.distance(shapely.Point(xy)) for xy in line[::5]) < 0.5


def test_output_files_exist_and_parse(demo_plan: BuiltPlan) -> None:
    out = demo_plan.out
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert set(summary["timings_s"]) >= {
        "read_voters",
        "precinct_join",
        "street_graph",
        "cut_turfs",
        "route_turfs",
    }
    turfs = gpd.read_file(out / "turfs.geojson")
    assert turfs.crs.to_epsg() == 4326
    assert list(turfs["turf"]) == [t["turf"] for t in summary["turfs"]]
    assert turfs.geometry.is_valid.all()
    gpx = ET.parse(out / "routes.gpx").getroot()
    ns = {"g": "http://www.topografix.com/GPX/1/1"}
    assert len(gpx.findall("g:trk", ns)) == len(turfs)
    assert len(gpx.findall("g:wpt", ns)) == summary["target"]["stops"]
    for turf in summary["turfs"]:
        for path in (
            f"walklists/{turf['turf']}.csv",
            f"walklists/{turf['turf']}.html",
            f"maps/{turf['turf']}.html",
        ):
            assert (out / path).stat().st_size > 0
    assert (out / "maps" / "index.html").exists()


def test_pages_load_nothing_from_a_cdn(demo_plan: BuiltPlan) -> None:
    pages = [*demo_plan.out.glob("maps/*.html"), *demo_plan.out.glob("walklists/*.html")]
    assert pages
    for page in pages:
        html = page.read_text(encoding="utf-8")
        # What a browser fetches: src/href attributes, CSS url(), and any URL inside a script.
        # (A walk list names its turf's map URL for the printed QR code: data, not a load.)
        scripts = " ".join(re.findall(r"<script\b[^>]*>(.*?)</script>", html, flags=re.S))
        loads = re.findall(r"""(?:src|href)\s*=\s*["']([^"']+)""", html)
        loads += re.findall(r"url\(\s*['\"]?([^'\")]+)", html)
        loads += re.findall(r"https?://[^\s\"'<>)]+", scripts)
        external = {u for u in loads if u.startswith(("http:", "https:", "//"))}
        # Only map tiles may come from elsewhere.
        assert {u for u in external if "{z}" not in u} == set(), page.name
        assert "cdn" not in html.lower()
