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

from fastapi import APIRouter
from fastapi.responses import HTMLResponse
from pydantic import AfterValidator, BaseModel, Field, StringConstraints
from starlette.concurrency import run_in_threadpool

from app.errors import GoneError
from app.fields import Name, Text, no_nul
from app.services.base_maps import turf_base_map
from app.services.budget_skip import mark_skipped_doors
from app.services.survey import SurveyError, SurveyQuestion, SurveyStore
from app.store.links import LinkGoneError, LinkNotFoundError, resolve_link
from app.store.privacy import OPT_OUT_CODE, absorb_door_results, stored_keys
from app.store.results import NewResult, post_results, turf_results
from app.store.walk import turf_walk
from app.web.deps import Services
from app.web.errors import ASK_FOR_A_NEW_LINK
from segments.door_results import DOOR_RESULTS, LANGUAGE_MAX, DoorResult

logger = logging.getLogger(__name__)
router = APIRouter()
PAGE_TEMPLATE = "volunteer.html"
RARELY_USED = frozenset(
    {"inaccessible", "vacant", "language_barrier", "hostile", "deceased", "do_not_contact"}
)
"""Results the phone keeps behind "More…": the common ones stay one tap away, on screen."""


def _plausible_time(moment: datetime) -> datetime:
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    # The year is checked before converting: 0001-01-01 at +00:01 is before year 1 in UTC.
    if not 2000 <= aware.year <= 2100 or not 2000 <= aware.astimezone(UTC).year <= 2100:
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
    language: (
        Annotated[str, StringConstraints(max_length=LANGUAGE_MAX), AfterValidator(no_nul)] | None
    ) = Field(
        default=None,
        description="with a language_barrier result: the language spoken at the door",
    )
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
    skip: bool = Field(
        default=False, description="the plan's budget leaves this door for a later pass"
    )


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
    """A response code, its label and how the phone offers it."""

    code: str
    label: str
    per_person: bool = Field(
        default=False, description="recorded for one voter (support level, deceased, ...)"
    )
    reknock: bool = Field(
        default=False, description="the door stays open for another pass (not home, come back)"
    )
    asks_language: bool = Field(default=False, description="asks which language is spoken")
    group: str = Field(default="main", description='"main" (always shown) or "more"')

    @classmethod
    def of(cls, result: DoorResult) -> ResponseCode:
        """How the phone shows ``result``."""
        return cls(
            code=result.code,
            label=result.label,
            per_person=result.per_person,
            reknock=result.reknock,
            asks_language=result.asks_language,
            group="more" if result.code in RARELY_USED else "main",
        )


class StoredResult(BaseModel):
    """A result already stored for a household of the turf."""

    client_id: str
    household_id: str
    voter_id: str | None
    code: str
    language: str | None = None
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
    basemap: dict[str, Any] | None = Field(
        None, description="streets, names, buildings and house numbers drawn under the route"
    )


class Problem(BaseModel):
    """An error."""

    detail: str


LINK_ERRORS: dict[int | str, dict[str, Any]] = {
    404: {"model": Problem, "description": "unknown link"},
    410: {"model": Problem, "description": "revoked or expired link"},
}


def _questions(survey: SurveyStore) -> list[SurveyQuestion]:
    try:
        return survey.load().questions
    except SurveyError as exc:
        # A broken survey file must not keep a volunteer from recording doors.
        logger.error("survey not shown to volunteers: %s", exc)
        return []


def _shown_results(walk: dict[str, Any], results: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The stored results of the doors and voters the walk still shows (no one left out)."""
    shown = {
        (h["household_id"], v["voter_id"])
        for stop in walk["stops"]
        for h in stop["households"]
        for v in [{"voter_id": None}, *h["voters"]]
    }
    return [r for r in results if (r["household_id"], r["voter_id"]) in shown]


@router.get("/t/{token}", response_class=HTMLResponse, include_in_schema=False)
def volunteer_page(token: str, services: Services) -> HTMLResponse:
    """The phone page of a link, or a page saying the link is unknown or gone."""
    try:
        link = resolve_link(services.db, token)
    except LinkNotFoundError:
        return services.render("link_gone.html", 404, reason="This link is not known.")
    except LinkGoneError as exc:
        return services.render("link_gone.html", 410, reason=f"{str(exc).capitalize()}.")
    return services.render(
        PAGE_TEMPLATE,
        200,
        token=token,
        plan=link.plan,
        turf_id=link.turf_code,
        expires_at=link.expires_at.isoformat(),
        tile_url=services.settings.tile_url,
        privacy_notice_url=services.settings.privacy_notice_url,
    )


@router.get("/api/v/{token}/turf", responses=LINK_ERRORS)
def volunteer_turf(token: str, services: Services) -> TurfPayload:
    """The link's turf: stops in walking order, doors, allowed voter fields, results."""
    link = resolve_link(services.db, token)
    # Opt-outs recorded or listed since the cut leave at once (the phone's copy at its sync).
    walk = turf_walk(services.db, link, keys=stored_keys(services.db))
    if walk is None:
        raise GoneError(f"This turf is no longer in the plan. {ASK_FOR_A_NEW_LINK}")
    results = _shown_results(walk, turf_results(services.db, link.plan_id, link.turf_code))
    mark_skipped_doors(walk["stops"], services.workspace, link.plan, link.turf_code)
    return TurfPayload.model_validate(
        {
            "plan": link.plan,
            "expires_at": link.expires_at.isoformat(),
            "turf": walk["turf"],
            "fields": list(link.fields),
            "response_codes": [ResponseCode.of(r) for r in DOOR_RESULTS],
            "questions": _questions(services.survey),
            "stops": walk["stops"],
            "results": results,
            "basemap": turf_base_map(services.workspace, link.plan, link.turf_code),
        }
    )


@router.post(
    "/api/v/{token}/results",
    responses={
        **LINK_ERRORS,
        429: {"model": Problem, "description": "too many posts from this link"},
    },
)
async def volunteer_results(token: str, body: ResultsIn, services: Services) -> ResultsOut:
    """Store results; a ``client_id`` stored before is reported as a duplicate, not stored."""

    def admit(link_id: int) -> None:
        services.result_posts.check(f"link:{link_id}")

    # One hop to a worker thread for the database (a plain function would also be answered
    # from one, a second hop).
    stored, duplicates = await run_in_threadpool(
        post_results,
        services.db,
        token,
        [
            NewResult(
                client_id=r.client_id,
                household_id=r.household_id,
                voter_id=r.voter_id,
                code=r.code,
                answers=r.answers,
                notes=r.notes,
                language=r.language,
                recorded_at=r.recorded_at,
            )
            for r in body.results
        ],
        admit=admit,
    )
    if any(r.code == OPT_OUT_CODE for r in body.results):
        # Kept as a stored opt-out now: every link, plan and pass leaves them out from here.
        await run_in_threadpool(absorb_door_results, services.db)
    return ResultsOut(stored=stored, duplicates=duplicates)
