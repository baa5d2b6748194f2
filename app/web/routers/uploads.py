"""Uploading voter files, precinct layers and address data (organisers).

``POST /api/uploads/{kind}`` with kind ``voters``, ``precincts`` or ``addresses`` (what
``canvass plan --addresses`` takes: OpenAddresses, TIGER/Line address ranges, points layers).

The body is a multipart form with one ``file`` (and, for cookie sessions, ``csrf_token`` or
the ``X-CSRF-Token`` header). Files larger than the server's request limit get 413; files the
geo/ readers cannot use get 422 with the reason; nothing is kept from a refused upload.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, File, UploadFile
from starlette.concurrency import run_in_threadpool

from app.store.uploads import store_upload
from app.web.deps import OrganiserForm, Services

router = APIRouter()


@router.post("/api/uploads/{kind}", status_code=201, responses={401: {}, 403: {}, 413: {}, 422: {}})
async def upload(
    kind: Literal["voters", "precincts", "addresses"],
    file: Annotated[UploadFile, File(description="the voter file, precinct layer or address data")],
    info: OrganiserForm,
    services: Services,
) -> dict[str, Any]:
    """Check a voter file, precinct layer or address file with the planner's readers; keep it."""
    data = await file.read()
    return await run_in_threadpool(
        store_upload,
        services.db,
        services.workspace.uploads_dir,
        kind,
        file.filename or "",
        data,
        user_id=info.account.id,
        archive_limits=services.settings.archive_limits,
    )
