"""Independent pieces of routing work spread over forked processes, one per core.

Cutting a county is a few groups of stops (precincts, or spatial pieces of a big one) that
know nothing of each other, and routing is hundreds of turfs that know nothing of each
other: on a machine with several cores each piece can run in its own process. The
processes are forked, so the street graph and the stops reach them as they are in memory
(never pickled); only each piece's key goes to a worker and only its result comes back.
Every piece is computed the same way wherever it runs, so the plan is the same whatever the
number of processes.
"""

from __future__ import annotations

import functools
import gc
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import current_process, get_context
from typing import Any, TypeVar

K = TypeVar("K")
R = TypeVar("R")

MAX_WORKERS = 8

_job: tuple[Callable[[Any, Any], Any], Any] | None = None
"""In a worker process: the function and the shared inputs it was forked with."""


def can_fork() -> bool:
    """Whether work may go to forked processes here.

    Linux only: fork is the default there and safe for pure-Python children; macOS system
    libraries are not fork-safe. A daemonic process (a pool's worker, a Dask worker) may not
    have children of its own.
    """
    return (
        sys.platform.startswith("linux")
        and hasattr(os, "sched_getaffinity")
        and not current_process().daemon
    )


def worker_count(pieces: int, workers: int | None = None) -> int:
    """How many processes share ``pieces`` pieces of work (1: in this process).

    ``workers`` asks for that many (``None``: one per core this process may run on, at most
    ``MAX_WORKERS``).
    """
    if workers is None:
        workers = min(len(os.sched_getaffinity(0)), MAX_WORKERS) if can_fork() else 1
    if workers <= 1 or pieces < 2 or not can_fork():
        return 1
    return min(workers, pieces)


def fork_map(
    func: Callable[[Any, K], R], shared: Any, keys: Sequence[K], *, workers: int = 1
) -> Iterator[R]:
    """``func(shared, key)`` for each key, in the order of ``keys``, yielded as they finish.

    ``func`` must be a module-level function; ``shared`` reaches the workers by fork. With
    ``workers`` 1 everything runs here, one key after another.
    """
    if workers <= 1:
        for key in keys:
            yield func(shared, key)
        return
    global _job
    _job = (func, shared)
    try:
        with forked_pool(workers) as pool:
            # Small pieces travel in batches: one round trip per piece would cost more.
            chunk = max(1, len(keys) // (8 * workers))
            yield from pool.map(_run, keys, chunksize=chunk)
    finally:
        _job = None


def forked_pool(
    workers: int, initializer: Callable[..., None] | None = None, *initargs: object
) -> ProcessPoolExecutor:
    """``workers`` forked processes, each running ``initializer(*initargs)`` when it starts.

    ``initargs`` reach the workers as they are in memory, never pickled. What a worker inherits
    is left out of its garbage collection (``gc.freeze`` first), which would otherwise touch
    (and so copy) every page it shares with this process. Frozen in the worker, not here (an
    O(1) splice either way): a heap frozen for good here (the web server's) stays frozen, and
    nothing made here stays frozen after.
    """
    return ProcessPoolExecutor(
        max_workers=workers,
        mp_context=get_context("fork"),
        initializer=functools.partial(_frozen_start, initializer, *initargs),
    )


def _frozen_start(initializer: Callable[..., None] | None, *initargs: object) -> None:
    gc.freeze()
    if initializer is not None:
        initializer(*initargs)


def _run(key: Any) -> Any:
    assert _job is not None, "a worker runs only the job it was forked with"
    func, shared = _job
    return func(shared, key)
