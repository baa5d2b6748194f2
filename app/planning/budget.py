"""The budget of a plan: which turfs to work first with the volunteer-hours there are.

Each target voter is worth the value expression (default 1: the count of target voters); a
turf is worth the sum over its voters and takes its route's minutes (walk plus doors and stops,
the walk model that sized it). ``segments.knapsack`` picks the turfs of greatest value within
the hours and draws the value curve; this module only joins voters to turfs and keeps the
record for ``summary.json``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from segments.filter.value import evaluate_value, parse_value
from segments.knapsack import choose_turfs, value_curve

DEFAULT_VALUE = "target voters"
"""What a turf is worth when no value expression is given (shown on the page)."""


@dataclass(frozen=True)
class PlanBudget:
    """The turfs' values and priorities and the ``budget`` record of the summary."""

    turfs: pd.DataFrame
    """Indexed by turf id: ``value``, ``priority`` (1 = first) and ``in_budget``."""
    record: dict[str, Any]


def check_value(expression: str | None) -> None:
    """Raise ``FilterError`` (with the position) when a value expression does not parse."""
    if expression and expression.strip():
        parse_value(expression)


def voter_values(voters: pd.DataFrame, expression: str | None) -> pd.Series:
    """What each voter is worth: the expression's value, or 1 without one."""
    if not expression or not expression.strip():
        return pd.Series(1.0, index=voters.index, name="value")
    return evaluate_value(voters, expression)


def plan_budget(
    voters: pd.DataFrame,
    turf_minutes: dict[str, float],
    *,
    hours: float,
    values: pd.Series,
    expression: str | None,
) -> PlanBudget:
    """Choose the turfs to work within ``hours`` and say what they reach.

    Parameters
    ----------
    voters : pandas.DataFrame
        Voters with ``target``, ``turf`` and ``household_id`` (after the turfs are routed).
    turf_minutes : dict
        Minutes of every turf, by id.
    hours : float
        Volunteer-hours available.
    values : pandas.Series
        Each voter's value (`voter_values`), indexed like ``voters``.
    expression : str or None
        The value expression, for the record.
    """
    ids = sorted(turf_minutes)
    target = voters.loc[voters["target"].to_numpy(dtype=bool) & voters["turf"].notna()]
    worth = values.reindex(target.index).fillna(0.0)
    by_turf = worth.groupby(target["turf"].astype(str)).sum().reindex(ids).fillna(0.0)
    voters_by_turf = target.groupby(target["turf"].astype(str)).size().reindex(ids).fillna(0)
    doors_by_turf = (
        target.groupby(target["turf"].astype(str))["household_id"].nunique().reindex(ids).fillna(0)
    )
    minutes = np.array([turf_minutes[i] for i in ids], dtype=np.float64)
    value = by_turf.to_numpy(dtype=np.float64)
    choice = choose_turfs(value, minutes, hours=hours)
    curve = value_curve(value, minutes, up_to_hours=max(hours, float(minutes.sum()) / 60.0))
    table = pd.DataFrame(
        {"value": np.round(value, 3), "priority": choice.priority, "in_budget": choice.chosen},
        index=pd.Index(ids, name="turf"),
    )
    chosen = choice.chosen
    record = {
        "hours": round(float(hours), 2),
        "value_expression": (expression or "").strip(),
        "value_of": (expression or "").strip() or DEFAULT_VALUE,
        "hours_used": round(choice.minutes_used / 60.0, 2),
        "turfs": int(chosen.sum()),
        "doors": int(doors_by_turf.to_numpy()[chosen].sum()),
        "voters": int(voters_by_turf.to_numpy()[chosen].sum()),
        "value": round(choice.value, 2),
        "value_total": round(float(value[value > 0].sum()), 2),
        "hours_total": round(float(minutes.sum()) / 60.0, 2),
        "order": [ids[i] for i in np.argsort(choice.priority, kind="stable")],
        "curve": [{"hours": h, "value": round(v, 2)} for h, v in curve],
    }
    return PlanBudget(turfs=table, record=record)
