"""Exports of recorded results in VAN's layouts, for upload to VAN (tab-separated, audited).

- MiniVAN Contact History: one row per voter and result (a door result for every voter of the
  household, a person's result for that voter), its VAN result name, the volunteer's notes and,
  for a "Language barrier", the language spoken (VAN's layout has no column for it: it leads
  the notes, ``Language: Spanish``).
- Survey Response: one row per voter and answered question, and the support level a
  volunteer recorded (Supporter 1-5) as VAN's "Support ID" survey response.

"Canvassed By" is the person: the volunteer the turf is assigned to, else the link's label
(the name the organiser gave the link), else "Volunteer link <id>".
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

from app.errors import NotFoundError
from app.services.survey import SurveyError, SurveyStore
from app.spreadsheet import neutralise
from app.store.assignments import list_assignments
from app.store.audit import audit
from app.store.engine import Database, as_utc
from app.store.models import Result
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
    "Notes",
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
SUPPORT_QUESTION = "Support ID"
"""The survey question under which a recorded support level (1 strongest to 5) is exported."""


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


def _canvassers(db: Database, plan: str) -> dict[str, str]:
    """Who walks each turf, by the plan's assignments."""
    return {a.turf: a.volunteer for a in list_assignments(db, plan)}


def _canvassed_by(row: VoterResult, canvassers: dict[str, str]) -> str:
    return canvassers.get(row.result.turf_code or "", "") or row.canvassed_by


def _notes(result: Result) -> str:
    """The Notes cell: the language of a language barrier first, then the volunteer's note."""
    parts = [f"Language: {result.language}" if result.language else "", result.notes or ""]
    return " ".join("; ".join(p for p in parts if p.strip()).split())


def _support_level(code: str) -> str | None:
    """``"1"`` .. ``"5"`` for a supporter result, else None."""
    prefix = "supporter_"
    return code[len(prefix) :] if code.startswith(prefix) else None


def minivan_results(db: Database, plan: str, *, user_id: int | None) -> str:
    """The plan's results as a MiniVAN Contact History report (audited)."""
    canvassers = _canvassers(db, plan)
    text, written = _tsv(
        MINIVAN_COLUMNS,
        (
            [
                row.voter.voter_code,
                f"{row.voter.last_name}, {row.voter.first_name}",
                as_utc(row.result.recorded_at).strftime("%m/%d/%Y"),
                _van_result(row.result.code),
                "Walk",
                _canvassed_by(row, canvassers),
                "Canvass Planner",
                as_utc(row.result.received_at).strftime("%m/%d/%Y"),
                "Canvass Planner",
                plan,
                _notes(row.result),
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
    canvassers = _canvassers(db, plan)
    try:
        texts = {q.id: q.text for q in survey.load().questions}
    except SurveyError:
        texts = {}  # answers are still exported, under their question ids

    def answered(row: VoterResult) -> list[tuple[str, str, str]]:
        level = _support_level(row.result.code)
        support = [(SUPPORT_QUESTION, level, "Support ID")] if level else []
        asked = [
            (texts.get(question, question), answer, "")  # VAN sets a question's type itself
            for question, answer in sorted((row.result.answers or {}).items())
        ]
        return support + asked

    text, written = _tsv(
        SURVEY_RESPONSE_COLUMNS,
        (
            [
                row.voter.voter_code,
                f"{row.voter.last_name}, {row.voter.first_name}",
                as_utc(row.result.recorded_at).strftime("%m/%d/%Y"),
                answer,
                question,
                kind,
                _canvassed_by(row, canvassers),
                "Walk",
            ]
            for row in rows
            for question, answer, kind in answered(row)
        ),
    )
    with db.writing() as session:
        audit(session, "export.survey", plan, user_id=user_id, rows=written)
    return text
