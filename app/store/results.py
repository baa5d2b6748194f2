"""Results recorded at doors: idempotent by client id, durable once acknowledged."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite

from app.store.engine import Database, as_utc, utcnow
from app.store.links import LinkInfo
from app.store.models import Household, Plan, Result, Stop, Turf, VolunteerLink, Voter
from segments.door_results import RESULT_CODES

CODES = frozenset(RESULT_CODES)


class ResultRejectedError(ValueError):
    """A batch that cannot be stored (unknown code, household outside the turf, ...)."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class NewResult:
    """One result as posted by a phone."""

    client_id: str
    household_id: str
    """The household's stable key."""
    code: str
    recorded_at: datetime
    voter_id: str | None = None
    answers: dict[str, str] = field(default_factory=dict)
    notes: str = ""


def turf_households(db: Database, plan_id: int, turf_code: str) -> dict[str, int]:
    """Stable key -> row id of the households the turf visits in the current cut."""
    with db.reading() as session:
        return dict(
            session.execute(
                select(Household.key, Household.id)
                .join(Stop, Stop.id == Household.stop_id)
                .join(Turf, Turf.id == Stop.turf_id)
                .where(Turf.plan_id == plan_id, Turf.code == turf_code)
            ).all()
        )


def record_results(
    db: Database, link: LinkInfo, results: Sequence[NewResult]
) -> tuple[list[str], list[str]]:
    """Store ``results`` for ``link`` in one transaction; returns (stored, duplicate) client ids.

    Raises ResultRejectedError (nothing stored) when a code is unknown, a household is not in
    the link's turf or a voter is not in its household.
    """
    problems: list[str] = []
    for i, item in enumerate(results):
        if item.code not in CODES:
            problems.append(f"results[{i}].code: unknown response code {item.code!r}")
    now = utcnow()
    with db.writing() as session:
        keys = {r.household_id for r in results}
        households = dict(
            session.execute(
                select(Household.key, Household.id)
                .join(Stop, Stop.id == Household.stop_id)
                .join(Turf, Turf.id == Stop.turf_id)
                .where(
                    Turf.plan_id == link.plan_id,
                    Turf.code == link.turf_code,
                    Household.key.in_(keys),
                )
            ).all()
        )
        voter_ids = {r.voter_id for r in results if r.voter_id is not None}
        voters = set(
            session.execute(
                select(Voter.voter_code, Voter.household_id).where(
                    Voter.plan_id == link.plan_id,
                    Voter.voter_code.in_(voter_ids),
                    Voter.household_id.in_(list(households.values())),
                )
            ).all()
        )
        for i, item in enumerate(results):
            household = households.get(item.household_id)
            if household is None:
                problems.append(
                    f"results[{i}].household_id: {item.household_id!r} is not a household "
                    "of this link's turf"
                )
            elif item.voter_id is not None and (item.voter_id, household) not in voters:
                problems.append(
                    f"results[{i}].voter_id: {item.voter_id!r} is not a voter of that household"
                )
        if problems:
            raise ResultRejectedError(problems)

        seen: set[str] = set()
        rows: list[dict[str, Any]] = []
        for item in results:
            if item.client_id in seen:
                continue
            seen.add(item.client_id)
            rows.append(
                {
                    "client_id": item.client_id,
                    "plan_id": link.plan_id,
                    "household_id": households[item.household_id],
                    "voter_code": item.voter_id,
                    "code": item.code,
                    "answers": dict(item.answers),
                    "notes": item.notes,
                    "turf_code": link.turf_code,
                    "link_id": link.id,
                    "recorded_at": as_utc(item.recorded_at),
                    "received_at": now,
                }
            )
        dialect = postgresql if db.backend == "postgresql" else sqlite
        statement = (
            dialect.insert(Result)
            .values(rows)
            .on_conflict_do_nothing(index_elements=["client_id"])
            .returning(Result.client_id)
        )
        inserted = set(session.scalars(statement).all())
    stored = [r["client_id"] for r in rows if r["client_id"] in inserted]
    duplicates = [r.client_id for r in results if r.client_id not in inserted]
    return stored, list(dict.fromkeys(duplicates))


def turf_results(db: Database, plan_id: int, turf_code: str) -> list[dict[str, Any]]:
    """Results stored for the households the turf visits now (whichever turf recorded them)."""
    with db.reading() as session:
        rows = session.execute(
            select(
                Result.client_id, Household.key, Result.voter_code, Result.code, Result.recorded_at
            )
            .join(Household, Household.id == Result.household_id)
            .join(Stop, Stop.id == Household.stop_id)
            .join(Turf, Turf.id == Stop.turf_id)
            .where(Turf.plan_id == plan_id, Turf.code == turf_code)
            .order_by(Result.recorded_at, Result.id)
        ).all()
    return [
        {
            "client_id": client_id,
            "household_id": key,
            "voter_id": voter,
            "code": code,
            "recorded_at": as_utc(recorded_at).isoformat(),
        }
        for client_id, key, voter, code, recorded_at in rows
    ]


def count_results(db: Database) -> int:
    """How many results are stored (all plans)."""
    with db.reading() as session:
        return int(session.scalar(select(func.count()).select_from(Result)) or 0)


@dataclass(frozen=True)
class VoterResult:
    """A stored result as it applies to one voter (a whole-door result to each voter there)."""

    result: Result
    voter: Voter
    canvassed_by: str
    """The link's label, or ``Volunteer link <id>``."""


def results_per_voter(db: Database, plan: str) -> list[VoterResult] | None:
    """The plan's results, one row per voter they apply to, oldest first; None: no such plan."""
    with db.reading() as session:
        plan_id = session.scalar(select(Plan.id).where(Plan.name == plan))
        if plan_id is None:
            return None
        results = session.execute(
            select(Result, VolunteerLink.label)
            .outerjoin(VolunteerLink, VolunteerLink.id == Result.link_id)
            .where(Result.plan_id == plan_id)
            .order_by(Result.recorded_at, Result.id)
        ).all()
        voters: dict[int, list[Voter]] = {}
        for voter in session.scalars(select(Voter).join(Household).where(Voter.plan_id == plan_id)):
            voters.setdefault(voter.household_id, []).append(voter)
    rows: list[VoterResult] = []
    for result, label in results:
        people = voters.get(result.household_id, [])
        if result.voter_code is not None:
            people = [v for v in people if v.voter_code == result.voter_code]
        by = label or (f"Volunteer link {result.link_id}" if result.link_id else "")
        rows.extend(VoterResult(result, voter, by) for voter in people)
    return rows
