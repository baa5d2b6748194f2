"""Uploading voter files and precinct layers (organisers): ``POST /api/uploads/{kind}``.

The body is a multipart form with one ``file`` (and, for cookie sessions, ``csrf_token`` or
the ``X-CSRF-Token`` header). Files larger than the server's request limit get 413; files the
geo/ readers cannot use get 422 with the reason; nothing is kept from a refused upload.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, File, Form, HTTPException, Request, UploadFile
from starlette.concurrency import run_in_threadpool

from app.auth import Gate
from app.store.engine import Database
from app.store.uploads import UploadError, store_upload


def uploads_router(db: Database, gate: Gate, uploads_dir: Path) -> APIRouter:
    """The upload endpoint; kept files go to ``uploads_dir``."""
    router = APIRouter()

    @router.post(
        "/api/uploads/{kind}",
        status_code=201,
        responses={401: {}, 403: {}, 413: {}, 422: {}},
    )
    async def upload(
        kind: Literal["voters", "precincts"],
        request: Request,
        file: Annotated[UploadFile, File(description="the voter file or precinct layer")],
        csrf_token: Annotated[str | None, Form(max_length=100)] = None,
    ) -> dict[str, Any]:
        """Check a voter file or precinct layer with the planner's readers and keep it."""
        info = await run_in_threadpool(
            gate.require, request, "admin", "organiser", csrf_form_token=csrf_token
        )
        data = await file.read()
        try:
            return await run_in_threadpool(
                store_upload,
                db,
                uploads_dir,
                kind,
                file.filename or "",
                data,
                user_id=info.account.id,
            )
        except UploadError as exc:
            raise HTTPException(422, str(exc)) from None

    return router
