"""The survey questions as an API: anyone who can read plans sees them; organisers set them."""

from __future__ import annotations

import csv
import io
from urllib.parse import quote

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import Response

from app.auth import Gate
from app.store.audit import audit
from app.store.engine import Database, as_utc
from app.store.results import results_per_voter
from app.survey import Survey, SurveyError, SurveyStore

SURVEY_RESPONSE_COLUMNS = (
    "Voter File VANID",
    "Contact Name",
    "Date Canvassed",
    "Survey Response",
    "Survey Question Name",
    "Survey Question Type",
    "Canvassed By",
    "Contact Type",
)
"""VAN's Survey Response report layout (one row per voter and answered question)."""

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

    @router.get(
        "/api/plans/{name}/survey-responses.tsv",
        response_class=Response,
        responses={200: {"content": {"text/tab-separated-values": {}}}, 401: {}, 403: {}, 404: {}},
    )
    def export_survey_responses(name: str, request: Request) -> Response:
        """Survey answers as a VAN Survey Response report (tab-separated), for upload to VAN."""
        info = gate.require(request, *EDITORS)
        rows = results_per_voter(db, name)
        if rows is None:
            raise HTTPException(404, f"no plan named {name!r} in the database")
        try:
            texts = {q.id: q.text for q in store.load().questions}
        except SurveyError:
            texts = {}  # answers are still exported, under their question ids
        buffer = io.StringIO()
        writer = csv.writer(buffer, delimiter="\t", lineterminator="\r\n")
        writer.writerow(SURVEY_RESPONSE_COLUMNS)
        written = 0
        for row in rows:
            answers = row.result.answers or {}
            for question, answer in sorted(answers.items()):
                writer.writerow(
                    [
                        row.voter.voter_code,
                        f"{row.voter.last_name}, {row.voter.first_name}",
                        as_utc(row.result.recorded_at).strftime("%m/%d/%Y"),
                        answer,
                        texts.get(question, question),
                        "",  # VAN's question type is set where the question is made in VAN
                        row.canvassed_by,
                        "Walk",
                    ]
                )
                written += 1
        with db.writing() as session:
            audit(session, "export.survey", name, user_id=info.account.id, rows=written)
        return Response(
            buffer.getvalue(),
            media_type="text/tab-separated-values; charset=utf-8",
            headers={
                "Content-Disposition": (
                    f"attachment; filename*=UTF-8''{quote(name)}-survey-responses.tsv"
                )
            },
        )

    return router
