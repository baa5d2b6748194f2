"""The budget of a plan: which turfs to work first with the volunteer-hours there are.

Each target voter is worth the value expression (default 1: the count of target voters); a
door is worth the sum over its voters. Every turf is offered whole (its route's minutes: walk
plus doors and stops, the walk model that sized it) and trimmed: only its doors worth at least
a threshold (one of a few levels of door value across the plan), walked along its route to the
last of them. Every way of working a turf also pays the walk model's ``minutes_per_turf``
(reaching the turf), so the hours do not go to the best few doors of many turfs. ``segments.
knapsack`` picks at most one way per turf, of greatest total value within the hours, and draws
the value curve; this module builds the options and the record for ``summary.json``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from geo.effort import WalkModel
from segments.filter.value import evaluate_value, parse_value
from segments.knapsack import choose_options, priorities, value_curve

DEFAULT_VALUE = "target voters"
"""What a turf is worth when no value expression is given (shown on the page)."""


@dataclass(frozen=True)
class PlanBudget:
    """The turfs' values and priorities and the ``budget`` record of the summary."""

    turfs: pd.DataFrame
    """Indexed by turf id: ``value`` (all its doors), ``priority`` (1 = first), ``in_budget``,
    and for the turfs in budget ``knock_value_min`` (knock only doors worth at least this; 0:
    every door), ``knock_to_stop`` (walk the route to this stop number), ``budget_doors``,
    ``budget_minutes`` and ``budget_value``."""
    record: dict[str, Any]
    skipped: frozenset[str] = frozenset()
    """Household ids of doors in the turfs the budget trims that it leaves out: printed walk
    lists mark them to skip."""


def check_value(expression: str | None) -> None:
    """Raise ``FilterError`` (with the position) when a value expression does not parse."""
    if expression and expression.strip():
        parse_value(expression)


def voter_values(voters: pd.DataFrame, expression: str | None) -> pd.Series:
    """What each voter is worth: the expression's value, or 1 without one."""
    if not expression or not expression.strip():
        return pd.Series(1.0, index=voters.index, name="value")
    return evaluate_value(voters, expression)


LEVELS = tuple(round(0.05 * k, 2) for k in range(19))
"""Shares of the plan's doors below each threshold a turf may be trimmed at."""


@dataclass(frozen=True)
class _Options:
    turf: np.ndarray  # group number of each option
    threshold: np.ndarray
    value: np.ndarray
    minutes: np.ndarray
    doors: np.ndarray
    last_stop: np.ndarray  # sequence of the last stop walked to


def _door_table(voters: pd.DataFrame, values: pd.Series) -> pd.DataFrame:
    """Target doors in turfs, with their stop's ``turf``, ``sequence`` and ``stop_id``."""
    target = voters.loc[voters["target"].to_numpy(dtype=bool) & voters["turf"].notna()]
    frame = pd.DataFrame(
        {
            "household_id": target["household_id"].to_numpy(),
            "turf": target["turf"].astype(str).to_numpy(),
            "sequence": pd.to_numeric(target["sequence"]).astype(int).to_numpy(),
            "stop_id": target["stop_id"].to_numpy(),
            "value": values.reindex(target.index).fillna(0.0).to_numpy(),
        }
    )
    return frame.groupby("household_id", sort=False).agg(
        turf=("turf", "first"),
        sequence=("sequence", "first"),
        stop_id=("stop_id", "first"),
        value=("value", "sum"),
        voters=("value", "size"),
    )


def _options(
    doors: pd.DataFrame,
    ids: list[str],
    legs_m: dict[str, list[float]],
    turf_minutes: dict[str, float],
    model: WalkModel,
    *,
    trim: bool = True,
) -> _Options:
    """Each turf whole, and (with ``trim``) at each threshold that leaves out some doors.

    A trimmed turf is also offered cut short: only the first half of its route (the end of a
    budget is then filled with part of a turf, not left idle). Every option's minutes include
    reaching the turf (``model.minutes_per_turf``).
    """
    worth = doors["value"].to_numpy(dtype=np.float64)
    positive = worth[worth > 0]
    thresholds = np.unique(np.quantile(positive, LEVELS)) if len(positive) and trim else ()
    turf_codes = pd.Index(ids).get_indexer(pd.Index(doors["turf"]))
    sequence = doors["sequence"].to_numpy(dtype=np.int64)
    stop_codes = pd.factorize(doors["stop_id"])[0]
    order = np.argsort(turf_codes, kind="stable")
    bounds = np.searchsorted(turf_codes[order], np.arange(len(ids) + 1))
    rows: list[tuple[int, float, float, float, int, int]] = []
    for g, turf in enumerate(ids):
        mine = order[bounds[g] : bounds[g + 1]]
        whole = (g, 0.0, float(worth[mine].sum()), turf_minutes[turf], len(mine), len(legs_m[turf]))
        rows.append(whole)
        if len(mine) == 0:
            continue
        walk_to = np.concatenate([[0.0], np.cumsum(legs_m[turf])]) / model.speed_mps / 60.0
        seen: set[tuple[int, int]] = {(len(mine), int(sequence[mine].max()))}
        for threshold in thresholds:
            kept = mine[worth[mine] >= threshold]
            if len(kept) == 0:
                continue
            half = int(np.median(sequence[kept]))
            for part in (kept, kept[sequence[kept] <= half]):
                last = int(sequence[part].max())
                if (len(part), last) in seen:
                    continue
                seen.add((len(part), last))
                minutes = (
                    walk_to[min(last, len(walk_to) - 1)]
                    + len(part) * model.minutes_per_door
                    + len(np.unique(stop_codes[part])) * model.minutes_per_stop
                )
                value = float(worth[part].sum())
                rows.append((g, float(threshold), value, minutes, len(part), last))
    table = np.array(rows, dtype=np.float64).reshape(-1, 6)
    return _Options(
        turf=table[:, 0].astype(np.int64),
        threshold=table[:, 1],
        value=table[:, 2],
        minutes=np.maximum(table[:, 3] + model.minutes_per_turf, 1e-3),
        doors=table[:, 4].astype(np.int64),
        last_stop=table[:, 5].astype(np.int64),
    )


def plan_budget(
    voters: pd.DataFrame,
    routes: dict[str, tuple[float, list[float]]],
    *,
    hours: float,
    values: pd.Series,
    expression: str | None,
    model: WalkModel,
    trim: bool = True,
) -> PlanBudget:
    """Choose the turfs (and the doors in them) to work within ``hours``; say what they reach.

    Parameters
    ----------
    voters : pandas.DataFrame
        Voters with ``target``, ``turf``, ``sequence``, ``stop_id`` and ``household_id``
        (after the turfs are routed).
    routes : dict
        Per turf id: its route's minutes and its legs in metres (walk to each stop in order).
    hours : float
        Volunteer-hours available.
    values : pandas.Series
        Each voter's value (`voter_values`), indexed like ``voters``.
    expression : str or None
        The value expression, for the record.
    model : WalkModel
        The walk model the turfs were sized with (``minutes_per_turf`` is charged per turf).
    trim : bool, default True
        Offer turfs trimmed to their best doors too; False: whole turfs only.
    """
    ids = sorted(routes)
    doors = _door_table(voters, values)
    options = _options(
        doors,
        ids,
        {turf: legs for turf, (_, legs) in routes.items()},
        {turf: minutes for turf, (minutes, _) in routes.items()},
        model,
        trim=trim,
    )
    choice = choose_options(options.turf, options.value, options.minutes, hours=hours)
    picked = choice.option
    whole = np.flatnonzero(options.threshold == 0.0)  # one per turf, in turf order
    chosen = picked >= 0
    use = np.where(chosen, picked, whole)
    per_minute = options.value[use] / options.minutes[use]
    total_minutes = options.minutes[whole]
    curve = value_curve(
        options.value,
        options.minutes,
        group=options.turf,
        up_to_hours=max(hours, float(total_minutes.sum()) / 60.0),
    )
    voters_by_turf = doors.groupby("turf")["voters"].sum()
    # Doors of a trimmed turf below its threshold or past its last stop are skipped.
    rule = pd.Index(ids).get_indexer(pd.Index(doors["turf"]))
    part = (chosen & (options.threshold[use] > 0))[rule]
    skip = part & (
        (doors["value"].to_numpy() < options.threshold[use][rule])
        | (doors["sequence"].to_numpy() > options.last_stop[use][rule])
    )
    knock_voters = [
        int(doors.loc[(doors["turf"] == turf) & (doors["value"] >= options.threshold[i])
                      & (doors["sequence"] <= options.last_stop[i]), "voters"].sum())
        if chosen[g] else 0
        for g, (turf, i) in enumerate(zip(ids, use, strict=True))
    ]  # fmt: skip
    table = pd.DataFrame(
        {
            "value": np.round(options.value[whole], 3),
            "priority": priorities(chosen, per_minute),
            "in_budget": chosen,
            "knock_value_min": np.where(
                chosen, np.floor(options.threshold[use] * 1000) / 1000, np.nan
            ),
            "knock_to_stop": np.where(chosen, options.last_stop[use], 0),
            "budget_doors": np.where(chosen, options.doors[use], 0),
            "budget_minutes": np.where(chosen, np.round(options.minutes[use], 1), 0.0),
            "budget_value": np.where(chosen, np.round(options.value[use], 3), 0.0),
        },
        index=pd.Index(ids, name="turf"),
    )
    record = {
        "hours": round(float(hours), 2),
        "value_expression": (expression or "").strip(),
        "value_of": (expression or "").strip() or DEFAULT_VALUE,
        "hours_used": round(choice.minutes_used / 60.0, 2),
        "minutes_per_turf": model.minutes_per_turf,
        "turfs": int(chosen.sum()),
        "turfs_trimmed": int((chosen & (options.threshold[use] > 0)).sum()),
        "doors_skipped": int(skip.sum()),
        "doors": int(options.doors[use][chosen].sum()),
        "voters": int(sum(knock_voters)),
        "value": round(choice.value, 2),
        "value_total": round(float(options.value[whole][options.value[whole] > 0].sum()), 2),
        "hours_total": round(float(total_minutes.sum()) / 60.0, 2),
        "voters_total": int(voters_by_turf.sum()),
        "order": [ids[i] for i in np.argsort(table["priority"].to_numpy(), kind="stable")],
        "curve": [{"hours": h, "value": round(v, 2)} for h, v in curve],
    }
    skipped = frozenset(doors.index[skip].astype(str))
    return PlanBudget(turfs=table, record=record, skipped=skipped)
