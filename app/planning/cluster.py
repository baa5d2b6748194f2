"""Running one task per region on Dask distributed: an embedded cluster or a real one.

The same code runs both: ``dask_client`` gives a ``distributed.Client`` either to a
``LocalCluster`` it starts (worker processes, one thread each, a memory limit per worker) or
to the scheduler at ``scheduler`` (``tcp://host:8786``). ``run_tasks`` submits the tasks and
collects each one's result or error; a task that raises is retried (``retries``) and a task
whose worker dies (killed, out of memory) is run again elsewhere by the scheduler (up to
``allowed_failures`` times) before it counts as failed. One failed task never stops the
others. A scheduler left with no worker at all (every one died and none came back) fails
the tasks not done after ``no_workers_timeout_s``, instead of waiting for ever.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from geo._errors import InputError

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ClusterOptions:
    """Where region tasks run."""

    scheduler: str | None = None
    """Address of a running scheduler (``tcp://host:8786``); None starts a LocalCluster."""
    workers: int = 2
    """Worker processes of the LocalCluster."""
    memory_limit: str = "auto"
    """Memory per LocalCluster worker (``"4GB"``; ``"auto"`` shares the machine's memory); a
    worker over it is restarted and its task run again, then reported."""
    retries: int = 1
    """Times a task that raised is run again before it is reported as failed."""
    allowed_failures: int = 2
    """Times a task may lose its worker (killed, out of memory) before it is reported."""
    connect_timeout_s: float = 30.0
    """How long to wait for ``scheduler`` to answer."""
    no_workers_timeout_s: float = 600.0
    """How long tasks wait while the scheduler has no worker at all before they fail."""

    def describe(self) -> str:
        """How the tasks run, for the console and summary.json."""
        if self.scheduler:
            return f"Dask scheduler {self.scheduler}"
        processes = "process" if self.workers == 1 else "processes"
        return f"Dask LocalCluster, {self.workers} worker {processes} ({self.memory_limit} each)"


@dataclass(frozen=True)
class TaskOutcome:
    """What became of one task: its result, or the error it failed with."""

    key: str
    result: Any = None
    error: str | None = None
    worker: str | None = None

    @property
    def ok(self) -> bool:
        """Whether the task finished."""
        return self.error is None


def cluster_client(address: str, *, timeout_s: float) -> Any:
    """A ``distributed.Client`` of the running scheduler at ``address``.

    ``InputError`` saying what to do when nothing answers there within ``timeout_s``.
    """
    from distributed import Client

    try:
        return Client(address, timeout=f"{timeout_s}s")
    except (OSError, TimeoutError) as exc:
        raise InputError(
            f"cannot reach the Dask scheduler at {address} ({exc}): start it "
            "(dask scheduler), check the address, or leave --scheduler and "
            "DASK_SCHEDULER_ADDRESS out to run on this machine"
        ) from None


@contextmanager
def dask_client(options: ClusterOptions) -> Iterator[Any]:
    """A ``distributed.Client`` for ``options``, closed (with its LocalCluster) on leaving."""
    import dask
    from distributed import Client, LocalCluster

    # Scheduler-side: how often a task may lose its worker before it counts as failed.
    with dask.config.set(
        {
            "distributed.scheduler.allowed-failures": options.allowed_failures,
            # Workers are not daemons, so a region task may fork its own writers.
            "distributed.worker.daemon": False,
            # A LocalCluster closes a worker's nanny for good when no worker of that name is
            # back 15 s after it died; a nanny restarting a killed worker on a busy machine
            # takes longer, and the run would be left without workers. Nannies restart them.
            "distributed.deploy.lost-worker-timeout": "1 day",
        }
    ):
        if options.scheduler:
            with cluster_client(options.scheduler, timeout_s=options.connect_timeout_s) as client:
                yield client
            return
        with (
            LocalCluster(
                n_workers=options.workers,
                threads_per_worker=1,
                processes=True,
                memory_limit=options.memory_limit,
                # No dashboard; the scheduler's own HTTP endpoint on a free port, never
                # 8787 (taken by another cluster on a shared machine: a warning, then a move).
                dashboard_address=":0",
                scheduler_kwargs={"dashboard": False},
                host="127.0.0.1",
                silence_logs=logging.ERROR,
            ) as cluster,
            Client(cluster) as client,
        ):
            yield client


class NoWorkersError(Exception):
    """The scheduler has had no worker for too long; the message says how long and what to do."""


class WorkerWatch:
    """Fails a wait on ``client``'s scheduler once it has had no worker for ``timeout_s``.

    ``check()`` asks the scheduler at most every 5 s (sooner for a short ``timeout_s``); a
    scheduler that does not answer counts as one without workers.
    """

    def __init__(self, client: Any, timeout_s: float) -> None:
        self.client, self.timeout_s = client, timeout_s
        self.every_s = min(5.0, timeout_s / 5)
        self._asked = time.monotonic()
        self._alone_since: float | None = None

    def check(self) -> None:
        """``NoWorkersError`` once the scheduler has been without workers for ``timeout_s``."""
        now = time.monotonic()
        if now - self._asked < self.every_s:
            return
        self._asked = now
        try:
            workers = self.client.scheduler_info(n_workers=1)["workers"]
        except Exception:  # gone, closed or unreachable: no worker either
            workers = {}
        if workers:
            self._alone_since = None
            return
        if self._alone_since is None:
            self._alone_since = now
        elif now - self._alone_since >= self.timeout_s:
            minutes = self.timeout_s / 60
            raise NoWorkersError(
                f"the Dask scheduler has had no worker for {minutes:.3g} minutes (they died "
                "and none came back): start its workers again, then run it again"
            )


def run_tasks(
    client: Any,
    function: Callable[..., Any],
    arguments: Mapping[str, tuple[Any, ...]],
    *,
    retries: int,
    token: str,
    on_done: Callable[[TaskOutcome], None] | None = None,
    no_workers_timeout_s: float = ClusterOptions.no_workers_timeout_s,
) -> dict[str, TaskOutcome]:
    """Run ``function(*arguments[key])`` for every key on the cluster; each key's outcome.

    Tasks are submitted in the order given (put the biggest first: the last task to start
    sets the finish). ``token`` makes the task keys of one run unique on a shared scheduler.
    ``on_done`` is called with each outcome as it arrives. A task that returns a dict with
    an ``error`` has failed without a retry (its data is wrong: a retry would fail the same).
    When the scheduler has had no worker for ``no_workers_timeout_s``, the tasks not done
    are cancelled and fail with that reason.
    """
    from distributed import wait

    futures = {
        client.submit(
            function, *args, key=f"canvass-region-{key}-{token}", retries=retries, pure=False
        ): key
        for key, args in arguments.items()
    }
    outcomes: dict[str, TaskOutcome] = {}

    def finish(outcome: TaskOutcome) -> None:
        outcomes[outcome.key] = outcome
        if on_done is not None:
            on_done(outcome)

    order = {future: i for i, future in enumerate(futures)}
    watch = WorkerWatch(client, no_workers_timeout_s)
    pending = set(futures)
    while pending:
        try:
            done, pending = wait(pending, timeout=watch.every_s, return_when="FIRST_COMPLETED")
        except TimeoutError:
            try:
                watch.check()
            except NoWorkersError as exc:
                client.cancel(list(pending))
                for future in sorted(pending, key=order.__getitem__):
                    finish(TaskOutcome(futures[future], error=str(exc)))
                return outcomes
            continue
        for future in sorted(done, key=order.__getitem__):
            finish(_outcome(futures[future], future))
            future.release()
    return outcomes


def _outcome(key: str, future: Any) -> TaskOutcome:
    """What became of the task of ``future``, done."""
    if future.status == "finished":
        result = future.result()
        error = result.get("error") if isinstance(result, dict) else None
        return TaskOutcome(key, result=result, error=error)
    exc = future.exception()
    logger.debug("region %s failed", key, exc_info=exc)
    return TaskOutcome(key, error=f"{type(exc).__name__}: {exc}")
