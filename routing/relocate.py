"""Local improvement between neighbouring turfs: block faces made whole, moved to cheaper turfs.

Cutting one long walk into consecutive pieces leaves stops whose own turf walks out of its
way to reach them while the turf next door passes right by (the long walk came back past
them later, or a cut fell mid-street). Moving them shortens the total walk. Stops move as
whole block faces (``routing.cutting.block_faces``), so a volunteer never works half a
block face that another turf finishes. A move is made only when

- the receiving turf already has stops in the face's quiet cell (no new barrier crossing),
- the giving turf keeps at least one stop,
- both turfs end within the size tolerance, or no farther from the target than before.

First each block face the cut split goes whole to the turf that holds most of its doors
(when it fits in a turf at all), then moves are tried face by face in a fixed order for a
fixed number of rounds, so the result is deterministic. Walks are kept as paths in walking
order and updated by cheapest insertion; each turf is routed properly afterwards.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import numpy as np

from geo.effort import WalkModel
from routing.local_search import neighbour_lists
from routing.order import path_length_m

NEAREST_STOPS = 8
"""A face may move to a turf holding one of its stops' this many nearest stops (by cost)."""
ROUNDS = 3
GAIN_M = 1.0
"""A move must shorten the walk by at least this many metres (cost) to be worth a change."""
WHOLE_FACE_TOLERANCE = 0.12
"""Making a split face whole may take a turf up to the size band's edge (moves stop earlier)."""


@dataclass
class _Turf:
    path: list[int]
    doors: float
    cells: Counter[int]


def _insert_all(path: list[int], stops: list[int], m: np.ndarray) -> list[int]:
    """``path`` with each of ``stops`` put where it adds least, one after another."""
    out = list(path)
    for s in stops:
        if not out:
            out = [s]
            continue
        p = np.asarray(out)
        middle = m[p[:-1], s] + m[s, p[1:]] - m[p[:-1], p[1:]]
        extra = np.concatenate([[m[s, p[0]]], middle, [m[p[-1], s]]])
        out.insert(int(np.argmin(extra)), s)
    return out


class _Moves:
    """The pieces being improved, with what a move needs to be judged."""

    def __init__(
        self,
        pieces: list[list[int]],
        cost: np.ndarray,
        metres: np.ndarray,
        doors: np.ndarray,
        cells: np.ndarray,
        target: float,
        *,
        by_doors: bool,
        model: WalkModel,
        tolerance: float,
    ) -> None:
        self.cost, self.metres, self.doors, self.cells = cost, metres, doors, cells
        self.target, self.by_doors, self.model, self.tolerance = target, by_doors, model, tolerance
        self.turfs = [
            _Turf(list(p), float(doors[p].sum()), Counter(cells[p].tolist())) for p in pieces
        ]
        self.owner = np.empty(cost.shape[0], dtype=np.int64)
        for k, turf in enumerate(self.turfs):
            self.owner[turf.path] = k

    def effort(self, path: list[int], door_count: float) -> float:
        if self.by_doors:
            return door_count
        walk_m = path_length_m(self.metres, path)
        return self.model.minutes(walk_m, doors=round(door_count), stops=len(path))

    def deviation(self, path: list[int], door_count: float) -> float:
        return abs(self.effort(path, door_count) / self.target - 1.0)

    def trial(
        self, unit: list[int], a: int, b: int, *, force: bool
    ) -> tuple[float, list[int], list[int]] | None:
        """The walk saved by moving ``unit`` from turf ``a`` to ``b``, and the two new paths.

        None if the move breaks a rule (with ``force``, any saving, even none, is accepted).
        """
        giver, taker = self.turfs[a], self.turfs[b]
        if len(unit) >= len(giver.path) or taker.cells[int(self.cells[unit[0]])] == 0:
            return None
        gone = set(unit)
        giver_path = [s for s in giver.path if s not in gone]
        taker_path = _insert_all(taker.path, unit, self.cost)
        saving = (
            path_length_m(self.cost, giver.path)
            + path_length_m(self.cost, taker.path)
            - path_length_m(self.cost, giver_path)
            - path_length_m(self.cost, taker_path)
        )
        if not force and saving <= GAIN_M:
            return None
        moved = float(self.doors[unit].sum())
        before = max(
            self.deviation(giver.path, giver.doors), self.deviation(taker.path, taker.doors)
        )
        after = max(
            self.deviation(giver_path, giver.doors - moved),
            self.deviation(taker_path, taker.doors + moved),
        )
        if after > max(WHOLE_FACE_TOLERANCE if force else self.tolerance, before) + 1e-9:
            return None
        return saving, giver_path, taker_path

    def apply(
        self, unit: list[int], a: int, b: int, giver_path: list[int], taker_path: list[int]
    ) -> None:
        moved = float(self.doors[unit].sum())
        giver, taker = self.turfs[a], self.turfs[b]
        giver.path, taker.path = giver_path, taker_path
        giver.doors -= moved
        taker.doors += moved
        for s in unit:
            giver.cells[int(self.cells[s])] -= 1
            taker.cells[int(self.cells[s])] += 1
        self.owner[unit] = b


def relocate_stops(
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
    tolerance: float = 0.10,
) -> list[list[int]]:
    """Pieces (paths of stop indices into ``cost``) after making faces whole and moving them.

    ``target`` is in doors when ``by_doors``, else in minutes of ``model``.
    """
    if len(pieces) < 2:
        return [list(p) for p in pieces]
    moves = _Moves(
        pieces,
        cost,
        metres,
        doors,
        cells,
        target,
        by_doors=by_doors,
        model=model,
        tolerance=tolerance,
    )
    members: dict[int, list[int]] = {}
    for s in range(cost.shape[0]):
        members.setdefault(int(faces[s]), []).append(s)
    for face in sorted(members):
        stops = members[face]
        owners: dict[int, float] = {}
        for s in stops:
            owner = int(moves.owner[s])
            owners[owner] = owners.get(owner, 0.0) + float(doors[s]) + 1e-6
        if len(owners) == 1:
            continue
        home = min(owners, key=lambda k: (-owners[k], k))
        for a in sorted(owners):
            if a == home:
                continue
            unit = [s for s in stops if moves.owner[s] == a]
            tried = moves.trial(unit, a, home, force=True)
            if tried is not None:
                moves.apply(unit, a, home, tried[1], tried[2])
    near = neighbour_lists(cost, NEAREST_STOPS)
    for _ in range(ROUNDS):
        moved = False
        for face in sorted(members):
            stops = members[face]
            a = int(moves.owner[stops[0]])
            if any(moves.owner[s] != a for s in stops):
                continue  # a face too big for one turf stays split
            unit = [s for s in moves.turfs[a].path if faces[s] == face]
            best: tuple[float, int, list[int], list[int]] | None = None
            for b in sorted(set(moves.owner[near[unit]].ravel().tolist()) - {a}):
                tried = moves.trial(unit, a, b, force=False)
                if tried is not None and (best is None or tried[0] > best[0]):
                    best = (tried[0], b, tried[1], tried[2])
            if best is not None:
                moves.apply(unit, a, best[1], best[2], best[3])
                moved = True
        if not moved:
            break
    return [t.path for t in moves.turfs]
