"""Iterated local search for walk orders: 2-opt and or-opt on neighbour lists, small kicks.

Why this is written here and not taken from a solver library (measured, see BENCHMARKS.md
and bench/bench_routing.py): a walk list must come out the same every time it is printed.
fast-tsp, the best MIT-licensed solver, is seeded at random and stops on the wall clock, so
at 120+ stops two runs print different orders (and a busy machine prints worse ones);
OR-Tools and PyVRP stop deterministically but walk 2-6 % farther than the best known tour at
120-250 stops; LKH's licence forbids the commercial use campaigns need. This search counts
kicks, not seconds, and draws them from a fixed seed, so the same costs give the same walk
on any machine, at any load.

The tour is closed; an open walk is a tour through an extra "dummy" city whose edges cost
nothing (with the edge to a fixed start stop locked). Each kick is a double bridge (two
neighbouring stretches of the tour swap places, at most ``KICK_SPAN`` stops each), followed
by 2-opt and or-opt (moving 1-3 stops, either way round) from the cities the kick touched;
the kick is kept only if the whole tour got shorter.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar, cast

import numpy as np
from numba import njit

F = TypeVar("F", bound=Callable[..., object])

NEIGHBOURS = 32
KICK_SPAN = 60
EPSILON = 1e-7
NO_LOCK = -1


def _compiled(func: F) -> F:
    """Compile with numba, cached on disk where a cache can be written.

    Compiling this module takes ~9 s; the cache (beside this file, else in the user's cache
    folder) starts later processes in under a second. Where neither can be written, each
    process compiles for itself rather than failing.
    """
    try:
        return cast(F, njit(cache=True)(func))
    except RuntimeError:
        return cast(F, njit(func))


@_compiled
def _succ(tour: np.ndarray, pos: np.ndarray, c: int) -> int:
    i = pos[c] + 1
    return tour[0] if i == len(tour) else tour[i]


@_compiled
def _pred(tour: np.ndarray, pos: np.ndarray, c: int) -> int:
    i = pos[c]
    return tour[len(tour) - 1] if i == 0 else tour[i - 1]


@_compiled
def _locked(u: int, v: int, lock_a: int, lock_b: int) -> bool:
    return (u == lock_a and v == lock_b) or (u == lock_b and v == lock_a)


@_compiled
def _reverse(tour: np.ndarray, pos: np.ndarray, first: int, last: int) -> None:
    """Reverse the stretch from city ``first`` forward to city ``last``.

    Where the stretch is over half the tour, the rest is reversed instead: the same
    undirected tour, in fewer swaps.
    """
    n = len(tour)
    i, j = pos[first], pos[last]
    length = (j - i) % n + 1
    if 2 * length > n:
        i, j = (j + 1) % n, (i - 1) % n
        length = n - length
    for _ in range(length // 2):
        a, b = tour[i], tour[j]
        tour[i], tour[j] = b, a
        pos[b], pos[a] = i, j
        i = i + 1 if i + 1 < n else 0
        j = j - 1 if j > 0 else n - 1


@_compiled
def _move_segment(
    tour: np.ndarray,
    pos: np.ndarray,
    buf: np.ndarray,
    first: int,
    length: int,
    after: int,
    flip: bool,
) -> None:
    """Move ``length`` cities from city ``first`` forward to just after city ``after``.

    The tour comes out starting at the city that followed the stretch (the kicks pick
    positions, so this layout is part of the search's path). Built from slices, not city
    by city: a long walk of a county's group makes millions of these moves.
    """
    n = len(tour)
    p0 = pos[first]
    start = p0 + length
    # buf: the tour without the stretch, from the city after it; then the stretch.
    if start <= n:
        head = n - start
        buf[:head] = tour[start:]
        buf[head : n - length] = tour[:p0]
    else:
        start -= n
        buf[: n - length] = tour[start:p0]
    for u in range(length):
        buf[n - length + u] = tour[(p0 + u) % n]
    q = (pos[after] - start) % n + 1  # cities up to and including ``after``
    tour[:q] = buf[:q]
    if flip:
        tour[q : q + length] = buf[n - length :][::-1]
    else:
        tour[q : q + length] = buf[n - length :]
    tour[q + length :] = buf[q : n - length]
    for t in range(n):
        pos[tour[t]] = t


@_compiled
def _push(c: int, queue: np.ndarray, queued: np.ndarray, state: np.ndarray) -> None:
    if queued[c]:
        return
    n = len(queue)
    queue[(state[0] + state[1]) % n] = c
    state[1] += 1
    queued[c] = True


@_compiled
def _best_two_opt(
    a: int,
    tour: np.ndarray,
    pos: np.ndarray,
    cost: np.ndarray,
    nbr: np.ndarray,
    lock_a: int,
    lock_b: int,
) -> tuple[float, int, int]:
    """Best 2-opt move adding edge (a, c): (delta, c, direction +1 successor / -1 predecessor)."""
    best, best_c, best_dir = -EPSILON, -1, 0
    for direction in (1, -1):
        b = _succ(tour, pos, a) if direction == 1 else _pred(tour, pos, a)
        if _locked(a, b, lock_a, lock_b):
            continue
        ab = cost[a, b]
        for c in nbr[a]:
            ac = cost[a, c]
            if ac >= ab:
                break
            d = _succ(tour, pos, c) if direction == 1 else _pred(tour, pos, c)
            if c == b or d == a or _locked(c, d, lock_a, lock_b):
                continue
            delta = ac + cost[b, d] - ab - cost[c, d]
            if delta < best:
                best, best_c, best_dir = delta, c, direction
    return best, best_c, best_dir


@_compiled
def _best_or_opt(
    a: int,
    tour: np.ndarray,
    pos: np.ndarray,
    cost: np.ndarray,
    nbr: np.ndarray,
    lock_a: int,
    lock_b: int,
) -> tuple[float, int, int, int, bool]:
    """Best move of a stretch of 1-3 cities with ``a`` at one end to beside a neighbour of an end.

    Returns (delta, first city of the stretch, its length, city to insert after, flipped).
    """
    n = len(tour)
    best, best_first, best_len, best_after, best_flip = -EPSILON, -1, 0, -1, False
    for length in range(1, 4):
        if length > n - 3:
            break
        for backward in (False, True):
            if backward and length == 1:
                continue
            s1 = a if not backward else tour[(pos[a] - length + 1) % n]
            s2 = tour[(pos[s1] + length - 1) % n]
            p, nx = _pred(tour, pos, s1), _succ(tour, pos, s2)
            if _locked(p, s1, lock_a, lock_b) or _locked(s2, nx, lock_a, lock_b):
                continue
            gain = cost[p, s1] + cost[s2, nx] - cost[p, nx]
            if gain <= EPSILON:
                continue
            p0 = pos[s1]
            for end in (s1, s2):
                other = s2 if end == s1 else s1
                for c in nbr[end]:
                    if cost[end, c] >= gain:
                        break
                    if (pos[c] - p0) % n < length:
                        continue  # c is inside the stretch
                    for side in (1, -1):
                        # side +1: c, end ... other, succ(c); side -1: pred(c), other ... end, c
                        if side == 1:
                            x, y = c, _succ(tour, pos, c)
                            if y == s1:
                                continue
                            into = cost[c, end] + cost[other, y]
                        else:
                            x, y = _pred(tour, pos, c), c
                            if x == s2:
                                continue
                            into = cost[x, other] + cost[end, c]
                        if _locked(x, y, lock_a, lock_b):
                            continue
                        delta = into - cost[x, y] - gain
                        if delta < best:
                            flip = (end == s2) if side == 1 else (end == s1)
                            best, best_first, best_len = delta, s1, length
                            best_after, best_flip = x, flip
    return best, best_first, best_len, best_after, best_flip


@_compiled
def _local_search(
    tour: np.ndarray,
    pos: np.ndarray,
    cost: np.ndarray,
    nbr: np.ndarray,
    queue: np.ndarray,
    queued: np.ndarray,
    state: np.ndarray,
    buf: np.ndarray,
    lock_a: int,
    lock_b: int,
) -> float:
    """Improve from the queued cities until none has an improving move; the total change."""
    n = len(tour)
    total = 0.0
    while state[1] > 0:
        a = queue[state[0]]
        state[0] = (state[0] + 1) % n
        state[1] -= 1
        queued[a] = False
        two, c, direction = _best_two_opt(a, tour, pos, cost, nbr, lock_a, lock_b)
        moved, first, length, after, flip = _best_or_opt(a, tour, pos, cost, nbr, lock_a, lock_b)
        if two < moved and two < -EPSILON:
            if direction == 1:
                b, d = _succ(tour, pos, a), _succ(tour, pos, c)
                _reverse(tour, pos, b, c)
            else:
                b, d = _pred(tour, pos, a), _pred(tour, pos, c)
                _reverse(tour, pos, a, d)
            total += two
            for touched in (a, b, c, d):
                _push(touched, queue, queued, state)
        elif moved < -EPSILON:
            last = tour[(pos[first] + length - 1) % n]
            p, nx = _pred(tour, pos, first), _succ(tour, pos, last)
            y = _succ(tour, pos, after)
            _move_segment(tour, pos, buf, first, length, after, flip)
            total += moved
            for touched in (first, last, p, nx, after, y):
                _push(touched, queue, queued, state)
    return total


@_compiled
def _tour_cost(tour: np.ndarray, cost: np.ndarray) -> float:
    total = 0.0
    for i in range(len(tour)):
        total += cost[tour[i - 1], tour[i]]
    return total


@_compiled
def _search(
    tour: np.ndarray,
    cost: np.ndarray,
    nbr: np.ndarray,
    kicks: int,
    kick_span: int,
    seed: int,
    lock_a: int,
    lock_b: int,
) -> np.ndarray:
    n = len(tour)
    np.random.seed(seed)
    pos = np.empty(n, dtype=np.int64)
    for i in range(n):
        pos[tour[i]] = i
    queue = np.empty(n, dtype=np.int64)
    queued = np.zeros(n, dtype=np.bool_)
    state = np.zeros(2, dtype=np.int64)
    buf = np.empty(n, dtype=np.int64)
    for i in range(n):
        _push(tour[i], queue, queued, state)
    _local_search(tour, pos, cost, nbr, queue, queued, state, buf, lock_a, lock_b)
    best = tour.copy()
    best_cost = _tour_cost(tour, cost)
    span = min(kick_span, (n - 2) // 2)
    if n < 8 or span < 1:
        return best
    for _ in range(kicks):
        # Double bridge: the stretches A = tour[i+1 .. i+la] and B = the next lb cities swap.
        i = np.random.randint(0, n)
        la = np.random.randint(1, span + 1)
        lb = np.random.randint(1, span + 1)
        c0, a0 = tour[i], tour[(i + 1) % n]
        a1, b0 = tour[(i + la) % n], tour[(i + la + 1) % n]
        b1, d0 = tour[(i + la + lb) % n], tour[(i + la + lb + 1) % n]
        if (
            _locked(c0, a0, lock_a, lock_b)
            or _locked(a1, b0, lock_a, lock_b)
            or _locked(b1, d0, lock_a, lock_b)
        ):
            continue
        delta = (
            cost[c0, b0] + cost[b1, a0] + cost[a1, d0] - cost[c0, a0] - cost[a1, b0] - cost[b1, d0]
        )
        _move_segment(tour, pos, buf, a0, la, b1, False)
        for touched in (c0, a0, a1, b0, b1, d0):
            _push(touched, queue, queued, state)
        delta += _local_search(tour, pos, cost, nbr, queue, queued, state, buf, lock_a, lock_b)
        if delta < -EPSILON:
            best_cost += delta
            best[:] = tour
        else:
            tour[:] = best
            for k in range(n):
                pos[tour[k]] = k
    return best


def neighbour_lists(cost: np.ndarray, k: int = NEIGHBOURS) -> np.ndarray:
    """Each city's ``k`` cheapest other cities, cheapest first."""
    n = cost.shape[0]
    k = min(k, n - 1)
    away = np.array(cost, dtype=np.float64)
    np.fill_diagonal(away, np.inf)  # never its own neighbour (no dense diagonal matrix)
    nearest = np.argpartition(away, k - 1, axis=1)[:, :k] if k < n - 1 else np.argsort(away)[:, :k]
    rows = np.arange(n)[:, None]
    ranked = np.argsort(away[rows, nearest], axis=1, kind="stable")
    return np.ascontiguousarray(nearest[rows, ranked]).astype(np.int64)


def improve_tour(
    tour: list[int] | np.ndarray,
    cost: np.ndarray,
    *,
    kicks: int,
    seed: int = 20_261_126,
    locked_edge: tuple[int, int] | None = None,
    neighbours: int = NEIGHBOURS,
    kick_span: int = KICK_SPAN,
) -> list[int]:
    """A shorter closed tour through the same cities, the same for the same inputs.

    ``cost`` must be symmetric; ``locked_edge`` is an edge of ``tour`` that the search keeps
    (e.g. from a dummy city to the fixed first stop of an open walk).
    """
    order = np.asarray(tour, dtype=np.int64).copy()
    if locked_edge is not None:
        at = {int(c): i for i, c in enumerate(order)}
        a, b = locked_edge
        if a not in at or b not in at or (at[a] - at[b]) % len(order) not in (1, len(order) - 1):
            raise ValueError(f"the locked edge {locked_edge} is not an edge of the tour")
    if len(order) < 4:
        return [int(c) for c in order]
    matrix = np.ascontiguousarray(cost, dtype=np.float64)
    lock_a, lock_b = locked_edge if locked_edge is not None else (NO_LOCK, NO_LOCK)
    nbr = neighbour_lists(matrix, neighbours)
    best = _search(order, matrix, nbr, int(kicks), int(kick_span), int(seed), lock_a, lock_b)
    return [int(c) for c in best]
