"""Importing plan folders (written by ``canvass plan``/``canvass demo``) into the database.

An import is one write transaction: the plan's turfs, routes, stops and voters are replaced
by the folder's, households are matched by their stable key (so results stay attached to
their doors across re-cuts), and an unchanged folder (same digest) is skipped.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session

from app.plan_folder import VOTER_DATA_COLUMNS, WALKLIST_COLUMNS, PlanFolder, PlanFolderError
from app.spreadsheet import restore_frame
from app.store.engine import Database, utcnow
from app.store.keys import household_key
from app.store.models import Household, Plan, Precinct, Route, Stop, Turf, Voter

STOP_COLUMNS = ("stop_id", "turf", "sequence", "address", "precinct", "doors", "lat", "lon")


class PlanImportError(ValueError):
    """A plan folder that cannot be imported; the message names the file and what is wrong."""


@dataclass(frozen=True)
class ImportReport:
    """What an import did."""

    plan: str
    imported: bool
    """False when the folder was unchanged since the last import."""
    turfs: int = 0
    stops: int = 0
    households: int = 0
    voters: int = 0


def _digest(folder: PlanFolder) -> str:
    sha = hashlib.sha256()
    files = [folder.summary_path, folder.stops_path, folder.routes_path, folder.voter_data_path]
    files += folder.walklist_csvs()
    for path in files:
        if path.is_file():
            sha.update(path.name.encode())
            sha.update(path.read_bytes())
    return sha.hexdigest()


def _read_csv(path: Path, columns: tuple[str, ...]) -> pd.DataFrame:
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    except FileNotFoundError:
        raise PlanImportError(f"{path}: file missing; re-run `canvass plan` to write it") from None
    except (UnicodeDecodeError, pd.errors.ParserError) as exc:
        raise PlanImportError(f"{path}: not a readable UTF-8 CSV ({exc})") from None
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise PlanImportError(f"{path}: missing column(s) {', '.join(missing)}")
    return restore_frame(frame)


def _number(value: Any, path: Path, column: str, row: int) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise PlanImportError(
            f"{path}, row {row + 2}, column {column}: {value!r} is not a number"
        ) from None
    if not math.isfinite(number):
        raise PlanImportError(f"{path}, row {row + 2}, column {column}: {value!r} is not finite")
    return number


def _voter_rows(folder: PlanFolder) -> list[pd.DataFrame]:
    """The voters with every field: ``voter_data.csv``, else (older plans) the walk-list CSVs.

    The walk lists hold only the fields the organiser chose for paper (issue 21), so a plan
    written with ``voter_data.csv`` is imported from it.
    """
    if folder.voter_data_path.is_file():
        return [_read_csv(folder.voter_data_path, VOTER_DATA_COLUMNS)]
    return [_read_csv(path, WALKLIST_COLUMNS) for path in folder.walklist_csvs()]


def _optional_int(value: str) -> int | None:
    try:
        return int(float(value)) if value.strip() else None
    except ValueError:
        return None


def _routes(path: Path) -> dict[str, list[list[float]]]:
    if not path.is_file():
        return {}
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise PlanImportError(f"{path}: not valid GeoJSON ({exc})") from None
    routes: dict[str, list[list[float]]] = {}
    for feature in document.get("features", []):
        turf = str((feature.get("properties") or {}).get("turf", ""))
        geometry = feature.get("geometry") or {}
        coordinates = geometry.get("coordinates") or []
        if geometry.get("type") == "Point":
            coordinates = [coordinates]
        routes[turf] = [[round(c[1], 7), round(c[0], 7)] for c in coordinates]
    return routes


def import_plan(db: Database, folder: Path, *, force: bool = False) -> ImportReport:
    """Import the plan folder ``folder`` (named by its folder name) in one transaction."""
    plan_folder = PlanFolder(Path(folder))
    name = plan_folder.name
    try:
        summary = plan_folder.read_summary()
    except PlanFolderError as exc:
        raise PlanImportError(str(exc)) from None
    digest = _digest(plan_folder)
    with db.reading() as session:
        known = session.scalar(select(Plan.digest).where(Plan.name == name))
    if known == digest and not force:
        return ImportReport(plan=name, imported=False)

    stops = _read_csv(plan_folder.stops_path, STOP_COLUMNS)
    walklists = _voter_rows(plan_folder)
    routes = _routes(plan_folder.routes_path)
    with db.writing() as session:
        return _replace(session, name, digest, summary, plan_folder, stops, walklists, routes)


def _replace(
    session: Session,
    name: str,
    digest: str,
    summary: dict[str, Any],
    folder: PlanFolder,
    stops: pd.DataFrame,
    walklists: list[pd.DataFrame],
    routes: dict[str, list[list[float]]],
) -> ImportReport:
    plan = session.scalar(select(Plan).where(Plan.name == name))
    if plan is None:
        plan = Plan(name=name, digest=digest, summary=summary, imported_at=utcnow())
        session.add(plan)
        session.flush()
    else:
        plan.digest, plan.summary, plan.imported_at = digest, summary, utcnow()
        turf_ids = select(Turf.id).where(Turf.plan_id == plan.id)
        session.execute(delete(Voter).where(Voter.plan_id == plan.id))
        session.execute(update(Household).where(Household.plan_id == plan.id).values(stop_id=None))
        session.execute(delete(Stop).where(Stop.plan_id == plan.id))
        session.execute(delete(Route).where(Route.turf_id.in_(turf_ids)))
        session.execute(delete(Turf).where(Turf.plan_id == plan.id))
        session.execute(delete(Precinct).where(Precinct.plan_id == plan.id))
    plan_id = plan.id

    turf_rows: dict[str, Turf] = {}
    for entry in summary.get("turfs", []):
        code = str(entry.get("turf", ""))
        if not code:
            raise PlanImportError(f"{folder.summary_path}: a turf without its 'turf' id")
        lat, lon = entry.get("drop_off_lat"), entry.get("drop_off_lon")
        turf = Turf(
            plan_id=plan_id,
            code=code,
            precinct=str(entry.get("precinct") or ""),
            doors=int(entry.get("doors") or 0),
            stops=int(entry.get("stops") or 0),
            voters=int(entry.get("voters") or 0),
            minutes=float(entry.get("minutes") or 0.0),
            walk_m=float(entry.get("walk_m") or 0.0),
            drop_off_lat=float(lat) if _finite(lat) else None,
            drop_off_lon=float(lon) if _finite(lon) else None,
        )
        turf.route = Route(points=routes.get(code, []))
        turf_rows[code] = turf
        session.add(turf)
    session.flush()

    stops_path = folder.stops_path
    stop_rows: dict[str, Stop] = {}
    for i, row in enumerate(stops.itertuples(index=False)):
        turf_code = str(row.turf)
        if turf_code not in turf_rows:
            raise PlanImportError(
                f"{stops_path}, row {i + 2}: turf {turf_code!r} is not in summary.json"
            )
        stop = Stop(
            plan_id=plan_id,
            turf_id=turf_rows[turf_code].id,
            stop_code=str(row.stop_id),
            sequence=int(_number(row.sequence, stops_path, "sequence", i)),
            address=str(row.address),
            precinct=str(row.precinct),
            doors=int(_number(row.doors, stops_path, "doors", i)),
            lat=_number(row.lat, stops_path, "lat", i),
            lon=_number(row.lon, stops_path, "lon", i),
        )
        stop_rows[stop.stop_code] = stop
        session.add(stop)
    session.flush()
    for code in sorted({s.precinct for s in stop_rows.values()} - {""}):
        session.add(Precinct(plan_id=plan_id, code=code))

    existing = {
        key: household
        for key, household in session.execute(
            select(Household.key, Household).where(Household.plan_id == plan_id)
        ).all()
    }
    by_run_id: dict[tuple[str, str], Household] = {}
    claimed: dict[str, str] = {}  # key -> stop code that claimed it in this import
    voters: list[dict[str, Any]] = []
    for frame in walklists:
        for row in frame.itertuples(index=False):
            place = stop_rows.get(str(row.stop_id))
            if place is None:
                continue
            run_id = (place.stop_code, str(row.household_id))
            household = by_run_id.get(run_id)
            if household is None:
                key = household_key(place.address, str(row.unit), place.lat, place.lon)
                if claimed.get(key, place.stop_code) != place.stop_code:
                    # The same address text at another place: tell them apart by the point.
                    key = household_key(
                        f"{place.address}@{place.lat:.5f},{place.lon:.5f}", str(row.unit)
                    )
                claimed[key] = place.stop_code
                household = existing.get(key)
                if household is None:
                    household = Household(plan_id=plan_id, key=key)
                    session.add(household)
                    existing[key] = household
                household.address, household.unit, household.stop_id = (
                    place.address,
                    str(row.unit),
                    place.id,
                )
                by_run_id[run_id] = household
            voters.append(
                {
                    "household": household,
                    "voter_code": str(row.voter_id),
                    "first_name": str(row.first_name),
                    "last_name": str(row.last_name),
                    "age": _optional_int(str(row.age)),
                    "party": str(row.party),
                    "support_score": _optional_int(str(row.support_score)),
                    "turnout_score": _optional_int(str(row.turnout_score)),
                }
            )
    session.flush()
    if voters:
        session.execute(
            insert(Voter),
            [
                {**{k: v for k, v in voter.items() if k != "household"}, "plan_id": plan_id}
                | {"household_id": voter["household"].id}
                for voter in voters
            ],
        )
    return ImportReport(
        plan=name,
        imported=True,
        turfs=len(turf_rows),
        stops=len(stop_rows),
        households=len(by_run_id),
        voters=len(voters),
    )


def _finite(value: Any) -> bool:
    return isinstance(value, int | float) and math.isfinite(value)
