"""Background jobs that change plans: one at a time, in order, with the stage each is at.

Making a plan or editing one runs in a worker thread of the process that accepted it; its
state is in the database (``app.store.jobs``), so the page may poll any server process. A plan
has at most one job queued or running, so its folder is never written by two jobs at once.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from app.errors import ConflictError, NotFoundError, ServiceError
from app.planning.progress import Progress
from app.store.engine import Database
from app.store.jobs import JobState, add_job, load_job, plan_busy, save_job
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
class PlanJob(JobState):
    """One background job of a plan, as the API shows it."""

    @property
    def name(self) -> str:
        """The plan's name."""
        return self.plan

    def as_dict(self) -> dict[str, Any]:
        """The job as the API shows it."""
        return {
            "id": self.id,
            "plan": self.plan,
            "status": self.status,
            "stage": self.stage,
            "stages_done": list(self.stages_done),
            "done": self.done,
            "total": self.total,
            "error": self.error,
            "url": f"/plans/{self.plan}" if self.status == "done" else None,
        }


class JobProgress(Progress):
    """A job's stage and counts, stored for the page that polls the job (any process)."""

    SAVE_EVERY_S = 0.5
    """Counts are stored at most this often; a new stage is stored at once."""

    def __init__(self, job: PlanJob, db: Database) -> None:
        self.job = job
        self.db = db
        self._saved = 0.0

    def stage(self, name: str, total: int | None = None) -> None:
        """Record that stage ``name`` started (the one before it is done)."""
        if self.job.stage:
            self.job.stages_done.append(self.job.stage)
        self.job.stage, self.job.done, self.job.total = name, 0, total
        self._save()

    def advance(self, count: int = 1) -> None:
        """Count ``count`` more items of the stage."""
        self.job.done += count
        if time.monotonic() - self._saved >= self.SAVE_EVERY_S:
            self._save()

    def _save(self) -> None:
        save_job(self.db, self.job)
        self._saved = time.monotonic()


class JobQueue:
    """Runs jobs of plans one at a time in a worker thread; their state is in the database."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._lock = threading.Lock()
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="plan")

    def submit(
        self, name: str, work: Work, *, conflict: str, blocked: Callable[[], bool] | None = None
    ) -> PlanJob:
        """Queue ``work(progress)`` as a job of plan ``name``.

        ``ConflictError(conflict)`` while a job of that plan is queued or running, or when
        ``blocked()`` says so (checked under the queue's lock).
        """
        with self._lock:
            if blocked is not None and blocked():
                raise ConflictError(conflict)
            job = PlanJob(id=uuid.uuid4().hex, plan=name)
            add_job(self.db, job, conflict=conflict)
        self._worker.submit(self._run, job, work)
        return job

    def busy(self, name: str) -> bool:
        """Whether plan ``name`` has a job queued or running (in any server process)."""
        return plan_busy(self.db, name)

    def job(self, job_id: str) -> PlanJob:
        """A job by id, whichever process runs it (``NotFoundError`` if unknown)."""
        found = load_job(self.db, job_id)
        if found is None:
            raise NotFoundError("no such job")
        return PlanJob(**vars(found))

    def shutdown(self) -> None:
        """Let a running job finish; no new ones start."""
        self._worker.shutdown(wait=True, cancel_futures=True)

    def _run(self, job: PlanJob, work: Work) -> None:
        job.status = "running"
        save_job(self.db, job)
        try:
            work(JobProgress(job, self.db))
        except EXPECTED_FAILURES as exc:
            job.status, job.error = "failed", str(exc)
        except Exception as exc:  # a bug: say so on the page rather than hang the job
            logger.exception("plan %s failed", job.plan)
            job.status, job.error = "failed", f"unexpected error: {type(exc).__name__}: {exc}"
        else:
            if job.stage:
                job.stages_done.append(job.stage)
            job.stage, job.status, job.total = "", "done", None
        save_job(self.db, job)
