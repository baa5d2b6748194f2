"""One place that turns the errors of services and domain code into HTTP answers.

Routes do not translate errors at each call site: they let them rise, and the handlers below
answer with the status and ``detail`` the error kind calls for. ``HTTPException`` stays the
web layer's own (authentication, rate limits, body size).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from app.errors import (
    BrokenStateError,
    ConflictError,
    GoneError,
    InvalidError,
    NotFoundError,
    ServiceError,
)
from app.plan_folder import PlanFolderError
from app.planning.edits import PlanChangedError, TurfEditError
from app.planning.request import PlanInputsError
from app.services.accounts import AccountError
from app.services.survey import SurveyError
from app.store.links import LinkGoneError, LinkNotFoundError
from app.store.plans import PlanImportError
from app.store.results import ResultRejectedError
from app.store.spatial import AreaError
from app.store.uploads import UploadError
from geo._errors import InputError
from segments._errors import FilterError

ASK_FOR_A_NEW_LINK = "Ask your organiser for a new link."

Detail = str | dict[str, Any] | list[dict[str, Any]]

SERVICE_STATUS: dict[type[ServiceError], int] = {
    NotFoundError: 404,
    GoneError: 410,
    ConflictError: 409,
    InvalidError: 422,
    BrokenStateError: 500,
}


def _service(exc: ServiceError) -> tuple[int, Detail]:
    status = next((code for kind, code in SERVICE_STATUS.items() if isinstance(exc, kind)), 500)
    return status, exc.detail


def _rejected_results(exc: ResultRejectedError) -> tuple[int, Detail]:
    # Shaped like FastAPI's own validation errors: a client handles both alike.
    return 422, [
        {"loc": ["body", "results"], "msg": p, "type": "value_error"} for p in exc.problems
    ]


def _filter(exc: FilterError) -> tuple[int, Detail]:
    return 422, {"message": str(exc), "position": exc.position}


ANSWERS: dict[type[Exception], Callable[[Any], tuple[int, Detail]]] = {
    ServiceError: _service,
    LinkNotFoundError: lambda exc: (404, f"This link is not known. {ASK_FOR_A_NEW_LINK}"),
    LinkGoneError: lambda exc: (410, f"{str(exc).capitalize()}. {ASK_FOR_A_NEW_LINK}"),
    PlanInputsError: lambda exc: (410, str(exc)),
    ResultRejectedError: _rejected_results,
    AreaError: lambda exc: (422, f"geometry: {exc}"),
    FilterError: _filter,
    InputError: lambda exc: (422, {"message": str(exc)}),
    UploadError: lambda exc: (422, str(exc)),
    AccountError: lambda exc: (422, str(exc)),
    TurfEditError: lambda exc: (422, str(exc)),
    PlanChangedError: lambda exc: (409, str(exc)),
    PlanImportError: lambda exc: (422, str(exc)),
    SurveyError: lambda exc: (500, str(exc)),
    PlanFolderError: lambda exc: (500, str(exc)),
}
"""Each error kind and its answer: ``(status, detail)``."""


def answer_for(exc: Exception) -> tuple[int, Detail]:
    """The status and detail for ``exc``: the entry of its nearest class in ``ANSWERS``."""
    for kind in type(exc).__mro__:
        if kind in ANSWERS:
            return ANSWERS[kind](exc)
    raise exc


async def _handle(request: Request, exc: Exception) -> JSONResponse:
    status, detail = answer_for(exc)
    return JSONResponse({"detail": detail}, status_code=status)


def json_safe(value: Any) -> Any:
    """``value`` with NaN and infinities as text: JSON has no such numbers."""
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, dict):
        return {key: json_safe(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(item) for item in value]
    return value


async def _invalid_request(request: Request, exc: Exception) -> JSONResponse:
    # FastAPI echoes the offending input; a NaN or Infinity sent in the body (Python's JSON
    # reader takes them) must not turn the 422 into a 500 when the answer is rendered.
    assert isinstance(exc, RequestValidationError)
    errors = json_safe(jsonable_encoder(exc.errors()))
    return JSONResponse({"detail": errors}, status_code=422)


def install_error_handlers(app: FastAPI) -> None:
    """Answer every error kind of ``ANSWERS`` the same way wherever it is raised."""
    for kind in ANSWERS:
        app.add_exception_handler(kind, _handle)
    app.add_exception_handler(RequestValidationError, _invalid_request)
