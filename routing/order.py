"""Walk order of a turf's stops: a near-optimal, deterministic path, plus the classic baselines."""

from __future__ import annotations

import functools

import numpy as np

from routing.local_search import _compiled, improve_tour

# Kicks of the iterated local search per stop. Measured by bench/bench_routing.py (5 turfs each
# of 30, 60, 120 and 250 stops in Helsinki, central Atlanta and Cobb): 50 per stop walks at most
# 0.5 % more than the best known up to 120 stops and 0.9 % at 250, ordering 60 stops in ~30 ms.
KICKS_PER_STOP = 50
MAX_KICKS = 200_000


# Turf sizes up to this many stops keep their tie-breaker (a plan repeats them hundreds of times).
CACHED_TIES = 200


def _tie_breaker(n: int) -> np.ndarray:
    """A tiny symmetric cost per pair of stops (under 0.2 mm) that depends only on their indices.

    Walks on a street network tie often (stops on a dead end can be visited in either
    order for the same metres); this term makes one of them strictly best, so the same
    input always prints the same walk list.
    """
    return _cached_ties(n) if n <= CACHED_TIES else _ties(n)


@functools.lru_cache(maxsize=CACHED_TIES)
def _cached_ties(n: int) -> np.ndarray:
    tie = _ties(n)
    tie.flags.writeable = False  # shared between calls
    return tie


def _ties(n: int) -> np.ndarray:
    return _symmetric(np.random.default_rng(20_261_123).random((n, n)))


@_compiled
def _symmetric(noise: np.ndarray) -> np.ndarray:
    """``(noise + noise.T) * 1e-4`` with a zero diagonal, in place (one n x n array, not three)."""
    n = noise.shape[0]
    for i in range(n):
        noise[i, i] = 0.0
        for j in range(i + 1, n):
            tie = (noise[i, j] + noise[j, i]) * 1e-4
            noise[i, j] = tie
            noise[j, i] = tie
    return noise


def order_stops(
    metres: np.ndarray,
    *,
    start: int | None = None,
    loop: bool = False,
    first_guess: list[int] | None = None,
    kicks: int | None = None,
) -> list[int]:
    """Return the visiting order of all stops minimising the total walk.

    The same input always gives the same order (``routing.local_search`` says why and how).

    Parameters
    ----------
    metres
        (n, n) symmetric walking costs.
    start
        Index of the stop to begin at (e.g. the drop-off point added as a stop); ``None``
        lets the search choose the best end to start from.
    loop
        Return to ``start`` at the end (the tour is then closed; ``start`` defaults to 0).
    first_guess
        An order to improve (e.g. a space-filling curve through the stops); nearest
        neighbour from ``start`` (or stop 0) by default.
    kicks
        Kicks of the local search; ``KICKS_PER_STOP`` per stop by default. Fewer walk a little
        farther on large turfs and finish sooner.
    """
    n = metres.shape[0]
    if n <= 2:
        order = list(range(n))
        if start is not None and n == 2 and start == 1:
            order.reverse()
        return order
    if not np.all(np.isfinite(metres)):
        raise ValueError("some stops cannot reach each other along the streets")
    cost = metres + _tie_breaker(n)
    budget = min(MAX_KICKS, KICKS_PER_STOP * n) if kicks is None else kicks
    guess = first_guess
    if guess is None:
        guess = nearest_neighbour_order(cost, start=0 if start is None else start)
    elif start is not None and guess[0] != start:
        raise ValueError("the first guess must begin at the start stop")
    if loop:
        first = 0 if start is None else start
        tour = improve_tour(guess, cost, kicks=budget)
        at = tour.index(first)
        tour = tour[at:] + tour[:at]
        if tour[1] > tour[-1]:
            # Either way round walks the same; pick one by a rule so reruns print the same list.
            tour = tour[:1] + tour[:0:-1]
        return tour
    # Open path: a dummy city joined at no cost to every stop turns the path into a tour;
    # with a fixed start, the dummy's edge to it is locked in.
    extended = np.zeros((n + 1, n + 1))
    extended[:n, :n] = cost
    locked = None if start is None else (n, start)
    tour = improve_tour([n, *guess], extended, kicks=budget, locked_edge=locked)
    at = tour.index(n)
    path = tour[at + 1 :] + tour[:at]
    if start is not None and path[0] != start:
        path.reverse()
    if start is None and path[0] > path[-1]:
        path.reverse()
    return path


def warm_up() -> None:
    """Load the compiled search now (from numba's cache), so forked workers inherit it."""
    square = np.arange(64, dtype=float).reshape(8, 8) % 7
    order_stops(square + square.T)
    nearest_neighbour_order(np.ones((3, 3)))


def path_length_m(metres: np.ndarray, order: list[int], *, loop: bool = False) -> float:
    """Total walk of visiting stops in ``order`` (back to the first one if ``loop``)."""
    if len(order) < 2:
        return 0.0
    idx = np.asarray(order)
    total = float(metres[idx[:-1], idx[1:]].sum())
    if loop:
        total += float(metres[idx[-1], idx[0]])
    return total


def nearest_neighbour_order(metres: np.ndarray, *, start: int = 0) -> list[int]:
    """Greedy baseline: always walk to the closest stop not yet visited."""
    return [int(i) for i in _nearest_neighbour(np.ascontiguousarray(metres, np.float64), start)]


@_compiled
def _nearest_neighbour(metres: np.ndarray, start: int) -> np.ndarray:
    # Compiled: a Python loop of n argmins over n costs each took seconds for a county.
    n = metres.shape[0]
    visited = np.zeros(n, dtype=np.bool_)
    order = np.empty(n, dtype=np.int64)
    order[0] = start
    visited[start] = True
    for step in range(1, n):
        row = metres[order[step - 1]]
        best, best_cost = -1, np.inf
        for j in range(n):
            # The first cheapest wins ties, as numpy's argmin does.
            if not visited[j] and (best < 0 or row[j] < best_cost):
                best, best_cost = j, row[j]
        order[step] = best
        visited[best] = True
    return order
