"""Re-cutting the budget's area so that the hours end on whole turfs.

The knapsack of ``app.planning.budget`` may trim turfs to their best doors: the hours then go to
the right doors, but volunteers get remnants of turfs (a list that stops at stop 14, doors to
skip on the way). Here the doors the budget chose are cut again into turfs of their own (the
cutter's usual size, within each precinct), apart from the doors it left out, which are cut
into turfs behind them. The budget is then chosen again over these turfs, whole ones only; the
re-cut plan replaces the trimmed one when it reaches at least as much value within the hours
(each turf still pays its ``minutes_per_turf`` to be reached).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

import numpy as np
import pandas as pd

from app.planning.budget import PlanBudget

T = TypeVar("T")

AREA_SEPARATOR = "\x1f"
"""Joins a stop's precinct and whether the budget knocks it into the group the cutter keeps
apart (no precinct id holds this control character)."""
IN_BUDGET, BEHIND = "budget", "later"
LEVELS = (0.4, 0.8)
"""Shares of the plan's stops (by their best door) below the levels the area is cut at. Each
level is a whole cut and route of the plan; on the demo 0.2 and 0.6 never won (0.8 mostly)."""


@dataclass(frozen=True)
class Recut(Generic[T]):
    """The plan's turfs, voters and budget after re-cutting (or as they were)."""

    turfs: list[T]
    voters: pd.DataFrame
    budget: PlanBudget


def door_values(voters: pd.DataFrame, values: pd.Series) -> pd.DataFrame:
    """Target doors in turfs: ``stop_id`` and ``value`` (the sum over its target voters)."""
    target = voters.loc[voters["target"].to_numpy(dtype=bool) & voters["turf"].notna()]
    frame = pd.DataFrame(
        {
            "household_id": target["household_id"].to_numpy(),
            "stop_id": target["stop_id"].astype(str).to_numpy(),
            "value": values.reindex(target.index).fillna(0.0).to_numpy(),
        }
    )
    return frame.groupby("household_id", sort=False).agg(
        stop_id=("stop_id", "first"), value=("value", "sum")
    )


def worth_levels(doors: pd.DataFrame) -> list[tuple[float, set[str]]]:
    """Per share of stops left behind, the stops with a door worth at least that level.

    Each set, cut into turfs of its own, is a plan whose turfs are all good doors: the
    doors below the level are left to turfs behind them.
    """
    best = doors.groupby("stop_id")["value"].max()
    worth = best.to_numpy()
    positive = worth[worth > 0]
    if not len(positive):
        return []
    areas: dict[frozenset[str], float] = {}
    for share in LEVELS[::-1]:
        area = frozenset(best.index[worth >= np.quantile(positive, share)])
        areas.setdefault(area, share)  # equal levels: one cut
    return [(share, set(area)) for area, share in areas.items()]


def area_groups(precincts: np.ndarray, stop_ids: np.ndarray, area: set[str]) -> np.ndarray:
    """Per stop, the cutter's group: its precinct, split into the area's stops and the rest."""
    inside = np.isin(stop_ids.astype(str), np.array(sorted(area), dtype=str))
    part = np.where(inside, AREA_SEPARATOR + IN_BUDGET, AREA_SEPARATOR + BEHIND)
    return np.char.add(precincts.astype(str), part).astype(object)


def main_precinct(precincts: np.ndarray, members: np.ndarray) -> str:
    """The precinct most of a turf's stops are in (ties: the first by id)."""
    names, counts = np.unique(precincts[members].astype(str), return_counts=True)
    return str(names[np.argmax(counts)]) if len(names) else ""


def recut_budget(
    budget: PlanBudget,
    turfs: list[T],
    voters: pd.DataFrame,
    *,
    areas: list[tuple[float, set[str]]],
    cut_and_place: Callable[[set[str]], tuple[list[T], pd.DataFrame]],
    choose_whole: Callable[[list[T], pd.DataFrame], PlanBudget],
) -> Recut[T]:
    """Whole turfs in budget, from the plan's cut or a re-cut, when they reach as much value.

    Parameters
    ----------
    budget : PlanBudget
        The budget over the plan's turfs, trimmed where that pays.
    turfs, voters
        The plan's turfs and its voters placed in them (kept when no re-cut pays).
    areas : list of (float, set of str)
        Share of stops left behind and the stop ids to cut apart from them, one re-cut each
        (`worth_levels`).
    cut_and_place : callable
        Cuts the plan's stops again, an area apart from the others; returns the new turfs
        and the voters placed in them.
    choose_whole : callable
        The budget over given turfs and voters, whole turfs only.

    Returns
    -------
    Recut
        The record gains ``recut``: the value reached trimming turfs and with whole turfs,
        the share of stops the best cut left behind (0: the plan's cut), and which was used.
    """
    trimmed = budget.record["value"]
    if not budget.record["turfs_trimmed"]:  # the plan's whole turfs already are the best
        note = {"trimmed_value": trimmed, "whole_value": trimmed, "stops_behind": 0.0}
        return Recut(turfs, voters, _noted(budget, {**note, "cuts_tried": 0, "used": True}))
    best = Recut(turfs=turfs, voters=voters, budget=choose_whole(turfs, voters))
    behind = 0.0
    for share, area in areas:
        new_turfs, new_voters = cut_and_place(area)
        whole = choose_whole(new_turfs, new_voters)
        if whole.record["value"] > best.budget.record["value"]:
            best, behind = Recut(turfs=new_turfs, voters=new_voters, budget=whole), share
    used = best.budget.record["value"] >= trimmed
    note = {
        "trimmed_value": trimmed,
        "whole_value": best.budget.record["value"],
        "stops_behind": behind,
        "cuts_tried": 1 + len(areas),
        "used": used,
    }
    if used:
        return Recut(best.turfs, best.voters, _noted(best.budget, note))
    return Recut(turfs, voters, _noted(budget, note))


def _noted(budget: PlanBudget, note: dict[str, object]) -> PlanBudget:
    return PlanBudget(budget.turfs, {**budget.record, "recut": note}, budget.skipped)
