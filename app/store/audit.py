"""The audit log: who created or revoked links, exported results, logged in, imported plans."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from app.store.engine import utcnow
from app.store.models import AuditEntry


def audit(
    session: Session, action: str, subject: str = "", *, user_id: int | None = None, **details: Any
) -> None:
    """Add an audit row in the caller's transaction. Never pass personal data in ``details``."""
    session.add(
        AuditEntry(
            at=utcnow(), user_id=user_id, action=action, subject=subject[:300], details=details
        )
    )
