"""The web app: a workspace's plans, each with its turfs, maps and walk lists.

Plans are folders written by ``canvass plan``/``canvass demo``; the server reads their
``summary.json`` once per request of the index (cheap) and serves their files as they are.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from fastapi import FastAPI, HTTPException
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles

from app.assets import static_dir
from app.walklists import render_page

_PLAN_NAME = re.compile(r"^[\w.-]+$")


def _is_plan(folder: Path) -> bool:
    return (folder / "summary.json").is_file()


class Workspace:
    """A folder of plan folders (or a single plan folder)."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()

    @property
    def files_root(self) -> Path:
        """The folder whose children are plan folders."""
        return self.root.parent if _is_plan(self.root) else self.root

    def plans(self) -> list[str]:
        """Names of the plans, sorted."""
        if _is_plan(self.root):
            return [self.root.name]
        if not self.root.is_dir():
            return []
        return sorted(
            p.name
            for p in self.root.iterdir()
            if p.is_dir() and not p.name.startswith(".") and _is_plan(p)
        )

    def summary(self, name: str) -> dict[str, Any]:
        """The ``summary.json`` of plan ``name``; 404 when there is no such plan."""
        if not _PLAN_NAME.match(name) or name not in self.plans():
            raise HTTPException(status_code=404, detail=f"no plan named {name!r}")
        document: dict[str, Any] = json.loads(
            (self.files_root / name / "summary.json").read_text(encoding="utf-8")
        )
        return document


def create_app(workspace: Path) -> FastAPI:
    """Build the FastAPI app serving the plans under ``workspace``."""
    space = Workspace(workspace)
    app = FastAPI(title="Canvass Planner", version="0.1.0")
    app.mount("/static", StaticFiles(directory=static_dir()), name="static")
    space.files_root.mkdir(parents=True, exist_ok=True)
    app.mount("/files", StaticFiles(directory=space.files_root, html=True), name="files")

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def index() -> Any:
        plans = space.plans()
        if len(plans) == 1:
            return RedirectResponse(f"/plans/{plans[0]}", status_code=307)
        return render_page("index.html", plans=plans, workspace=str(space.root))

    @app.get("/plans/{name}", response_class=HTMLResponse, include_in_schema=False)
    def plan_page(name: str) -> str:
        return render_page("plan.html", name=name, summary=space.summary(name))

    @app.get("/api/plans")
    def list_plans() -> list[str]:
        """Names of the plans in the workspace."""
        return space.plans()

    @app.get("/api/plans/{name}")
    def plan_summary(name: str) -> dict[str, Any]:
        """The plan's ``summary.json``: counts at every stage, turfs, timings."""
        return space.summary(name)

    return app
