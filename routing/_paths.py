"""Compiled helpers on open walks held as arrays: lengths, a quick re-order, chain insertion.

A walk is the first ``size`` entries of an int64 array of stop indices; costs are an (n, n)
matrix. These are the inner loops of ``routing._exchange_search``: each is linear or
quadratic in one turf's stops and allocates nothing.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar, cast

import numpy as np
from numba import njit

F = TypeVar("F", bound=Callable[..., object])

EPSILON = 1e-7
RUN_STOPS = 8
"""Or-opt moves runs of up to this many stops: longer than the usual three, so that a walk
that comes back along a street for the doors it passed can take them on the way out."""
_KERNEL = ("_paths.py", "_exchange_search.py", "_exchange_kicks.py")
# numba checks a cached function against its own file only, but each compiled function
# carries the code of those it calls in the other two: key them all to all three.
_SOURCE_STAMP = hashlib.sha256(
    b"".join((Path(__file__).parent / name).read_bytes() for name in _KERNEL)
).hexdigest()


def compiled(func: F) -> F:
    """Compile with numba, cached on disk and refreshed when any of the kernel's modules changes.

    Where the cache cannot be written, or numba's cache no longer looks as expected, each
    process compiles for itself (slower to start, same answers).
    """
    try:
        dispatcher = njit(cache=True)(func)
    except RuntimeError:
        return cast(F, njit(func))
    cache_file = getattr(getattr(dispatcher, "_cache", None), "_cache_file", None)
    if cache_file is None or not hasattr(cache_file, "_source_stamp"):
        return cast(F, njit(func))
    cache_file._source_stamp = _SOURCE_STAMP
    return cast(F, dispatcher)


@compiled
def path_cost(matrix: np.ndarray, path: np.ndarray, size: int) -> float:
    """Sum of ``matrix`` along the first ``size`` stops of ``path``."""
    total = 0.0
    for i in range(1, size):
        total += matrix[path[i - 1], path[i]]
    return total


@compiled
def _link(cost: np.ndarray, a: int, b: int) -> float:
    """Cost between two stops; nothing where one end is missing (-1: the walk's end)."""
    if a < 0 or b < 0:
        return 0.0
    return cost[a, b]


@compiled
def _reverse(path: np.ndarray, i: int, j: int) -> None:
    while i < j:
        path[i], path[j] = path[j], path[i]
        i += 1
        j -= 1


@compiled
def _two_opt_pass(path: np.ndarray, size: int, cost: np.ndarray) -> bool:
    """Reverse every stretch whose reversal shortens the open walk; True if any was."""
    improved = False
    for i in range(size - 1):
        before = path[i - 1] if i > 0 else -1
        for j in range(i + 1, size):
            after = path[j + 1] if j + 1 < size else -1
            delta = (
                _link(cost, before, path[j])
                + _link(cost, path[i], after)
                - _link(cost, before, path[i])
                - _link(cost, path[j], after)
            )
            if delta < -EPSILON:
                _reverse(path, i, j)
                improved = True
    return improved


@compiled
def _or_opt_pass(path: np.ndarray, size: int, cost: np.ndarray, tmp: np.ndarray) -> bool:
    """Move runs of 1 to ``RUN_STOPS`` stops (either way round) wherever that shortens the walk."""
    improved = False
    for length in range(1, RUN_STOPS + 1):
        if size - length < 1:
            break
        i = 0
        while i + length <= size:
            first, last = path[i], path[i + length - 1]
            before = path[i - 1] if i > 0 else -1
            after = path[i + length] if i + length < size else -1
            saved = _link(cost, before, first) + _link(cost, last, after)
            saved -= _link(cost, before, after)
            best, best_gap, best_flip = -EPSILON, -1, False
            if saved > EPSILON:
                for gap in range(size + 1):
                    if i <= gap <= i + length:
                        continue
                    q = path[gap - 1] if gap > 0 else -1
                    r = path[gap] if gap < size else -1
                    base = _link(cost, q, r)
                    forward = _link(cost, q, first) + _link(cost, last, r) - base - saved
                    backward = _link(cost, q, last) + _link(cost, first, r) - base - saved
                    if forward < best:
                        best, best_gap, best_flip = forward, gap, False
                    if backward < best:
                        best, best_gap, best_flip = backward, gap, True
            if best_gap < 0:
                i += 1
                continue
            k = 0
            for idx in range(size + 1):
                if idx == best_gap:
                    for u in range(length):
                        tmp[k] = path[i + (length - 1 - u if best_flip else u)]
                        k += 1
                if idx < size and not (i <= idx < i + length):
                    tmp[k] = path[idx]
                    k += 1
            path[:size] = tmp[:size]
            improved = True
    return improved


@compiled
def polish(path: np.ndarray, size: int, cost: np.ndarray, tmp: np.ndarray) -> None:
    """2-opt and or-opt on the open walk until neither helps (``tmp``: scratch of ``size``)."""
    for _ in range(4 * size + 4):  # a bound only: each pass that changes saves cost
        changed = _two_opt_pass(path, size, cost)
        changed |= _or_opt_pass(path, size, cost, tmp)
        if not changed:
            break


@compiled
def best_insertion(
    path: np.ndarray, size: int, chain: np.ndarray, length: int, cost: np.ndarray
) -> tuple[float, int, bool]:
    """Cheapest place to put ``chain`` in one piece: (added cost, gap, reversed).

    Gap ``t`` puts the chain before ``path[t]`` (``t == size``: at the end); the chain's own
    cost is included.
    """
    inner = path_cost(cost, chain, length)
    first, last = chain[0], chain[length - 1]
    best, best_gap, best_flip = np.inf, 0, False
    for gap in range(size + 1):
        q = path[gap - 1] if gap > 0 else -1
        r = path[gap] if gap < size else -1
        base = _link(cost, q, r)
        forward = _link(cost, q, first) + _link(cost, last, r) - base
        backward = _link(cost, q, last) + _link(cost, first, r) - base
        if forward < best:
            best, best_gap, best_flip = forward, gap, False
        if backward < best:
            best, best_gap, best_flip = backward, gap, True
    return best + inner, best_gap, best_flip


@compiled
def write_insertion(
    path: np.ndarray,
    size: int,
    chain: np.ndarray,
    length: int,
    gap: int,
    flip: bool,
    out: np.ndarray,
) -> int:
    """``path`` with ``chain`` put before ``path[gap]``, into ``out``; the new size."""
    k = 0
    for idx in range(size + 1):
        if idx == gap:
            for u in range(length):
                out[k] = chain[length - 1 - u if flip else u]
                k += 1
        if idx < size:
            out[k] = path[idx]
            k += 1
    return k


@compiled
def split_out(
    path: np.ndarray,
    size: int,
    faces: np.ndarray,
    face: int,
    rest: np.ndarray,
    unit: np.ndarray,
) -> tuple[int, int]:
    """Stops of block face ``face`` into ``unit``, the others into ``rest`` (walk order kept)."""
    r = u = 0
    for i in range(size):
        s = path[i]
        if faces[s] == face:
            unit[u] = s
            u += 1
        else:
            rest[r] = s
            r += 1
    return r, u


@compiled
def nearest_stops(cost: np.ndarray, count: int) -> np.ndarray:
    """Each stop's ``count`` cheapest other stops, cheapest first (ties: lower index first)."""
    n = cost.shape[0]
    count = min(count, n - 1)
    out = np.empty((n, count), dtype=np.int64)
    best = np.empty(count)
    for i in range(n):
        found = 0
        for j in range(n):
            if j == i:
                continue
            c = cost[i, j]
            if found == count and c >= best[count - 1]:
                continue
            k = found if found < count else count - 1
            while k > 0 and best[k - 1] > c:
                best[k] = best[k - 1]
                out[i, k] = out[i, k - 1]
                k -= 1
            best[k] = c
            out[i, k] = j
            found = min(found + 1, count)
    return out
