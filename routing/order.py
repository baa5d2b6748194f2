"""Walk order of a turf's stops: a near-optimal path with fast-tsp, plus the classic baselines."""

from __future__ import annotations

import fast_tsp
import numpy as np

_UINT16_LIMIT = 65_535


def _time_budget_s(n: int) -> float:
    # fast-tsp reaches the best known tour on 120-stop turfs within ~20 ms on this class of
    # machine; the budget grows with size and is capped so a big precinct stays interactive.
    return min(1.0, 0.03 + 0.0005 * n)


def _integer_matrix(metres: np.ndarray, headroom: int) -> np.ndarray:
    """Scale to integers that fit fast-tsp's uint16 with ``headroom`` times the largest entry.

    The finest scale that fits is used: coarse rounding makes walks a few decimetres apart
    look equal to the solver.
    """
    largest = float(np.max(metres)) if metres.size else 0.0
    if not np.isfinite(largest):
        raise ValueError("some stops cannot reach each other along the streets")
    scale = (_UINT16_LIMIT // headroom - 1) / largest if largest > 0 else 1.0
    return np.rint(metres * scale).astype(np.int64)


def _tie_breaker(n: int) -> np.ndarray:
    """A tiny symmetric cost per pair of stops that depends only on their indices.

    Walks on a street network tie often (stops on a dead end can be visited in either
    order for the same metres); this term makes one of them strictly best, so the same
    input always prints the same walk list.
    """
    noise = np.random.default_rng(20_261_123).random((n, n))
    return (noise + noise.T) * 5e-7


def polish(
    path: list[int], cost: np.ndarray, *, fixed_start: bool = False, window: int | None = None
) -> list[int]:
    """Deterministic 2-opt and or-opt (segments of 1-3 stops) to a local optimum of ``cost``.

    ``window`` limits moves to stops at most that many places apart in the path, which keeps
    long paths (thousands of stops) fast at the price of a slightly weaker optimum.
    """
    order = np.asarray(path)
    first = 1 if fixed_start else 0
    improved = True
    while improved:
        improved = _two_opt(order, cost, first, window)
        for length in (1, 2, 3):
            order, moved = _or_opt(order, cost, first, length, window)
            improved |= moved
    return [int(i) for i in order]


def _two_opt(order: np.ndarray, cost: np.ndarray, first: int, window: int | None) -> bool:
    """Reverse ``order[i..j]`` wherever that shortens the open path; True if anything moved."""
    n = len(order)
    changed = False
    for i in range(first, n - 1):
        j = np.arange(i + 1, n if window is None else min(n, i + 1 + window))
        after = np.minimum(j + 1, n - 1)
        has_next = j < n - 1
        old = np.where(has_next, cost[order[j], order[after]], 0.0)
        new = np.where(has_next, cost[order[i], order[after]], 0.0)
        if i > 0:
            old = old + cost[order[i - 1], order[i]]
            new = new + cost[order[i - 1], order[j]]
        delta = new - old
        best = int(np.argmin(delta))
        if delta[best] < -1e-9:
            order[i : j[best] + 1] = order[i : j[best] + 1][::-1].copy()
            changed = True
    return changed


def _or_opt(
    order: np.ndarray, cost: np.ndarray, first: int, length: int, window: int | None
) -> tuple[np.ndarray, bool]:
    """Move segments of ``length`` stops (either way round) to where they walk shortest.

    One sweep over the path, applying each improving move as it is found.
    """
    n = len(order)
    moved = False
    for k in range(first, n - length + 1):
        segment = order[k : k + length]
        rest = np.concatenate([order[:k], order[k + length :]])
        m = len(rest)
        if m == 0:
            break  # the segment is the whole path: nowhere else to put it
        gain = 0.0
        if k > 0:
            gain += cost[order[k - 1], segment[0]]
        if k + length < n:
            gain += cost[segment[-1], order[k + length]]
        if k > 0 and k + length < n:
            gain -= cost[order[k - 1], order[k + length]]
        low, high = first, m + 1
        if window is not None:
            low, high = max(first, k - window), min(m + 1, k + window)
        spots = np.arange(low, high)
        prev = rest[np.maximum(spots - 1, 0)]
        nxt = rest[np.minimum(spots, m - 1)]
        inner = (spots > 0) & (spots < m)
        base = np.where(inner, cost[prev, nxt], 0.0)
        for piece in (segment, segment[::-1]):
            added = (
                np.where(spots > 0, cost[prev, piece[0]], 0.0)
                + np.where(spots < m, cost[piece[-1], nxt], 0.0)
                - base
            )
            delta = added - gain
            best = int(np.argmin(delta))
            if delta[best] < -1e-9:
                order = np.concatenate([rest[: spots[best]], piece, rest[spots[best] :]])
                moved = True
                break
    return order, moved


def order_stops(
    metres: np.ndarray,
    *,
    start: int | None = None,
    loop: bool = False,
    time_budget_s: float | None = None,
) -> list[int]:
    """Return the visiting order of all stops minimising the total walk.

    Parameters
    ----------
    metres
        (n, n) symmetric walking distances.
    start
        Index of the stop to begin at (e.g. the drop-off point added as a stop); ``None``
        lets the solver choose the best end to start from.
    loop
        Return to ``start`` at the end (the tour is then closed; ``start`` defaults to 0).
    time_budget_s
        Wall-clock budget for the solver; sensible defaults grow with the number of stops.
    """
    n = metres.shape[0]
    if n <= 2:
        order = list(range(n))
        if start is not None and n == 2 and start == 1:
            order.reverse()
        return order
    budget = _time_budget_s(n) if time_budget_s is None else time_budget_s
    if loop:
        tour = fast_tsp.find_tour(_integer_matrix(metres, 1).tolist(), duration_seconds=budget)
        first = tour.index(0 if start is None else start)
        return tour[first:] + tour[:first]
    # Open path: a dummy city joined at no cost to the allowed first stops turns the path into
    # a tour. With a fixed start, every other link to the dummy costs more than any real leg.
    scaled = _integer_matrix(metres, 2)
    penalty = 0 if start is None else int(scaled.max()) + 1
    extended = np.zeros((n + 1, n + 1), dtype=np.int64)
    extended[:n, :n] = scaled
    extended[n, :n] = penalty
    extended[:n, n] = penalty
    if start is not None:
        extended[n, start] = extended[start, n] = 0
    tour = fast_tsp.find_tour(extended.tolist(), duration_seconds=budget)
    at = tour.index(n)
    path = tour[at + 1 :] + tour[:at]
    if start is not None and path[0] != start:
        path.reverse()
    path = polish(path, metres + _tie_breaker(n), fixed_start=start is not None)
    if start is None and path[0] > path[-1]:
        # Either direction walks the same; pick one by a rule so reruns print the same list.
        path.reverse()
    return path


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
    n = metres.shape[0]
    visited = np.zeros(n, dtype=bool)
    order = [start]
    visited[start] = True
    for _ in range(n - 1):
        row = np.where(visited, np.inf, metres[order[-1]])
        nxt = int(np.argmin(row))
        order.append(nxt)
        visited[nxt] = True
    return order
