"""Exports of recorded results in VAN's layouts, for upload to VAN (tab-separated, audited).

- MiniVAN Contact History: one row per voter and result.
- Survey Response: one row per voter and answered question.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

from app.errors import NotFoundError
from app.services.survey import SurveyError, SurveyStore
from app.spreadsheet import neutralise
from app.store.audit import audit
from app.store.engine import Database, as_utc
from app.store.results import VoterResult, results_per_voter
from segments.door_results import by_code

MINIVAN_COLUMNS = (
    "Voter File VANID",
    "Contact Name",
    "Date Canvassed",
    "Result",
    "Contact Type",
    "Canvassed By",
    "Created By",
    "Date Created",
    "Input Type Name",
    "MiniVAN Campaign",
)
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


def _van_result(code: str) -> str:
    """The MiniVAN result name of a stored code (a code no longer known: a contact made)."""
    try:
        return by_code(code).van_result
    except KeyError:
        return "Canvassed"


def _tsv(header: Sequence[str], rows: Iterable[Sequence[object]]) -> tuple[str, int]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter="\t", lineterminator="\r\n")
    writer.writerow(header)
    written = 0
    for row in rows:
        writer.writerow([neutralise(cell) for cell in row])
        written += 1
    return buffer.getvalue(), written


def _results(db: Database, plan: str) -> list[VoterResult]:
    rows = results_per_voter(db, plan)
    if rows is None:
        raise NotFoundError(f"no plan named {plan!r} in the database")
    return rows


def minivan_results(db: Database, plan: str, *, user_id: int | None) -> str:
    """The plan's results as a MiniVAN Contact History report (audited)."""
    text, written = _tsv(
        MINIVAN_COLUMNS,
        (
            [
                row.voter.voter_code,
                f"{row.voter.last_name}, {row.voter.first_name}",
                as_utc(row.result.recorded_at).strftime("%m/%d/%Y"),
                _van_result(row.result.code),
                "Walk",
                row.canvassed_by,
                "Canvass Planner",
                as_utc(row.result.received_at).strftime("%m/%d/%Y"),
                "Canvass Planner",
                plan,
            ]
            for row in _results(db, plan)
        ),
    )
    with db.writing() as session:
        audit(session, "export.results", plan, user_id=user_id, rows=written)
    return text


def survey_responses(db: Database, plan: str, survey: SurveyStore, *, user_id: int | None) -> str:
    """The plan's survey answers as a VAN Survey Response report (audited)."""
    rows = _results(db, plan)
    try:
        texts = {q.id: q.text for q in survey.load().questions}
    except SurveyError:
        texts = {}  # answers are still exported, under their question ids
    text, written = _tsv(
        SURVEY_RESPONSE_COLUMNS,
        (
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
            for row in rows
            for question, answer in sorted((row.result.answers or {}).items())
        ),
    )
    with db.writing() as session:
        audit(session, "export.survey", plan, user_id=user_id, rows=written)
    return text
