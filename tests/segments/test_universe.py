from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from geo.effort import WalkModel
from segments._errors import SegmentDataError
from segments.universe import WALK_FACTOR, universe_size, walk_share_m

UTM35 = 32635  # metres, the zone of the demo's Helsinki


def voters_frame() -> pd.DataFrame:
    # 3 stops; S1 is a building with two flats. H4 is not a target; two voters have no household.
    return pd.DataFrame(
        {
            "household_id": ["H1", "H1", "H2", "H3", "H4", None, " "],
            "stop_id": ["S1", "S1", "S1", "S2", "S2", "S3", "S3"],
            "target": [True, True, True, True, False, True, True],
        },
        index=[f"v{i}" for i in range(7)],
    )


def test_counts_voters_doors_and_stops_of_the_target() -> None:
    size = universe_size(voters_frame())
    assert (size.voters, size.households, size.stops) == (6, 5, 3)
    # A voter without a household id is a door of their own, as in the filter language.
    everyone = universe_size(voters_frame(), target=None)
    assert (everyone.voters, everyone.households, everyone.stops) == (7, 6, 3)


def test_target_may_be_a_mask_indexed_like_the_voters() -> None:
    voters = voters_frame()
    size = universe_size(voters, target=voters["stop_id"] == "S1")
    assert (size.voters, size.households, size.stops) == (3, 2, 1)
    assert size.walk_m == 0.0 and size.walk_basis == "none"
    assert size.minutes == pytest.approx(2 * 1.5 + 1 * 0.5)
    with pytest.raises(SegmentDataError, match="not indexed like"):
        universe_size(voters, target=pd.Series(True, index=range(7)))


def test_minutes_use_the_routing_time_model() -> None:
    size = universe_size(voters_frame(), assumed_spacing_m=40.0)
    assert size.walk_basis == "assumed spacing"
    assert size.walk_m == pytest.approx(3 * 40.0 * WALK_FACTOR)
    expected = WalkModel().minutes(size.walk_m, doors=5, stops=3)
    assert size.minutes == pytest.approx(expected)
    assert size.hours == pytest.approx(expected / 60)
    slow = universe_size(
        voters_frame(), model=WalkModel(minutes_per_door=3.0), assumed_spacing_m=40.0
    )
    assert slow.minutes == pytest.approx(size.minutes + 5 * 1.5)


def test_walk_is_estimated_from_the_spacing_of_target_stops() -> None:
    # Four houses 50 m apart on a line, and a non-target house far away that must not count.
    x = [0.0, 50.0, 100.0, 150.0, 5000.0]
    voters = gpd.GeoDataFrame(
        {
            "household_id": ["H1", "H2", "H3", "H4", "H5"],
            "stop_id": ["S1", "S2", "S3", "S4", "S5"],
            "target": [True, True, True, True, False],
        },
        geometry=gpd.points_from_xy(np.add(x, 385_000.0), np.full(5, 6_672_000.0)),
        crs=UTM35,
    )
    size = universe_size(voters)
    assert size.walk_basis == "stop spacing"
    assert size.walk_m == pytest.approx(4 * 50.0 * WALK_FACTOR)
    # The same houses in lon/lat are measured in metres in their UTM zone.
    size_4326 = universe_size(voters.to_crs(4326))
    assert size_4326.walk_m == pytest.approx(size.walk_m, rel=1e-6)


def test_empty_universe_is_all_zeros() -> None:
    voters = voters_frame().assign(target=False)
    size = universe_size(voters)
    assert size.as_dict() == {
        "voters": 0,
        "households": 0,
        "stops": 0,
        "walk_m": 0.0,
        "minutes": 0.0,
        "walk_basis": "none",
        "hours": 0.0,
    }
    empty = gpd.GeoDataFrame(
        {"household_id": [], "stop_id": [], "target": []}, geometry=[], crs=4326
    )
    assert universe_size(empty).minutes == 0.0


def test_missing_columns_are_named() -> None:
    with pytest.raises(SegmentDataError, match="'stop_id'"):
        universe_size(pd.DataFrame({"household_id": ["H1"], "target": [True]}))
    with pytest.raises(SegmentDataError, match="'chosen'"):
        universe_size(voters_frame(), target="chosen")


def test_walk_share_of_a_lone_stop_is_zero() -> None:
    assert walk_share_m([1.0], [2.0]).tolist() == [0.0]
    assert walk_share_m([], []).tolist() == []
    assert walk_share_m([0, 3], [0, 4], walk_factor=1.0).tolist() == [5.0, 5.0]
