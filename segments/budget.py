"""Fitting a universe into the hours volunteers have: value per minute, and what to drop first.

A door is worth the scores of its target voters times the chance someone answers; it costs the
minutes at the door plus its share of its stop's time and of the walk (the time model and walk
estimate of `segments.universe`). Doors, stops or turfs are ranked by value per minute and kept
best first until the hours run out; the rest are dropped, the lowest value per minute first.

Examples
--------
>>> items = pd.DataFrame({"value": [10.0, 9.0, 1.0], "minutes": [10.0, 3.0, 5.0]},
...                      index=["A", "B", "C"])
>>> budget = fit_to_budget(items, hours=0.25)
>>> budget.kept.tolist(), budget.dropped.tolist()
(['B', 'A'], ['C'])
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd

from geo.effort import WalkModel
from segments._data import (
    first_rows,
    group_codes,
    group_names,
    metric_xy,
    require_columns,
    target_mask,
)
from segments._errors import SegmentDataError
from segments.universe import WALK_FACTOR, walk_share_m

__all__ = ["Budget", "door_values", "fit_to_budget", "group_values"]


def door_values(
    voters: pd.DataFrame,
    *,
    target: str | pd.Series | None = "target",
    score: str = "support_score",
    contact_probability: float | str | pd.Series = 0.4,
    model: WalkModel | None = None,
    walk_factor: float = WALK_FACTOR,
    assumed_spacing_m: float = 30.0,
) -> pd.DataFrame:
    """Expected value, minutes and value per minute of every target door.

    Parameters
    ----------
    voters : pandas.DataFrame or geopandas.GeoDataFrame
        One row per voter with ``household_id``, ``stop_id``, the target and `score`. With
        point geometry the walk is estimated from the spacing of the target stops.
    target : str, pandas.Series or None, default "target"
        Boolean target column, mask, or None for every voter.
    score : str, default "support_score"
        What a target voter is worth (e.g. a support, persuasion or turnout score); missing
        scores count as the mean of the others.
    contact_probability : float, str or pandas.Series, default 0.4
        Chance that a knock reaches someone: one number, a voter column (averaged over each
        door's target voters) or a Series indexed by household id (e.g. a contact rate per
        precinct from `segments.engagement` spread to the doors); missing values use the mean.
    model : WalkModel or None
        Minutes per door and stop and walking speed; None uses the routing defaults.
    walk_factor, assumed_spacing_m : float
        Walk estimate, as in `segments.universe.universe_size`.

    Returns
    -------
    pandas.DataFrame
        Indexed by household id: ``stop_id``, ``voters`` (target voters), ``score`` (their sum),
        ``contact_probability``, ``value`` (score x contact probability), ``minutes`` (door
        time plus an equal share of the stop's time and walk) and ``value_per_minute``.
    """
    require_columns(voters, ["household_id", "stop_id", score], "voters")
    model = model or WalkModel()
    chosen = voters.loc[target_mask(voters, target)]
    scores = pd.to_numeric(chosen[score], errors="coerce")
    scores = scores.fillna(scores.mean() if scores.notna().any() else 0.0)
    household, labels = group_codes(chosen["household_id"])
    probability = _probabilities(chosen, contact_probability, labels[household])
    first = first_rows(household)
    count = np.bincount(household, minlength=len(labels)).astype(np.float64)
    ids = group_names(household, labels, chosen.index)
    doors = pd.DataFrame(
        {
            "stop_id": chosen["stop_id"].to_numpy(dtype=object)[first],
            "voters": count.astype(np.int64),
            "score": np.bincount(household, weights=scores.to_numpy(dtype=np.float64)),
            "contact_probability": np.bincount(household, weights=probability) / count,
        },
        index=pd.Index(ids, dtype=object),
    ).sort_index(kind="stable")
    doors["value"] = doors["score"] * doors["contact_probability"]
    stop_walk_min = _stop_walk_minutes(chosen, model, walk_factor, assumed_spacing_m)
    doors_at_stop = doors.groupby("stop_id")["stop_id"].transform("size")
    overhead = model.minutes_per_stop + doors["stop_id"].map(stop_walk_min).fillna(0.0)
    doors["minutes"] = model.minutes_per_door + overhead / doors_at_stop
    doors["value_per_minute"] = doors["value"] / doors["minutes"]
    doors.index.name = "household_id"
    return doors


def _probabilities(
    chosen: pd.DataFrame, given: float | str | pd.Series, households: np.ndarray
) -> np.ndarray:
    """Contact probability of every chosen voter (`households`: each voter's household id)."""
    if isinstance(given, str):
        require_columns(chosen, [given], "voters")
        values = pd.to_numeric(chosen[given], errors="coerce")
    elif isinstance(given, pd.Series):
        keys = pd.Index([str(k).strip() for k in given.index], dtype=object)
        lookup = pd.to_numeric(pd.Series(given.to_numpy(), index=keys), errors="coerce")
        lookup = lookup.loc[~lookup.index.duplicated()]
        position = lookup.index.get_indexer(pd.Index(households, dtype=object))
        found = np.append(lookup.to_numpy(dtype=np.float64), np.nan)[position]
        values = pd.Series(found, index=chosen.index)
    else:
        values = pd.Series(float(given), index=chosen.index)
    known = values.dropna()
    if len(known) and not known.between(0.0, 1.0).all():
        raise SegmentDataError(
            "contact probabilities must be between 0 and 1 (a rate, not a percentage)"
        )
    fill = float(known.mean()) if len(known) else 0.0
    return np.asarray(values.fillna(fill).to_numpy(dtype=np.float64))


def _stop_walk_minutes(
    chosen: pd.DataFrame, model: WalkModel, walk_factor: float, assumed_spacing_m: float
) -> pd.Series:
    """Estimated walk to each target stop, in minutes, indexed by stop id."""
    codes, labels = group_codes(chosen["stop_id"])
    stops = len(labels)
    first = first_rows(codes)
    ids = chosen["stop_id"].iloc[first].to_numpy(dtype=object)
    walk_m = np.full(stops, assumed_spacing_m * walk_factor if stops > 1 else 0.0)
    if isinstance(chosen, gpd.GeoDataFrame) and stops > 1:
        points = metric_xy(chosen.iloc[first])
        located = np.isfinite(points.x) & np.isfinite(points.y)
        if located.sum() >= 2:
            shares = walk_share_m(points.x[located], points.y[located], walk_factor=walk_factor)
            walk_m = np.full(stops, shares.mean())
            walk_m[located] = shares
    minutes = pd.Series(walk_m / model.speed_mps / 60.0, index=ids)
    return minutes.loc[~minutes.index.duplicated()]


def group_values(doors: pd.DataFrame, *, by: str = "stop_id") -> pd.DataFrame:
    """Add door values and minutes up to stops (or turfs: any column of `doors`).

    Returns
    -------
    pandas.DataFrame
        Indexed by `by`: ``doors``, ``value``, ``minutes`` and ``value_per_minute``.
    """
    require_columns(doors, [by, "value", "minutes"], "doors")
    grouped = doors.groupby(by, sort=True)
    table = pd.DataFrame(
        {
            "doors": grouped.size(),
            "value": grouped["value"].sum(),
            "minutes": grouped["minutes"].sum(),
        }
    )
    table["value_per_minute"] = table["value"] / table["minutes"]
    return table


@dataclass(frozen=True)
class Budget:
    """What fits into the hours available, and the order to drop the rest."""

    ranking: pd.DataFrame
    """Every item, best value per minute first, with ``rank`` (1 = best),
    ``cumulative_minutes``, ``keep`` and ``drop_order`` (1 = the first to drop)."""
    hours: float
    minutes_needed: float
    minutes_kept: float
    value_total: float
    value_kept: float

    @property
    def kept(self) -> pd.Index:
        """Items kept, best first."""
        return self.ranking.index[self.ranking["keep"].to_numpy(dtype=bool)]

    @property
    def dropped(self) -> pd.Index:
        """Items that do not fit, the first to drop first (lowest value per minute)."""
        dropped = self.ranking.loc[~self.ranking["keep"]]
        return dropped.sort_values("drop_order", kind="stable").index


def fit_to_budget(
    items: pd.DataFrame, *, hours: float, value: str = "value", minutes: str = "minutes"
) -> Budget:
    """Rank items by value per minute and keep the best until `hours` are used up.

    Items are kept strictly in rank order (the first that does not fit ends the list), so the
    dropped items are always the lowest-ranked ones and ``drop_order`` is the rank reversed.
    Ties keep the input order.

    Parameters
    ----------
    items : pandas.DataFrame
        Doors (`door_values`), stops or turfs (`group_values`), or any frame with a value and
        positive minutes.
    hours : float
        Canvassing hours available (volunteers x shift length).
    value, minutes : str
        Column names.

    Returns
    -------
    Budget
    """
    require_columns(items, [value, minutes], "items")
    if hours < 0:
        raise SegmentDataError(f"hours must not be negative, got {hours}")
    cost = pd.to_numeric(items[minutes], errors="coerce").to_numpy(dtype=np.float64)
    worth = pd.to_numeric(items[value], errors="coerce").fillna(0.0).to_numpy(dtype=np.float64)
    if np.isnan(cost).any() or (cost <= 0).any():
        raise SegmentDataError(f"every item needs positive {minutes!r}; some are missing or <= 0")
    per_minute = worth / cost
    order = np.argsort(-per_minute, kind="stable")
    ranking = items.iloc[order].copy()
    ranking["value_per_minute"] = per_minute[order]
    ranking["rank"] = np.arange(1, len(order) + 1)
    ranking["cumulative_minutes"] = np.cumsum(cost[order])
    budget_min = hours * 60.0
    # A prefix: the first item that does not fit drops everything after it.
    ranking["keep"] = np.cumsum(cost[order]) <= budget_min + 1e-9
    ranking["drop_order"] = len(order) - ranking["rank"] + 1
    kept = ranking["keep"].to_numpy(dtype=bool)
    return Budget(
        ranking=ranking,
        hours=hours,
        minutes_needed=float(cost.sum()),
        minutes_kept=float(cost[order][kept].sum()),
        value_total=float(worth.sum()),
        value_kept=float(worth[order][kept].sum()),
    )
