"""The workspace: a folder of plan folders (or a single plan folder) and its import.

Plans are folders written by ``canvass plan``/``canvass demo``; their ``summary.json`` is read
on request (cheap). At start-up the plan folders are imported into the database
(``app.store.plans``), where volunteer links and the results recorded at doors live.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Any

from app.errors import NotFoundError
from app.plan_folder import PlanFolder, is_plan
from app.store.audit import audit
from app.store.engine import SQLITE_FILE, Database
from app.store.plans import ImportReport, PlanImportError, import_plan

logger = logging.getLogger(__name__)

PLAN_NAME = re.compile(r"^[\w.-]+$")
STREETS_FOLDER = "streets"
"""Street data an administrator offers to plans made in the browser."""


class Workspace:
    """A folder of plan folders (or a single plan folder)."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()

    @property
    def files_root(self) -> Path:
        """The folder whose children are plan folders."""
        return self.root.parent if is_plan(self.root) else self.root

    @property
    def uploads_dir(self) -> Path:
        """Where uploaded voter files and precinct layers are kept."""
        return self.files_root / SQLITE_FILE.parent / "uploads"

    @property
    def streets_dir(self) -> Path:
        """Street data files offered to plans made in the browser."""
        return self.files_root / STREETS_FOLDER

    def plans(self) -> list[str]:
        """Names of the plans, sorted."""
        if is_plan(self.root):
            return [self.root.name]
        if not self.root.is_dir():
            return []
        return sorted(
            p.name
            for p in self.root.iterdir()
            if p.is_dir() and not p.name.startswith(".") and is_plan(p)
        )

    def folder(self, name: str) -> PlanFolder:
        """The folder of plan ``name``; ``NotFoundError`` when there is no such plan."""
        if not PLAN_NAME.match(name) or name not in self.plans():
            raise NotFoundError(f"no plan named {name!r}")
        return PlanFolder(self.files_root / name)

    def plan_dir(self, name: str) -> Path:
        """The path of plan ``name``'s folder; ``NotFoundError`` when there is no such plan."""
        return self.folder(name).path

    def summary(self, name: str) -> dict[str, Any]:
        """The ``summary.json`` of plan ``name``; ``NotFoundError`` when there is no such plan."""
        return self.folder(name).read_summary()

    def plan_folders(self) -> list[Path]:
        """Every plan folder of the workspace."""
        return [self.files_root / name for name in self.plans()]

    def import_all(self, db: Database) -> None:
        """Import the plan folders; a folder that cannot be read is logged and skipped."""
        for folder in self.plan_folders():
            try:
                report = import_plan(db, folder)
            except PlanImportError as exc:
                logger.warning("plan %s not imported: %s", folder.name, exc)
                continue
            if report.imported:
                logger.info(
                    "imported plan %s: %d turfs, %d stops", folder.name, report.turfs, report.stops
                )

    def reimport(self, db: Database, *, user_id: int | None) -> list[ImportReport]:
        """Import every plan folder again (unchanged ones are skipped), in the audit log.

        Raises ``PlanImportError`` at the first folder that cannot be imported.
        """
        reports = []
        for folder in self.plan_folders():
            report = import_plan(db, folder)
            reports.append(report)
            if report.imported:
                with db.writing() as session:
                    audit(session, "plan.import", report.plan, user_id=user_id)
        return reports
