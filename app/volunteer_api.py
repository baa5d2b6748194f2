"""The volunteer's side: the page at a capability link and its JSON API.

- ``GET /t/{token}``: the phone page (``templates/volunteer.html``), or a friendly page when
  the link is unknown (404), revoked or expired (410).
- ``GET /api/v/{token}/turf``: the turf, its stops in walking order, households, the voter
  fields the organiser allowed, the response codes, the survey questions and the results
  already stored.
- ``POST /api/v/{token}/results``: results, idempotent by ``client_id``.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException
from fastapi.responses import HTMLResponse
from pydantic import AfterValidator, BaseModel, Field, StringConstraints

from app.fields import Name, Text
from app.security import RateLimiter
from app.store.engine import Database
from app.store.links import LinkGoneError, LinkInfo, LinkNotFoundError, resolve_link
from app.store.results import (
    RESPONSE_CODES,
    NewResult,
    ResultRejectedError,
    record_results,
    turf_results,
)
from app.store.walk import turf_walk
from app.survey import SurveyError, SurveyQuestion, SurveyStore

logger = logging.getLogger(__name__)

ASK_FOR_A_NEW_LINK = "Ask your organiser for a new link."
RESULT_POSTS_PER_MINUTE = 120
"""Result posts one link may make per minute (a phone syncing its outbox makes a few)."""


def _plausible_time(moment: datetime) -> datetime:
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    if not 2000 <= aware.astimezone(UTC).year <= 2100:
        raise ValueError("must be a date between 2000 and 2100")
    return aware


class ResultIn(BaseModel):
    """One result recorded on a phone."""

    client_id: Annotated[
        str, StringConstraints(min_length=8, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")
    ] = Field(description="client-generated id (a UUID); a retry with the same id is a duplicate")
    household_id: Name = Field(description="the household's stable key from the turf")
    voter_id: Name | None = None
    code: Name = Field(description="a response code from the turf's response_codes")
    answers: dict[Name, Text] = Field(default_factory=dict, max_length=50)
    notes: Text = ""
    recorded_at: Annotated[datetime, AfterValidator(_plausible_time)]


class ResultsIn(BaseModel):
    """A batch of results from a phone's outbox."""

    results: list[ResultIn] = Field(min_length=1, max_length=100)


class ResultsOut(BaseModel):
    """Which client ids were stored now and which were stored before."""

    stored: list[str]
    duplicates: list[str]


class Point(BaseModel):
    """A point."""

    lat: float
    lon: float


class TurfOut(BaseModel):
    """A turf's figures and route."""

    id: str
    precinct: str
    doors: int
    stops: int
    minutes: float
    walk_m: float
    drop_off: Point | None
    route: list[list[float]]


class HouseholdOut(BaseModel):
    """A door and its voters (``voter_id`` plus the allowed fields)."""

    household_id: str
    unit: str
    voters: list[dict[str, Any]]


class StopOut(BaseModel):
    """A stop in walking order."""

    stop_id: str
    sequence: int
    address: str
    lat: float
    lon: float
    doors: int
    households: list[HouseholdOut]


class ResponseCode(BaseModel):
    """A response code and its label."""

    code: str
    label: str


class StoredResult(BaseModel):
    """A result already stored for a household of the turf."""

    client_id: str
    household_id: str
    voter_id: str | None
    code: str
    recorded_at: str


class TurfPayload(BaseModel):
    """Everything the phone page needs for one turf."""

    plan: str
    expires_at: str
    turf: TurfOut
    fields: list[str]
    response_codes: list[ResponseCode]
    questions: list[SurveyQuestion] = Field(
        default_factory=list, description="optional survey questions to ask at each door"
    )
    stops: list[StopOut]
    results: list[StoredResult]


class Problem(BaseModel):
    """An error."""

    detail: str


LINK_ERRORS: dict[int | str, dict[str, Any]] = {
    404: {"model": Problem, "description": "unknown link"},
    410: {"model": Problem, "description": "revoked or expired link"},
}


def _link(db: Database, token: str) -> LinkInfo:
    try:
        return resolve_link(db, token)
    except LinkNotFoundError:
        raise HTTPException(404, f"This link is not known. {ASK_FOR_A_NEW_LINK}") from None
    except LinkGoneError as exc:
        raise HTTPException(410, f"{str(exc).capitalize()}. {ASK_FOR_A_NEW_LINK}") from None


def volunteer_router(
    db: Database,
    render: Any,
    tile_url: str | None,
    *,
    page_template: str,
    survey: SurveyStore | None = None,
) -> APIRouter:
    """The routes of the volunteer side; ``render(template, status, **context)`` makes HTML."""

    def questions() -> list[SurveyQuestion]:
        if survey is None:
            return []
        try:
            return survey.load().questions
        except SurveyError as exc:
            # A broken survey file must not keep a volunteer from recording doors.
            logger.error("survey not shown to volunteers: %s", exc)
            return []

    router = APIRouter()
    posts = RateLimiter(RESULT_POSTS_PER_MINUTE, 60.0)

    @router.get("/t/{token}", response_class=HTMLResponse, include_in_schema=False)
    def volunteer_page(token: str) -> HTMLResponse:
        try:
            link = resolve_link(db, token)
        except LinkNotFoundError:
            return render("link_gone.html", 404, reason="This link is not known.")
        except LinkGoneError as exc:
            return render("link_gone.html", 410, reason=f"{str(exc).capitalize()}.")
        return render(
            page_template,
            200,
            token=token,
            plan=link.plan,
            turf_id=link.turf_code,
            expires_at=link.expires_at.isoformat(),
            tile_url=tile_url,
        )

    @router.get("/api/v/{token}/turf", responses=LINK_ERRORS)
    def volunteer_turf(token: str) -> TurfPayload:
        """The link's turf: stops in walking order, doors, allowed voter fields, results."""
        link = _link(db, token)
        walk = turf_walk(db, link)
        if walk is None:
            raise HTTPException(410, f"This turf is no longer in the plan. {ASK_FOR_A_NEW_LINK}")
        return TurfPayload.model_validate(
            {
                "plan": link.plan,
                "expires_at": link.expires_at.isoformat(),
                "turf": walk["turf"],
                "fields": list(link.fields),
                "response_codes": [{"code": c, "label": label} for c, label in RESPONSE_CODES],
                "questions": questions(),
                "stops": walk["stops"],
                "results": turf_results(db, link.plan_id, link.turf_code),
            }
        )

    @router.post(
        "/api/v/{token}/results",
        responses={
            **LINK_ERRORS,
            429: {"model": Problem, "description": "too many posts from this link"},
        },
    )
    def volunteer_results(token: str, body: ResultsIn) -> ResultsOut:
        """Store results; a ``client_id`` stored before is reported as a duplicate, not stored."""
        link = _link(db, token)
        posts.check(f"link:{link.id}")
        try:
            stored, duplicates = record_results(
                db,
                link,
                [
                    NewResult(
                        client_id=r.client_id,
                        household_id=r.household_id,
                        voter_id=r.voter_id,
                        code=r.code,
                        answers=r.answers,
                        notes=r.notes,
                        recorded_at=r.recorded_at,
                    )
                    for r in body.results
                ],
            )
        except ResultRejectedError as exc:
            raise HTTPException(
                422,
                [
                    {"loc": ["body", "results"], "msg": p, "type": "value_error"}
                    for p in exc.problems
                ],
            ) from None
        return ResultsOut(stored=stored, duplicates=duplicates)

    return router
