"""How big a target universe is: voters, doors, stops and the hours it takes to canvass.

Shown before turfs are cut, so the organiser can widen or narrow the target first. The time
model is routing's (`routing.turfs.WalkModel`: walking at 1.2 m/s, 1.5 min per door, 0.5 min per
stop), the shared `geo.effort.WalkModel`.

Before routing there is no walk yet, so it is estimated from how far apart the stops are: each
stop costs `WALK_FACTOR` times the distance to its nearest other target stop. Why 2.2: for points
scattered over an area, the shortest tour through them is about 0.71 sqrt(n A) (Beardwood,
Halton and Hammersley) while the mean nearest-neighbour distance is 0.5 sqrt(A / n), so a tour
walks ~1.42 nearest-neighbour distances per stop in a straight line; streets make walks
~1.3-1.5x longer than the crow flies, hence ~2.0. On the demo plan (496 target stops in central
Helsinki cut into 2-hour turfs) the routed walk is 2.36 times the sum of nearest-neighbour
distances; 2.2 sits between theory and that measurement.

Examples
--------
>>> import pandas as pd
>>> voters = pd.DataFrame(
...     {"household_id": ["H1", "H1", "H2", "H3"], "stop_id": ["S1", "S1", "S1", "S2"],
...      "target": [True, True, True, False]}
... )
>>> size = universe_size(voters)
>>> (size.voters, size.households, size.stops, size.minutes)
(3, 2, 1, 3.5)
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy.spatial import cKDTree

from geo.effort import WalkModel
from segments._data import first_rows, group_codes, metric_xy, require_columns, target_mask

__all__ = ["WALK_FACTOR", "UniverseSize", "universe_size", "walk_share_m"]

WALK_FACTOR = 2.2
"""Estimated walk per stop, in nearest-neighbour distances to the next target stop."""

WalkBasis = Literal["stop spacing", "assumed spacing", "none"]


@dataclass(frozen=True)
class UniverseSize:
    """Size of a target universe and the time it takes to canvass it once."""

    voters: int
    households: int
    """Doors: one knock each."""
    stops: int
    walk_m: float
    """Estimated walk between stops (see the module docstring), before any routing."""
    minutes: float
    walk_basis: WalkBasis
    """What `walk_m` comes from: the stops' positions, an assumed spacing, or nothing (a
    universe of zero or one stop walks nowhere)."""

    @property
    def hours(self) -> float:
        """`minutes` in hours."""
        return self.minutes / 60.0

    def as_dict(self) -> dict[str, Any]:
        """Plain numbers for JSON, rounded for people (``hours`` included)."""
        document = asdict(self)
        document["walk_m"] = round(self.walk_m, 1)
        document["minutes"] = round(self.minutes, 1)
        document["hours"] = round(self.hours, 2)
        return document


def walk_share_m(
    x_m: npt.ArrayLike, y_m: npt.ArrayLike, *, walk_factor: float = WALK_FACTOR
) -> npt.NDArray[np.float64]:
    """Each stop's share of the walk: `walk_factor` times the distance to its nearest other stop.

    Parameters
    ----------
    x_m, y_m : array_like
        Stop coordinates in metres (a projected CRS), one per stop, all finite.
    walk_factor : float, default WALK_FACTOR
        Walk per stop in nearest-neighbour distances (see the module docstring).

    Returns
    -------
    numpy.ndarray
        Metres per stop; zeros when there are fewer than two stops.

    Examples
    --------
    >>> walk_share_m([0.0, 30.0, 100.0], [0.0, 0.0, 0.0], walk_factor=2.0).tolist()
    [60.0, 60.0, 140.0]
    """
    xy = np.column_stack([np.asarray(x_m, dtype=np.float64), np.asarray(y_m, dtype=np.float64)])
    if len(xy) < 2:
        return np.zeros(len(xy), dtype=np.float64)
    distances, _ = cKDTree(xy).query(xy, k=2)
    return np.asarray(distances[:, 1] * walk_factor, dtype=np.float64)


def universe_size(
    voters: pd.DataFrame,
    *,
    target: str | pd.Series | None = "target",
    model: WalkModel | None = None,
    walk_factor: float = WALK_FACTOR,
    assumed_spacing_m: float = 30.0,
) -> UniverseSize:
    """Count the voters, doors and stops of a target and estimate the hours to canvass it.

    Parameters
    ----------
    voters : pandas.DataFrame or geopandas.GeoDataFrame
        One row per voter with ``household_id`` and ``stop_id`` (and the `target` column when it
        is named). A GeoDataFrame of points (any CRS) lets the walk be estimated from where the
        stops are; each stop's position is that of its first voter.
    target : str, pandas.Series or None, default "target"
        Boolean column name, boolean Series indexed like `voters`, or None for every voter.
    model : WalkModel or None
        Walking speed and minutes per door and stop; None uses the routing defaults.
    walk_factor : float, default WALK_FACTOR
        Walk per stop in nearest-neighbour distances.
    assumed_spacing_m : float, default 30.0
        Nearest-neighbour distance assumed when `voters` has no geometry.

    Returns
    -------
    UniverseSize
        Missing or blank household ids count one door per voter (as in the filter language).

    Raises
    ------
    SegmentDataError
        If a column is missing or the target mask is not indexed like `voters`.
    """
    require_columns(voters, ["household_id", "stop_id"], "voters")
    model = model or WalkModel()
    mask = target_mask(voters, target)
    chosen = voters.loc[mask] if not mask.all() else voters
    households = len(group_codes(chosen["household_id"])[1])
    stop_codes, stop_labels = group_codes(chosen["stop_id"])
    stops = len(stop_labels)
    walk_m, basis = _estimate_walk(chosen, stop_codes, stops, walk_factor, assumed_spacing_m)
    return UniverseSize(
        voters=len(chosen),
        households=households,
        stops=stops,
        walk_m=walk_m,
        minutes=model.minutes(walk_m, doors=households, stops=stops),
        walk_basis=basis,
    )


def _estimate_walk(
    chosen: pd.DataFrame,
    stop_codes: npt.NDArray[np.intp],
    stops: int,
    walk_factor: float,
    assumed_spacing_m: float,
) -> tuple[float, WalkBasis]:
    if stops < 2:
        return 0.0, "none"
    if not isinstance(chosen, gpd.GeoDataFrame):
        return stops * assumed_spacing_m * walk_factor, "assumed spacing"
    first = first_rows(stop_codes)
    points = metric_xy(chosen.iloc[first])
    located = np.isfinite(points.x) & np.isfinite(points.y)
    if located.sum() < 2:
        return stops * assumed_spacing_m * walk_factor, "assumed spacing"
    shares = walk_share_m(points.x[located], points.y[located], walk_factor=walk_factor)
    # Stops without a position walk as far as the average located one.
    return float(shares.sum() + (stops - located.sum()) * shares.mean()), "stop spacing"
