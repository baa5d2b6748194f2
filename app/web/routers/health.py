"""``GET /healthz``: whether the server answers and its database does (for containers, proxies)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from app.web.deps import Services

router = APIRouter()


@router.get("/healthz", responses={503: {"description": "the database does not answer"}})
def health(services: Services) -> JSONResponse:
    """``{"status": "ok"}`` when the database answers a query, 503 otherwise."""
    try:
        with services.db.reading() as session:
            session.execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        return JSONResponse(
            {"status": "unavailable", "database": type(exc).__name__}, status_code=503
        )
    return JSONResponse({"status": "ok", "database": services.db.backend})
