"""Each turf's own files, a batch of turfs at a time, in worker processes when that pays.

A turf's files are its walk lists (``walklists/<turf>.csv``, ``.html``, ``.pdf``) and its map
page (``maps/<turf>.html`` with ``<turf>.data.js``). They depend only on the plan and the turf
table, and the PDFs cost most of the time of writing a plan (tens of milliseconds of CPU each),
so on a machine with several cores the batches are written by forked worker processes while the
writing process writes the plan-wide tables and pages:

- the workers are forked after the plan is computed and the PDF fonts are parsed, so they
  share the plan, the street graph and the fonts with the writing process (copy on write)
  instead of receiving copies; each returns only its timings;
- the writing process starts them as soon as the walk-list rows of all turfs are joined (once,
  ``WalklistSource``, for every batch) and writes the plan-wide tables, the heat map and the
  overview map meanwhile (one process fewer than a process of their own: less to fork and
  less contention on two cores);
- then it writes turfs too: it takes the batches no worker has started yet, so it is one of
  the processes writing turfs (one worker on two cores, not two: one fork fewer, and no core
  idle while the last worker finishes); the last batches are small so that all finish
  together;
- every file is made by the same function (``write_batch``) in a worker or in process, so the
  files are the same whichever way they were written;
- few turfs (``POOL_MIN_TURFS``; a turf edit) are written in process while a process of their
  own (``BackgroundPages``) writes the heat map and the overview map; one core, or a system
  without ``fork``, write all in process.
"""

from __future__ import annotations

import functools
import os
import signal
import time
from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from types import TracebackType
from typing import TYPE_CHECKING

from app.outputs import pdf_fonts
from app.outputs.basemap import base_map_data
from app.outputs.maps import (
    MapStops,
    MapTurfs,
    turf_map_data,
    write_base_map,
    write_turf_map,
)
from app.outputs.pdf_output import make_usual_font_objects
from app.outputs.walklist_files import WalklistSource, write_walklists
from app.outputs.walklist_page import load_walklist_template
from routing._fork import can_fork, forked_pool

if TYPE_CHECKING:
    import geopandas as gpd

    from app.outputs.basemap import PlanBaseMap
    from app.outputs.paper import Paper
    from app.outputs.walklist_marks import PrintedQuestion
    from app.plan_folder import PlanFolder
    from app.planning.pipeline import Plan
    from app.planning.progress import Progress

WRITE_BATCH = 8
"""Turfs written together: one join of their rows, one task for a worker, one progress step."""
POOL_MIN_TURFS = 24
"""Below this many turfs, forking workers costs about what it saves: write in process."""
MAX_WORKERS = 8


@dataclass(frozen=True)
class TurfFilesJob:
    """What every batch of a plan's turf files is made from."""

    plan: Plan
    turfs: gpd.GeoDataFrame
    """The plan's ``turf_table`` (outlines, drop-off points)."""
    routes: gpd.GeoDataFrame
    """The plan's ``route_lines``."""
    folder: PlanFolder
    plan_name: str
    """The name the server serves the plan by."""
    paper: Paper
    """What the walk lists print on."""
    questions: tuple[PrintedQuestion, ...]
    """The survey the walk lists print."""
    base: PlanBaseMap
    """The plan's streets, buildings and house numbers, cut per turf for its base map."""
    lists: WalklistSource | None = None
    """The walk-list rows of the turfs (``None``: each batch works its own out)."""

    @functools.cached_property
    def map_stops(self) -> MapStops:
        """The plan's stops as the turf maps show them (taken once per process)."""
        return MapStops.of(self.plan.stops)

    @functools.cached_property
    def map_turfs(self) -> MapTurfs:
        """The turf table's outlines and drop-off points (taken once per process)."""
        return MapTurfs.of(self.turfs)


def write_batch(job: TurfFilesJob, batch: Sequence[int]) -> dict[str, float]:
    """Write the files of the turfs at positions ``batch`` of ``job.plan.turfs``.

    Returns the seconds spent on walk lists, maps and base maps (``write_walklists``,
    ``write_turf_maps``, ``write_base_maps``).
    """
    plan = job.plan
    started = time.perf_counter()
    write_walklists(
        plan,
        job.folder,
        [plan.turfs[index].turf_id for index in batch],
        plan_name=job.plan_name,
        paper=job.paper,
        questions=job.questions,
        source=job.lists,
    )
    lists_done = time.perf_counter()
    for index in batch:
        turf = plan.turfs[index]
        data = turf_map_data(plan, turf, index, job.map_turfs, job.map_stops)
        write_turf_map(data, job.folder.turf_map(turf.turf_id))
    maps_done = time.perf_counter()
    outlines = job.map_turfs.outline  # the turf table is in the plan's turf order
    for index in batch:
        bounds = outlines[index].bounds
        write_base_map(
            base_map_data(job.base, bounds), job.folder.turf_base_map(plan.turfs[index].turf_id)
        )
    return {
        "write_walklists": lists_done - started,
        "write_turf_maps": maps_done - lists_done,
        "write_base_maps": time.perf_counter() - maps_done,
    }


def _cores() -> int:
    """Cores this process may run on, when it may fork workers (else 1)."""
    return min(len(os.sched_getaffinity(0)), MAX_WORKERS) if can_fork() else 1


def worker_count(turfs: int, workers: int | None = None) -> int:
    """How many processes write ``turfs`` turfs' files, this one included (1: this one alone).

    ``workers`` asks for that many (``None``: one per core this process may run on, at most
    ``MAX_WORKERS``); fewer than ``POOL_MIN_TURFS`` turfs, or no ``fork``, give 1.
    """
    if workers is None:
        workers = _cores()
    if workers <= 1 or turfs < POOL_MIN_TURFS or not can_fork():
        return 1
    return min(workers, -(-turfs // WRITE_BATCH))


def batches(positions: Sequence[int], workers: int) -> list[Sequence[int]]:
    """``positions`` cut into batches of at most ``WRITE_BATCH``, in order.

    Towards the end the batches get smaller (down to 2), so that the workers finish at about
    the same time: the last batch handed out is short, whichever worker takes it.
    """
    cut: list[Sequence[int]] = []
    start = 0
    while start < len(positions):
        left = len(positions) - start
        size = WRITE_BATCH if workers <= 1 else max(2, min(WRITE_BATCH, left // (4 * workers)))
        cut.append(positions[start : start + size])
        start += size
    return cut


class TurfFileWriter:
    """Writes the files of the turfs at ``positions``.

    Used as a context manager: on entering, with ``workers`` above 1, every batch is handed
    to ``workers - 1`` forked workers; ``turf_files`` then writes the batches none has started
    (in this process) and waits for the others. In process, ``turf_files`` does all the writing
    when called. On leaving, work not started is dropped.
    """

    def __init__(
        self, job: TurfFilesJob, positions: Sequence[int], *, workers: int | None = None
    ) -> None:
        self.job = job
        self.workers = worker_count(len(positions), workers)
        self.batches = batches(positions, self.workers)
        self._pool: ExitStack | None = None
        self._batches: dict[Future[dict[str, float]], Sequence[int]] = {}

    def __enter__(self) -> TurfFileWriter:
        # Parsed and made once, before any worker is forked: shared by every worker (each
        # would otherwise make them again for its first walk list).
        cache_dir = self.job.plan.request.graph_cache_dir
        pdf_fonts.faces(cache_dir)
        make_usual_font_objects(cache_dir)
        load_walklist_template()
        if self.workers > 1:
            with ExitStack() as stack:
                pool = stack.enter_context(_pool(self.job, self.workers - 1))
                self._batches = {
                    pool.submit(_write_adopted, batch): batch for batch in self.batches
                }
                self._pool = stack.pop_all()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        if self._pool is not None:
            self._pool.__exit__(kind, error, trace)

    def turf_files(self, progress: Progress) -> dict[str, float]:
        """Write every batch (or, with workers, those none has started; wait for the others).

        Returns the seconds spent on each kind of file, added up. ``progress`` advances as each
        batch is written.
        """
        seconds: dict[str, float] = defaultdict(float)

        def written(batch: Sequence[int], timings: dict[str, float]) -> None:
            for name, value in timings.items():
                seconds[name] += value
            progress.advance(len(batch))

        if self._pool is None:
            for batch in self.batches:
                written(batch, write_batch(self.job, batch))
            return dict(seconds)
        pending = dict(self._batches)
        while pending:
            for future in [future for future in pending if future.done()]:
                written(pending.pop(future), future.result())
            # The first batch not yet handed to a worker (cancelling it is what tells).
            mine = next((future for future in pending if future.cancel()), None)
            if mine is not None:
                batch = pending.pop(mine)
                written(batch, write_batch(self.job, batch))
            elif pending:
                wait(pending, return_when=FIRST_COMPLETED)
        return dict(seconds)


def _timed(write: Callable[[], object]) -> float:
    """Call ``write``; the seconds it took."""
    started = time.perf_counter()
    write()
    return time.perf_counter() - started


_ADOPTED: list[TurfFilesJob] = []
"""In a worker process: the job it was forked with (empty in the writing process)."""


def _adopt(job: TurfFilesJob) -> None:
    _leave_ctrl_c_to_the_writer()
    _ADOPTED.append(job)


def _leave_ctrl_c_to_the_writer() -> None:
    # Ctrl-C reaches the whole process group: the writing process alone answers it (it drops
    # the work not started and removes the staging folder).
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _write_adopted(batch: Sequence[int]) -> dict[str, float]:
    return write_batch(_ADOPTED[0], batch)


@contextmanager
def _pool(job: TurfFilesJob, workers: int) -> Iterator[ProcessPoolExecutor]:
    """Forked workers holding ``job``; on an error, batches not started are dropped."""
    with _forked(workers, _adopt, (job,)) as pool:
        yield pool


@contextmanager
def _forked(
    workers: int, initializer: Callable[..., None], initargs: tuple[object, ...]
) -> Iterator[ProcessPoolExecutor]:
    """``workers`` forked processes (``routing._fork.forked_pool``) given ``initargs``."""
    pool = forked_pool(workers, initializer, *initargs)
    try:
        yield pool
    except BaseException:
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    finally:
        pool.shutdown(wait=True)


class BackgroundPages:
    """Plan-wide pages written by a process forked now, one after another, while this one goes on.

    For pages that need only the plan, its turf table, routes and base map (the heat map and
    the overview map), while this process writes a few turfs' files (a turf edit).
    ``background`` False (turf workers, one core, or one process asked for): ``result`` writes
    a page in process. Used as a context manager; ``result`` waits for a page and gives the
    seconds its writing took.
    """

    def __init__(self, pages: Mapping[str, Callable[[], object]], *, background: bool) -> None:
        self.pages = dict(pages)
        self.background = background and can_fork()
        self._stack = ExitStack()
        self._futures: dict[str, Future[float]] = {}
        self._written: dict[str, float] = {}

    def __enter__(self) -> BackgroundPages:
        if self.background:
            pool = self._stack.enter_context(_forked(1, _adopt_pages, (self.pages,)))
            self._futures = {name: pool.submit(_write_adopted_page, name) for name in self.pages}
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self._stack.__exit__(kind, error, trace)

    def result(self, name: str) -> float:
        """Wait for the page ``name`` (or write it here, once); the seconds its writing took."""
        if name in self._futures:
            return self._futures[name].result()
        if name not in self._written:
            self._written[name] = _timed(self.pages[name])
        return self._written[name]


def background_pages(workers: int | None = None) -> bool:
    """Whether plan-wide pages may be written by processes of their own (``workers`` asked)."""
    return (workers is None or workers > 1) and _cores() > 1


_ADOPTED_PAGES: dict[str, Callable[[], object]] = {}
"""In a ``BackgroundPages`` process: the pages it was forked to write."""


def _adopt_pages(pages: Mapping[str, Callable[[], object]]) -> None:
    _leave_ctrl_c_to_the_writer()
    _ADOPTED_PAGES.update(pages)


def _write_adopted_page(name: str) -> float:
    return _timed(_ADOPTED_PAGES[name])
