"""Privacy requests: erase a person, export what is held about them, sweep ended plans.

An erasure stores a tombstone (salted hashes of the voter id and of their name and address,
``app.store.privacy``), deletes their rows from the database, and makes every plan folder that
held them again from its recorded inputs with them left out (``app.outputs.writer.write_plan``
carries the untouched turfs' files over), so no walk list, map or CSV names them. The audit
entry names only the tombstone. The retention sweep reduces plans nobody has touched for
``retention_days`` to what the dashboards count: walk lists without names, no printed lists.
"""

from __future__ import annotations

import logging
import tempfile
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy import func, select, update

from app.outputs.writer import write_plan
from app.plan_folder import VOTER_COLUMNS, PlanFolder, PlanFolderError
from app.planning.pipeline import run_plan
from app.planning.progress import Progress
from app.planning.request import PlanInputsError, request_from_plan
from app.privacy.keys import DO_NOT_CONTACT, ERASED, hash_key, key_texts
from app.privacy.lists import read_do_not_contact
from app.services.privacy_files import erase_from_uploads
from app.services.workspace import Workspace
from app.spreadsheet import neutralise_frame, restore_frame
from app.store.audit import audit
from app.store.engine import Database, as_utc, utcnow
from app.store.models import Plan, Result, VolunteerLink
from app.store.plans import import_plan
from app.store.privacy import add_keys, erase_voter_rows, privacy_keys, voter_records
from geo._errors import InputError
from geo.archives import DEFAULT_ARCHIVE_LIMITS, ArchiveLimits

logger = logging.getLogger(__name__)

PERSON_COLUMNS = ("voter_id", "first_name", "last_name", "address", "unit")


@dataclass(frozen=True)
class Remaking:
    """What re-making a plan folder needs (from the settings)."""

    graph_cache_dir: Path | None = None
    archive_limits: ArchiveLimits = DEFAULT_ARCHIVE_LIMITS
    public_url: str | None = None


@dataclass
class ErasureReport:
    """What an erasure did, without saying who it was for."""

    tombstone: str
    plans_remade: list[str] = field(default_factory=list)
    plans_scrubbed: list[str] = field(default_factory=list)
    """Plans whose inputs are gone: the person's rows were cut out of the files instead."""
    database: dict[str, Any] = field(default_factory=dict)
    input_files: list[str] = field(default_factory=list)
    """Input files (the organiser's own) that still hold the voter id: remove them there."""
    uploads_rewritten: int = 0
    """Uploaded voter files (in the workspace) the person's rows were cut out of."""


def check_voter_id(voter_id: str) -> str:
    """The voter id of a request, trimmed (``InputError`` when blank)."""
    voter_id = voter_id.strip()
    if not voter_id:
        raise InputError("give the voter id (--voter ID) of the person")
    return voter_id


def _read(path: Path) -> pd.DataFrame:
    return restore_frame(pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8"))


def folder_rows(folder: PlanFolder, voter_id: str) -> dict[str, list[dict[str, str]]]:
    """The rows of the plan folder's CSVs (walk lists, rejected rows) with ``voter_id``."""
    found: dict[str, list[dict[str, str]]] = {}
    for path in [*folder.walklist_csvs(), folder.voter_data_path, folder.rejected_path]:
        if not path.is_file():
            continue
        frame = _read(path)
        if "voter_id" not in frame:
            continue
        rows = frame.loc[frame["voter_id"].str.strip() == voter_id]
        if len(rows):
            records = rows.to_dict(orient="records")
            found[str(path.relative_to(folder.path))] = [
                {str(k): str(v) for k, v in r.items()} for r in records
            ]
    return found


def _input_files(folder: PlanFolder, voter_id: str) -> list[str]:
    """The plan's input voter file, if it still holds ``voter_id`` (searched as bytes)."""
    try:
        path = Path(str(folder.read_summary()["inputs"]["voters"]))
        return [str(path)] if path.is_file() and voter_id.encode() in path.read_bytes() else []
    except (PlanFolderError, KeyError, TypeError, OSError):
        return []


def _person_texts(voter_id: str, rows: list[dict[str, Any]]) -> set[str]:
    texts = {f"id:{voter_id}"}
    if rows:
        frame = pd.DataFrame(rows).reindex(columns=list(PERSON_COLUMNS)).fillna("").astype(str)
        found = key_texts(frame)
        texts |= {t for t in found["person"] if t}
    return texts


def erase_voter(
    db: Database,
    workspace: Workspace,
    voter_id: str,
    *,
    remaking: Remaking | None = None,
    user_id: int | None = None,
    progress: Progress | None = None,
) -> ErasureReport:
    """Erase voter ``voter_id`` from the database and every plan folder; keep a tombstone.

    ``progress`` hears the stages (``find_person``, ``erase_database``, ``remake_plans`` with
    one count per plan that held them): a background job shows them (``privacy_jobs``).
    """
    voter_id = check_voter_id(voter_id)
    remaking = remaking or Remaking()
    progress = progress or Progress()
    progress.stage("find_person")
    held = {p.name: folder_rows(PlanFolder(p), voter_id) for p in workspace.plan_folders()}
    rows = [row for found in held.values() for file in found.values() for row in file]
    rows += voter_records(db, voter_id)
    add_keys(db, _person_texts(voter_id, rows), kind=ERASED, source="request")
    keys = privacy_keys(db)
    report = ErasureReport(tombstone=tombstone(keys.salt, voter_id))
    progress.stage("erase_database")
    with db.writing() as session:
        report.database = erase_voter_rows(session, voter_id)
    report.uploads_rewritten, report.input_files = erase_from_uploads(
        db, workspace.uploads_dir, voter_id
    )
    plans = sorted(n for n, found in held.items() if found)
    progress.stage("remake_plans", total=len(plans))
    for name in plans:
        folder = PlanFolder(workspace.files_root / name)
        inside = workspace.uploads_dir
        report.input_files += [
            f for f in _input_files(folder, voter_id) if not Path(f).is_relative_to(inside)
        ]
        try:
            request = request_from_plan(
                folder.path,
                graph_cache_dir=remaking.graph_cache_dir,
                archive_limits=remaking.archive_limits,
            )
        except PlanInputsError as exc:
            logger.warning("plan %s cannot be made again (%s): cutting rows out", name, exc)
            _scrub(folder, voter_id)
            report.plans_scrubbed.append(name)
        else:
            url = folder.read_summary().get("public_url") or remaking.public_url
            plan = run_plan(replace(request, privacy=keys))
            write_plan(plan, folder.path, public_url=url)
            report.plans_remade.append(name)
        import_plan(db, folder.path, force=True)
        progress.advance()
    with db.writing() as session:
        audit(
            session,
            "privacy.erase",
            report.tombstone,
            user_id=user_id,
            plans=len(report.plans_remade) + len(report.plans_scrubbed),
            voter_rows=report.database.get("voter_rows", 0),
            results=report.database.get("results", 0),
        )
    return report


def tombstone(salt: str, voter_id: str) -> str:
    """How an erasure is named in the audit log and on the admin page (no personal data)."""
    return hash_key(salt, f"id:{voter_id.strip()}")[:16]


def _scrub(folder: PlanFolder, voter_id: str) -> None:
    """Cut ``voter_id``'s rows out of a plan whose inputs are gone; drop its printed lists."""
    for path in folder.walklist_csvs():
        frame = _read(path)
        keep = frame["voter_id"].str.strip() != voter_id
        if keep.all():
            continue
        neutralise_frame(frame.loc[keep]).to_csv(path, index=False)
        for suffix in ("html", "pdf"):
            path.with_suffix(f".{suffix}").unlink(missing_ok=True)
    if folder.voter_data_path.is_file():
        frame = _read(folder.voter_data_path)
        keep = frame["voter_id"].str.strip() != voter_id
        neutralise_frame(frame.loc[keep]).to_csv(folder.voter_data_path, index=False)
    if folder.rejected_path.is_file():
        frame = _read(folder.rejected_path)
        if "voter_id" in frame:
            hit = frame["voter_id"].str.strip() == voter_id
            frame.loc[hit, [c for c in frame.columns if c not in ("row", "reason")]] = ""
            neutralise_frame(frame).to_csv(folder.rejected_path, index=False)


def store_do_not_contact_list(
    db: Database,
    filename: str,
    data: bytes,
    *,
    user_id: int | None = None,
    archive_limits: ArchiveLimits = DEFAULT_ARCHIVE_LIMITS,
) -> dict[str, int]:
    """Read an uploaded do-not-contact list and keep its hashed keys; the file is not kept.

    Raises ``InputError`` naming the rows that say no one, or a file that cannot be read.
    """
    suffix = Path(filename).suffix.lower() or ".csv"
    with tempfile.TemporaryDirectory(prefix="canvass-dnc-") as folder:
        path = Path(folder) / f"do-not-contact{suffix}"
        path.write_bytes(data)
        texts = read_do_not_contact(path, archive_limits=archive_limits)
    added = add_keys(db, texts, kind=DO_NOT_CONTACT, source="list")
    with db.writing() as session:
        audit(session, "privacy.do_not_contact", "upload", user_id=user_id, keys=len(texts))
    return {"keys": len(texts), "new": added}


def export_voter(db: Database, workspace: Workspace, voter_id: str) -> dict[str, Any]:
    """Everything held about voter ``voter_id``: database rows, plan files' rows, status."""
    voter_id = check_voter_id(voter_id)
    keys = privacy_keys(db)
    ids = key_texts(pd.DataFrame({"voter_id": [voter_id]}))["voter"]
    hashed = set(keys.hashes(ids))
    files = {}
    inputs: list[str] = []
    for path in workspace.plan_folders():
        folder = PlanFolder(path)
        found = folder_rows(folder, voter_id)
        if found:
            files[folder.name] = found
            inputs += _input_files(folder, voter_id)
    return {
        "voter_id": voter_id,
        "exported_at": utcnow().isoformat(),
        "status": {
            "do_not_contact": bool(hashed & keys.do_not_contact),
            "erased": bool(hashed & keys.erased),
        },
        "database": voter_records(db, voter_id),
        "plan_files": files,
        "input_files": sorted(set(inputs)),
    }


def _last_activity(db: Database, folder: PlanFolder) -> datetime:
    """When the plan was last written or had a result recorded."""
    written = datetime.fromtimestamp(folder.summary_path.stat().st_mtime).astimezone()
    with db.reading() as session:
        received = session.scalar(
            select(func.max(Result.received_at))
            .join(Plan, Plan.id == Result.plan_id)
            .where(Plan.name == folder.name)
        )
    return max(as_utc(written), as_utc(received)) if received else as_utc(written)


def reduce_plan(db: Database, folder: PlanFolder, *, retention_days: int) -> None:
    """Reduce an ended plan to aggregates: walk lists and voter data keep doors, lose names.

    Voters keep their door, turf and scores (the dashboard's figures and heatmaps), under
    a number in place of their id; names, ages, parties and notes go, with the printed and
    downloadable lists.
    """
    personal = [c for c in VOTER_COLUMNS if c not in ("support_score", "turnout_score")]
    numbers: dict[str, str] = {}  # voter id -> its number, the same in every file
    for path in [*folder.walklist_csvs(), folder.voter_data_path]:
        if not path.is_file():
            continue
        frame = _read(path)
        ids = [numbers.setdefault(v.strip() or f"#{path}{i}", f"v{len(numbers) + 1}")
               for i, v in enumerate(frame["voter_id"])]  # fmt: skip
        frame[[c for c in (*personal, "notes") if c in frame]] = ""
        frame["voter_id"] = ids
        neutralise_frame(frame).to_csv(path, index=False)
        if path.parent == folder.walklists_dir:
            for suffix in ("html", "pdf"):
                path.with_suffix(f".{suffix}").unlink(missing_ok=True)
    if folder.rejected_path.is_file():
        frame = _read(folder.rejected_path)
        kept = [c for c in ("row", "reason") if c in frame]
        neutralise_frame(frame[kept]).to_csv(folder.rejected_path, index=False)
    document = folder.read_summary()
    now = utcnow()
    document.setdefault("privacy", {})["retention"] = {
        "reduced_at": now.isoformat(timespec="seconds"),
        "after_days": retention_days,
    }
    folder.write_summary(document)
    import_plan(db, folder.path, force=True)
    with db.writing() as session:
        plan_id = session.scalar(select(Plan.id).where(Plan.name == folder.name))
        session.execute(
            update(Result).where(Result.plan_id == plan_id).values(notes="", voter_code=None)
        )
        session.execute(
            update(VolunteerLink)
            .where(VolunteerLink.plan_id == plan_id, VolunteerLink.expires_at > now)
            .values(expires_at=now)
        )
        audit(session, "privacy.retention", folder.name, after_days=retention_days)


def sweep(
    db: Database, workspace: Workspace, *, retention_days: int, now: datetime | None = None
) -> list[str]:
    """Reduce every plan untouched for ``retention_days`` (and not reduced yet); their names."""
    now = now or utcnow()
    absorbed = privacy_keys(db)  # door opt-outs are kept before their results are reduced
    del absorbed
    reduced = []
    for path in workspace.plan_folders():
        folder = PlanFolder(path)
        try:
            document = folder.read_summary()
        except PlanFolderError:
            continue
        if (document.get("privacy") or {}).get("retention"):
            continue
        if now - _last_activity(db, folder) < timedelta(days=retention_days):
            continue
        reduce_plan(db, folder, retention_days=retention_days)
        reduced.append(folder.name)
    return reduced


__all__ = [
    "DO_NOT_CONTACT",
    "ErasureReport",
    "Remaking",
    "erase_voter",
    "export_voter",
    "reduce_plan",
    "sweep",
]
