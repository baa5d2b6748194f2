"""Choosing turfs for the hours: optimal (checked by brute force), within budget, curve rising."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from segments._errors import SegmentDataError
from segments.knapsack import choose_options, choose_turfs, value_curve


def _brute_force(values: np.ndarray, minutes: np.ndarray, budget_min: float) -> float:
    best = 0.0
    for size in range(len(values) + 1):
        for subset in itertools.combinations(range(len(values)), size):
            chosen = list(subset)
            if minutes[chosen].sum() <= budget_min:
                best = max(best, float(values[chosen].sum()))
    return best


@pytest.mark.parametrize("seed", range(12))
def test_the_chosen_turfs_are_the_best_set_that_fits(seed: int) -> None:
    rng = np.random.default_rng(seed)
    values = rng.uniform(0, 100, 11).round(1)
    minutes = rng.uniform(20, 140, 11).round(1)
    hours = float(rng.uniform(1, 8))
    choice = choose_turfs(values, minutes, hours=hours)
    assert minutes[choice.chosen].sum() <= hours * 60 + 1e-9
    assert choice.value == pytest.approx(_brute_force(values, minutes, hours * 60))
    # The chosen turfs come first in the order of work.
    assert set(np.flatnonzero(choice.priority <= choice.chosen.sum())) == set(
        np.flatnonzero(choice.chosen)
    )


@pytest.mark.parametrize("seed", range(8))
def test_at_most_one_way_per_turf_and_the_best_combination(seed: int) -> None:
    rng = np.random.default_rng(100 + seed)
    group = np.repeat(np.arange(5), 3)  # 5 turfs, each whole or trimmed two ways
    minutes = rng.uniform(15, 120, 15).round(1)
    values = rng.uniform(0, 60, 15).round(1)
    hours = float(rng.uniform(1, 5))
    choice = choose_options(group, values, minutes, hours=hours)
    picked = choice.option[choice.option >= 0]
    assert all(group[i] == g for g, i in enumerate(choice.option) if i >= 0)
    assert minutes[picked].sum() <= hours * 60
    best = 0.0
    for combo in itertools.product(*[[-1, 3 * g, 3 * g + 1, 3 * g + 2] for g in range(5)]):
        chosen = [i for i in combo if i >= 0]
        if minutes[chosen].sum() <= hours * 60:
            best = max(best, float(values[chosen].sum()))
    assert choice.value == pytest.approx(best)


def test_knapsack_beats_value_per_minute_where_a_big_turf_would_end_the_list() -> None:
    # Value per minute ranks A (10/60) after B and C, but B + C leave 10 minutes idle, while
    # B + C is the only pair that fits 70 minutes: the greedy prefix stops at A.
    choice = choose_turfs([10.0, 9.0, 6.0], [60.0, 40.0, 30.0], hours=70 / 60)
    assert choice.chosen.tolist() == [False, True, True]
    assert choice.value == 15.0
    assert choice.minutes_used == 70.0


def test_turfs_without_value_are_never_worth_the_time() -> None:
    choice = choose_turfs([0.0, -5.0, 3.0], [10.0, 10.0, 10.0], hours=10)
    assert choice.chosen.tolist() == [False, False, True]


def test_the_value_curve_rises_with_the_hours_and_matches_the_choice() -> None:
    rng = np.random.default_rng(7)
    values = rng.uniform(0, 50, 30)
    minutes = rng.uniform(30, 150, 30)
    curve = value_curve(values, minutes, points=20)
    hours = [h for h, _ in curve]
    reached = [v for _, v in curve]
    assert hours[0] == 0 and reached[0] == 0
    assert all(b >= a for a, b in itertools.pairwise(reached))
    assert reached[-1] == pytest.approx(values.sum())
    for h, v in curve[1:-1]:
        # The same optimum, up to the rounding of each turf to the table's time step.
        assert choose_turfs(values, minutes, hours=h - 0.05).value <= v + 1e-6
        assert v <= choose_turfs(values, minutes, hours=h + 0.05).value + 1e-6


def test_bad_hours_and_minutes_are_refused() -> None:
    with pytest.raises(SegmentDataError, match="hours"):
        choose_turfs([1.0], [10.0], hours=-1)
    with pytest.raises(SegmentDataError, match="positive minutes"):
        choose_turfs([1.0, 2.0], [10.0, 0.0], hours=1)
