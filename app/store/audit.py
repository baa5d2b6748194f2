"""The audit log: who created or revoked links, exported results, logged in, imported plans."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.store.engine import Database, as_utc, utcnow
from app.store.models import AuditEntry, User


def audit(
    session: Session, action: str, subject: str = "", *, user_id: int | None = None, **details: Any
) -> None:
    """Add an audit row in the caller's transaction. Never pass personal data in ``details``."""
    session.add(
        AuditEntry(
            at=utcnow(), user_id=user_id, action=action, subject=subject[:300], details=details
        )
    )


def recent_entries(db: Database, limit: int) -> list[dict[str, Any]]:
    """The newest ``limit`` audit entries, newest first, with the acting username."""
    with db.reading() as session:
        rows = session.execute(
            select(AuditEntry, User.username)
            .outerjoin(User, User.id == AuditEntry.user_id)
            .order_by(AuditEntry.id.desc())
            .limit(limit)
        ).all()
    return [
        {
            "at": as_utc(entry.at).isoformat(),
            "user": username,
            "action": entry.action,
            "subject": entry.subject,
            "details": entry.details,
        }
        for entry, username in rows
    ]
