"""Downloads of recorded results in VAN's layouts (organisers; audited)."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter
from fastapi.responses import Response

from app.services.exports import minivan_results, survey_responses
from app.web.deps import Organiser, Services

router = APIRouter()
TSV = "text/tab-separated-values; charset=utf-8"


def _download(text: str, filename: str) -> Response:
    return Response(
        text,
        media_type=TSV,
        headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(filename)}"},
    )


@router.get(
    "/api/plans/{name}/results.tsv",
    response_class=Response,
    responses={200: {"content": {"text/tab-separated-values": {}}}, 401: {}, 403: {}},
)
def api_export_results(name: str, info: Organiser, services: Services) -> Response:
    """Results as a MiniVAN Contact History report (tab-separated), for upload to VAN."""
    text = minivan_results(services.db, name, user_id=info.account.id)
    return _download(text, f"{name}-results.tsv")


@router.get(
    "/api/plans/{name}/survey-responses.tsv",
    response_class=Response,
    responses={200: {"content": {"text/tab-separated-values": {}}}, 401: {}, 403: {}, 404: {}},
)
def export_survey_responses(name: str, info: Organiser, services: Services) -> Response:
    """Survey answers as a VAN Survey Response report (tab-separated), for upload to VAN."""
    text = survey_responses(services.db, name, services.survey, user_id=info.account.id)
    return _download(text, f"{name}-survey-responses.tsv")
