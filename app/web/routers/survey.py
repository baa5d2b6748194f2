"""The survey questions as an API: anyone who can read plans sees them; organisers set them."""

from __future__ import annotations

from fastapi import APIRouter

from app.services.survey import Survey
from app.store.audit import audit
from app.web.deps import Organiser, Reader, Services

router = APIRouter()


@router.get("/api/survey", responses={401: {}})
def get_survey(_: Reader, services: Services) -> Survey:
    """The questions volunteers see under each door (none when no survey is set)."""
    return services.survey.load()


@router.put("/api/survey", responses={401: {}, 403: {}, 422: {}})
def put_survey(body: Survey, info: Organiser, services: Services) -> Survey:
    """Replace the questions (organisers); phones pick them up when they next load the turf."""
    services.survey.save(body)
    with services.db.writing() as session:
        audit(
            session,
            "survey.update",
            ",".join(q.id for q in body.questions),
            user_id=info.account.id,
            questions=len(body.questions),
        )
    return body
