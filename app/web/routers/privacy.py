"""Privacy requests for admins: erase a person, export what is held about them, sweep.

The work is ``app.services.privacy``'s; these routes parse, check the role and shape the
answer. An erasure answers with counts and a tombstone, never with the person's data. Erasing
a voter re-makes plans, so it runs as a background job (``app.services.privacy_jobs``) that the
API and the page poll; erasing a volunteer of the people list is one transaction, done at once.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse
from pydantic import BaseModel, Field

from app.errors import InvalidError, NotFoundError
from app.fields import RowId
from app.services.privacy import Remaking, export_voter, store_do_not_contact_list, sweep
from app.services.privacy_jobs import erasure_status, start_erasure
from app.store.people import list_people
from app.store.people_privacy import erase_person, person_records
from app.store.privacy import key_counts
from app.web.deps import Admin, OrganiserForm, Services

router = APIRouter()
logger = logging.getLogger(__name__)

FIRST_SWEEP_AFTER_S = 60.0
"""The server's first retention sweep waits a minute (start-up work comes first)."""
SWEEP_EVERY_S = 24 * 3600.0


async def daily_sweeps(services: Any) -> None:
    """The retention sweep, in a worker thread, a minute after start and then daily."""
    await asyncio.sleep(FIRST_SWEEP_AFTER_S)
    while True:
        try:
            reduced = await asyncio.to_thread(
                sweep,
                services.db,
                services.workspace,
                retention_days=services.settings.retention_days,
            )
            if reduced:
                logger.info("retention: reduced plans %s to aggregates", ", ".join(reduced))
        except Exception:  # a failed sweep is retried tomorrow, the server keeps serving
            logger.exception("retention sweep failed")
        await asyncio.sleep(SWEEP_EVERY_S)


class ErasureRequest(BaseModel):
    """Whom to erase."""

    voter_id: str = Field(min_length=1, max_length=100)


class PersonErasureRequest(BaseModel):
    """Which volunteer of the people list to forget."""

    person_id: RowId


def _erase(services: Any, voter_id: str, user_id: int) -> dict[str, Any]:
    settings = services.settings
    job, tombstone = start_erasure(
        services.jobs,
        services.db,
        services.workspace,
        voter_id,
        remaking=Remaking(
            graph_cache_dir=settings.graph_cache_dir,
            archive_limits=settings.archive_limits,
            public_url=settings.public_url,
        ),
        user_id=user_id,
    )
    return {"job": job.id, "tombstone": tombstone, "status": job.status}


@router.post("/api/privacy/erase", status_code=202, responses={401: {}, 403: {}, 409: {}, 422: {}})
def api_erase(body: ErasureRequest, info: Admin, services: Services) -> dict[str, Any]:
    """Start erasing a voter from the database and every plan folder; poll the job.

    A tombstone keeps them out of later plans; ``GET /api/privacy/erasures/{job}`` says how far
    the erasure is.
    """
    return _erase(services, body.voter_id, info.account.id)


@router.get("/api/privacy/erasures/{job_id}", responses={401: {}, 403: {}, 404: {}})
def api_erasure(job_id: str, info: Admin, services: Services) -> dict[str, Any]:
    """An erasure's status, stage and counts; once done, what it removed (no personal data)."""
    return erasure_status(services.jobs, services.db, job_id)


@router.post("/api/privacy/erase-person", responses={401: {}, 403: {}, 404: {}, 422: {}})
def api_erase_person(body: PersonErasureRequest, info: Admin, services: Services) -> dict[str, int]:
    """Forget a volunteer of the people list: links revoked, turfs taken back, name gone."""
    return erase_person(services.db, body.person_id, by=info.account.id)


@router.get("/api/privacy/export", responses={401: {}, 403: {}, 404: {}, 422: {}})
def api_export(
    info: Admin,
    services: Services,
    voter_id: str | None = Query(None, min_length=1, max_length=100),
    person_id: int | None = Query(None, ge=1),
) -> JSONResponse:
    """Everything held about a voter or a volunteer (a subject access request), as JSON."""
    if (voter_id is None) == (person_id is None):
        raise InvalidError("give voter_id (a voter) or person_id (a volunteer), not both")
    if person_id is not None:
        document = person_records(services.db, person_id)
    else:
        document = export_voter(services.db, services.workspace, str(voter_id))
    return JSONResponse(
        document, headers={"Content-Disposition": 'attachment; filename="subject-access.json"'}
    )


@router.post("/api/privacy/sweep", responses={401: {}, 403: {}})
def api_sweep(info: Admin, services: Services) -> dict[str, Any]:
    """Reduce plans untouched for the retention period to aggregates, now."""
    days = services.settings.retention_days
    return {"retention_days": days, "reduced": sweep(services.db, services.workspace,
                                                     retention_days=days)}  # fmt: skip


@router.get("/admin/privacy", response_class=HTMLResponse, include_in_schema=False)
def privacy_page(request: Request, services: Services, job: str = "", person_done: str = "") -> Any:
    """The admin page for erasure and access requests, with the opt-out counts."""
    info, _ = services.gate.session(request)
    if info is None:
        return RedirectResponse("/login?next=/admin/privacy", status_code=303)
    if info.account.role != "admin":
        return services.render("privacy.html", 403, forbidden=True, counts={}, erasure=None)
    erasure = None
    if job:
        try:
            erasure = erasure_status(services.jobs, services.db, job[:40])
        except NotFoundError:
            erasure = {"status": "unknown"}
    return services.render(
        "privacy.html",
        200,
        forbidden=False,
        csrf_token=info.csrf_token,
        counts=key_counts(services.db),
        retention_days=services.settings.retention_days,
        erasure=erasure,
        person_done=person_done[:20],
        people=list_people(services.db),
    )


@router.post("/admin/privacy/erase", include_in_schema=False)
def privacy_page_erase(
    request: Request,
    services: Services,
    voter_id: Annotated[str, Form(min_length=1, max_length=100)],
    csrf_token: Annotated[str | None, Form(max_length=100)] = None,
) -> RedirectResponse:
    """The page's erasure form: start the job, then show its progress (no personal data)."""
    info = services.gate.require(request, "admin", csrf_form_token=csrf_token)
    started = _erase(services, voter_id, info.account.id)
    return RedirectResponse(f"/admin/privacy?job={started['job']}", status_code=303)


@router.post("/admin/privacy/erase-person", include_in_schema=False)
def privacy_page_erase_person(
    request: Request,
    services: Services,
    person_id: Annotated[int, Form(ge=1)],
    csrf_token: Annotated[str | None, Form(max_length=100)] = None,
) -> RedirectResponse:
    """The page's form to forget a volunteer of the people list."""
    info = services.gate.require(request, "admin", csrf_form_token=csrf_token)
    erase_person(services.db, person_id, by=info.account.id)
    return RedirectResponse(f"/admin/privacy?person_done={person_id}", status_code=303)


@router.post(
    "/api/privacy/do-not-contact", status_code=201, responses={401: {}, 403: {}, 413: {}, 422: {}}
)
def api_do_not_contact(
    file: Annotated[UploadFile, File(description="voter ids, names with addresses, addresses")],
    info: OrganiserForm,
    services: Services,
) -> dict[str, int]:
    """Keep a do-not-contact list's people out of every later plan (the file is not kept)."""
    data = file.file.read(services.settings.max_upload_bytes + 1)
    return store_do_not_contact_list(
        services.db,
        file.filename or "list.csv",
        data,
        user_id=info.account.id,
        archive_limits=services.settings.archive_limits,
    )


@router.post("/plans/do-not-contact", include_in_schema=False)
def page_do_not_contact(
    file: Annotated[UploadFile, File()], info: OrganiserForm, services: Services
) -> RedirectResponse:
    """The new-plan page's do-not-contact form: keep the list, back to the page with a count."""
    found = api_do_not_contact(file, info, services)
    return RedirectResponse(f"/plans/new?do_not_contact={found['keys']}", status_code=303)
