"""Giving each voter a region (app/planning/regions.py): columns, polygon layers, auto:N."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest

from app.planning.regions import assign_regions, parse_regions, region_slug
from geo._errors import InputError
from geo.precincts import read_precincts
from tests.app.conftest import BuiltPlan


def _voters(demo_plan: BuiltPlan) -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
    voters = demo_plan.plan.voters[["row", "precinct", "geometry"]].copy()
    raw = pd.read_csv(demo_plan.inputs.voters, dtype=str, keep_default_na=False)
    return voters, raw


def test_auto_groups_whole_precincts_of_about_n_voters(demo_plan: BuiltPlan) -> None:
    voters, raw = _voters(demo_plan)
    layer = read_precincts(demo_plan.inputs.precincts)
    regions = assign_regions(voters, raw, parse_regions("auto:2500"), precincts=None, layer=layer)
    # A precinct is never split between regions.
    assert (pd.crosstab(voters["precinct"], regions) > 0).sum(axis=1).max() == 1
    sizes = regions.value_counts()
    assert 3 <= len(sizes) <= 4
    # Every group but the last reaches N voters; none holds much more than N + a precinct.
    assert (sizes.sort_index().iloc[:-1] >= 2500).all()
    assert sizes.max() < 2500 + voters["precinct"].value_counts().max()


def test_a_voter_column_names_the_regions(demo_plan: BuiltPlan) -> None:
    voters, raw = _voters(demo_plan)
    raw["County"] = raw["party"].map(lambda p: f"{p} county!")
    regions = assign_regions(voters, raw, parse_regions("county"), precincts=None, layer=None)
    expected = raw["County"].iloc[voters["row"] - 1].map(region_slug).to_numpy()
    assert (regions.to_numpy() == expected).all()
    assert regions.str.fullmatch(r"[A-Za-z0-9]+").all()


def test_a_missing_column_is_named_with_the_columns_there_are(demo_plan: BuiltPlan) -> None:
    voters, raw = _voters(demo_plan)
    with pytest.raises(InputError, match=r"no such column.*voter_id"):
        assign_regions(voters, raw, parse_regions("county"), precincts=None, layer=None)


def test_regions_option_values_are_checked(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="auto:N needs a whole number"):
        parse_regions("auto:many")
    with pytest.raises(InputError, match="no such file"):
        parse_regions(str(tmp_path / "counties.geojson"))
    assert parse_regions("county").column == "county"
