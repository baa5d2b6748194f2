"""Survey questions volunteers may ask at the door, for the whole campaign.

The questions live in ``<workspace>/.canvass/survey.json``::

    {"questions": [{"id": "top_issue", "text": "What matters most to you this year?",
                    "choices": ["Housing", "Transport", "Schools", "Jobs"]}]}

The phone page shows them under each door as optional choice buttons and sends the answers
with the result (``answers``: question id -> choice). Answers are stored as they come and not
checked against the current questions: a phone may sync hours later, after the survey changed,
and a result at a door must never be lost for that.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
import threading
from pathlib import Path
from typing import Annotated

from pydantic import (
    AfterValidator,
    BaseModel,
    Field,
    StringConstraints,
    ValidationError,
    field_validator,
)

from app.fields import no_nul
from app.outputs.walklist_marks import PrintedQuestion, printed_questions

logger = logging.getLogger(__name__)

SURVEY_FILE = Path(".canvass") / "survey.json"

QuestionId = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,39}$")]
QuestionText = Annotated[
    str,
    StringConstraints(min_length=1, max_length=200, strip_whitespace=True),
    AfterValidator(no_nul),
]
Choice = Annotated[
    str,
    StringConstraints(min_length=1, max_length=60, strip_whitespace=True),
    AfterValidator(no_nul),
]


class SurveyQuestion(BaseModel):
    """One question with its answer choices (2 to 8, tapped on a phone)."""

    id: QuestionId = Field(description="short key stored with the answer: a-z, 0-9, _")
    text: QuestionText
    choices: list[Choice] = Field(min_length=2, max_length=8)

    @field_validator("choices")
    @classmethod
    def _choices_differ(cls, choices: list[str]) -> list[str]:
        if len({c.casefold() for c in choices}) != len(choices):
            raise ValueError("choices must differ from each other")
        return choices


class Survey(BaseModel):
    """The campaign's questions (none is fine: the page then shows none)."""

    questions: list[SurveyQuestion] = Field(default_factory=list, max_length=10)

    @field_validator("questions")
    @classmethod
    def _ids_differ(cls, questions: list[SurveyQuestion]) -> list[SurveyQuestion]:
        ids = [q.id for q in questions]
        repeated = sorted({i for i in ids if ids.count(i) > 1})
        if repeated:
            raise ValueError(f"question ids must differ: {', '.join(repeated)} repeated")
        return questions


DEMO_SURVEY = Survey(
    questions=[
        SurveyQuestion(
            id="top_issue",
            text="What matters most to you this year?",
            choices=["Housing", "Transport", "Schools", "Jobs", "Climate"],
        ),
        SurveyQuestion(id="volunteer", text="Would you volunteer?", choices=["Yes", "Maybe", "No"]),
    ]
)


def printed(survey: Survey) -> tuple[PrintedQuestion, ...]:
    """The questions as the printed walk lists number them (``Q1``, choices from 1)."""
    return printed_questions((q.text, q.choices) for q in survey.questions)


class SurveyError(ValueError):
    """A survey file that cannot be used; the message names the file and the problem."""


def _problems(exc: ValidationError) -> str:
    return "; ".join(
        f"{'.'.join(str(p) for p in error['loc']) or 'file'}: {error['msg']}"
        for error in exc.errors()
    )


def parse_survey(text: str | bytes, *, source: str) -> Survey:
    """Read a survey document (text, or the file's bytes); SurveyError names ``source``.

    Each problem is listed; bytes that are not UTF-8 JSON are a problem like any other.
    """
    try:
        return Survey.model_validate_json(text)
    except ValidationError as exc:
        raise SurveyError(
            f"{source}: {_problems(exc)}; fix the file (see app/services/survey.py)"
        ) from None


class SurveyStore:
    """The workspace's survey file: read when it changed, written atomically."""

    def __init__(self, files_root: Path) -> None:
        self.path = files_root / SURVEY_FILE
        self._lock = threading.Lock()
        self._seen: tuple[float, int] | None = None
        self._survey = Survey()

    def load(self) -> Survey:
        """The current survey (no questions when there is no file)."""
        with self._lock:
            try:
                stat = self.path.stat()
            except FileNotFoundError:
                self._seen, self._survey = None, Survey()
                return self._survey
            key = (stat.st_mtime, stat.st_size)
            if key != self._seen:
                try:
                    document = self.path.read_bytes()
                except OSError as exc:  # a folder in its place, or not readable
                    raise SurveyError(
                        f"{self.path}: cannot be read ({exc.strerror or exc}); it must be a "
                        "JSON file (see app/services/survey.py)"
                    ) from None
                self._survey = parse_survey(document, source=str(self.path))
                self._seen = key
            return self._survey

    def save(self, survey: Survey) -> None:
        """Replace the survey file in one step (never half-written)."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        document = json.dumps(survey.model_dump(), indent=2, ensure_ascii=False) + "\n"
        with self._lock:
            handle, temporary = tempfile.mkstemp(prefix=".survey.", dir=self.path.parent)
            try:
                with os.fdopen(handle, "w", encoding="utf-8") as out:
                    out.write(document)
                Path(temporary).replace(self.path)
            except BaseException:
                Path(temporary).unlink(missing_ok=True)
                raise
            self._seen = None


def printed_survey(store: SurveyStore | None) -> tuple[PrintedQuestion, ...]:
    """The questions a plan written now prints on its walk lists (none without a store).

    A broken survey file prints no questions rather than stopping the plan (it is logged; the
    server refuses to start with one, so this is a file broken while it runs).
    """
    if store is None:
        return ()
    try:
        return printed(store.load())
    except SurveyError as exc:
        logger.error("walk lists printed without the survey: %s", exc)
        return ()
