from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from geo.effort import WalkModel
from segments._errors import SegmentDataError
from segments.budget import door_values, fit_to_budget, group_values
from segments.universe import universe_size

UTM35 = 32635
X0, Y0 = 385_000.0, 6_672_000.0


def voters_frame() -> gpd.GeoDataFrame:
    """Stop S1: a building with doors H1 (2 targets) and H2; S2: house H3; S3: house H4."""
    return gpd.GeoDataFrame(
        {
            "household_id": ["H1", "H1", "H2", "H3", "H4", "H4"],
            "stop_id": ["S1", "S1", "S1", "S2", "S3", "S3"],
            "target": [True, True, True, True, True, False],
            "support_score": [80.0, 60.0, 30.0, np.nan, 90.0, 100.0],
            "contact": [0.5, 0.3, 0.6, 0.2, 0.4, 0.9],
        },
        geometry=gpd.points_from_xy(
            [X0, X0, X0, X0 + 40, X0 + 100, X0 + 100], [Y0, Y0, Y0, Y0, Y0, Y0]
        ),
        crs=UTM35,
    )


def test_door_values_are_score_times_contact_chance_over_minutes() -> None:
    doors = door_values(voters_frame(), contact_probability=0.5, walk_factor=2.0)
    assert doors.index.tolist() == ["H1", "H2", "H3", "H4"]
    assert doors["voters"].tolist() == [2, 1, 1, 1]
    # H3's missing score counts as the mean of the other target voters' scores (65).
    assert doors["score"].tolist() == [140.0, 30.0, 65.0, 90.0]
    assert doors["value"].tolist() == [70.0, 15.0, 32.5, 45.0]
    # S1's walk share (2 x 40 m to S2 at 1.2 m/s) and stop time split over its two doors.
    s1_walk_min = 2 * 40 / 1.2 / 60
    assert doors.loc["H1", "minutes"] == pytest.approx(1.5 + (0.5 + s1_walk_min) / 2)
    assert doors.loc["H4", "minutes"] == pytest.approx(1.5 + 0.5 + 2 * 60 / 1.2 / 60)
    assert doors["value_per_minute"].tolist() == pytest.approx(
        (doors["value"] / doors["minutes"]).tolist()
    )


def test_door_minutes_add_up_to_the_universe_estimate() -> None:
    model = WalkModel(minutes_per_door=2.0)
    doors = door_values(voters_frame(), model=model)
    assert doors["minutes"].sum() == pytest.approx(
        universe_size(voters_frame(), model=model).minutes
    )


def test_contact_probability_from_a_column_or_per_door() -> None:
    by_column = door_values(voters_frame(), contact_probability="contact")
    assert by_column.loc["H1", "contact_probability"] == pytest.approx(0.4)
    assert by_column.loc["H4", "contact_probability"] == pytest.approx(0.4)  # target voter only
    per_door = pd.Series({"H1": 0.9, "H2": 0.1})
    by_door = door_values(voters_frame(), contact_probability=per_door)
    # Doors without a figure get the mean over the target voters that have one.
    fill = (0.9 * 2 + 0.1) / 3
    assert by_door["contact_probability"].tolist() == pytest.approx([0.9, 0.1, fill, fill])
    with pytest.raises(SegmentDataError, match="between 0 and 1"):
        door_values(voters_frame(), contact_probability=40)


def test_budget_drops_the_lowest_value_per_minute_first() -> None:
    items = pd.DataFrame(
        {"value": [10.0, 90.0, 30.0, 5.0, 40.0], "minutes": [10.0, 30.0, 10.0, 5.0, 20.0]},
        index=["a", "b", "c", "d", "e"],
    )  # value per minute: a 1, b 3, c 3, d 1, e 2
    budget = fit_to_budget(items, hours=1.0)
    assert budget.ranking.index.tolist() == ["b", "c", "e", "a", "d"]
    assert budget.kept.tolist() == ["b", "c", "e"]
    assert budget.dropped.tolist() == ["d", "a"]  # the first to drop comes first
    assert budget.minutes_kept == 60.0 and budget.minutes_needed == 75.0
    assert budget.value_kept == 160.0 and budget.value_total == 175.0
    dropped_vpm = budget.ranking.loc[budget.dropped, "value_per_minute"]
    assert dropped_vpm.max() <= budget.ranking.loc[budget.kept, "value_per_minute"].min()
    assert fit_to_budget(items, hours=0).kept.empty
    assert fit_to_budget(items, hours=10).dropped.empty


def test_budget_over_doors_and_stops_of_a_universe() -> None:
    doors = door_values(voters_frame())
    total_h = doors["minutes"].sum() / 60
    budget = fit_to_budget(doors, hours=total_h * 0.6)
    worst = doors["value_per_minute"].idxmin()
    assert budget.dropped[0] == worst
    assert budget.minutes_kept <= total_h * 0.6 * 60
    stops = group_values(doors)
    assert stops["doors"].tolist() == [2, 1, 1]
    assert stops["minutes"].sum() == pytest.approx(doors["minutes"].sum())
    assert fit_to_budget(stops, hours=total_h).dropped.empty


def test_empty_and_invalid_budgets() -> None:
    nobody = door_values(voters_frame().assign(target=False))
    assert nobody.empty
    budget = fit_to_budget(nobody, hours=3)
    assert budget.kept.empty and budget.minutes_needed == 0.0
    with pytest.raises(SegmentDataError, match="positive 'minutes'"):
        fit_to_budget(pd.DataFrame({"value": [1.0], "minutes": [0.0]}), hours=1)
    with pytest.raises(SegmentDataError, match="negative"):
        fit_to_budget(pd.DataFrame({"value": [1.0], "minutes": [1.0]}), hours=-1)
