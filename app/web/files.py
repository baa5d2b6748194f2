"""Plan folders served as files (``/files/<plan>/...``): maps, walk lists, CSVs."""

from __future__ import annotations

from pathlib import Path

from fastapi import HTTPException, Request
from fastapi.responses import Response
from fastapi.staticfiles import StaticFiles
from starlette.types import Scope

from app.plan_folder import REJECTED, SUGGESTION, VOTER_DATA, WALKLISTS
from app.services.workspace import Workspace
from app.web.deps import WRITERS, Gate

NAMED_FILES = frozenset({WALKLISTS, REJECTED, VOTER_DATA, SUGGESTION})
"""Files of a plan that name voters or volunteers: organisers and admins only (managers see
aggregates)."""


class PlanFiles(StaticFiles):
    """A plan's files, only inside plan folders (never ``.canvass/`` or other dotfiles)."""

    def __init__(self, space: Workspace, gate: Gate) -> None:
        super().__init__(directory=space.files_root, html=True)
        self.space = space
        self.gate = gate

    async def get_response(self, path: str, scope: Scope) -> Response:
        """404 outside a plan folder, 401 without read access, else the file."""
        parts = Path(path).parts
        if not parts or parts[0] not in self.space.plans() or any(p.startswith(".") for p in parts):
            raise HTTPException(status_code=404, detail="no such file")
        request = Request(scope)
        if not self.gate.can_read_plans(request):
            raise HTTPException(status_code=401, detail="log in first")
        if len(parts) > 1 and parts[1] in NAMED_FILES and self.gate.has_accounts():
            info, _ = self.gate.session(request)
            if info is None or info.account.role not in WRITERS:
                raise HTTPException(
                    status_code=403,
                    detail="walk lists name voters: organisers and admins only",
                )
        return await super().get_response(path, scope)
