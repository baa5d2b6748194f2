"""Improvement moves between the turfs of one group, as vehicle-routing local search makes them.

After the long walk is cut and its split block faces are made whole (``routing.relocate``),
the turfs are still the pieces of one walk: where that walk doubled back, a turf walks out of
its way to stops another turf passes. Moves of vehicle routing fix this, evaluated on the
open-path cost (walking metres plus the crossing charge of ``routing.distances``):

- **relocate**: a turf's part of a block face moves to a neighbouring turf, inserted where
  it adds least, either way round;
- **swap**: two block faces of neighbouring turfs change places;
- **2-opt-star**: two turfs exchange the ends of their walks (head of one with tail of the
  other, or head with head), cut only between block faces;
- **kicks**: the faces nearest a random stop leave their turfs and go back one by one where
  they add least, then the moves above run again from the turfs that changed (ruin and
  recreate, ``routing._exchange_kicks``). A kick that walks less is kept; one that walks
  more is kept with the odds of simulated annealing at a temperature that falls to nothing
  over the kicks, so the search can climb out of a local optimum; the best turfs seen win.

A move is tried only towards turfs holding one of the moved stops' nearest stops (neighbour
lists), and made only when, after both changed walks are re-ordered (2-opt, and or-opt of
runs of up to 8 stops: ``routing._paths``), the two turfs walk less, both stay within the
size band (or no farther from it than before), no block face is split, and no more turfs
span two quiet cells (areas between barrier streets) than before. Turfs never leave their
group, so they never leave their precinct.

The search runs compiled (numba) on arrays (``routing._exchange_search``). It counts kicks
and moves, never the clock, and draws kicks from a fixed seed, so the same input gives the
same turfs on any machine at any load.
"""

from __future__ import annotations

import numpy as np

from geo.effort import WalkModel
from routing._exchange_kicks import improve
from routing._exchange_search import PATHS, SIZES, workspace
from routing._paths import nearest_stops
from routing.order import order_stops, path_length_m

BAND = 0.15
"""Turfs are judged by ±15 % of their target."""
DOORS_TOLERANCE = BAND
MINUTES_TOLERANCE = 0.14
"""A little inside the band: the final routing adds the walk from a street corner."""
SHORTER_WALK = (0.0, 0.1, 0.3)
"""The final routing may walk a turf shorter than the quick re-order of the search (2-opt and
or-opt): below the target, a turf's minutes are judged on a walk this much shorter. The
search runs with the first; if a changed turf near the foot of the band is out of it on the
walk the final routing finds, again with the next (and if all fail, the turfs stay as they
came)."""
ORDER_KICKS_PER_STOP = 10
"""Kicks of the walk-order search per stop when the turfs are ordered before the moves."""
NEAREST_STOPS = 16
"""Moves go to turfs holding one of a moved stop's this many nearest stops (by cost)."""
GAIN_M = 1.0
"""A move must save at least this many metres (cost) to be made."""
CANDIDATES = 3
"""Moves per block face or pair of turfs judged in full (both walks re-ordered), best first by
the quick estimate (cheapest insertion on the current walks)."""
SLACK_M = 20.0
"""A relocate or swap whose quick estimate loses at most this much is still judged in full:
re-ordering the two walks often turns it into a gain."""
KICKS_PER_STOP = 6.0
"""Kicks (ruin and recreate) per stop of the group: the search's budget, a count rather than
seconds so that it ends in the same place on any machine. With annealing, twice the kicks of
plain descent (3 per stop) saved another 0.7 % on the bench's door-sized instances; without
it, more kicks saved nothing."""
TIGHTER = (0.0, 0.02, 0.04)
"""If a changed turf ends over the band once routed from its street corner, the moves run again
this much inside the band's top."""
TOP_MARGIN = 0.03
"""Changed turfs this close to the band's top (search walk plus corner) are routed to check."""
MAX_KICKS = 4_000
"""Kicks per group at most: a county has ten groups of ~2,500 stops, and 1,000 stops must cut and
route in under 5 s (4,000 kicks: 3.6 s of CPU there at the bench; 3,000 walked 0.4 % more on
the 778-stop instances than 5,000)."""
FACES_OUT = 50
"""A kick takes out between one and this many block faces: large ruins (as SISR's, ~10 % of
a group's stops at the top) let annealing reach other cuts; 10 found less (bench_turfs)."""
MOVES_PER_STOP = 50
"""Moves made at most, per stop of the group (a bound only; the search stops long before)."""
TEMPERATURE_M = 60.0
"""Simulated annealing of the kicks starts at this temperature (metres of cost): a kick that
walks d metres more is kept with odds exp(-d / temperature), the temperature falling linearly
to nothing over the kicks. Of 0 (plain descent), 30 and 60, 60 did best (30 within 0.3 %)."""
SEED = 20_261_203


def exchange_between_turfs(
    pieces: list[list[int]],
    cost: np.ndarray,
    metres: np.ndarray,
    doors: np.ndarray,
    cells: np.ndarray,
    faces: np.ndarray,
    target: float,
    *,
    by_doors: bool,
    model: WalkModel,
    tolerance: float | None = None,
    corner_m: np.ndarray | None = None,
) -> list[list[int]]:
    """Pieces (paths of stop indices into ``cost``) after relocate, swap, 2-opt* and kicks.

    ``target`` is in doors when ``by_doors``, else in minutes of ``model``; ``tolerance`` is
    the size band the moves keep to: by default the ±15 % turfs are judged by for doors, and
    a little inside it for minutes, because the final routing re-orders every walk and so
    changes its minutes a little. ``corner_m`` is each stop's walk from its nearest street
    corner, which the final routing adds before the first door: a changed turf the moves packed
    near the band's top is checked with it, and the moves run again a little inside the band
    if it ends over. Each returned path is in walking order.
    """
    if tolerance is None:
        tolerance = DOORS_TOLERANCE if by_doors else MINUTES_TOLERANCE
    if len(pieces) < 2:
        return [list(p) for p in pieces]
    n = cost.shape[0]
    near = nearest_stops(np.ascontiguousarray(cost, dtype=np.float64), NEAREST_STOPS)
    face_ids = np.unique(faces, return_inverse=True)[1]
    start = [_walk(cost, piece, kicks=ORDER_KICKS_PER_STOP * len(piece)) for piece in pieces]

    def over(path: list[int], walk_m: float) -> float:
        """How far above (+) or below (-) its target ``path`` is when it walks ``walk_m``."""
        minutes = model.minutes(walk_m, doors=round(float(doors[path].sum())), stops=len(path))
        return minutes / target - 1.0

    def off(path: list[int], shorter: float = 0.0) -> float:
        return abs(over(path, path_length_m(metres, path) * (1.0 - shorter)))

    def from_corner_m(walk: list[int]) -> float:
        assert corner_m is not None
        return path_length_m(metres, walk) + float(corner_m[walk[0]])

    def routed_over(path: list[int]) -> float:
        """How far the final routing's walk (from the corner) ends over the band's top."""
        walk = _walk(cost, path)
        return over(walk, from_corner_m(walk)) - BAND

    def near_top(path: list[int]) -> bool:
        return over(path, from_corner_m(path)) > BAND - TOP_MARGIN

    for shorter in SHORTER_WALK:
        for inside in TIGHTER:
            params = np.array(
                [
                    target,
                    tolerance - inside,
                    1.0 if by_doors else 0.0,
                    model.speed_mps,
                    model.minutes_per_door,
                    model.minutes_per_stop,
                    GAIN_M,
                    SLACK_M,
                    CANDIDATES,
                    shorter,
                ]
            )
            w = workspace(start, cost, metres, doors, cells, face_ids, near, params)
            kicks = min(MAX_KICKS, int(KICKS_PER_STOP * n))
            improve(w, kicks, FACES_OUT, SEED, MOVES_PER_STOP * n, TEMPERATURE_M)
            paths = [w[PATHS][k, : w[SIZES][k]].tolist() for k in range(len(pieces))]
            changed = [k for k, path in enumerate(paths) if sorted(path) != sorted(pieces[k])]
            # Minutes: a changed turf the final routing might walk much shorter is checked on
            # the walk it will find (the same search, the same answer).
            at_risk = [
                k for k in changed if not by_doors and off(paths[k], SHORTER_WALK[-1]) > BAND
            ]
            if not all(
                off(_walk(cost, paths[k])) <= max(BAND, off(_walk(cost, pieces[k])))
                for k in at_risk
            ):
                break  # too short: judge minutes on a shorter walk
            # ... and one packed near the top, on that walk from its street corner.
            long = [
                k for k in changed if not by_doors and corner_m is not None and near_top(paths[k])
            ]
            if all(routed_over(paths[k]) <= max(0.0, routed_over(pieces[k])) for k in long):
                return paths
    return [list(p) for p in pieces]


def _walk(cost: np.ndarray, stops: list[int], *, kicks: int | None = None) -> list[int]:
    """``stops`` in the walking order of ``routing.order`` (by default the final routing's)."""
    order = order_stops(cost[np.ix_(stops, stops)], kicks=kicks)
    return [stops[i] for i in order]
