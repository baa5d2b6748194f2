"""Administration: the audit log and importing the workspace's plan folders again."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query

from app.store.audit import recent_entries
from app.web.deps import Admin, Organiser, Services

router = APIRouter()


@router.post("/api/plans/import", responses={401: {}, 403: {}, 422: {}})
def api_import(info: Organiser, services: Services) -> list[dict[str, Any]]:
    """Import (again) the workspace's plan folders into the database."""
    reports = services.workspace.reimport(services.db, user_id=info.account.id)
    return [report.__dict__ for report in reports]


@router.get("/api/audit", responses={401: {}, 403: {}})
def api_audit(
    info: Admin, services: Services, limit: int = Query(200, ge=1, le=1000)
) -> list[dict[str, Any]]:
    """The newest audit log entries (admins only): logins, links, uploads, exports."""
    return recent_entries(services.db, limit)
