"""Local improvement between neighbouring turfs: a stop moves to the turf that walks it cheaper.

Cutting one long walk into consecutive pieces leaves stops whose own turf walks out of its
way to reach them while the turf next door passes right by (the long walk came back past
them later, or a cut fell mid-street). Moving such a stop shortens the total walk. A move
is made only when

- the receiving turf already has stops in the stop's quiet cell (no new barrier crossing),
- the giving turf keeps at least one stop,
- both turfs end within the size tolerance, or no farther from the target than before.

Stops are tried in a fixed order for a fixed number of rounds, so the result is
deterministic. Walks are kept as paths in walking order and updated by cheapest insertion;
each turf is routed properly afterwards.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import numpy as np

from geo.effort import WalkModel
from routing.local_search import neighbour_lists

NEAREST_STOPS = 8
"""A stop may move to a turf holding one of its this many nearest stops (by walking cost)."""
ROUNDS = 3
GAIN_M = 1.0
"""A move must shorten the walk by at least this many metres (cost) to be worth a change."""


@dataclass
class _Turf:
    path: list[int]
    walk_m: float
    doors: float
    cells: Counter[int]


def _path_metres(path: list[int], metres: np.ndarray) -> float:
    idx = np.asarray(path)
    return float(metres[idx[:-1], idx[1:]].sum()) if len(idx) > 1 else 0.0


def _removal(path: list[int], i: int, m: np.ndarray) -> float:
    """What leaving out ``path[i]`` saves on the matrix ``m``."""
    s = path[i]
    before = path[i - 1] if i > 0 else None
    after = path[i + 1] if i + 1 < len(path) else None
    saved = 0.0
    if before is not None:
        saved += m[before, s]
    if after is not None:
        saved += m[s, after]
    if before is not None and after is not None:
        saved -= m[before, after]
    return float(saved)


def _insertion(path: list[int], s: int, m: np.ndarray) -> np.ndarray:
    """Extra cost of putting ``s`` before position j of ``path``, for j = 0 .. len(path)."""
    p = np.asarray(path)
    middle = m[p[:-1], s] + m[s, p[1:]] - m[p[:-1], p[1:]]
    return np.concatenate([[m[s, p[0]]], middle, [m[p[-1], s]]])


def relocate_stops(
    pieces: list[list[int]],
    cost: np.ndarray,
    metres: np.ndarray,
    doors: np.ndarray,
    cells: np.ndarray,
    target: float,
    *,
    by_doors: bool,
    model: WalkModel,
    tolerance: float = 0.10,
) -> list[list[int]]:
    """Pieces (paths of stop indices into ``cost``) after moving stops between them.

    ``target`` is in doors when ``by_doors``, else in minutes of ``model``.
    """
    if len(pieces) < 2:
        return [list(p) for p in pieces]
    turfs = [
        _Turf(list(p), _path_metres(list(p), metres), float(doors[p].sum()), Counter(cells[p]))
        for p in pieces
    ]
    owner = np.empty(cost.shape[0], dtype=np.int64)
    for k, turf in enumerate(turfs):
        owner[turf.path] = k
    near = neighbour_lists(cost, NEAREST_STOPS)

    def effort(walk_m: float, door_count: float, stops: int) -> float:
        if by_doors:
            return door_count
        return model.minutes(walk_m, doors=round(door_count), stops=stops)

    def deviation(value: float) -> float:
        return abs(value / target - 1.0)

    for _ in range(ROUNDS):
        moved = False
        for s in range(cost.shape[0]):
            a = int(owner[s])
            giver = turfs[a]
            if len(giver.path) == 1:
                continue
            i = giver.path.index(s)
            gain = _removal(giver.path, i, cost)
            if gain <= GAIN_M:
                continue
            giver_after = effort(
                giver.walk_m - _removal(giver.path, i, metres),
                giver.doors - doors[s],
                len(giver.path) - 1,
            )
            giver_now = effort(giver.walk_m, giver.doors, len(giver.path))
            best: tuple[float, int, int, float] | None = None
            for b in sorted(set(owner[near[s]].tolist()) - {a}):
                taker = turfs[b]
                if taker.cells[int(cells[s])] == 0:
                    continue
                extra = _insertion(taker.path, s, cost)
                j = int(np.argmin(extra))
                saving = gain - float(extra[j])
                if saving <= GAIN_M or (best is not None and saving <= best[0]):
                    continue
                added_m = float(_insertion(taker.path, s, metres)[j])
                taker_now = effort(taker.walk_m, taker.doors, len(taker.path))
                taker_after = effort(
                    taker.walk_m + added_m, taker.doors + doors[s], len(taker.path) + 1
                )
                worst_after = max(deviation(giver_after), deviation(taker_after))
                if worst_after > max(tolerance, deviation(giver_now), deviation(taker_now)):
                    continue
                best = (saving, b, j, added_m)
            if best is None:
                continue
            _, b, j, added_m = best
            taker = turfs[b]
            giver.walk_m -= _removal(giver.path, i, metres)
            giver.path.pop(i)
            giver.doors -= float(doors[s])
            giver.cells[int(cells[s])] -= 1
            taker.path.insert(j, s)
            taker.walk_m += added_m
            taker.doors += float(doors[s])
            taker.cells[int(cells[s])] += 1
            owner[s] = b
            moved = True
        if not moved:
            break
    return [t.path for t in turfs]
