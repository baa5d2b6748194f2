"""Who goes where: the suggestion is the best assignment, keeps hours and keeps pairs together."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from segments.assign import (
    assign_in_order,
    assign_nearest_first,
    assign_turfs,
    great_circle_km,
    teams_from_pairs,
)


def _brute_force(
    travel: np.ndarray, turf_minutes: np.ndarray, minutes: np.ndarray, pairs: list[tuple[int, int]]
) -> tuple[int, float]:
    """Most turfs given, then least travel, over every way to hand out the turfs."""
    teams = teams_from_pairs(travel.shape[0], pairs)
    cost = np.array([travel[list(t)].sum(axis=0) for t in teams])
    cap = [min(np.inf if np.isnan(minutes[m]) else minutes[m] for m in t) for t in teams]
    one = [any(np.isnan(minutes[m]) for m in t) for t in teams]
    best = (0, 0.0)
    for choice in itertools.product(range(-1, len(teams)), repeat=len(turf_minutes)):
        used = np.zeros(len(teams))
        count = np.zeros(len(teams), int)
        for turf, team in enumerate(choice):
            if team >= 0:
                used[team] += turf_minutes[turf]
                count[team] += 1
        if any(used[k] > cap[k] or (one[k] and count[k] > 1) for k in range(len(teams))):
            continue
        given = sum(t >= 0 for t in choice)
        travel_km = sum(cost[team, turf] for turf, team in enumerate(choice) if team >= 0)
        if (given, -travel_km) > (best[0], -best[1]):
            best = (given, travel_km)
    return best


@pytest.mark.parametrize("seed", range(6))
def test_the_suggestion_is_the_best_assignment_found_by_trying_them_all(seed: int) -> None:
    rng = np.random.default_rng(seed)
    volunteers, turfs = 4, 5
    travel = rng.uniform(0.5, 20, (volunteers, turfs)).round(2)
    turf_minutes = rng.uniform(60, 150, turfs).round()
    # Some can take two turfs, one gave no hours (one turf of any length), one has too few.
    minutes = np.array([300.0, 180.0, np.nan, 50.0])
    pairs = [(1, 3)] if seed % 2 else []

    ours = assign_turfs(travel, turf_minutes, minutes=minutes, pairs=pairs)

    given, least = _brute_force(travel, turf_minutes, minutes, pairs)
    assert ours.turfs_assigned == given
    assert ours.travel_km == pytest.approx(least)
    assert ours.optimal


def test_one_turf_each_is_solved_as_an_assignment_problem_and_is_best() -> None:
    rng = np.random.default_rng(7)
    travel = rng.uniform(0, 30, (5, 4)).round(1)
    turf_minutes = np.full(4, 120.0)
    minutes = np.array([180.0, 180.0, np.nan, 200.0, 130.0])

    ours = assign_turfs(travel, turf_minutes, minutes=minutes)

    assert ours.method == "assignment"
    assert (ours.turfs_assigned, ours.travel_km) == pytest.approx(
        _brute_force(travel, turf_minutes, minutes, [])
    )


def test_nobody_is_given_more_minutes_than_their_hours() -> None:
    rng = np.random.default_rng(3)
    travel = rng.uniform(0, 10, (6, 14))
    turf_minutes = rng.uniform(95, 140, 14)
    minutes = np.array([240.0, 360.0, 180.0, 90.0, 500.0, 240.0])

    ours = assign_turfs(travel, turf_minutes, minutes=minutes)

    for team, (member,) in enumerate(ours.teams):
        assert turf_minutes[ours.team_of_turf == team].sum() <= minutes[member]
    # The volunteer with 90 minutes has no turf that short.
    assert 3 not in ours.team_of_turf
    # The hours give out more turfs than one each.
    assert ours.turfs_assigned > len(minutes)


def test_a_pair_walks_the_same_turfs_with_the_hours_of_the_one_who_has_fewer() -> None:
    # Ana lives by turf 0, Ben by turf 1; they pair, so one of them travels far.
    travel = np.array([[1.0, 9.0, 5.0], [9.0, 1.0, 5.0], [4.0, 4.0, 4.0]])
    turf_minutes = np.array([100.0, 100.0, 100.0])
    minutes = np.array([400.0, 120.0, 120.0])

    ours = assign_turfs(travel, turf_minutes, minutes=minutes, pairs=[(0, 1)])

    assert ours.teams == ((0, 1), (2,))
    walked_by_pair = np.flatnonzero(ours.team_of_turf == 0)
    assert len(walked_by_pair) == 1  # Ben's 2 hours hold one turf, Ana's 400 minutes do not count
    assert ours.turfs_assigned == 2
    # Each turf counts once; both of the pair travel to it.
    assert ours.travel_km == pytest.approx(10.0 + 4.0)


def test_someone_in_two_pairs_is_refused() -> None:
    with pytest.raises(ValueError, match="two pairs"):
        teams_from_pairs(3, [(0, 1), (1, 2)])


def test_ours_travels_no_more_than_table_order_or_nearest_first() -> None:
    rng = np.random.default_rng(11)
    homes = rng.uniform([60.15, 24.9], [60.20, 25.0], (30, 2))
    drops = rng.uniform([60.15, 24.9], [60.20, 25.0], (25, 2))
    travel = great_circle_km(homes[:, 0], homes[:, 1], drops[:, 0], drops[:, 1])
    turf_minutes = rng.uniform(90, 130, 25)
    minutes = rng.choice([120.0, 180.0, 240.0, np.nan], 30)

    ours = assign_turfs(travel, turf_minutes, minutes=minutes)
    in_order = assign_in_order(travel, turf_minutes, minutes=minutes)
    nearest = assign_nearest_first(travel, turf_minutes, minutes=minutes)

    assert ours.turfs_assigned >= max(in_order.turfs_assigned, nearest.turfs_assigned)
    assert ours.travel_km < in_order.travel_km
    assert ours.travel_km <= nearest.travel_km


def test_great_circle_distance_is_in_kilometres() -> None:
    # One degree of latitude is about 111 km.
    assert great_circle_km([0.0], [0.0], [1.0], [0.0])[0, 0] == pytest.approx(111.2, abs=0.1)


def test_out_of_time_the_answer_still_keeps_hours_and_beats_the_greedy_ones() -> None:
    rng = np.random.default_rng(5)
    travel = rng.uniform(0, 30, (40, 60))
    turf_minutes = rng.uniform(90, 140, 60)
    minutes = rng.choice([120.0, 200.0, 300.0, 480.0, np.nan], 40)
    pairs = [(0, 1), (2, 3), (4, 5)]

    ours = assign_turfs(travel, turf_minutes, minutes=minutes, pairs=pairs, time_limit_s=1e-3)

    assert not ours.optimal
    for team, members in enumerate(ours.teams):
        mine = ours.team_of_turf == team
        hours = [minutes[m] for m in members]
        if any(np.isnan(h) for h in hours):
            assert mine.sum() <= 1
        else:
            assert turf_minutes[mine].sum() <= min(hours) + 1e-9
    for baseline in (assign_in_order, assign_nearest_first):
        other = baseline(travel, turf_minutes, minutes=minutes, pairs=pairs)
        assert (ours.turfs_assigned, -ours.travel_km) >= (other.turfs_assigned, -other.travel_km)
