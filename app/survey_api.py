"""The survey questions as an API: anyone who can read plans sees them; organisers set them."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request

from app.auth import Gate
from app.store.audit import audit
from app.store.engine import Database
from app.survey import Survey, SurveyError, SurveyStore

EDITORS = ("admin", "organiser")


def survey_router(db: Database, gate: Gate, store: SurveyStore) -> APIRouter:
    """GET and PUT /api/survey."""
    router = APIRouter()

    @router.get("/api/survey", responses={401: {}})
    def get_survey(request: Request) -> Survey:
        """The questions volunteers see under each door (none when no survey is set)."""
        if not gate.can_read_plans(request):
            raise HTTPException(401, "log in first (POST /api/login)")
        try:
            return store.load()
        except SurveyError as exc:
            raise HTTPException(500, str(exc)) from None

    @router.put("/api/survey", responses={401: {}, 403: {}, 422: {}})
    def put_survey(body: Survey, request: Request) -> Survey:
        """Replace the questions (organisers); phones pick them up when they next load the turf."""
        info = gate.require(request, *EDITORS)
        store.save(body)
        with db.writing() as session:
            audit(
                session,
                "survey.update",
                ",".join(q.id for q in body.questions),
                user_id=info.account.id,
                questions=len(body.questions),
            )
        return body

    return router
