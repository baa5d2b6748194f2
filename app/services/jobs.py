"""Background jobs that change plans: one at a time, in order, with the stage each is at.

Making a plan or editing one runs in a worker thread; the page polls the job. A plan has at
most one job queued or running, so its folder is never written by two jobs at once.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from app.errors import ConflictError, NotFoundError, ServiceError
from app.planning.progress import Progress
from geo._errors import InputError
from routing._errors import SnappingError, StreetDataError
from segments._errors import FilterError

logger = logging.getLogger(__name__)

Work = Callable[[Progress], object]

EXPECTED_FAILURES = (
    InputError,
    FilterError,
    StreetDataError,
    SnappingError,
    ServiceError,
    ValueError,
)
"""Failures the user can act on: the job reports their message as it is."""


@dataclass
class PlanJob:
    """One background job of a plan."""

    id: str
    name: str
    status: str = "queued"
    """queued, running, done or failed."""
    stage: str = ""
    error: str = ""
    stages_done: list[str] = field(default_factory=list)
    done: int = 0
    """Items of the current stage done so far (turfs routed, turfs written, ...)."""
    total: int | None = None
    """Items the current stage has, when it counts them."""

    def as_dict(self) -> dict[str, Any]:
        """The job as the API shows it."""
        return {
            "id": self.id,
            "plan": self.name,
            "status": self.status,
            "stage": self.stage,
            "stages_done": list(self.stages_done),
            "done": self.done,
            "total": self.total,
            "error": self.error,
            "url": f"/plans/{self.name}" if self.status == "done" else None,
        }


class JobProgress(Progress):
    """A job's stage and counts, as the page that polls the job shows them."""

    def __init__(self, job: PlanJob) -> None:
        self.job = job

    def stage(self, name: str, total: int | None = None) -> None:
        """Record that stage ``name`` started (the one before it is done)."""
        if self.job.stage:
            self.job.stages_done.append(self.job.stage)
        self.job.stage, self.job.done, self.job.total = name, 0, total

    def advance(self, count: int = 1) -> None:
        """Count ``count`` more items of the stage."""
        self.job.done += count


class JobQueue:
    """Runs jobs of plans one at a time in a worker thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._jobs: dict[str, PlanJob] = {}
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="plan")

    def submit(
        self, name: str, work: Work, *, conflict: str, blocked: Callable[[], bool] | None = None
    ) -> PlanJob:
        """Queue ``work(progress)`` as a job of plan ``name``.

        ``ConflictError(conflict)`` while a job of that plan is queued or running, or when
        ``blocked()`` says so (checked under the queue's lock).
        """
        with self._lock:
            if self.busy(name) or (blocked is not None and blocked()):
                raise ConflictError(conflict)
            job = PlanJob(id=uuid.uuid4().hex, name=name)
            self._jobs[job.id] = job
        self._worker.submit(self._run, job, work)
        return job

    def busy(self, name: str) -> bool:
        """Whether plan ``name`` has a job queued or running."""
        return any(
            j.name == name and j.status in ("queued", "running") for j in list(self._jobs.values())
        )

    def job(self, job_id: str) -> PlanJob:
        """A job by id (``NotFoundError`` if unknown)."""
        found = self._jobs.get(job_id)
        if found is None:
            raise NotFoundError("no such job")
        return found

    def shutdown(self) -> None:
        """Let a running job finish; no new ones start."""
        self._worker.shutdown(wait=True, cancel_futures=True)

    def _run(self, job: PlanJob, work: Work) -> None:
        job.status = "running"
        try:
            work(JobProgress(job))
        except EXPECTED_FAILURES as exc:
            job.status, job.error = "failed", str(exc)
            return
        except Exception as exc:  # a bug: say so on the page rather than hang the job
            logger.exception("plan %s failed", job.name)
            job.status, job.error = "failed", f"unexpected error: {type(exc).__name__}: {exc}"
            return
        if job.stage:
            job.stages_done.append(job.stage)
        job.stage, job.status, job.total = "", "done", None
