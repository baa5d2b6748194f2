"""Results recorded at doors: idempotent by client id, durable once acknowledged."""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType
from typing import Any
from weakref import WeakKeyDictionary

from sqlalchemy import Connection, bindparam, func, select
from sqlalchemy.dialects import postgresql, sqlite

from app.store.engine import Database, as_utc, utcnow
from app.store.links import LinkGrant, LinkInfo, check_link
from app.store.models import Household, Plan, Result, Stop, Turf, VolunteerLink, Voter
from segments.door_results import DOOR_RESULTS, LANGUAGE_MAX, RESULT_CODES

CODES = frozenset(RESULT_CODES)
LANGUAGE_CODES = frozenset(r.code for r in DOOR_RESULTS if r.asks_language)
"""Codes recorded with the language the door speaks (``language_barrier``)."""


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
    language: str | None = None
    """With a ``language_barrier`` result: the language spoken at the door (blank: not known)."""


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


_TURF_HOUSEHOLDS = (
    select(Household.key, Household.id, Plan.imported_at)
    .join(Stop, Stop.id == Household.stop_id)
    .join(Turf, Turf.id == Stop.turf_id)
    .join(Plan, Plan.id == Turf.plan_id)
    .where(Turf.plan_id == bindparam("plan_id"), Turf.code == bindparam("turf_code"))
)
_VOTERS = select(Voter.voter_code, Voter.household_id).where(
    Voter.plan_id == bindparam("plan_id"),
    Voter.voter_code.in_(bindparam("voter_codes", expanding=True)),
    Voter.household_id.in_(bindparam("household_ids", expanding=True)),
)
_INSERT = {
    "postgresql": postgresql.insert(Result)
    .on_conflict_do_nothing(index_elements=["client_id"])
    .returning(Result.client_id),
    "sqlite": sqlite.insert(Result)
    .on_conflict_do_nothing(index_elements=["client_id"])
    .returning(Result.client_id),
}
"""Per backend: insert a result unless its client id is stored already; returns the stored."""


class TurfHouseholdCache:
    """Stable key -> row id of the households each turf visits, per import of its plan.

    An import replaces a plan's stops and turfs (a household keeps its row but may move to
    another turf or leave the plan) and sets ``Plan.imported_at``. An entry is used only
    while its plan's ``imported_at`` is the one it was read with, and every post reads that
    afresh with its link (:func:`app.store.links.check_link`), so a re-import by this process
    or another is seen on the next post. Entries are read with their ``imported_at`` in one
    query, so an import between two statements cannot file a turf under the wrong import.
    """

    MAX_TURFS = 10_000
    """Entries kept at most (all are dropped when it is reached): about 1 MB per 1,000 turfs."""

    def __init__(self) -> None:
        self._entries: dict[tuple[int, str], tuple[datetime, Mapping[str, int]]] = {}
        self._lock = threading.Lock()

    def households(self, connection: Connection, link: LinkGrant) -> Mapping[str, int]:
        """The households of ``link``'s turf in the plan as ``link`` saw it (read-only)."""
        place = (link.plan_id, link.turf_code)
        entry = self._entries.get(place)
        if entry is not None and entry[0] == link.plan_imported_at:
            return entry[1]
        rows = connection.execute(
            _TURF_HOUSEHOLDS, {"plan_id": link.plan_id, "turf_code": link.turf_code}
        ).all()
        households: Mapping[str, int] = MappingProxyType({key: id_ for key, id_, _ in rows})
        if rows:
            with self._lock:
                if len(self._entries) >= self.MAX_TURFS:
                    self._entries.clear()
                self._entries[place] = (rows[0][2], households)
        return households


_caches: WeakKeyDictionary[Database, TurfHouseholdCache] = WeakKeyDictionary()
_caches_lock = threading.Lock()


def household_cache(db: Database) -> TurfHouseholdCache:
    """The turf household cache of ``db`` (one per open database)."""
    with _caches_lock:
        cache = _caches.get(db)
        if cache is None:
            cache = _caches[db] = TurfHouseholdCache()
        return cache


def _language(item: NewResult) -> str | None:
    """The result's language as stored: trimmed, None when blank."""
    return " ".join((item.language or "").split()) or None


def _code_problems(results: Sequence[NewResult]) -> list[str]:
    """What is wrong with the codes (and the languages that go with them) of ``results``."""
    problems: list[str] = []
    for i, item in enumerate(results):
        language = _language(item)
        if item.code not in CODES:
            problems.append(
                f"results[{i}].code: unknown response code {item.code!r}; "
                f"use one of {', '.join(RESULT_CODES)}"
            )
        elif language is not None and item.code not in LANGUAGE_CODES:
            problems.append(
                f"results[{i}].language: only a {' or '.join(sorted(LANGUAGE_CODES))} result "
                f"has a language, not {item.code!r}"
            )
        if language is not None and len(language) > LANGUAGE_MAX:
            problems.append(
                f"results[{i}].language: at most {LANGUAGE_MAX} characters, got {len(language)}"
            )
    return problems


def _store(
    connection: Connection,
    backend: str,
    link: tuple[int, int, str],
    households: Mapping[str, int],
    results: Sequence[NewResult],
    problems: list[str],
) -> tuple[list[str], list[str]]:
    """Check ``results`` against the turf's ``households`` and insert the new ones."""
    link_id, plan_id, turf_code = link
    voter_codes = {r.voter_id for r in results if r.voter_id is not None}
    voters: set[tuple[str, int]] = set()
    if voter_codes:
        wanted = {households[r.household_id] for r in results if r.household_id in households}
        voters = {
            (code, household)
            for code, household in connection.execute(
                _VOTERS,
                {
                    "plan_id": plan_id,
                    "voter_codes": sorted(voter_codes),
                    "household_ids": sorted(wanted),
                },
            )
        }
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

    now = utcnow()
    seen: set[str] = set()
    rows: list[dict[str, Any]] = []
    for item in results:
        if item.client_id in seen:
            continue
        seen.add(item.client_id)
        rows.append(
            {
                "client_id": item.client_id,
                "plan_id": plan_id,
                "household_id": households[item.household_id],
                "voter_code": item.voter_id,
                "code": item.code,
                "answers": dict(item.answers),
                "notes": item.notes,
                "language": _language(item),
                "turf_code": turf_code,
                "link_id": link_id,
                "recorded_at": as_utc(item.recorded_at),
                "received_at": now,
            }
        )
    inserted = set(connection.scalars(_INSERT[backend], rows).all())
    stored = [r["client_id"] for r in rows if r["client_id"] in inserted]
    duplicates = [r.client_id for r in results if r.client_id not in inserted]
    return stored, list(dict.fromkeys(duplicates))


def post_results(
    db: Database,
    token: str,
    results: Sequence[NewResult],
    *,
    admit: Callable[[int], None] | None = None,
) -> tuple[list[str], list[str]]:
    """Store ``results`` posted through the link of ``token``; returns (stored, duplicate) ids.

    In one write transaction (shared with other posts on SQLite, see
    :meth:`~app.store.engine.Database.write_together`): the link is checked (raises
    LinkNotFoundError or LinkGoneError), ``admit(link_id)`` may refuse the post by raising (a
    rate limit), then as :func:`record_results`; the turf's households come from
    :class:`TurfHouseholdCache`. The insert is the only write, and the last statement.
    """
    problems = _code_problems(results)
    cache = household_cache(db)
    backend = db.backend

    def store(connection: Connection) -> tuple[list[str], list[str]]:
        link = check_link(connection, token)
        if admit is not None:
            admit(link.id)
        households = cache.households(connection, link)
        link_facts = (link.id, link.plan_id, link.turf_code)
        return _store(connection, backend, link_facts, households, results, list(problems))

    return db.write_together(store)


def record_results(
    db: Database, link: LinkInfo, results: Sequence[NewResult]
) -> tuple[list[str], list[str]]:
    """Store ``results`` for ``link`` in one transaction; returns (stored, duplicate) client ids.

    Raises ResultRejectedError (nothing stored) when a code is unknown, a household is not in
    the link's turf or a voter is not in its household.
    """
    problems = _code_problems(results)
    with db.write_connection() as connection:
        households = {
            key: id_
            for key, id_, _ in connection.execute(
                _TURF_HOUSEHOLDS, {"plan_id": link.plan_id, "turf_code": link.turf_code}
            )
        }
        return _store(
            connection,
            db.backend,
            (link.id, link.plan_id, link.turf_code),
            households,
            results,
            problems,
        )


def turf_results(db: Database, plan_id: int, turf_code: str) -> list[dict[str, Any]]:
    """Results stored for the households the turf visits now (whichever turf recorded them)."""
    with db.reading() as session:
        rows = session.execute(
            select(
                Result.client_id,
                Household.key,
                Result.voter_code,
                Result.code,
                Result.language,
                Result.recorded_at,
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
            "language": language,
            "recorded_at": as_utc(recorded_at).isoformat(),
        }
        for client_id, key, voter, code, language, recorded_at in rows
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
