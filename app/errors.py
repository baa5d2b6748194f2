"""Errors of the app's services, by what went wrong; the web layer maps each to an answer.

Services and the store raise these (or the domain packages' own errors); none of them knows
about HTTP. ``app.web.errors`` turns each kind into one status code, in one place.
"""

from __future__ import annotations

from typing import Any


class ServiceError(Exception):
    """Something a caller asked for that cannot be done; ``detail`` says what and why."""

    def __init__(self, detail: str | dict[str, Any] | list[dict[str, Any]]) -> None:
        super().__init__(detail if isinstance(detail, str) else str(detail))
        self.detail = detail


class NotFoundError(ServiceError, LookupError):
    """No such plan, turf, upload, link or job."""


class GoneError(ServiceError):
    """It existed but is no longer usable: an input file removed, a link revoked or expired."""


class ConflictError(ServiceError):
    """It clashes with what exists or is running: a plan of that name, a job in progress."""


class InvalidError(ServiceError, ValueError):
    """The request is well-formed but cannot be carried out as asked (bad filter, edit, ...)."""


class BrokenStateError(ServiceError):
    """A file the server keeps is unreadable (a hand-edited survey file): not the caller's fault."""
