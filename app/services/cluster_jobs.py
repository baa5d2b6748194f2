"""Plan jobs computed on a Dask cluster (``DASK_SCHEDULER_ADDRESS``) instead of the server.

When a scheduler is configured, a plan job's computing and writing (``run_plan`` and
``write_plan``: reading the files, the street graph, cutting, routing, walk lists and maps) is
one task on the cluster, the same cluster ``canvass plan --regions`` uses. The server's job
thread submits the task, waits for it and then imports the written plan, as it does for a plan
made in its own thread, so the job's row (``app.store.jobs``) tells every server process how
far it is, and a failed task or a worker that died more often than the scheduler allows shows
as a failed job with the error.

Progress travels as Dask events (``Worker.log_event`` on the job's topic, received by the
server's client), not through the database: workers need no database address or password
and no route to a SQLite file, only the storage the plan folders and uploads live on (the
workspace must be at the same path on every worker, as for ``--regions``). The server's
client holds the task: were the server to stop, the scheduler forgets the task and the job's
row goes stale as any job of a stopped server does.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
import uuid
from pathlib import Path
from typing import Any

from app.errors import ServiceError
from app.outputs.walklist_marks import PrintedQuestion
from app.outputs.writer import write_plan
from app.planning.cluster import ClusterOptions, NoWorkersError, WorkerWatch, cluster_client
from app.planning.pipeline import run_plan
from app.planning.progress import Progress
from app.planning.request import PlanRequest

logger = logging.getLogger(__name__)

TOPIC = "canvass-job-"
"""Events of a job's task are logged under this prefix and a token of the run."""
POLL_S = 0.5
"""How often the waiting job thread stores the progress the task sent."""


class EventProgress(Progress):
    """On the worker: stages and counts sent to the job's topic (at most every ``SEND_EVERY_S``)."""

    SEND_EVERY_S = 0.5

    def __init__(self, topic: str) -> None:
        from distributed import get_worker

        self.topic = topic
        self._worker = get_worker()
        self._counted = 0
        self._sent = 0.0

    def stage(self, name: str, total: int | None = None) -> None:
        """A stage starts (the counts of the one before are sent first)."""
        self._send_counts()
        self._worker.log_event(self.topic, {"stage": name, "total": total})

    def advance(self, count: int = 1) -> None:
        """``count`` more items of the stage."""
        self._counted += count
        if time.monotonic() - self._sent >= self.SEND_EVERY_S:
            self._send_counts()

    def finish(self) -> None:
        """The stage is over: its last counts are sent."""
        self._send_counts()

    def _send_counts(self) -> None:
        if self._counted:
            self._worker.log_event(self.topic, {"advance": self._counted})
            self._counted = 0
        self._sent = time.monotonic()


def compute_and_write(
    request: PlanRequest,
    folder: Path,
    *,
    public_url: str | None,
    questions: tuple[PrintedQuestion, ...],
    topic: str,
) -> dict[str, Any]:
    """The task a worker runs: make ``request``'s plan and write it into ``folder``.

    Returns the plan's counts (``summary.json`` without the turfs' files), which is all the
    server needs of it (the edit job audits the edit's record).
    """
    progress = EventProgress(topic)
    plan = run_plan(request, progress=progress)
    write_plan(plan, folder, progress=progress, public_url=public_url, questions=questions)
    progress.finish()
    return dict(plan.counts)


class ClusterPlans:
    """Submits plan jobs' work to the scheduler at ``address``; one client per server process.

    The client connects on the first job (a scheduler that is down fails that job with the
    address and what to do, and the server still starts).
    """

    def __init__(
        self,
        address: str,
        *,
        connect_timeout_s: float = 30.0,
        no_workers_timeout_s: float = ClusterOptions.no_workers_timeout_s,
    ) -> None:
        self.address = address
        self.connect_timeout_s = connect_timeout_s
        self.no_workers_timeout_s = no_workers_timeout_s
        self._client: Any = None
        self._lock = threading.Lock()

    def options(self) -> ClusterOptions:
        """The same scheduler and limits, for a plan split by region."""
        return ClusterOptions(
            scheduler=self.address,
            connect_timeout_s=self.connect_timeout_s,
            no_workers_timeout_s=self.no_workers_timeout_s,
        )

    def client(self) -> Any:
        """The connected ``distributed.Client`` (``InputError`` if the scheduler is not there)."""
        with self._lock:
            if self._client is None or self._client.status in ("closed", "closing"):
                self._client = cluster_client(self.address, timeout_s=self.connect_timeout_s)
            return self._client

    def make(
        self,
        request: PlanRequest,
        folder: Path,
        progress: Progress,
        *,
        public_url: str | None,
        questions: tuple[PrintedQuestion, ...],
    ) -> dict[str, Any]:
        """Run ``compute_and_write`` on the cluster; progress reaches ``progress`` as it comes.

        The task's own errors are raised as they are (a bad target is the user's mistake, on
        the cluster as at home); a task whose workers kept dying is a ``ServiceError``.
        """
        from distributed import KilledWorker

        client = self.client()
        token = uuid.uuid4().hex[:12]
        topic = f"{TOPIC}{token}"
        events: queue.SimpleQueue[tuple[float, dict[str, Any]]] = queue.SimpleQueue()
        client.subscribe_topic(topic, events.put)
        future = client.submit(
            compute_and_write,
            request,
            folder,
            public_url=public_url,
            questions=questions,
            topic=topic,
            key=f"canvass-plan-{folder.name}-{token}",
            pure=False,
        )
        watch = WorkerWatch(client, self.no_workers_timeout_s)
        try:
            while not future.done():
                _replay(events, progress, timeout_s=POLL_S)
                try:
                    watch.check()
                except NoWorkersError as exc:
                    future.cancel()
                    raise ServiceError(f"{exc} (scheduler {self.address})") from None
            _replay(events, progress, timeout_s=0.0)
            if future.status == "finished":
                return dict(future.result())
            error = future.exception()
            if isinstance(error, KilledWorker):
                raise ServiceError(
                    "the cluster's workers died while making this plan, every time the "
                    f"scheduler {self.address} tried (killed or out of memory: give the "
                    f"workers more memory or split the plan by region); {error}"
                )
            raise error
        finally:
            client.unsubscribe_topic(topic)
            future.release()

    def close(self) -> None:
        """Disconnect from the scheduler."""
        with self._lock:
            if self._client is not None:
                self._client.close()
                self._client = None


def _replay(
    events: queue.SimpleQueue[tuple[float, dict[str, Any]]],
    progress: Progress,
    *,
    timeout_s: float,
) -> None:
    """Hand the task's events that arrived (waiting up to ``timeout_s`` for one) to ``progress``."""
    try:
        _, message = events.get(timeout=timeout_s) if timeout_s else events.get_nowait()
    except queue.Empty:
        return
    while True:
        if "stage" in message:
            progress.stage(str(message["stage"]), message.get("total"))
        elif "advance" in message:
            progress.advance(int(message["advance"]))
        try:
            _, message = events.get_nowait()
        except queue.Empty:
            return
