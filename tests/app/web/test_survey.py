"""Survey questions: organisers set them, volunteers see them under each door, answers are kept."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from app.services.accounts import create_user
from app.services.survey import SURVEY_FILE, SurveyError, SurveyStore, parse_survey
from app.settings import Settings
from app.store.links import create_volunteer_link
from app.store.models import AuditEntry, Result
from app.web.app import create_app

PASSWORD = "survey password"
QUESTIONS = {
    "questions": [
        {"id": "top_issue", "text": "What matters most?", "choices": ["Housing", "Transport"]},
        {"id": "yard_sign", "text": "Yard sign?", "choices": ["Yes", "No"]},
    ]
}


@pytest.fixture(scope="module")
def client(workspace: Path, database_url: str) -> Iterator[TestClient]:
    (workspace / SURVEY_FILE).unlink(missing_ok=True)
    app = create_app(Settings(workspace=workspace, database_url=database_url))
    create_user(app.state.services.db, "sara", PASSWORD, "organiser")
    create_user(app.state.services.db, "max", PASSWORD, "manager")
    yield TestClient(app)
    app.state.services.db.dispose()
    (workspace / SURVEY_FILE).unlink(missing_ok=True)


def _bearer(client: TestClient, username: str) -> dict[str, str]:
    login = client.post(
        "/api/login", json={"username": username, "password": PASSWORD, "bearer": True}
    )
    return {"Authorization": f"Bearer {login.json()['token']}"}


def test_organisers_set_questions_that_volunteers_see_and_answer(
    client: TestClient, workspace: Path
) -> None:
    organiser, manager = _bearer(client, "sara"), _bearer(client, "max")
    assert client.get("/api/survey", headers=manager).json() == {"questions": []}
    assert client.put("/api/survey", json=QUESTIONS, headers=manager).status_code == 403
    assert client.put("/api/survey", json=QUESTIONS).status_code == 401
    saved = client.put("/api/survey", json=QUESTIONS, headers=organiser)
    assert saved.status_code == 200, saved.text
    assert client.get("/api/survey", headers=manager).json() == QUESTIONS
    stored = json.loads((workspace / SURVEY_FILE).read_text(encoding="utf-8"))
    assert stored == QUESTIONS and not list((workspace / SURVEY_FILE).parent.glob(".survey.*"))

    db = client.app.state.services.db  # type: ignore[attr-defined]
    token = create_volunteer_link(db, "demo", "P01-01")
    turf = client.get(f"/api/v/{token}/turf").json()
    assert turf["questions"] == QUESTIONS["questions"]
    household = turf["stops"][0]["households"][0]["household_id"]
    answered = {
        "client_id": str(uuid.uuid4()),
        "household_id": household,
        "code": "supporter_2",
        "answers": {"top_issue": "Housing", "yard_sign": "Yes"},
        "recorded_at": "2026-11-23T18:30:00+02:00",
    }
    assert client.post(f"/api/v/{token}/results", json={"results": [answered]}).status_code == 200
    with db.reading() as session:
        result = session.scalar(select(Result).where(Result.client_id == answered["client_id"]))
        changes = session.scalars(
            select(AuditEntry).where(AuditEntry.action == "survey.update")
        ).all()
    assert result is not None and result.answers == answered["answers"]
    assert [c.subject for c in changes] == ["top_issue,yard_sign"]

    # Back to VAN: one Survey Response row per voter at the door and answered question.
    export = client.get("/api/plans/demo/survey-responses.tsv", headers=organiser)
    assert export.status_code == 200, export.text
    lines = [line.split("\t") for line in export.text.splitlines()]
    assert lines[0][:5] == [
        "Voter File VANID",
        "Contact Name",
        "Date Canvassed",
        "Survey Response",
        "Survey Question Name",
    ]
    voters = {v["voter_id"] for v in turf["stops"][0]["households"][0]["voters"]}
    assert {line[0] for line in lines[1:]} == voters
    # The support level recorded (Supporter 2) goes back as VAN's Support ID, then the answers.
    assert sorted((line[3], line[4]) for line in lines[1:]) == sorted(
        [("2", "Support ID"), ("Housing", "What matters most?"), ("Yes", "Yard sign?")]
        * len(voters)
    )
    assert client.get("/api/plans/demo/survey-responses.tsv", headers=manager).status_code == 403
    assert client.get("/api/plans/nope/survey-responses.tsv", headers=organiser).status_code == 404


def test_bad_surveys_are_refused_with_the_problem_named(client: TestClient) -> None:
    organiser = _bearer(client, "sara")
    before = client.get("/api/survey", headers=organiser).json()
    bad = [
        {"questions": [{"id": "Top Issue", "text": "?", "choices": ["a", "b"]}]},
        {"questions": [{"id": "q", "text": "One choice?", "choices": ["Yes"]}]},
        {"questions": [{"id": "q", "text": "Twice?", "choices": ["Yes", "yes"]}]},
        {"questions": [{"id": "q", "text": "No\x00pe", "choices": ["a", "b"]}]},
        {"questions": [QUESTIONS["questions"][0], QUESTIONS["questions"][0]]},
    ]
    for survey in bad:
        answer = client.put("/api/survey", json=survey, headers=organiser)
        assert answer.status_code == 422, survey
    assert client.get("/api/survey", headers=organiser).json() == before


def test_a_broken_survey_file_is_named_and_never_blocks_a_volunteer(
    client: TestClient, workspace: Path, tmp_path: Path
) -> None:
    with pytest.raises(SurveyError, match=r"survey\.json: questions\.0\.choices"):
        parse_survey(
            '{"questions": [{"id": "q", "text": "?", "choices": []}]}', source="survey.json"
        )
    store = SurveyStore(tmp_path)
    assert store.load().questions == []
    store.path.parent.mkdir(parents=True)
    store.path.write_text("{not json", encoding="utf-8")
    with pytest.raises(SurveyError, match=r"survey\.json"):
        store.load()
    # Edited by hand into something broken while the server runs: doors can still be recorded.
    (workspace / SURVEY_FILE).write_text('{"questions": 3}', encoding="utf-8")
    token = create_volunteer_link(client.app.state.services.db, "demo", "P01-01")  # type: ignore[attr-defined]
    turf = client.get(f"/api/v/{token}/turf")
    assert turf.status_code == 200 and turf.json()["questions"] == []
