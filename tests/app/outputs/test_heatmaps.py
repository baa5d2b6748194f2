from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from fastapi.testclient import TestClient

from app.outputs.heatmaps import heat_map, write_heatmap
from app.outputs.page_render import render_page
from app.outputs.tables import turf_table
from app.settings import Settings
from app.web.app import create_app
from segments.door_results import RESULT_CODES
from tests.app.conftest import BuiltPlan

URL = re.compile(r"https?://[^\s\"'<>)]+")


def _page(demo_plan: BuiltPlan) -> str:
    """The heat page with the scripts it loads from beside it (it has no inline script)."""
    maps = demo_plan.out / "maps"
    html = (maps / "heat.html").read_text(encoding="utf-8")
    assert "<script>" not in html
    local = re.findall(r'<script src="([^"/]+\.js)"></script>', html)
    assert local
    return html + "".join((maps / name).read_text(encoding="utf-8") for name in local)


def test_heat_page_loads_nothing_from_a_cdn(demo_plan: BuiltPlan) -> None:
    html = _page(demo_plan)
    assert {u for u in URL.findall(html) if "{z}" not in u} == set()
    assert "cdn" not in html.lower()
    assert '<script src="../assets/leaflet_heat.min.js"></script>' in html
    assert '<script src="../assets/leaflet.js"></script>' in html
    script = demo_plan.out / "assets" / "leaflet_heat.min.js"
    assert "heatLayer" in script.read_text(encoding="utf-8")


def test_heat_page_has_its_layers_legend_and_tooltips(demo_plan: BuiltPlan) -> None:
    html = _page(demo_plan)
    for layer in (
        "Targets per km² (precinct)",
        "Mean support score (precinct)",
        "Target doors per hexagon",
        "Heat: target doors",
        "Hot spots",
        "Turfs",
    ):
        assert layer in html, layer
    assert "L.heatLayer(" in html and "L.control.layers(" in html
    assert 'class="heat-legend"' in html
    assert html.count("geoJsonTooltip") + html.count("bindTooltip") >= 3
    # No results in a fresh plan: no rate layers yet.
    assert "Contact rate (precinct)" not in html
    target = demo_plan.summary["target"]
    assert f"{target['voters']:,} voters · {target['households']:,} doors" in html
    for precinct in sorted(set(demo_plan.plan.voters["precinct"]))[:3]:
        assert f'"Precinct": "{precinct}"' in html
    # Every hot spot has its outline and a tooltip with its size.
    spots = demo_plan.plan.analysis.hot_spots
    assert len(spots) > 1
    tips = re.findall(r'"Hot spot": "\\u003cb\\u003eHot spot (\d+)\\u003c/b\\u003e', html)
    assert sorted(map(int, tips)) == list(range(1, len(spots) + 1))
    assert f"{spots['doors'].iloc[0]:,.0f} target doors" in html


def test_plan_page_links_the_heatmaps(demo_plan: BuiltPlan) -> None:
    client = TestClient(create_app(Settings(workspace=demo_plan.out.parent)))
    page = client.get("/plans/demo")
    assert '/files/demo/maps/heat.html">heatmaps</a>' in page.text
    assert client.get("/files/demo/maps/heat.html").status_code == 200
    assert client.get("/files/demo/assets/leaflet_heat.min.js").status_code == 200


def test_summary_has_the_universe_before_cutting(demo_plan: BuiltPlan) -> None:
    universe = demo_plan.summary["segments"]["universe"]
    target = demo_plan.summary["target"]
    assert universe["voters"] == target["voters"]
    assert universe["households"] == target["households"]
    assert universe["stops"] == target["stops"]
    assert universe["walk_basis"] == "stop spacing"
    # The estimate made before routing is close to what the routed turfs add up to.
    routed = sum(t["minutes"] for t in demo_plan.summary["turfs"])
    assert universe["minutes"] == pytest.approx(routed, rel=0.15)


def test_results_add_rate_layers(demo_plan: BuiltPlan, tmp_path: Path) -> None:
    plan = demo_plan.plan
    doors = plan.voters.loc[plan.voters["target"], "household_id"].unique()[:200]
    results = pd.DataFrame(
        {
            "household_id": doors,
            # Every result code a phone can send, the newer ones included.
            "result": np.resize(RESULT_CODES, len(doors)),
        }
    )
    fmap = heat_map(plan.voters, precincts=plan.precincts, stops=plan.stops, results=results)
    path = tmp_path / "maps" / "heat.html"
    path.parent.mkdir()
    fmap.save(str(path))
    html = path.read_text(encoding="utf-8")
    for layer in ("Coverage: target doors tried", "Contact rate (precinct)", "Support rate"):
        assert layer in html
    rates = re.findall(r'"Contact rate": "(\d+)%"', html)
    assert rates and all(0 < int(rate) <= 100 for rate in rates)
    # Not home and come back doors are knocked but open: counted apart in every tooltip.
    again = [int(n) for n in re.findall(r'"Knock again": "(\d+)"', html)]
    assert again and sum(again) > 0


def test_heat_page_without_precincts_or_targets(demo_plan: BuiltPlan, tmp_path: Path) -> None:
    voters = demo_plan.plan.voters.assign(target=False, precinct="")
    fmap = heat_map(voters)
    path = tmp_path / "heat.html"
    fmap.save(str(path))
    html = path.read_text(encoding="utf-8")
    assert "0 voters · 0 doors · 0 stops" in html
    assert "L.heatLayer(" not in html
    assert "(precinct)" not in html


def test_ids_from_the_organisers_files_are_escaped(demo_plan: BuiltPlan, tmp_path: Path) -> None:
    plan = demo_plan.plan
    assert plan.precincts is not None
    rename = {"P01": "<img src=x onerror=alert(1)>"}
    voters = plan.voters.assign(precinct=plan.voters["precinct"].replace(rename))
    precincts = plan.precincts.assign(precinct=plan.precincts["precinct"].replace(rename))
    path = tmp_path / "heat.html"
    heat_map(voters, precincts=precincts).save(str(path))
    html = path.read_text(encoding="utf-8")
    assert "<img src=x" not in html
    # Escaped for HTML (and the & then written as \u0026 inside the JSON).
    assert "lt;img src=x onerror=alert(1)" in html


# Jinja syntax in a precinct or turf id: the page engine (branca) once compiled every rendered
# part of a page as a template again, so this ran as Python on the machine writing the plan.
TEMPLATE_IDS = {
    "P01": "{{ cycler.__init__.__globals__.os.getcwd() }}",
    "P02": "{{ 7*7 }} {% if %}",
}


def test_template_syntax_in_ids_is_text_on_the_page(demo_plan: BuiltPlan, tmp_path: Path) -> None:
    plan = demo_plan.plan
    assert plan.precincts is not None
    voters = plan.voters.assign(precinct=plan.voters["precinct"].replace(TEMPLATE_IDS))
    precincts = plan.precincts.assign(precinct=plan.precincts["precinct"].replace(TEMPLATE_IDS))
    turfs = turf_table(plan)
    turfs["turf"] = turfs["turf"].mask(turfs["turf"] == turfs["turf"].iloc[0], "{{ 6*7 }}")
    hostile = replace(plan, voters=voters, precincts=precincts)
    written = write_heatmap(hostile, turfs, tmp_path / "maps" / "heat.html")
    maps = written.parent
    page = "".join(path.read_text(encoding="utf-8") for path in sorted(maps.iterdir()))
    # The manager dashboard renders the same map into its response.
    served = render_page(heat_map(voters, precincts=precincts, turfs=turfs))
    for html in (page, served):
        assert str(Path.cwd()) not in html
        assert '"Precinct": "{{ cycler.__init__.__globals__.os.getcwd() }}"' in html
        assert '"Precinct": "{{ 7*7 }} {% if %}"' in html
        assert '"Turf": "{{ 6*7 }}"' in html
        assert "49" not in re.findall(r'"Precinct": "([^"]*)"', html)
