"""Erasure requests as background jobs: the request returns at once, the page shows progress.

Erasing a voter makes every plan that held them again (seconds to minutes), so the web app
runs it on the job queue (``app.services.jobs``), as it makes plans. The job is named after the
erasure's tombstone (``erasure-<tombstone>``, no personal data): the voter id lives only in
the job's closure, never in the job's row. A second request for the same person while theirs
runs is refused (409); any admin may poll a job by its id.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from app.errors import NotFoundError
from app.planning.progress import Progress
from app.services.jobs import JobQueue, PlanJob
from app.services.privacy import Remaking, check_voter_id, erase_voter, tombstone
from app.services.workspace import Workspace
from app.store.engine import Database, as_utc
from app.store.models import AuditEntry
from app.store.privacy import privacy_keys

JOB_PREFIX = "erasure-"


def start_erasure(
    jobs: JobQueue,
    db: Database,
    workspace: Workspace,
    voter_id: str,
    *,
    remaking: Remaking,
    user_id: int | None,
) -> tuple[PlanJob, str]:
    """Queue the erasure of voter ``voter_id``; the job and the erasure's tombstone.

    ``ConflictError`` while an erasure of the same person is queued or running.
    """
    voter_id = check_voter_id(voter_id)
    name = tombstone(privacy_keys(db).salt, voter_id)

    def work(progress: Progress) -> None:
        erase_voter(db, workspace, voter_id, remaking=remaking, user_id=user_id, progress=progress)

    job = jobs.submit(
        JOB_PREFIX + name, work, conflict="this person's erasure is under way already"
    )
    return job, name


def erasure_status(jobs: JobQueue, db: Database, job_id: str) -> dict[str, Any]:
    """An erasure job's status and stage; once done, what it did (counts, no personal data).

    ``NotFoundError`` for an unknown id or a job that is not an erasure.
    """
    job = jobs.job(job_id)
    if not job.plan.startswith(JOB_PREFIX):
        raise NotFoundError("no such erasure")
    name = job.plan.removeprefix(JOB_PREFIX)
    status = {k: v for k, v in job.as_dict().items() if k not in ("plan", "url")}
    status["tombstone"] = name
    status["report"] = None
    if job.status == "done":
        with db.reading() as session:
            entry = session.scalar(
                select(AuditEntry)
                .where(AuditEntry.action == "privacy.erase", AuditEntry.subject == name)
                .order_by(AuditEntry.id.desc())
                .limit(1)
            )
            if entry is not None:
                status["report"] = {"at": as_utc(entry.at).isoformat(), **entry.details}
    return status
