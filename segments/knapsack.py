"""Which turfs to work with the hours there are: an exact knapsack over whole turfs.

`segments.budget.fit_to_budget` ranks items by value per minute and keeps a prefix; that is
right for doors (small, many) but wastes hours on turfs, which come in big lumps: a turf that
does not fit ends the list although a smaller one behind it would. Here the turfs worked are
the set of greatest total value whose minutes fit the hours, found by dynamic programming over
hundredths of a minute (each turf's minutes rounded up, so the chosen set never overruns; coarser
steps only when the table would be too big). The same
table gives the value curve: the best value for every number of hours.

A turf may also be offered in several ways (`choose_options`: its whole walk list, or only its
doors worth more than some threshold, walked to the last of them): at most one way per turf is
chosen (a multiple-choice knapsack), so the hours go to good doors rather than whole lists.

Examples
--------
>>> choice = choose_turfs([10.0, 9.0, 6.0], [60.0, 40.0, 30.0], hours=70 / 60)
>>> choice.chosen.tolist(), choice.value
([False, True, True], 15.0)
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from segments._errors import SegmentDataError

__all__ = ["OptionChoice", "TurfChoice", "choose_options", "choose_turfs", "value_curve"]

MAX_STEPS = 120_000
"""Most time steps of the budget; bigger budgets use coarser steps (a 120-hour budget: 0.06 min,
so each chosen turf is rounded up by at most that: with hundreds of turfs chosen, coarser
steps left hours idle that door-by-door choosing spends)."""
MAX_OPTIONS = 100
"""Most options of one group (the choice table keeps each group's choice in one byte)."""
FINEST_STEP_MIN = 0.01
"""The knapsack's unit of time: rounding each turf up to it costs at most this much per turf."""
CURVE_STEPS = 20_000
"""Most capacity steps of the value curve's table."""


@dataclass(frozen=True)
class OptionChoice:
    """At most one option chosen per group, the best total value within the hours."""

    option: npt.NDArray[np.int64]
    """Per group, the index (into the options given) of the chosen option, or -1."""
    hours: float
    minutes_used: float
    value: float


@dataclass(frozen=True)
class TurfChoice:
    """The turfs chosen for the hours, and the order to work all of them in."""

    chosen: npt.NDArray[np.bool_]
    """Whether each turf (in input order) is in the budget."""
    priority: npt.NDArray[np.int64]
    """1 = work first: the chosen turfs by value per minute, then the others likewise."""
    hours: float
    minutes_used: float
    value: float


def _costs(minutes: npt.ArrayLike, step_min: float) -> npt.NDArray[np.int64]:
    cost = np.asarray(minutes, dtype=np.float64)
    if np.isnan(cost).any() or (cost <= 0).any():
        raise SegmentDataError("every turf needs positive minutes; some are missing or <= 0")
    # Rounded up, so that a set that fits in steps fits in real minutes.
    return np.ceil(cost / step_min - 1e-9).astype(np.int64)


def _values(values: npt.ArrayLike) -> npt.NDArray[np.float64]:
    worth = np.asarray(values, dtype=np.float64)
    return np.where(np.isfinite(worth), worth, 0.0)


def _groups(group: npt.ArrayLike, count: int) -> npt.NDArray[np.int64]:
    groups = np.asarray(group, dtype=np.int64)
    if len(groups) != count or (len(groups) and (groups.min() < 0)):
        raise SegmentDataError("every option needs the number (>= 0) of its group")
    return groups


def _table(
    groups: npt.NDArray[np.int64],
    worth: npt.NDArray[np.float64],
    cost: npt.NDArray[np.int64],
    capacity: int,
    *,
    keep: bool,
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.int8] | None]:
    """Best value for every capacity; with ``keep``, the option each group took there.

    The option is kept as its position among the group's options (-1: none), in one byte.
    """
    best = np.zeros(capacity + 1)
    order = np.unique(groups)
    taken = np.full((len(order), capacity + 1), -1, dtype=np.int8) if keep else None
    for row, g in enumerate(order):
        new = best.copy()
        members = np.flatnonzero(groups == g)
        if len(members) > MAX_OPTIONS:
            raise SegmentDataError(f"a turf has {len(members)} options; at most {MAX_OPTIONS}")
        for position, i in enumerate(members):
            w = int(cost[i])
            if worth[i] <= 0 or w > capacity:
                continue
            candidate = best[: capacity + 1 - w] + worth[i]
            better = candidate > new[w:] + 1e-12
            np.copyto(new[w:], candidate, where=better)
            if taken is not None:
                np.copyto(taken[row, w:], np.int8(position), where=better)
        best = new
    return best, taken


def choose_options(
    group: npt.ArrayLike, values: npt.ArrayLike, minutes: npt.ArrayLike, *, hours: float
) -> OptionChoice:
    """At most one option per group, of greatest total value within ``hours``.

    Parameters
    ----------
    group : array-like of int
        The group (turf number, from 0) of each option.
    values, minutes : array-like
        Each option's value and minutes (walk plus doors and stops, from the walk model).
    hours : float
        Canvassing hours available (volunteers x shift length).

    Returns
    -------
    OptionChoice
        ``option`` has one entry per group number up to the largest given.
    """
    if not math.isfinite(hours) or hours < 0:
        raise SegmentDataError(f"hours must be a number >= 0, got {hours}")
    worth = _values(values)
    raw = np.asarray(minutes, dtype=np.float64)
    _costs(raw, 1.0)  # validates
    groups = _groups(group, len(worth))
    count = int(groups.max()) + 1 if len(groups) else 0
    budget_min = hours * 60.0
    step = max(FINEST_STEP_MIN, budget_min / MAX_STEPS)
    capacity = math.floor(budget_min / step + 1e-9)
    cost = _costs(raw, step)
    _, taken = _table(groups, worth, cost, capacity, keep=True)
    assert taken is not None
    option = np.full(count, -1, dtype=np.int64)
    left = capacity
    for row, g in reversed(list(enumerate(np.unique(groups)))):
        position = int(taken[row, left])
        if position >= 0:
            i = int(np.flatnonzero(groups == g)[position])
            option[g] = i
            left -= int(cost[i])
    _fill_slack(option, groups, worth, raw, budget_min)
    picked = option[option >= 0]
    return OptionChoice(
        option=option,
        hours=float(hours),
        minutes_used=float(raw[picked].sum()),
        value=float(worth[picked].sum()),
    )


def _fill_slack(
    option: npt.NDArray[np.int64],
    groups: npt.NDArray[np.int64],
    worth: npt.NDArray[np.float64],
    raw: npt.NDArray[np.float64],
    budget_min: float,
) -> None:
    """Spend the minutes the rounding up left idle: swap in bigger options while they fit.

    Each step takes the option (a new group's, or a bigger one of a chosen group) that adds the
    most value and still fits in real minutes; the value never drops and the budget holds.
    """
    current = np.where(option[groups] >= 0, option[groups], -1)
    for _ in range(len(option) + 1):
        held = current >= 0
        base_min = np.where(held, raw[np.maximum(current, 0)], 0.0)
        base_value = np.where(held, worth[np.maximum(current, 0)], 0.0)
        used = float(raw[option[option >= 0]].sum())
        gain = worth - base_value
        fits = used + raw - base_min <= budget_min + 1e-9
        gain[~fits | (gain <= 1e-12)] = -np.inf
        best = int(np.argmax(gain))
        if not np.isfinite(gain[best]):
            return
        option[groups[best]] = best
        current = np.where(option[groups] >= 0, option[groups], -1)


def choose_turfs(values: npt.ArrayLike, minutes: npt.ArrayLike, *, hours: float) -> TurfChoice:
    """The set of whole turfs of greatest total value that fits into ``hours``.

    Parameters
    ----------
    values : array-like
        Value of each turf (e.g. the sum of its voters' values); negative values are never
        worth the time.
    minutes : array-like
        Minutes each turf takes (walk plus doors and stops, from the walk model).
    hours : float
        Canvassing hours available (volunteers x shift length).

    Returns
    -------
    TurfChoice
    """
    worth = _values(values)
    raw = np.asarray(minutes, dtype=np.float64)
    n = len(worth)
    useful = worth > 0
    if not math.isfinite(hours) or hours < 0:
        raise SegmentDataError(f"hours must be a number >= 0, got {hours}")
    _costs(raw, 1.0)
    if raw[useful].sum() <= hours * 60.0 + 1e-9:
        chosen = useful.copy()
    else:
        chosen = choose_options(np.arange(n), worth, raw, hours=hours).option >= 0
    return TurfChoice(
        chosen=chosen,
        priority=priorities(chosen, worth / raw),
        hours=float(hours),
        minutes_used=float(raw[chosen].sum()),
        value=float(worth[chosen].sum()),
    )


def priorities(
    chosen: npt.NDArray[np.bool_], per_minute: npt.NDArray[np.float64]
) -> npt.NDArray[np.int64]:
    """1 = first: the chosen by value per minute, then the others likewise (ties: input order)."""
    n = len(chosen)
    order = np.lexsort((np.arange(n), -per_minute, ~chosen))
    priority = np.empty(n, dtype=np.int64)
    priority[order] = np.arange(1, n + 1)
    return priority


def value_curve(
    values: npt.ArrayLike,
    minutes: npt.ArrayLike,
    *,
    group: npt.ArrayLike | None = None,
    points: int = 25,
    up_to_hours: float | None = None,
) -> list[tuple[float, float]]:
    """The best total value reachable with each number of hours, from 0 to all the turfs.

    Parameters
    ----------
    values, minutes : array-like
        As for `choose_turfs` (one option per turf) or `choose_options`.
    group : array-like of int or None
        The group of each option (as for `choose_options`); None: each is its own.
    points : int, default 25
        Number of points after 0 hours.
    up_to_hours : float or None
        Last point of the curve; None: the hours of the largest option of every group.

    Returns
    -------
    list of (hours, value)
        Non-decreasing in both; a manager reads off what more hours would buy.
    """
    worth = _values(values)
    raw = np.asarray(minutes, dtype=np.float64)
    _costs(raw, 1.0)
    groups = np.arange(len(worth)) if group is None else _groups(group, len(worth))
    useful = worth > 0
    frame = np.zeros(int(groups.max()) + 1 if len(groups) else 0)
    np.maximum.at(frame, groups[useful], raw[useful])
    everything_min = float(frame.sum())
    full_value = np.zeros_like(frame)
    np.maximum.at(full_value, groups[useful], worth[useful])
    total_min = everything_min if up_to_hours is None else up_to_hours * 60.0
    if total_min <= 0 or points < 1:
        return [(0.0, 0.0)]
    step = max(FINEST_STEP_MIN, total_min / CURVE_STEPS)
    capacity = math.ceil(total_min / step)
    best, _ = _table(groups, worth, _costs(raw, step), capacity, keep=False)
    curve = []
    for k in range(points + 1):
        # Hours as shown (two decimals; the last rounded up so that it holds every turf).
        at_hours = round(total_min / 60.0 * k / points, 2)
        if k == points:
            at_hours = math.ceil(total_min / 60.0 * 100 - 1e-9) / 100
        at_min = at_hours * 60.0
        reached = float(best[min(capacity, math.floor(at_min / step + 1e-9))])
        if group is None and at_min + 1e-9 >= everything_min:  # every turf worth anything fits
            reached = float(worth[useful].sum())
        curve.append((at_hours, reached))
    return curve
