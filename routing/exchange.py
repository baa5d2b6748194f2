"""Improvement moves between the turfs of one group, as vehicle-routing local search makes them.

After the long walk is cut and its split block faces are made whole (``routing.relocate``),
the turfs are still the pieces of one walk: where that walk doubled back, a turf walks out of
its way to stops another turf passes. Four moves of vehicle routing fix this, evaluated
on the open-path cost (walking metres plus the crossing charge of ``routing.distances``):

- **relocate**: a whole block face moves to a neighbouring turf, inserted where it adds
  least, either way round;
- **swap**: two block faces of neighbouring turfs change places;
- **or-opt**: a run of up to three consecutive block faces of one walk moves to another;
- **2-opt-star**: two turfs exchange the ends of their walks (head of one with tail of the
  other, or head with head), cut only between block faces.

A move is tried only towards turfs holding one of the moved stops' nearest stops (neighbour
lists), and made only when, after both changed walks are re-ordered by the walk-order search
(``routing.order``), the two turfs walk less, both stay within the size band (or no farther
from it than before), no block face is split, and no more turfs span two quiet cells (areas
between barrier streets) than before. Turfs never leave their group, so
they never leave their precinct.

Every loop runs in a fixed order, for at most ``ROUNDS`` passes and ``ATTEMPTS_PER_STOP``
moves judged in full: counts, never the clock, so the same input gives the same turfs on any
machine at any load.
"""

from __future__ import annotations

import numpy as np

from geo.effort import WalkModel
from routing.local_search import neighbour_lists
from routing.order import order_stops, path_length_m

DOORS_TOLERANCE = 0.15
MINUTES_TOLERANCE = 0.13
SEGMENT_FACES = 3
"""Or-opt moves carry runs of up to this many consecutive block faces of a walk."""
NEAREST_STOPS = 10
"""Moves go to turfs holding one of a moved stop's this many nearest stops (by cost)."""
ROUNDS = 6
"""Full passes over all moves at most (the search stops earlier when no move helps)."""
GAIN_M = 1.0
"""A move must save at least this many metres (cost) to be made."""
ATTEMPTS_PER_STOP = 2.0
"""Moves judged in full (both walks re-ordered) at most, per stop of the group: the search's
budget, a count rather than seconds so that it ends in the same place on any machine."""
POLISH_KICKS_PER_STOP = 1
"""Kicks of the walk-order search when a changed turf is re-ordered (the final route gets
many more; this only has to tell good moves from bad ones)."""
CANDIDATES = 3
"""2-opt* exchanges of one pair of turfs tried in full, best first by the quick estimate."""
SLACK_M = 20.0
"""A relocate or swap whose quick estimate (cheapest insertion) loses at most this much is
still tried in full: re-ordering the two walks often turns it into a gain."""


class _Turfs:
    """The paths being improved, with what a move needs to be judged."""

    def __init__(
        self,
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
        tolerance: float,
    ) -> None:
        self.cost, self.metres, self.doors = cost, metres, doors.astype(float)
        self.cells, self.faces = cells, faces
        self.target, self.by_doors, self.model, self.tolerance = target, by_doors, model, tolerance
        self.near = neighbour_lists(cost, NEAREST_STOPS)
        self.attempts = int(ATTEMPTS_PER_STOP * cost.shape[0])
        self.paths = [self.polish(list(p)) for p in pieces]
        self.owner = np.empty(cost.shape[0], dtype=np.int64)
        for k, path in enumerate(self.paths):
            self.owner[path] = k
        self.face_turfs: dict[int, set[int]] = {}
        for k, path in enumerate(self.paths):
            for f in set(faces[path].tolist()):
                self.face_turfs.setdefault(f, set()).add(k)

    def length(self, path: list[int]) -> float:
        return path_length_m(self.cost, path)

    def effort(self, path: list[int]) -> float:
        door_count = float(self.doors[path].sum())
        if self.by_doors:
            return door_count
        walk_m = path_length_m(self.metres, path)
        return self.model.minutes(walk_m, doors=round(door_count), stops=len(path))

    def deviation(self, paths: list[list[int]]) -> float:
        return max(abs(self.effort(p) / self.target - 1.0) for p in paths)

    def polish(self, path: list[int]) -> list[int]:
        """``path`` re-ordered by the walk-order search, starting from its own order."""
        if len(path) <= 3:
            return list(path)
        local = self.cost[np.ix_(path, path)]
        order = order_stops(
            local, first_guess=list(range(len(path))), kicks=POLISH_KICKS_PER_STOP * len(path)
        )
        return [path[i] for i in order]

    def cells_fit(self, old: list[list[int]], new: list[list[int]]) -> bool:
        """No more turfs hold stops of two or more quiet cells than before."""

        def spanning(paths: list[list[int]]) -> int:
            return sum(len(set(self.cells[p].tolist())) > 1 for p in paths)

        return spanning(new) <= spanning(old)

    def faces_whole(self, turfs: list[int], new: list[list[int]]) -> bool:
        """No block face held by one of ``turfs`` ends up in more turfs than before."""
        touched = {f for k in turfs for f in set(self.faces[self.paths[k]].tolist())}
        for f in touched:
            others = self.face_turfs[f] - set(turfs)
            now = sum(1 for p in new if f in set(self.faces[p].tolist()))
            if len(others) + now > len(self.face_turfs[f]):
                return False
        return True

    def attempt(self, turfs: list[int], new: list[list[int]]) -> bool:
        """Make the change of ``turfs`` to paths ``new`` if it obeys the rules and saves walk."""
        if any(len(p) == 0 for p in new):
            return False
        old = [self.paths[k] for k in turfs]
        before = sum(self.length(p) for p in old)
        if self.attempts <= 0:
            return False
        if not self.cells_fit(old, new) or not self.faces_whole(turfs, new):
            return False
        self.attempts -= 1
        limit = max(self.tolerance, self.deviation(old)) + 1e-9
        if self.by_doors and self.deviation(new) > limit:
            return False
        polished = [self.polish(p) for p in new]
        if sum(self.length(p) for p in polished) > before - GAIN_M:
            return False
        if self.deviation(polished) > limit:
            return False
        for k in turfs:
            for f in set(self.faces[self.paths[k]].tolist()):
                self.face_turfs[f].discard(k)
        for k, path in zip(turfs, polished, strict=True):
            self.paths[k] = path
            self.owner[path] = k
            for f in set(self.faces[path].tolist()):
                self.face_turfs[f].add(k)
        return True


def _insert_chain(path: list[int], chain: list[int], cost: np.ndarray) -> list[int]:
    """``path`` with ``chain`` put in one piece where it adds least, either way round."""
    if not path:
        return list(chain)
    p = np.asarray(path)
    first, last = chain[0], chain[-1]
    # Position t puts the chain before path[t] (t = len(path): at the end).
    forward = np.concatenate(
        [
            [cost[last, p[0]]],
            cost[p[:-1], first] + cost[last, p[1:]] - cost[p[:-1], p[1:]],
            [cost[p[-1], first]],
        ]
    )
    backward = np.concatenate(
        [
            [cost[first, p[0]]],
            cost[p[:-1], last] + cost[first, p[1:]] - cost[p[:-1], p[1:]],
            [cost[p[-1], last]],
        ]
    )
    t_f, t_b = int(np.argmin(forward)), int(np.argmin(backward))
    if forward[t_f] <= backward[t_b]:
        return path[:t_f] + list(chain) + path[t_f:]
    return path[:t_b] + list(chain)[::-1] + path[t_b:]


def _relocate_and_swap(search: _Turfs) -> bool:
    """One pass of relocate and swap moves over all movable faces; True if any was made."""
    cost, faces, near = search.cost, search.faces, search.near
    changed = False
    for f in sorted(search.face_turfs):
        holders = search.face_turfs[f]
        if len(holders) != 1:
            continue
        (a,) = holders
        unit = [s for s in search.paths[a] if faces[s] == f]
        if len(unit) == len(search.paths[a]):
            continue
        giver = [s for s in search.paths[a] if faces[s] != f]
        saved = search.length(search.paths[a]) - search.length(giver)
        takers = sorted(set(search.owner[near[unit]].ravel().tolist()) - {a})
        options: list[tuple[float, int, list[list[int]], list[int]]] = []
        for b in takers:
            taker = _insert_chain(search.paths[b], unit, cost)
            gain = saved + search.length(search.paths[b]) - search.length(taker)
            options.append((gain, len(options), [giver, taker], [a, b]))
            # Swap: a face of b near the unit goes back into a's walk.
            for g in sorted(set(faces[near[unit]].ravel().tolist()) - {f}):
                if search.face_turfs.get(g) != {b}:
                    continue
                other = [s for s in search.paths[b] if faces[s] == g]
                if len(other) == len(search.paths[b]):
                    continue
                rest = [s for s in search.paths[b] if faces[s] != g]
                new_b = _insert_chain(rest, unit, cost)
                new_a = _insert_chain(giver, other, cost)
                gain = (
                    search.length(search.paths[a])
                    + search.length(search.paths[b])
                    - search.length(new_a)
                    - search.length(new_b)
                )
                options.append((gain, len(options), [new_a, new_b], [a, b]))
        options.sort(key=lambda o: (-o[0], o[1]))
        for gain, _, new, turfs in options[:CANDIDATES]:
            if gain < -SLACK_M:
                break
            if search.attempt(turfs, new):
                changed = True
                break
    return changed


def _cut_points(search: _Turfs, path: list[int]) -> np.ndarray:
    """For each i in 0..len(path): True where cutting before path[i] splits no block face."""
    face = search.faces[np.asarray(path)]
    last = {int(f): i for i, f in enumerate(face.tolist())}
    reach = np.maximum.accumulate(np.array([last[int(f)] for f in face]))
    ok = np.ones(len(path) + 1, dtype=bool)
    ok[1:-1] = reach[:-1] < np.arange(1, len(path))
    return ok


def _ends(cost: np.ndarray, path: list[int]) -> tuple[np.ndarray, np.ndarray]:
    """Cost of path[:i] and of path[i:], for i in 0..len(path)."""
    p = np.asarray(path)
    cum = np.concatenate([[0.0], np.cumsum(cost[p[:-1], p[1:]])])
    i = np.arange(len(p) + 1)
    head = cum[np.maximum(i - 1, 0)]
    tail = cum[-1] - cum[np.minimum(i, len(p) - 1)]
    return head, tail


def _link(cost: np.ndarray, left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """Cost between stop arrays (-1 = no stop: nothing to join)."""
    joined = cost[np.maximum(left, 0)[:, None], np.maximum(right, 0)[None, :]]
    return np.where((left[:, None] < 0) | (right[None, :] < 0), 0.0, joined)


def _two_opt_star(search: _Turfs, a: int, b: int) -> bool:
    """Best exchange of walk ends between turfs ``a`` and ``b``; True if one was made."""
    cost = search.cost
    pa, pb = search.paths[a], search.paths[b]
    n, m = len(pa), len(pb)
    arr_a, arr_b = np.asarray(pa), np.asarray(pb)
    none = np.array([-1])
    # Stop before / at each cut position (-1 where there is none).
    before_a, at_a = np.concatenate([none, arr_a]), np.concatenate([arr_a, none])
    before_b, at_b = np.concatenate([none, arr_b]), np.concatenate([arr_b, none])
    head_a, tail_a = _ends(cost, pa)
    head_b, tail_b = _ends(cost, pb)
    old = head_a[-1] + head_b[-1]
    # Tail exchange: a[:i] + b[j:] and b[:j] + a[i:].
    cross = (
        head_a[:, None]
        + _link(cost, before_a, at_b)
        + tail_b[None, :]
        + head_b[None, :]
        + _link(cost, at_a, before_b)
        + tail_a[:, None]
    )
    # Head with head, tail with tail: a[:i] + reversed b[:j] and reversed a[i:] + b[j:].
    ends = (
        head_a[:, None]
        + _link(cost, before_a, before_b)
        + head_b[None, :]
        + tail_a[:, None]
        + _link(cost, at_a, at_b)
        + tail_b[None, :]
    )
    ok = _cut_points(search, pa)[:, None] & _cut_points(search, pb)[None, :]
    i, j = np.arange(n + 1)[:, None], np.arange(m + 1)[None, :]
    nonempty_cross = (i + (m - j) > 0) & (j + (n - i) > 0)
    same_cross = ((i == n) & (j == m)) | ((i == 0) & (j == 0))
    nonempty_ends = (i + j > 0) & ((n - i) + (m - j) > 0)
    same_ends = ((i == n) & (j == 0)) | ((i == 0) & (j == m))
    gains = np.stack(
        [
            np.where(ok & nonempty_cross & ~same_cross, old - cross, -np.inf),
            np.where(ok & nonempty_ends & ~same_ends, old - ends, -np.inf),
        ]
    )
    flat = np.argsort(-gains.ravel(), kind="stable")[:CANDIDATES]
    for index in flat:
        if gains.ravel()[index] <= GAIN_M:
            break
        kind, ci, cj = np.unravel_index(index, gains.shape)
        ci, cj = int(ci), int(cj)
        if kind == 0:
            new = [pa[:ci] + pb[cj:], pb[:cj] + pa[ci:]]
        else:
            new = [pa[:ci] + pb[:cj][::-1], pa[ci:][::-1] + pb[cj:]]
        if search.attempt([a, b], new):
            return True
    return False


def _move_segments(search: _Turfs) -> bool:
    """One pass of or-opt moves between turfs; True if any was made.

    A run of up to ``SEGMENT_FACES`` whole block faces of one walk moves into a neighbouring
    turf's walk.
    """
    cost, near = search.cost, search.near
    changed = False
    for a in range(len(search.paths)):
        start = 0
        while start < len(search.paths[a]):
            path = search.paths[a]
            cuts = np.flatnonzero(_cut_points(search, path))
            at = int(np.searchsorted(cuts, start))
            options: list[tuple[float, int, list[list[int]], list[int]]] = []
            for length in range(1, SEGMENT_FACES + 1):
                if at + length >= len(cuts):
                    break
                lo, hi = int(cuts[at]), int(cuts[at + length])
                if hi - lo >= len(path):
                    break
                unit = path[lo:hi]
                giver = path[:lo] + path[hi:]
                saved = search.length(path) - search.length(giver)
                for b in sorted(set(search.owner[near[unit]].ravel().tolist()) - {a}):
                    taker = _insert_chain(search.paths[b], unit, cost)
                    gain = saved + search.length(search.paths[b]) - search.length(taker)
                    options.append((gain, len(options), [giver, taker], [a, b]))
            options.sort(key=lambda o: (-o[0], o[1]))
            moved = False
            for gain, _, new, turfs in options[:CANDIDATES]:
                if gain < -SLACK_M:
                    break
                if search.attempt(turfs, new):
                    moved = changed = True
                    break
            if not moved:
                nxt = int(cuts[at + 1]) if at + 1 < len(cuts) else len(path)
                start = max(nxt, start + 1)
            # After a move the walk was re-ordered: carry on from the same position.
    return changed


def _neighbour_pairs(search: _Turfs) -> list[tuple[int, int]]:
    """Pairs of turfs where a stop of one has one of its nearest stops in the other."""
    own = search.owner[:, None]
    other = search.owner[search.near]
    a = np.broadcast_to(own, other.shape)[other != own]
    b = other[other != own]
    pairs = {(int(min(x, y)), int(max(x, y))) for x, y in zip(a.tolist(), b.tolist(), strict=True)}
    return sorted(pairs)


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
) -> list[list[int]]:
    """Pieces (paths of stop indices into ``cost``) after relocate, swap and 2-opt* moves.

    ``target`` is in doors when ``by_doors``, else in minutes of ``model``; ``tolerance`` is
    the size band the moves keep to: by default the ±15 % turfs are judged by for doors, and
    a little inside it for minutes, because the final routing re-orders every walk and so
    changes its minutes a little. Each returned path is in walking order.
    """
    if tolerance is None:
        tolerance = DOORS_TOLERANCE if by_doors else MINUTES_TOLERANCE
    if len(pieces) < 2:
        return [list(p) for p in pieces]
    search = _Turfs(
        pieces,
        cost,
        metres,
        doors,
        cells,
        faces,
        target,
        by_doors=by_doors,
        model=model,
        tolerance=tolerance,
    )
    for _ in range(ROUNDS):
        changed = False
        for a, b in _neighbour_pairs(search):
            changed |= _two_opt_star(search, a, b)
        changed |= _relocate_and_swap(search)
        changed |= _move_segments(search)
        if not changed:
            break
    return [list(p) for p in search.paths]
