"""Plan jobs in the database, so every server process sees each job and its progress.

A job runs in the process that accepted it; its row says how far it is. A plan has at most one
job queued or running at a time across all processes: the check and the insert are one
transaction (SQLite's write lock; on PostgreSQL an advisory lock per plan). A job whose process
died stops counting as running once it has not been touched for ``STALE_AFTER``.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy import select, text

from app.errors import ConflictError
from app.store.engine import Database, utcnow
from app.store.models import JobRecord

ACTIVE = ("queued", "running")
STALE_AFTER = timedelta(minutes=30)
"""A job untouched this long is taken for dead (its process stopped mid-way)."""


@dataclass
class JobState:
    """A job as stored: status, stage and the counts of the stage."""

    id: str
    plan: str
    status: str = "queued"
    stage: str = ""
    stages_done: list[str] = field(default_factory=list)
    done: int = 0
    total: int | None = None
    error: str = ""

    def progress(self) -> dict[str, Any]:
        """The ``progress`` column."""
        return {"stages_done": list(self.stages_done), "done": self.done, "total": self.total}


def _state(row: JobRecord) -> JobState:
    progress = row.progress or {}
    return JobState(
        id=row.id,
        plan=row.plan,
        status=row.status,
        stage=row.stage,
        stages_done=list(progress.get("stages_done") or []),
        done=int(progress.get("done") or 0),
        total=progress.get("total"),
        error=row.error,
    )


def _active(plan: str) -> Any:
    return select(JobRecord.id).where(
        JobRecord.plan == plan,
        JobRecord.status.in_(ACTIVE),
        JobRecord.updated_at > utcnow() - STALE_AFTER,
    )


def add_job(db: Database, job: JobState, *, conflict: str) -> None:
    """Store a new queued job; ``ConflictError(conflict)`` if the plan has an active one."""
    now = utcnow()
    with db.writing() as session:
        if db.backend == "postgresql":
            session.execute(
                text("SELECT pg_advisory_xact_lock(:key)"), {"key": _lock_key(job.plan)}
            )
        if session.scalar(_active(job.plan).limit(1)) is not None:
            raise ConflictError(conflict)
        session.add(
            JobRecord(
                id=job.id,
                plan=job.plan,
                status=job.status,
                stage=job.stage,
                progress=job.progress(),
                error=job.error,
                created_at=now,
                updated_at=now,
            )
        )


def save_job(db: Database, job: JobState) -> None:
    """Store a job's status, stage and counts (and that its process is alive)."""
    with db.writing() as session:
        row = session.get(JobRecord, job.id)
        if row is None:
            return
        row.status, row.stage, row.error = job.status, job.stage, job.error
        row.progress = job.progress()
        row.updated_at = utcnow()


def load_job(db: Database, job_id: str) -> JobState | None:
    """A job by id, as stored by whichever process runs it."""
    with db.reading() as session:
        row = session.get(JobRecord, job_id[:32])
        return None if row is None else _state(row)


def plan_busy(db: Database, plan: str) -> bool:
    """Whether a job of ``plan`` is queued or running in any process."""
    with db.reading() as session:
        return session.scalar(_active(plan).limit(1)) is not None


def _lock_key(plan: str) -> int:
    return zlib.crc32(plan.encode("utf-8")) - 2**31
