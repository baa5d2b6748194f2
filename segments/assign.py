"""Who goes where: turfs given to volunteers so that the travel from home to turf is least.

Each volunteer (or pair: two who walk together form one *team*) has some minutes to give, or
none said, which means one turf whatever its length. The best assignment gives out as many
turfs as the minutes allow and, among those, has the least total travel from each member's
home to the drop-off of the turf they walk (a pair's two trips both count; the turf counts
once). It is exact:

- when no team can take two turfs (the usual Saturday: three hours, two-hour turfs) it is an
  assignment problem, solved by ``scipy.optimize.linear_sum_assignment`` (Hungarian method)
  on travel minus a reward per turf given, the reward larger than any total travel;
- otherwise it is a generalised assignment problem (turfs of different lengths in one
  volunteer's hours, a knapsack per team), solved as a 0/1 program with HiGHS
  (``scipy.optimize.milp``) in two stages: most turfs given, then least travel for that many.
  Copies of volunteers in an assignment problem would not respect the hours when turfs differ
  in length, so they are not used. Up to ``ALL_PAIRS`` (team, turf) pairs the program is
  offered every pair and its answer is proven best. Bigger, it is offered each turf's
  ``CANDIDATES`` nearest teams, each team's nearest turfs, and the pairs of the two greedy
  answers (table order, nearest first), so it can always do as well as those: with every pair
  it ran past its time limit on a synthetic county (150 volunteers, 200 turfs) with an answer
  worse than the greedy one; with the 8 or 15 nearest it finished, 15 nearest 1 % shorter.
  Should it still run out of time, the best answer found (its own or a greedy one) is
  improved by local search (moves, swaps, exchanges with a turf nobody walks) and returned
  with ``optimal`` False.

Travel is the great-circle distance in km: volunteers come from outside the walk network
(driving, a bus), so a straight line is the honest common measure.

Examples
--------
>>> travel = np.array([[1.0, 5.0], [4.0, 2.0]])
>>> result = assign_turfs(travel, np.array([90.0, 100.0]), minutes=np.array([180.0, 180.0]))
>>> result.team_of_turf.tolist(), result.travel_km
([0, 1], 3.0)
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import numpy.typing as npt
from scipy.optimize import Bounds, LinearConstraint, OptimizeResult, linear_sum_assignment, milp
from scipy.sparse import csr_array

__all__ = [
    "TurfAssignment",
    "assign_in_order",
    "assign_nearest_first",
    "assign_turfs",
    "great_circle_km",
    "teams_from_pairs",
]

EARTH_RADIUS_KM = 6371.0088
TIME_LIMIT_S = 20.0
"""Most seconds each stage of the 0/1 program may take; the best found is kept after it."""
CANDIDATES = 15
ALL_PAIRS = 4000
"""Up to this many (team, turf) pairs that fit, the program is offered all of them."""
"""Teams each turf is offered to in the 0/1 program: its nearest that have the minutes."""

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True)
class TurfAssignment:
    """Which team walks each turf, and the travel that costs."""

    team_of_turf: IntArray
    """Per turf, the index of the team that walks it, or -1 (no one has the minutes)."""
    teams: tuple[tuple[int, ...], ...]
    """Each team's volunteers (indices into the rows of the travel matrix)."""
    travel_km: float
    """Total travel of all members from home to their turfs' drop-offs."""
    method: str
    """``assignment`` (Hungarian), ``milp`` (HiGHS), ``table_order`` or ``nearest_first``."""
    optimal: bool
    """Proven best; False when the 0/1 program ran out of time or was not offered every pair."""

    @property
    def turfs_assigned(self) -> int:
        """How many turfs someone walks."""
        return int((self.team_of_turf >= 0).sum())


def great_circle_km(
    lat_a: npt.ArrayLike, lon_a: npt.ArrayLike, lat_b: npt.ArrayLike, lon_b: npt.ArrayLike
) -> FloatArray:
    """Distances in km from every point a (rows) to every point b (columns), haversine.

    >>> round(float(great_circle_km([60.17], [24.94], [60.18], [24.94])[0, 0]), 2)
    1.11
    """
    la, oa = np.radians(np.asarray(lat_a, float))[:, None], np.radians(np.asarray(lon_a, float))
    lb, ob = np.radians(np.asarray(lat_b, float))[None, :], np.radians(np.asarray(lon_b, float))
    h = (
        np.sin((lb - la) / 2) ** 2
        + np.cos(la) * np.cos(lb) * np.sin((ob[None, :] - oa[:, None]) / 2) ** 2
    )
    return np.asarray(2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(h, 0, 1))), dtype=float)


def teams_from_pairs(count: int, pairs: list[tuple[int, int]]) -> tuple[tuple[int, ...], ...]:
    """Volunteers ``0..count-1`` grouped into teams: a pair walks together, the rest alone.

    Raises ``ValueError`` when someone would be in two pairs (a team is at most two people).
    """
    partner: dict[int, int] = {}
    for a, b in pairs:
        if a == b:
            raise ValueError(f"volunteer {a} cannot pair with themselves")
        for one, other in ((a, b), (b, a)):
            if partner.get(one, other) != other:
                raise ValueError(f"volunteer {one} is in two pairs: {partner[one]} and {other}")
            partner[one] = other
    teams: list[tuple[int, ...]] = []
    for person in range(count):
        mate = partner.get(person)
        if mate is None:
            teams.append((person,))
        elif person < mate:
            teams.append((person, mate))
    return tuple(teams)


@dataclass(frozen=True)
class _Teams:
    """Teams with their travel to every turf, their minutes and how many turfs each may take."""

    members: tuple[tuple[int, ...], ...]
    travel: FloatArray  # teams x turfs
    minutes: FloatArray  # inf: no limit said
    most_turfs: IntArray  # 1 for anyone who gave no hours


def _teams(
    travel_km: FloatArray, minutes: FloatArray, pairs: list[tuple[int, int]], turf_count: int
) -> _Teams:
    members = teams_from_pairs(travel_km.shape[0], pairs)
    said = ~np.isnan(minutes)
    cap = np.where(said, minutes, np.inf)
    most = np.where(said, turf_count, 1)
    return _Teams(
        members=members,
        travel=np.array([travel_km[list(m)].sum(axis=0) for m in members]).reshape(
            len(members), turf_count
        ),
        minutes=np.array([cap[list(m)].min() for m in members], dtype=float),
        most_turfs=np.array([most[list(m)].min() for m in members], dtype=np.int64),
    )


def _check(travel_km: FloatArray, turf_minutes: FloatArray, minutes: FloatArray) -> None:
    if travel_km.ndim != 2 or travel_km.shape[1] != len(turf_minutes):
        raise ValueError("travel_km must be volunteers x turfs, one column per turf")
    if len(minutes) != travel_km.shape[0]:
        raise ValueError("minutes must have one value per volunteer (NaN: one turf)")
    if not np.isfinite(travel_km).all() or (travel_km < 0).any():
        raise ValueError("travel_km must be finite and not negative")


def assign_turfs(
    travel_km: npt.ArrayLike,
    turf_minutes: npt.ArrayLike,
    *,
    minutes: npt.ArrayLike,
    pairs: list[tuple[int, int]] | None = None,
    time_limit_s: float = TIME_LIMIT_S,
    candidates: int = CANDIDATES,
) -> TurfAssignment:
    """The assignment of turfs to teams giving out most turfs with the least travel.

    Parameters
    ----------
    travel_km
        Volunteers x turfs: each volunteer's travel from home to each turf's drop-off.
    turf_minutes
        Each turf's walking and door time.
    minutes
        Each volunteer's minutes (hours x 60); NaN: not said, one turf of any length.
    pairs
        Volunteers (row indices) who walk together; a pair has the smaller of their minutes.
    time_limit_s
        Most seconds per stage of the 0/1 program (the assignment problem needs no limit).
    candidates
        Teams each turf is offered to in the 0/1 program (its nearest that fit).
    """
    travel = np.asarray(travel_km, dtype=float)
    turf_min = np.asarray(turf_minutes, dtype=float)
    own = np.asarray(minutes, dtype=float)
    _check(travel, turf_min, own)
    teams = _teams(travel, own, pairs or [], len(turf_min))
    fits = turf_min[None, :] <= teams.minutes[:, None] + 1e-9
    if not len(turf_min) or not len(teams.members) or not fits.any():
        return TurfAssignment(
            np.full(len(turf_min), -1, np.int64), teams.members, 0.0, "assignment", True
        )
    # Whether any team could take two turfs: the two shortest that fit it.
    two = np.array([np.sort(turf_min[row])[:2].sum() if row.sum() > 1 else np.inf for row in fits])
    if ((teams.most_turfs < 2) | (two > teams.minutes + 1e-9)).all():
        return _hungarian(teams, fits)
    nearest = _nearest_first(teams, turf_min)
    # Each turf's nearest teams, each team's nearest turfs, and the greedy answer's pairs (so
    # the program can always do at least as well as the greedy answer).
    far = np.where(fits, teams.travel, np.inf)
    offered = np.zeros_like(fits)
    np.put_along_axis(offered, np.argsort(far, axis=0, kind="stable")[:candidates], True, axis=0)
    np.put_along_axis(offered, np.argsort(far, axis=1, kind="stable")[:, :candidates], True, 1)
    in_order = _in_order(teams, turf_min)
    for answer in (nearest, in_order):
        given = np.flatnonzero(answer.team_of_turf >= 0)
        offered[answer.team_of_turf[given], given] = True
    if fits.sum() <= ALL_PAIRS:
        offered = fits.copy()
    known = max(nearest.turfs_assigned, in_order.turfs_assigned)
    exact = _milp(teams, fits & offered, turf_min, time_limit_s, known)
    if not exact.optimal:
        # Out of time: the best of its answer and the greedy ones, improved by local search.
        tried = [exact, nearest, in_order]
        best = max(tried, key=lambda a: (a.turfs_assigned, -a.travel_km))
        better = _improve(teams, turf_min, fits, best.team_of_turf)
        exact = _result(teams, better, f"milp out of time, {best.method} improved", optimal=False)
    if exact.optimal and not offered[fits].all():
        return replace(exact, optimal=False)
    return exact


def _result(
    teams: _Teams, team_of_turf: IntArray, method: str, *, optimal: bool = True
) -> TurfAssignment:
    given = np.flatnonzero(team_of_turf >= 0)
    travel = float(teams.travel[team_of_turf[given], given].sum())
    return TurfAssignment(team_of_turf, teams.members, travel, method, optimal)


def _hungarian(teams: _Teams, fits: npt.NDArray[np.bool_]) -> TurfAssignment:
    """Each team at most one turf: travel minus a reward per turf given, larger than all travel."""
    reward = float(teams.travel[fits].sum()) + 1.0
    cost = np.where(fits, teams.travel - reward, 0.0)
    rows, cols = linear_sum_assignment(cost)
    team_of_turf = np.full(fits.shape[1], -1, np.int64)
    keep = fits[rows, cols]
    team_of_turf[cols[keep]] = rows[keep]
    return _result(teams, team_of_turf, "assignment")


def _milp(
    teams: _Teams,
    fits: npt.NDArray[np.bool_],
    turf_min: FloatArray,
    time_limit_s: float,
    at_least: int,
) -> TurfAssignment:
    """A 0/1 variable per (team, turf) offered; most turfs first, then least travel.

    ``at_least`` turfs are known to be possible (the greedy answer): when that is every turf
    anyone is offered, the first stage is not needed.
    """
    team_ix, turf_ix = np.nonzero(fits)
    n = len(team_ix)
    columns = np.arange(n)
    one_team = csr_array((np.ones(n), (turf_ix, columns)), shape=(fits.shape[1], n))
    limited = np.isfinite(teams.minutes)
    by_minutes = csr_array((turf_min[turf_ix], (team_ix, columns)), shape=(fits.shape[0], n))
    by_count = csr_array((np.ones(n), (team_ix, columns)), shape=(fits.shape[0], n))
    constraints = [
        LinearConstraint(one_team, 0, 1),
        LinearConstraint(by_minutes[np.flatnonzero(limited)], 0, teams.minutes[limited]),
        LinearConstraint(by_count, 0, teams.most_turfs.astype(float)),
    ]
    integral, bounds = np.ones(n), Bounds(0, 1)
    options = {"time_limit": time_limit_s, "mip_rel_gap": 0.0}
    cost = teams.travel[team_ix, turf_ix]

    def least_travel(count: int) -> OptimizeResult:
        at = LinearConstraint(np.ones((1, n)), count, np.inf)
        return milp(cost, constraints=[*constraints, at], integrality=integral, bounds=bounds,
                    options={**options, "mip_rel_gap": 1e-7})  # fmt: skip

    # Every turf offered is given, as often (when the greedy answer gave them all): one stage.
    count, first_optimal = int(fits.any(axis=0).sum()), True
    least = least_travel(count) if at_least >= count else None
    if least is None or least.status == 2:  # 2: infeasible, fewer turfs can be given
        most = milp(-np.ones(n), constraints=constraints, integrality=integral, bounds=bounds,
                    options=options)  # fmt: skip
        if most.x is None:  # out of time: as many as the greedy answers give
            count, first_optimal = at_least, False
        else:
            count, first_optimal = round(-most.fun), most.status == 0
        least = least_travel(count)
    team_of_turf = np.full(fits.shape[1], -1, np.int64)
    if least.x is None:  # out of time before a first answer: the caller keeps the greedy one
        return _result(teams, team_of_turf, "milp", optimal=False)
    picked = np.flatnonzero(least.x > 0.5)
    team_of_turf[turf_ix[picked]] = team_ix[picked]
    return _result(teams, team_of_turf, "milp", optimal=first_optimal and least.status == 0)


def _improve(
    teams: _Teams, turf_min: FloatArray, fits: npt.NDArray[np.bool_], start: IntArray
) -> IntArray:
    """Local search keeping the number of turfs given, for an answer out of time.

    The best improving move, swap or exchange with an ungiven turf, again and again until none
    shortens the travel.
    """
    team_of = start.copy()
    cost = teams.travel
    limit = np.where(np.isfinite(teams.minutes), teams.minutes, np.inf)
    for _ in range(20 * len(turf_min) + 100):
        given = np.flatnonzero(team_of >= 0)
        if not len(given):
            break
        used = np.bincount(team_of[given], weights=turf_min[given], minlength=len(limit))
        count = np.bincount(team_of[given], minlength=len(limit))
        left = np.where(teams.most_turfs > 1, limit - used, np.where(count == 0, limit, -1.0))
        owner = team_of[given]
        now = cost[owner, given]
        best, action = -1e-9, None
        # Move a given turf to another team that has the minutes (and may take one more).
        room = (left[:, None] >= turf_min[given][None, :] - 1e-9) & fits[:, given]
        room &= (count < teams.most_turfs)[:, None]
        room[owner, np.arange(len(given))] = False
        delta = np.where(room, cost[:, given] - now[None, :], np.inf)
        if delta.size and delta.min() < best:
            team, i = np.unravel_index(int(delta.argmin()), delta.shape)
            best, action = float(delta[team, i]), ("move", int(given[i]), int(team))
        # Swap two given turfs between their teams.
        across = cost[owner][:, given]  # [i, j]: the owner of i walking turf j
        m = turf_min[given]
        # A swap or an exchange keeps each team's number of turfs: only the minutes matter.
        spare = np.minimum(limit - used, 1e18)[owner]
        ok = (spare[:, None] + m[:, None] - m[None, :] >= -1e-9) & fits[owner][:, given]
        ok &= ok.T & (owner[:, None] != owner[None, :])
        delta = np.where(ok, across + across.T - now[:, None] - now[None, :], np.inf)
        if delta.size and delta.min() < best:
            i, j = np.unravel_index(int(delta.argmin()), delta.shape)
            best, action = float(delta[i, j]), ("swap", int(given[i]), int(given[j]))
        # Give a turf nobody walks instead of one given.
        free = np.flatnonzero(team_of < 0)
        if len(free):
            ok = spare[:, None] + m[:, None] - turf_min[free][None, :] >= -1e-9
            ok &= fits[owner][:, free]
            delta = np.where(ok, cost[owner][:, free] - now[:, None], np.inf)
            if delta.min() < best:
                i, j = np.unravel_index(int(delta.argmin()), delta.shape)
                best, action = float(delta[i, j]), ("exchange", int(given[i]), int(free[j]))
        if action is None:
            break
        kind, a, b = action
        if kind == "move":
            team_of[a] = b
        elif kind == "swap":
            team_of[a], team_of[b] = team_of[b], team_of[a]
        else:
            team_of[b], team_of[a] = team_of[a], -1
    return team_of


def _greedy(
    teams: _Teams, turf_min: FloatArray, order: list[tuple[int, int]], method: str
) -> TurfAssignment:
    left = teams.minutes.copy()
    turfs_left = teams.most_turfs.copy()
    team_of_turf = np.full(len(turf_min), -1, np.int64)
    for team, turf in order:
        if team_of_turf[turf] < 0 and turfs_left[team] > 0 and turf_min[turf] <= left[team] + 1e-9:
            team_of_turf[turf] = team
            left[team] -= turf_min[turf]
            turfs_left[team] -= 1
    return _result(teams, team_of_turf, method, optimal=False)


def assign_in_order(
    travel_km: npt.ArrayLike,
    turf_minutes: npt.ArrayLike,
    *,
    minutes: npt.ArrayLike,
    pairs: list[tuple[int, int]] | None = None,
) -> TurfAssignment:
    """The baseline of a list by hand: turfs in table order to the teams in list order.

    Each turf goes to the first team on the list that still has the minutes for it.
    """
    travel, turf_min = np.asarray(travel_km, float), np.asarray(turf_minutes, float)
    teams = _teams(travel, np.asarray(minutes, float), pairs or [], len(turf_min))
    return _in_order(teams, turf_min)


def _in_order(teams: _Teams, turf_min: FloatArray) -> TurfAssignment:
    order = [(k, t) for t in range(len(turf_min)) for k in range(len(teams.members))]
    return _greedy(teams, turf_min, order, "table_order")


def assign_nearest_first(
    travel_km: npt.ArrayLike,
    turf_minutes: npt.ArrayLike,
    *,
    minutes: npt.ArrayLike,
    pairs: list[tuple[int, int]] | None = None,
) -> TurfAssignment:
    """The greedy baseline: the nearest (team, turf) pair left that fits, again and again."""
    travel, turf_min = np.asarray(travel_km, float), np.asarray(turf_minutes, float)
    teams = _teams(travel, np.asarray(minutes, float), pairs or [], len(turf_min))
    return _nearest_first(teams, turf_min)


def _nearest_first(teams: _Teams, turf_min: FloatArray) -> TurfAssignment:
    flat = np.argsort(teams.travel, axis=None, kind="stable")
    rows, cols = np.unravel_index(flat, teams.travel.shape)
    order = list(zip(rows.tolist(), cols.tolist(), strict=True))
    return _greedy(teams, turf_min, order, "nearest_first")
