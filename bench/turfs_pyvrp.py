"""PyVRP (MIT, hybrid genetic search) as the reference cutter of bench_turfs.py.

The same stops, the same door-to-door costs (walking metres plus the crossing charge), the
same number of turfs as ours, open walks (a depot joined at no cost to every stop). Variants:

- free: each turf holds at most +15 % of the target doors (doors sizes), or its walk plus
  door and stop minutes fits in +15 % of the target minutes (minutes sizes); PyVRP has no
  minimum, so turfs may come out undersized;
- band: doors sizes only; every turf forced to within ±15 % of the target doors, by slack
  clients: ``k * C - D`` unit-load slack clients that only fit at the end of a walk, with a
  second load dimension capping each turf's slack at ``C - L`` so every turf's real doors
  are at least ``L`` (C, L the band's ends, D all doors, k turfs). The slack clients cost
  nothing to reach, so PyVRP's own neighbour lists (nearest by cost) held nothing but slack
  and its moves never joined nearby stops: its turfs came out in band but scattered
  (120-240 km). Each stop's neighbours are now its nearest stops, and each slack client's
  slack clients spread over all turfs' ends; the run starts from PyVRP's own free cut (the longest
  run), slack added to fill its turfs, since from a random start it rarely found a cut in band;
- band + cells: as band, plus 2,000 m charged on every leg between two quiet cells (our
  rule against avoidable barrier crossings, as far as PyVRP can express it).

PyVRP stops after a number of iterations, seeded, so the reference is the same run on any
machine at any load (bench_turfs.py gives the iterations an idle machine makes in the seconds
asked for); ``cpu_seconds`` instead stops it on this process's CPU time, to measure that rate.
Install with ``pip install -e '.[bench]'``.
"""

from __future__ import annotations

import math
import time

import numpy as np

from geo.effort import TurfSize, WalkModel

CELL_CHARGE_M = 2_000.0
UNIT = 1  # integer costs for PyVRP: metres
FAR_FACTOR = 20
SEED = 1
NEIGHBOURS = 40
"""Neighbours per client in the band runs (PyVRP's default granular neighbourhood size)."""


def pyvrp_cut(
    cost: np.ndarray,
    metres: np.ndarray,
    doors: np.ndarray,
    cells: np.ndarray,
    *,
    size: TurfSize,
    model: WalkModel,
    turfs: int,
    iterations: int | None = None,
    cpu_seconds: float | None = None,
    band: bool = False,
    cell_charge: bool = False,
    tolerance: float = 0.15,
    start: list[np.ndarray] | None = None,
) -> tuple[list[np.ndarray], bool, int] | None:
    """Turfs (positions of stops) cut by PyVRP, whether its answer met its constraints, and
    the iterations it ran (``iterations``, or as many as fit in ``cpu_seconds``).

    ``start``: turfs to start the band runs from (PyVRP's own free cut), with the slack
    clients shared out so that as many turfs as can are full. None when PyVRP is not
    installed.
    """
    try:
        import pyvrp
        from pyvrp.stop import MaxIterations
    except ImportError:
        return None
    n = len(doors)
    charge = cost + (CELL_CHARGE_M * (cells[:, None] != cells[None, :]) if cell_charge else 0.0)
    by_doors = size.doors is not None
    target = float(size.doors if by_doors else size.minutes or 0.0)
    high = math.floor(target * (1 + tolerance))
    low = math.ceil(target * (1 - tolerance))
    slack = max(0, turfs * high - int(doors.sum())) if band and by_doors else 0
    # Locations: 0 the depot, 1..n the stops, n+1 where all slack clients stand.
    size_m = n + 2 if slack else n + 1
    distance = np.zeros((size_m, size_m), dtype=np.int64)
    distance[1 : n + 1, 1 : n + 1] = np.rint(charge * UNIT).astype(np.int64)
    duration = np.zeros_like(distance)
    if not by_doors:
        duration[1 : n + 1, 1 : n + 1] = np.rint(metres / model.speed_mps).astype(np.int64)
    if slack:
        # Slack only at the end of a walk: leaving it for a stop costs more than any walk.
        distance[n + 1, 1 : n + 1] = int(FAR_FACTOR * distance.max())
    locations = [pyvrp.Location(0, 0) for _ in range(size_m)]
    if by_doors:
        dims = 2 if slack else 1
        clients = [
            pyvrp.Client(i + 1, delivery=[int(doors[i])] + [0] * (dims - 1)) for i in range(n)
        ]
        clients += [pyvrp.Client(n + 1, delivery=[1, 1]) for _ in range(slack)]
        capacity = [high, high - low] if slack else [high]
        vehicle = pyvrp.VehicleType(turfs, capacity=capacity)
    else:
        clients = [
            pyvrp.Client(
                i + 1,
                service_duration=round(
                    60 * (doors[i] * model.minutes_per_door + model.minutes_per_stop)
                ),
            )
            for i in range(n)
        ]
        vehicle = pyvrp.VehicleType(turfs, shift_duration=round(60 * target * (1 + tolerance)))
    data = pyvrp.ProblemData(
        locations, clients, [pyvrp.Depot(0)], [vehicle], [distance], [duration]
    )
    stop = MaxIterations(iterations) if cpu_seconds is None else _CpuClock(cpu_seconds)
    if slack:
        routes = None if start is None else _with_slack(start, doors, n, slack, high, low)
        result = _solve_with_neighbours(data, charge, n, slack, stop, routes)
    else:
        result = pyvrp.solve(data, stop=stop, seed=SEED, display=False, collect_stats=False)
    members = [
        np.array([a.idx for a in route if a.is_client() and a.idx < n], dtype=np.int64)
        for route in result.best.routes()
    ]
    return [m for m in members if len(m)], bool(result.best.is_feasible()), result.num_iterations


class _CpuClock:
    """PyVRP stopping criterion: after ``seconds`` of this process's CPU time (PyVRP runs on
    one thread, so that is about the wall time of an idle machine, whatever the load)."""

    def __init__(self, seconds: float) -> None:
        self._end = time.process_time() + seconds

    def __call__(self, best_cost: int) -> bool:
        return time.process_time() >= self._end


def _with_slack(
    turfs: list[np.ndarray], doors: np.ndarray, n: int, slack: int, high: int, low: int
) -> list[list[int]]:
    """Client indices of ``turfs`` with the ``slack`` slack clients (indices n..) at their ends:
    each turf gets what fills it to ``high`` (at most ``high - low``), the rest goes round."""
    routes = [[int(i) for i in t] for t in turfs]
    share = [min(high - low, max(0, high - int(doors[t].sum()))) for t in turfs]
    extra = slack - sum(share)
    k = 0
    while extra != 0 and routes:
        step = 1 if extra > 0 else -1
        if share[k] + step >= 0:
            share[k] += step
            extra -= step
        k = (k + 1) % len(routes)
    next_slack = n
    for route, count in zip(routes, share, strict=True):
        route.extend(range(next_slack, next_slack + count))
        next_slack += count
    return routes


def _solve_with_neighbours(
    data,
    charge: np.ndarray,
    n: int,
    slack: int,
    stop,
    routes: list[list[int]] | None,
):
    """``pyvrp.solve`` with neighbour lists that leave the slack clients out of the stops'.

    The same steps as ``pyvrp.solve`` (0.14): local search, penalties, iterated local search.
    """
    from pyvrp import Activity, ActivityType, RandomNumberGenerator, Solution
    from pyvrp.IteratedLocalSearch import IteratedLocalSearch
    from pyvrp.PenaltyManager import PenaltyManager
    from pyvrp.search import LocalSearch, PerturbationManager
    from pyvrp.solve import SolveParams

    def client(i: int) -> Activity:
        return Activity(ActivityType.CLIENT, int(i))

    params = SolveParams()
    count = min(NEIGHBOURS, n - 1)
    away = charge + np.diag(np.full(n, np.inf))
    nearest = np.argsort(away, axis=1, kind="stable")[:, :count]
    neighbours = {client(i): [client(j) for j in nearest[i]] for i in range(n)}
    # A slack client's neighbours: slack clients spread over all of them (so over every
    # turf's end), never stops: a stop next to slack is a stop sent across the area.
    step = max(1, slack // NEIGHBOURS)
    for j in range(slack):
        others = {n + (j + d * step) % slack for d in range(1, NEIGHBOURS + 1)} - {n + j}
        neighbours[client(n + j)] = [client(x) for x in sorted(others)]
    rng = RandomNumberGenerator(seed=SEED)
    ls = LocalSearch(data, rng, neighbours, PerturbationManager(params.perturbation))
    for op in params.operators:
        if op.supports(data):
            ls.add_operator(op(data))
    pm = PenaltyManager(params.penalty.midpoint_penalties(data), params.penalty)
    first = Solution.make_random(data, rng) if routes is None else Solution(data, routes)
    init = ls(first, pm.max_cost_evaluator(), exhaustive=True)
    algo = IteratedLocalSearch(data, pm, ls, init, params.ils)
    return algo.run(stop, False, False, params.display_interval)
