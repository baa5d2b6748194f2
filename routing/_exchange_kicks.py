"""The compiled driver of ``routing.exchange``: descent from a queue of turfs, then kicks.

A kick ruins and recreates a small area, as in SISR (Christiaens and Vanden Berghe, 2020):
the block faces nearest a random stop leave their turfs and go back one by one, each where
it adds least without taking a turf over the size band or across a barrier; both walks are
re-ordered and the moves between turfs run again from the turfs it touched. The kick stays
if every rule still holds and the group walks less, or more by no more than simulated
annealing allows at the current temperature; otherwise every touched turf is put back as it
was. The best turfs seen are the answer. Kicks and annealing's draws come from a fixed seed
and are counted, so the same input gives the same turfs on any machine.
"""

from __future__ import annotations

import numpy as np

from routing._exchange_search import (
    BUF,
    COST,
    COUNTS,
    DOORS,
    FACE_MARK,
    FACES,
    FIRST,
    GAIN,
    KICK,
    LISTS,
    LOG,
    METRES,
    NEAR,
    NEW_A,
    OWNER,
    PARAMS,
    PATHS,
    QUEUE,
    REST_A,
    SAVED,
    SAVED_PATHS,
    SAVED_SIZES,
    SAVED_STATS,
    SIZES,
    STATS,
    TARGET,
    TMP,
    TOLERANCE,
    TURF_MARK,
    UNIT_A,
    _effort,
    _pop,
    _push,
    _restat,
    _set_turf,
    _spans,
    _stamp,
    _try_face,
    _two_opt_star,
    deviation,
)
from routing._paths import (
    best_insertion,
    compiled,
    path_cost,
    polish,
    split_out,
    write_insertion,
)


@compiled
def descend(w: tuple, moves_left: np.ndarray) -> None:
    """Moves between turfs from the queued turfs until none helps (or the move budget ends)."""
    faces, near, owner, paths, sizes = w[FACES], w[NEAR], w[OWNER], w[PATHS], w[SIZES]
    lists = w[LISTS]
    while w[QUEUE][1] > 0 and moves_left[0] > 0:
        a = _pop(w)
        w[COUNTS][2] += 1
        stamp = _stamp(w)
        count = 0
        for i in range(sizes[a]):
            g = faces[paths[a, i]]
            if w[FACE_MARK][g] != stamp:
                w[FACE_MARK][g] = stamp
                lists[0, count] = g
                count += 1
        moved = False
        for t in range(count):
            b = _try_face(w, a, lists[0, t])
            if b >= 0:
                moved = True
                moves_left[0] -= 1
                _push(w, b)
        stamp = _stamp(w)
        count = 0
        for i in range(sizes[a]):
            for s in near[paths[a, i]]:
                b = owner[s]
                if b >= 0 and b != a and w[TURF_MARK][b] != stamp:
                    w[TURF_MARK][b] = stamp
                    lists[1, count] = b
                    count += 1
        for t in range(count):
            b = lists[1, t]
            if _two_opt_star(w, a, b):
                moved = True
                moves_left[0] -= 1
                _push(w, b)
        if moved:
            _push(w, a)
    while w[QUEUE][1] > 0:
        _pop(w)


@compiled
def _ruin(w: tuple, faces_out: int, units: np.ndarray) -> int:
    """Take up to ``faces_out`` block faces near a random stop out of their turfs.

    Their stops go to LISTS row 2 one face after another (``units[0]``: where each face
    starts, ``units[1]``: the turf it came from); returns how many faces left. A turf keeps
    at least one stop.
    """
    faces, near, owner, paths, sizes = w[FACES], w[NEAR], w[OWNER], w[PATHS], w[SIZES]
    buf, pool, seen = w[BUF], w[LISTS][2], w[LISTS][1]
    n = len(owner)
    seen[0] = np.random.randint(0, n)
    found, looked, taken, used = 1, 0, 0, 0
    stamp = _stamp(w)
    while looked < found and taken < faces_out:
        s = seen[looked]
        looked += 1
        for x in near[s]:
            if found < n:
                seen[found] = x
                found += 1
        t, face = owner[s], faces[s]
        if t < 0 or w[FACE_MARK][face] == stamp:
            continue
        rest, size = split_out(paths[t], sizes[t], faces, face, buf[REST_A], buf[UNIT_A])
        if rest == 0:
            continue
        w[FACE_MARK][face] = stamp
        units[0, taken], units[1, taken] = used, t
        pool[used : used + size] = buf[UNIT_A, :size]
        used += size
        _set_turf(w, t, buf[REST_A], rest)
        for u in range(size):
            owner[buf[UNIT_A, u]] = -1
        taken += 1
    units[0, taken] = used
    return taken


@compiled
def _recreate(w: tuple, taken: int, units: np.ndarray) -> None:
    """Put the faces ``_ruin`` took back, in random order, each where it adds least.

    A face goes only where the turf stays under the top of the size band and spans no more
    quiet cells than it did; its own turf is the fallback.
    """
    cost, metres, doors, near, owner = w[COST], w[METRES], w[DOORS], w[NEAR], w[OWNER]
    paths, sizes, stats, params, buf = w[PATHS], w[SIZES], w[STATS], w[PARAMS], w[BUF]
    pool, unit = w[LISTS][2], buf[UNIT_A]
    order = np.arange(taken)
    for i in range(taken - 1, 0, -1):
        j = np.random.randint(0, i + 1)
        order[i], order[j] = order[j], order[i]
    top = params[TARGET] * (1.0 + params[TOLERANCE])
    for u in order:
        size = units[0, u + 1] - units[0, u]
        unit[:size] = pool[units[0, u] : units[0, u + 1]]
        home = units[1, u]
        best, best_turf = np.inf, home
        stamp = _stamp(w)
        for v in range(size + 1):
            candidates = near[unit[v]] if v < size else near[unit[0]][:1]
            for s in candidates:
                t = owner[s] if v < size else home
                if t < 0 or w[TURF_MARK][t] == stamp:
                    continue
                w[TURF_MARK][t] = stamp
                added, gap, flip = best_insertion(paths[t], sizes[t], unit, size, cost)
                if added >= best:
                    continue
                if t != home:
                    new = write_insertion(paths[t], sizes[t], unit, size, gap, flip, buf[NEW_A])
                    extra = 0.0
                    for i in range(size):
                        extra += doors[unit[i]]
                    walk = path_cost(metres, buf[NEW_A], new)
                    if _effort(w, walk, stats[t, 2] + extra, new) > top:
                        continue
                    if stats[t, 3] == 0.0 and _spans(w, buf[NEW_A], new):
                        continue
                best, best_turf = added, t
        t = best_turf
        added, gap, flip = best_insertion(paths[t], sizes[t], unit, size, cost)
        new = write_insertion(paths[t], sizes[t], unit, size, gap, flip, buf[NEW_A])
        _set_turf(w, t, buf[NEW_A], new)


@compiled
def _undo(w: tuple) -> None:
    """Put every turf the current kick touched back as it was."""
    log, paths, sizes, owner = w[LOG], w[PATHS], w[SIZES], w[OWNER]
    for i in range(log[SAVED]):
        t = log[FIRST + i]
        size = w[SAVED_SIZES][t]
        paths[t, :size] = w[SAVED_PATHS][t, :size]
        sizes[t] = size
        w[STATS][t] = w[SAVED_STATS][t]
        for j in range(size):
            owner[paths[t, j]] = t


@compiled
def _kept_rules(w: tuple, spans_before: float) -> bool:
    """Each touched turf within the band or no farther out than before; no more spanning."""
    log, params = w[LOG], w[PARAMS]
    if w[STATS][:, 3].sum() > spans_before:
        return False
    for i in range(log[SAVED]):
        t = log[FIRST + i]
        saved = w[SAVED_STATS][t]
        before = deviation(w, saved[1], saved[2], w[SAVED_SIZES][t])
        stats = w[STATS][t]
        if deviation(w, stats[1], stats[2], w[SIZES][t]) > max(params[TOLERANCE], before) + 1e-9:
            return False
    return True


@compiled
def _keep_best(w: tuple, best: tuple) -> None:
    """Copy the turfs into ``best`` (paths, sizes, stats)."""
    k = len(w[SIZES])
    for t in range(k):
        size = w[SIZES][t]
        best[0][t, :size] = w[PATHS][t, :size]
    best[1][:] = w[SIZES]
    best[2][:] = w[STATS]


@compiled
def _restore_best(w: tuple, best: tuple) -> None:
    """Make the turfs those kept in ``best``."""
    k = len(w[SIZES])
    for t in range(k):
        size = best[1][t]
        w[PATHS][t, :size] = best[0][t, :size]
        w[SIZES][t] = size
        w[STATS][t] = best[2][t]
        for j in range(size):
            w[OWNER][w[PATHS][t, j]] = t


@compiled
def improve(
    w: tuple, kicks: int, faces_out: int, seed: int, moves: int, temperature_m: float
) -> int:
    """Descend from every turf, then ``kicks`` kicks; returns how many kicks were kept.

    A kick that walks more is still kept with the probability of simulated annealing, at a
    temperature falling linearly from ``temperature_m`` (metres of cost) to nothing over the
    kicks, so the search can leave a local optimum; the best turfs seen are the answer.
    """
    np.random.seed(seed)
    k = len(w[SIZES])
    log, stats, cost = w[LOG], w[STATS], w[COST]
    moves_left = np.array([moves], dtype=np.int64)
    for t in range(k):
        polish(w[PATHS][t], w[SIZES][t], cost, w[BUF][TMP])
        _restat(w, t)
        _push(w, t)
    descend(w, moves_left)
    units = np.zeros((2, faces_out + 1), dtype=np.int64)
    best = (w[PATHS].copy(), w[SIZES].copy(), w[STATS].copy())
    best_cost = stats[:, 0].sum()
    kept = 0
    for kick in range(kicks):
        if moves_left[0] <= 0:
            break
        before, spans_before = stats[:, 0].sum(), stats[:, 3].sum()
        log[KICK], log[SAVED] = kick + 1, 0
        taken = _ruin(w, np.random.randint(1, faces_out + 1), units)
        _recreate(w, taken, units)
        for i in range(log[SAVED]):
            t = log[FIRST + i]
            polish(w[PATHS][t], w[SIZES][t], cost, w[BUF][TMP])
            _restat(w, t)
            _push(w, t)
        descend(w, moves_left)
        after = stats[:, 0].sum()
        heat = temperature_m * (1.0 - kick / kicks)
        # Annealing's draw, made on every kick so the sequence does not depend on the outcome.
        allowance = -heat * np.log(1.0 - np.random.random())
        if after < before - w[PARAMS][GAIN] + allowance and _kept_rules(w, spans_before):
            kept += 1
            if after < best_cost - w[PARAMS][GAIN]:
                best_cost = after
                _keep_best(w, best)
        else:
            _undo(w)
        log[KICK] = 0
    if stats[:, 0].sum() > best_cost:
        _restore_best(w, best)
    return kept
