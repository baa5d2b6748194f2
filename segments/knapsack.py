"""Which turfs to work with the hours there are: an exact knapsack over whole turfs.

`segments.budget.fit_to_budget` ranks items by value per minute and keeps a prefix; that is
right for doors (small, many) but wastes hours on turfs, which come in big lumps: a turf that
does not fit ends the list although a smaller one behind it would. Here the turfs worked are
the set of greatest total value whose minutes fit the hours, found by dynamic programming over
hundredths of a minute (each turf's minutes rounded up, so the chosen set never overruns; coarser
steps only when the table would be too big). The same
table gives the value curve: the best value for every number of hours.

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

__all__ = ["TurfChoice", "choose_turfs", "value_curve"]

MAX_CELLS = 200_000_000
"""Largest choice table (turfs x minute steps, one byte each); bigger budgets use coarser steps."""
FINEST_STEP_MIN = 0.01
"""The knapsack's unit of time: rounding each turf up to it costs at most this much per turf."""
CURVE_STEPS = 100_000
"""Most capacity steps of the value curve's table."""


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


def choose_turfs(values: npt.ArrayLike, minutes: npt.ArrayLike, *, hours: float) -> TurfChoice:
    """The set of turfs of greatest total value that fits into ``hours``.

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
    if not math.isfinite(hours) or hours < 0:
        raise SegmentDataError(f"hours must be a number >= 0, got {hours}")
    worth = _values(values)
    raw = np.asarray(minutes, dtype=np.float64)
    _costs(raw, 1.0)  # validates
    n = len(worth)
    budget_min = hours * 60.0
    useful = worth > 0
    if raw[useful].sum() <= budget_min + 1e-9:
        chosen = useful.copy()
    else:
        step = max(FINEST_STEP_MIN, n * budget_min / MAX_CELLS)
        capacity = math.floor(budget_min / step + 1e-9)
        cost = _costs(raw, step)
        best = np.zeros(capacity + 1)
        take = np.zeros((n, capacity + 1), dtype=bool)
        for i in np.flatnonzero(useful & (cost <= capacity)):
            w, v = int(cost[i]), worth[i]
            candidate = best[: capacity + 1 - w] + v
            better = candidate > best[w:] + 1e-12
            take[i, w:] = better
            best[w:] = np.where(better, candidate, best[w:])
        chosen = np.zeros(n, dtype=bool)
        left = capacity
        for item in range(n - 1, -1, -1):
            if take[item, left]:
                chosen[item] = True
                left -= int(cost[item])
    per_minute = worth / raw
    # Chosen first, then best value per minute; ties keep the input order.
    order = np.lexsort((np.arange(n), -per_minute, ~chosen))
    priority = np.empty(n, dtype=np.int64)
    priority[order] = np.arange(1, n + 1)
    return TurfChoice(
        chosen=chosen,
        priority=priority,
        hours=float(hours),
        minutes_used=float(raw[chosen].sum()),
        value=float(worth[chosen].sum()),
    )


def value_curve(
    values: npt.ArrayLike,
    minutes: npt.ArrayLike,
    *,
    points: int = 25,
    up_to_hours: float | None = None,
) -> list[tuple[float, float]]:
    """The best total value reachable with each number of hours, from 0 to all the turfs.

    Parameters
    ----------
    values, minutes : array-like
        As for `choose_turfs`.
    points : int, default 25
        Number of points after 0 hours.
    up_to_hours : float or None
        Last point of the curve; None: the hours of every turf worth anything.

    Returns
    -------
    list of (hours, value)
        Non-decreasing in both; a manager reads off what more hours would buy.
    """
    worth = _values(values)
    raw = np.asarray(minutes, dtype=np.float64)
    _costs(raw, 1.0)
    useful = worth > 0
    everything_min = float(raw[useful].sum())
    total_min = everything_min if up_to_hours is None else up_to_hours * 60.0
    if total_min <= 0 or points < 1:
        return [(0.0, 0.0)]
    step = max(FINEST_STEP_MIN, total_min / CURVE_STEPS)
    capacity = math.ceil(total_min / step)
    cost = _costs(raw, step)
    best = np.zeros(capacity + 1)
    for i in np.flatnonzero(useful & (cost <= capacity)):
        w = int(cost[i])
        best[w:] = np.maximum(best[w:], best[: capacity + 1 - w] + worth[i])
    curve = []
    for k in range(points + 1):
        # Hours as shown (two decimals; the last rounded up so that it holds every turf).
        at_hours = round(total_min / 60.0 * k / points, 2)
        if k == points:
            at_hours = math.ceil(total_min / 60.0 * 100 - 1e-9) / 100
        at_min = at_hours * 60.0
        # Steps are rounded up per turf, so reading at floor(minutes / step) never overstates.
        if at_min + 1e-9 >= everything_min:  # every turf worth anything fits
            reached = float(worth[useful].sum())
        else:
            reached = float(best[min(capacity, math.floor(at_min / step + 1e-9))])
        curve.append((at_hours, reached))
    return curve
