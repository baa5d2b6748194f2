"""The compiled search behind ``routing.exchange``: moves between turfs scored on arrays.

Everything lives in one tuple of arrays (``workspace``; the indices below name its parts) so
that the compiled functions share it without allocating. A turf is a row of ``PATHS``, its
first ``SIZES[k]`` entries its walk; ``STATS[k]`` holds its cost, walk metres, doors and
whether it spans two quiet cells. Every change of a turf goes through ``_set_turf``, which
also keeps the turf's state from before the current kick, so a kick that does not pay is
undone exactly.
"""

from __future__ import annotations

import numpy as np

from routing._paths import (
    best_insertion,
    compiled,
    path_cost,
    polish,
    split_out,
    write_insertion,
)

# Parts of the workspace tuple (see ``workspace``).
COST, METRES, DOORS, CELLS, FACES, NEAR, PARAMS = 0, 1, 2, 3, 4, 5, 6
PATHS, SIZES, OWNER, STATS = 7, 8, 9, 10
SAVED_PATHS, SAVED_SIZES, SAVED_STATS, SAVED_AT, LOG = 11, 12, 13, 14, 15
BUF, FBUF, IBUF, TURF_MARK, FACE_MARK, QUEUE, INQ, FACE_LAST, LISTS, COUNTS = range(16, 26)
# PARAMS entries.
TARGET, TOLERANCE, BY_DOORS, SPEED, PER_DOOR, PER_STOP, GAIN, SLACK, CANDIDATES, SHORTER = range(10)
# LOG entries: the current kick's stamp (0: none), the number of turfs saved, a stamp
# counter for the marks, then the saved turfs; QUEUE: head, count, then the turfs.
KICK, SAVED, STAMP, FIRST = 0, 1, 2, 3
# BUF rows (stop lists): rest of a, unit of a, rest of b, unit of b, new a, new b, scratch.
REST_A, UNIT_A, REST_B, UNIT_B, NEW_A, NEW_B, TMP = range(7)
TOP = 8
"""Candidate moves kept per turf pair or block face at most (PARAMS[CANDIDATES] are tried)."""


def workspace(
    paths: list[list[int]],
    cost: np.ndarray,
    metres: np.ndarray,
    doors: np.ndarray,
    cells: np.ndarray,
    faces: np.ndarray,
    near: np.ndarray,
    params: np.ndarray,
) -> tuple:
    """The arrays the search works in, with ``paths`` as the turfs' walks."""
    n, k = cost.shape[0], len(paths)
    rows = np.full((k, n), -1, dtype=np.int64)
    sizes = np.array([len(p) for p in paths], dtype=np.int64)
    owner = np.full(n, -1, dtype=np.int64)
    for t, path in enumerate(paths):
        rows[t, : len(path)] = path
        owner[path] = t
    w = (
        np.ascontiguousarray(cost, dtype=np.float64),
        np.ascontiguousarray(metres, dtype=np.float64),
        doors.astype(np.float64),
        cells.astype(np.int64),
        faces.astype(np.int64),
        near.astype(np.int64),
        params.astype(np.float64),
        rows,
        sizes,
        owner,
        np.zeros((k, 4)),
        rows.copy(),
        sizes.copy(),
        np.zeros((k, 4)),
        np.zeros(k, dtype=np.int64),
        np.zeros(k + FIRST, dtype=np.int64),
        np.zeros((7, n + 1), dtype=np.int64),
        np.zeros((10, n + 1)),
        np.zeros((6, n + 1), dtype=np.int64),
        np.zeros(k, dtype=np.int64),
        np.zeros(int(faces.max(initial=0)) + 1, dtype=np.int64),
        np.zeros(k + 2, dtype=np.int64),
        np.zeros(k, dtype=np.bool_),
        np.zeros(int(faces.max(initial=0)) + 1, dtype=np.int64),
        np.zeros((3, n + 1), dtype=np.int64),
        np.zeros(4, dtype=np.int64),
    )
    for t in range(k):
        _restat(w, t)
    return w


@compiled
def _effort(w: tuple, metres_m: float, doors: float, size: int) -> float:
    params = w[PARAMS]
    if params[BY_DOORS] > 0:
        return doors
    return metres_m / params[SPEED] / 60.0 + doors * params[PER_DOOR] + size * params[PER_STOP]


@compiled
def deviation(w: tuple, metres_m: float, doors: float, size: int) -> float:
    """How far a turf of this walk, doors and stops may be from the target size (0.1 = 10 %).

    The walk is the one the quick re-order found; the final routing may find one up to
    PARAMS[SHORTER] shorter, so below the target the shorter walk counts.
    """
    target = w[PARAMS][TARGET]
    over = _effort(w, metres_m, doors, size) / target - 1.0
    under = 1.0 - _effort(w, metres_m * (1.0 - w[PARAMS][SHORTER]), doors, size) / target
    return max(over, under)


@compiled
def _turf_deviation(w: tuple, t: int) -> float:
    stats = w[STATS]
    return deviation(w, stats[t, 1], stats[t, 2], w[SIZES][t])


@compiled
def _spans(w: tuple, path: np.ndarray, size: int) -> bool:
    cells = w[CELLS]
    for i in range(1, size):  # noqa: SIM110 (numba compiles no generator into any())
        if cells[path[i]] != cells[path[0]]:
            return True
    return False


@compiled
def _restat(w: tuple, t: int) -> None:
    path, size, stats = w[PATHS][t], w[SIZES][t], w[STATS]
    stats[t, 0] = path_cost(w[COST], path, size)
    stats[t, 1] = path_cost(w[METRES], path, size)
    stats[t, 2] = 0.0
    for i in range(size):
        stats[t, 2] += w[DOORS][path[i]]
    stats[t, 3] = 1.0 if _spans(w, path, size) else 0.0


@compiled
def _stamp(w: tuple) -> int:
    w[LOG][STAMP] += 1
    return w[LOG][STAMP]


@compiled
def _set_turf(w: tuple, t: int, source: np.ndarray, size: int) -> None:
    """Make ``source[:size]`` turf ``t``'s walk (keeping its old state during a kick)."""
    log = w[LOG]
    if log[KICK] > 0 and w[SAVED_AT][t] != log[KICK]:
        w[SAVED_AT][t] = log[KICK]
        w[SAVED_PATHS][t, : w[SIZES][t]] = w[PATHS][t, : w[SIZES][t]]
        w[SAVED_SIZES][t] = w[SIZES][t]
        w[SAVED_STATS][t] = w[STATS][t]
        log[FIRST + log[SAVED]] = t
        log[SAVED] += 1
    w[PATHS][t, :size] = source[:size]
    w[SIZES][t] = size
    for i in range(size):
        w[OWNER][source[i]] = t
    _restat(w, t)


@compiled
def _push(w: tuple, t: int) -> None:
    queue, inq = w[QUEUE], w[INQ]
    if inq[t]:
        return
    k = len(inq)
    queue[2 + (queue[0] + queue[1]) % k] = t
    queue[1] += 1
    inq[t] = True


@compiled
def _pop(w: tuple) -> int:
    queue, inq = w[QUEUE], w[INQ]
    t = queue[2 + queue[0]]
    queue[0] = (queue[0] + 1) % len(inq)
    queue[1] -= 1
    inq[t] = False
    return t


@compiled
def _judge(w: tuple, a: int, size_a: int, b: int, size_b: int) -> bool:
    """Re-order the walks in NEW_A and NEW_B; make them turfs a and b if the rules allow.

    The two must walk at least GAIN less, end no farther outside the size band than the two
    were (or within it), and no more of them may span two quiet cells.
    """
    buf, stats, params, cost = w[BUF], w[STATS], w[PARAMS], w[COST]
    if size_a == 0 or size_b == 0:
        return False
    limit = max(params[TOLERANCE], _turf_deviation(w, a), _turf_deviation(w, b)) + 1e-9
    new_a, new_b = buf[NEW_A], buf[NEW_B]
    if params[BY_DOORS] > 0:
        doors_a = 0.0
        for i in range(size_a):
            doors_a += w[DOORS][new_a[i]]
        doors_b = stats[a, 2] + stats[b, 2] - doors_a
        if max(deviation(w, 0.0, doors_a, 0), deviation(w, 0.0, doors_b, 0)) > limit:
            return False
    if _spans(w, new_a, size_a) + _spans(w, new_b, size_b) > stats[a, 3] + stats[b, 3]:
        return False
    w[COUNTS][0] += 1
    polish(new_a, size_a, cost, buf[TMP])
    polish(new_b, size_b, cost, buf[TMP])
    before = stats[a, 0] + stats[b, 0]
    if path_cost(cost, new_a, size_a) + path_cost(cost, new_b, size_b) > before - params[GAIN]:
        return False
    doors_a = doors_b = 0.0
    for i in range(size_a):
        doors_a += w[DOORS][new_a[i]]
    for i in range(size_b):
        doors_b += w[DOORS][new_b[i]]
    dev_a = deviation(w, path_cost(w[METRES], new_a, size_a), doors_a, size_a)
    dev_b = deviation(w, path_cost(w[METRES], new_b, size_b), doors_b, size_b)
    if max(dev_a, dev_b) > limit:
        return False
    _set_turf(w, a, new_a, size_a)
    _set_turf(w, b, new_b, size_b)
    w[COUNTS][1] += 1
    return True


@compiled
def _keep_top(gains: np.ndarray, picks: np.ndarray, gain: float, x: int, y: int, z: int) -> None:
    """Insert a candidate into the best-first lists ``gains`` / ``picks`` (rows x, y, z)."""
    top = len(gains)
    if gain <= gains[top - 1]:
        return
    i = top - 1
    while i > 0 and gains[i - 1] < gain:
        gains[i] = gains[i - 1]
        picks[:, i] = picks[:, i - 1]
        i -= 1
    gains[i] = gain
    picks[0, i], picks[1, i], picks[2, i] = x, y, z


@compiled
def _insert_into(
    w: tuple, path: np.ndarray, size: int, unit: np.ndarray, length: int, out: int
) -> int:
    """``unit`` put into ``path`` where it adds least, written to BUF row ``out``; the size."""
    _, gap, flip = best_insertion(path, size, unit, length, w[COST])
    return write_insertion(path, size, unit, length, gap, flip, w[BUF][out])


@compiled
def _try_face(w: tuple, a: int, face: int) -> int:
    """Best relocate or swap of turf a's part of block ``face``; the other turf, or -1."""
    cost, faces, near, owner, buf = w[COST], w[FACES], w[NEAR], w[OWNER], w[BUF]
    paths, sizes, stats, params = w[PATHS], w[SIZES], w[STATS], w[PARAMS]
    rest_a, unit_a, rest_b, unit_b = buf[REST_A], buf[UNIT_A], buf[REST_B], buf[UNIT_B]
    size_rest, size_unit = split_out(paths[a], sizes[a], faces, face, rest_a, unit_a)
    if size_unit == 0 or size_rest == 0:
        return -1
    rest_cost = path_cost(cost, rest_a, size_rest)
    gains = np.full(TOP, -np.inf)
    picks = np.zeros((3, TOP), dtype=np.int64)
    turf_stamp = _stamp(w)
    for u in range(size_unit):
        for s in near[unit_a[u]]:
            b = owner[s]
            if b < 0 or b == a or w[TURF_MARK][b] == turf_stamp:
                continue
            w[TURF_MARK][b] = turf_stamp
            added, _, _ = best_insertion(paths[b], sizes[b], unit_a, size_unit, cost)
            _keep_top(gains, picks, stats[a, 0] - rest_cost - added, b, -1, 0)
            face_stamp = _stamp(w)
            for u2 in range(size_unit):
                for s2 in near[unit_a[u2]]:
                    g = faces[s2]
                    if owner[s2] != b or g == face or w[FACE_MARK][g] == face_stamp:
                        continue
                    w[FACE_MARK][g] = face_stamp
                    size_rest_b, size_unit_b = split_out(
                        paths[b], sizes[b], faces, g, rest_b, unit_b
                    )
                    into_a, _, _ = best_insertion(rest_a, size_rest, unit_b, size_unit_b, cost)
                    into_b, _, _ = best_insertion(rest_b, size_rest_b, unit_a, size_unit, cost)
                    after = rest_cost + into_a + path_cost(cost, rest_b, size_rest_b) + into_b
                    _keep_top(gains, picks, stats[a, 0] + stats[b, 0] - after, b, g, 1)
    for c in range(min(TOP, int(params[CANDIDATES]))):
        if gains[c] < -params[SLACK]:
            break
        b, g = picks[0, c], picks[1, c]
        if g < 0:
            buf[NEW_A, :size_rest] = rest_a[:size_rest]
            size_a = size_rest
            size_b = _insert_into(w, paths[b], sizes[b], unit_a, size_unit, NEW_B)
        else:
            size_rest_b, size_unit_b = split_out(paths[b], sizes[b], faces, g, rest_b, unit_b)
            size_a = _insert_into(w, rest_a, size_rest, unit_b, size_unit_b, NEW_A)
            size_b = _insert_into(w, rest_b, size_rest_b, unit_a, size_unit, NEW_B)
        if _judge(w, a, size_a, b, size_b):
            return b
    return -1


@compiled
def _ends(w: tuple, path: np.ndarray, size: int, row: int, irow: int) -> None:
    """What a cut before each position ``i`` of ``path`` leaves on either side.

    FBUF rows row..row+4: cost, metres and doors of ``path[:i]``, cost and metres of
    ``path[i:]``; IBUF rows irow..irow+2: whether the cut is allowed (no block face on both
    sides), and the single quiet cell of the head and of the tail (-1 empty, -2 several).
    """
    cost, metres, doors, cells, faces = w[COST], w[METRES], w[DOORS], w[CELLS], w[FACES]
    f, ib = w[FBUF], w[IBUF]
    f[row, 0] = f[row + 1, 0] = f[row + 2, 0] = 0.0
    for i in range(1, size + 1):
        s = path[i - 1]
        f[row, i] = f[row, i - 1] + (cost[path[i - 2], s] if i > 1 else 0.0)
        f[row + 1, i] = f[row + 1, i - 1] + (metres[path[i - 2], s] if i > 1 else 0.0)
        f[row + 2, i] = f[row + 2, i - 1] + doors[s]
    for i in range(size + 1):
        step_c = cost[path[i - 1], path[i]] if 0 < i < size else 0.0
        step_m = metres[path[i - 1], path[i]] if 0 < i < size else 0.0
        f[row + 3, i] = f[row, size] - f[row, i] - step_c
        f[row + 4, i] = f[row + 1, size] - f[row + 1, i] - step_m
    # A cut before position i is allowed when no face seen before i comes again from i on.
    stamp = _stamp(w)
    mark, last = w[FACE_MARK], w[FACE_LAST]
    for i in range(size - 1, -1, -1):
        g = faces[path[i]]
        if mark[g] != stamp:
            mark[g] = stamp
            last[g] = i
    ok = ib[irow]
    ok[0] = 1
    reach = -1
    for i in range(size):
        reach = max(reach, last[faces[path[i]]])
        ok[i + 1] = 1 if reach < i + 1 else 0
    head, tail = ib[irow + 1], ib[irow + 2]
    head[0] = -1
    for i in range(1, size + 1):
        c = cells[path[i - 1]]
        head[i] = c if head[i - 1] in (-1, c) else -2
    tail[size] = -1
    for i in range(size - 1, -1, -1):
        c = cells[path[i]]
        tail[i] = c if tail[i + 1] in (-1, c) else -2


@compiled
def _joined_spans(x: int, y: int) -> int:
    if x == -2 or y == -2:
        return 1
    return 1 if x >= 0 and y >= 0 and x != y else 0


@compiled
def _between(m: np.ndarray, x: int, y: int) -> float:
    """``m[x, y]``, or nothing where one end is missing (-1)."""
    return m[x, y] if x >= 0 and y >= 0 else 0.0


@compiled
def _consider(
    w: tuple, gains: np.ndarray, picks: np.ndarray, a: int, b: int, i: int, j: int, kind: int
) -> None:
    """Keep the 2-opt* exchange (cut i of a, cut j of b, ``kind``) if it keeps the rules."""
    metres, stats, f, ib = w[METRES], w[STATS], w[FBUF], w[IBUF]
    pa, pb = w[PATHS][a], w[PATHS][b]
    n, m = w[SIZES][a], w[SIZES][b]
    la, fa = (pa[i - 1] if i > 0 else -1), (pa[i] if i < n else -1)
    lb, fb = (pb[j - 1] if j > 0 else -1), (pb[j] if j < m else -1)
    if kind == 0:  # a[:i] + b[j:], b[:j] + a[i:]
        size_a, size_b = i + m - j, j + n - i
        x_m = f[1, i] + _between(metres, la, fb) + f[9, j]
        y_m = f[6, j] + _between(metres, lb, fa) + f[4, i]
        x_d = f[2, i] + f[7, m] - f[7, j]
        spans = _joined_spans(ib[1, i], ib[5, j]) + _joined_spans(ib[4, j], ib[2, i])
    else:  # a[:i] + reversed b[:j], reversed a[i:] + b[j:]
        size_a, size_b = i + j, n - i + m - j
        x_m = f[1, i] + _between(metres, la, lb) + f[6, j]
        y_m = f[4, i] + _between(metres, fa, fb) + f[9, j]
        x_d = f[2, i] + f[7, j]
        spans = _joined_spans(ib[1, i], ib[4, j]) + _joined_spans(ib[2, i], ib[5, j])
    if size_a == 0 or size_b == 0 or spans > stats[a, 3] + stats[b, 3]:
        return
    y_d = stats[a, 2] + stats[b, 2] - x_d
    limit = max(w[PARAMS][TOLERANCE], _turf_deviation(w, a), _turf_deviation(w, b)) + 1e-9
    if max(deviation(w, x_m, x_d, size_a), deviation(w, y_m, y_d, size_b)) > limit:
        return
    gain = stats[a, 0] + stats[b, 0]
    if kind == 0:
        gain -= f[0, i] + _between(w[COST], la, fb) + f[8, j]
        gain -= f[5, j] + _between(w[COST], lb, fa) + f[3, i]
    else:
        gain -= f[0, i] + _between(w[COST], la, lb) + f[5, j]
        gain -= f[3, i] + _between(w[COST], fa, fb) + f[8, j]
    _keep_top(gains, picks, gain, i, j, kind)


@compiled
def _two_opt_star(w: tuple, a: int, b: int) -> bool:
    """Best exchange of walk ends between turfs a and b, cut only between block faces."""
    cost, params, stats, buf = w[COST], w[PARAMS], w[STATS], w[BUF]
    pa, pb = w[PATHS][a], w[PATHS][b]
    n, m = w[SIZES][a], w[SIZES][b]
    _ends(w, pa, n, 0, 0)
    _ends(w, pb, m, 5, 3)
    f, ib = w[FBUF], w[IBUF]
    head_a, tail_a, head_b, tail_b = f[0], f[3], f[5], f[8]
    ok_a, ok_b = ib[0], ib[3]
    old = stats[a, 0] + stats[b, 0]
    gains = np.full(TOP, -np.inf)
    picks = np.zeros((3, TOP), dtype=np.int64)
    for i in range(n + 1):
        if ok_a[i] == 0:
            continue
        la, fa = (pa[i - 1] if i > 0 else -1), (pa[i] if i < n else -1)
        for j in range(m + 1):
            if ok_b[j] == 0:
                continue
            lb, fb = (pb[j - 1] if j > 0 else -1), (pb[j] if j < m else -1)
            floor = max(params[GAIN], gains[TOP - 1])
            cross = old - head_a[i] - tail_b[j] - head_b[j] - tail_a[i]
            cross -= _between(cost, la, fb) + _between(cost, lb, fa)
            if cross > floor and not ((i == n and j == m) or (i == 0 and j == 0)):
                _consider(w, gains, picks, a, b, i, j, 0)
            ends = old - head_a[i] - head_b[j] - tail_a[i] - tail_b[j]
            ends -= _between(cost, la, lb) + _between(cost, fa, fb)
            if ends > floor and not ((i == n and j == 0) or (i == 0 and j == m)):
                _consider(w, gains, picks, a, b, i, j, 1)
    new_a, new_b = buf[NEW_A], buf[NEW_B]
    for c in range(min(TOP, int(params[CANDIDATES]))):
        if gains[c] <= params[GAIN]:
            break
        i, j, kind = picks[0, c], picks[1, c], picks[2, c]
        size_a = size_b = 0
        for t in range(i):
            new_a[size_a] = pa[t]
            size_a += 1
        if kind == 0:
            for t in range(j, m):
                new_a[size_a] = pb[t]
                size_a += 1
            for t in range(j):
                new_b[size_b] = pb[t]
                size_b += 1
            for t in range(i, n):
                new_b[size_b] = pa[t]
                size_b += 1
        else:
            for t in range(j - 1, -1, -1):
                new_a[size_a] = pb[t]
                size_a += 1
            for t in range(n - 1, i - 1, -1):
                new_b[size_b] = pa[t]
                size_b += 1
            for t in range(j, m):
                new_b[size_b] = pb[t]
                size_b += 1
        if _judge(w, a, size_a, b, size_b):
            return True
    return False
