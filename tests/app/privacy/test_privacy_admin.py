"""Admins answer access and erasure requests in the browser and the API (SQLite, PostgreSQL)."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from app.cli import main
from app.services.accounts import create_user
from app.settings import Settings
from app.web.app import create_app
from tests.app.privacy.conftest import Inputs, tables_mentioning

PASSWORD = "correct horse battery"


def _finished(client: TestClient, job: str) -> dict[str, Any]:
    for _ in range(600):
        status: dict[str, Any] = client.get(f"/api/privacy/erasures/{job}").json()
        if status["status"] in ("done", "failed"):
            return status
        time.sleep(0.2)
    raise AssertionError(f"erasure {job} did not finish")


def test_admin_exports_then_erases_a_person(
    inputs: Inputs, database_url: str, tmp_path: Path
) -> None:
    workspace = tmp_path / "ws"
    code = main(
        ["-q", "plan", "--voters", str(inputs.voters), "--streets", str(inputs.streets),
         "--precincts", str(inputs.precincts), "--turf-doors", "40",
         "--out", str(workspace / "plan"), "--db", database_url]
    )  # fmt: skip
    assert code == 0
    app = create_app(Settings(workspace=workspace, database_url=database_url))
    db = app.state.services.db
    try:
        create_user(db, "boss", PASSWORD, "admin")
        create_user(db, "org", PASSWORD, "organiser")
        create_user(db, "watcher", PASSWORD, "manager")
        turf = json.loads((workspace / "plan" / "summary.json").read_text())["turfs"][0]["turf"]
        with TestClient(app) as client:
            # Managers see aggregates: the files naming voters are not theirs.
            client.post("/api/login", json={"username": "watcher", "password": PASSWORD})
            assert client.get("/files/plan/summary.json").status_code == 200
            assert client.get(f"/files/plan/walklists/{turf}.csv").status_code == 403
            assert client.get("/files/plan/rejected.csv").status_code == 403
            client.post("/api/login", json={"username": "org", "password": PASSWORD})
            assert client.get(f"/files/plan/walklists/{turf}.csv").status_code == 200
            assert client.get("/admin/privacy").status_code == 403
            assert client.post("/api/privacy/erase", json={"voter_id": "x"}).status_code == 403
            login = client.post("/api/login", json={"username": "boss", "password": PASSWORD})
            csrf = login.json()["csrf_token"]
            page = client.get("/admin/privacy")
            assert page.status_code == 200 and "Privacy requests" in page.text

            uploaded = client.post(
                "/api/uploads/voters",
                files={"file": ("voters.csv", inputs.voters.read_bytes(), "text/csv")},
                headers={"X-CSRF-Token": csrf},
            )
            assert uploaded.status_code == 201, uploaded.text
            export = client.get("/api/privacy/export", params={"voter_id": inputs.erased_id})
            assert export.status_code == 200
            assert "attachment" in export.headers["content-disposition"]
            assert export.json()["database"][0]["last_name"] == "Zoltowska"

            # The request returns at once; the erasure runs as a job the admin follows.
            started = client.post(
                "/api/privacy/erase",
                json={"voter_id": inputs.erased_id},
                headers={"X-CSRF-Token": csrf},
            )
            assert started.status_code == 202, started.text
            assert "Zoltowska" not in started.text and inputs.erased_id not in started.text
            job = started.json()["job"]
            status = _finished(client, job)
            assert status["status"] == "done", status
            assert status["stages_done"] == ["find_person", "erase_database", "remake_plans"]
            assert status["report"]["plans"] == 1 and status["report"]["voter_rows"] == 1
            assert status["tombstone"] == started.json()["tombstone"]
            assert inputs.erased_id not in json.dumps(status)
            page = client.get(f"/admin/privacy?job={job}")
            assert "Erased." in page.text and status["tombstone"] in page.text
            assert client.get("/api/privacy/erasures/nope").status_code == 404
            audit = client.get("/api/audit").json()
            assert audit[0]["action"] == "privacy.erase"
            assert inputs.erased_id not in str(audit[0])
        for path in workspace.rglob("*"):
            if path.is_file() and ".db" not in path.name:
                assert b"Zoltowska" not in path.read_bytes(), path
        assert tables_mentioning(db, "Zoltowska", inputs.erased_id) == []
    finally:
        db.dispose()


def test_an_organiser_uploads_a_do_not_contact_list(
    inputs: Inputs, database_url: str, tmp_path: Path
) -> None:
    workspace = tmp_path / "ws"
    workspace.mkdir()
    app = create_app(Settings(workspace=workspace, database_url=database_url))
    db = app.state.services.db
    try:
        create_user(db, "lister", PASSWORD, "organiser")
        with TestClient(app) as client:
            login = client.post("/api/login", json={"username": "lister", "password": PASSWORD})
            csrf = {"X-CSRF-Token": login.json()["csrf_token"]}
            page = client.get("/plans/new")
            assert "Do not contact" in page.text
            bad = client.post(
                "/api/privacy/do-not-contact",
                files={"file": ("dnc.csv", b"voter_id,first_name\nA1,\n,Ann\n", "text/csv")},
                headers=csrf,
            )
            assert bad.status_code == 422 and "row(s) 3" in bad.text, bad.text
            good = client.post(
                "/api/privacy/do-not-contact",
                files={"file": ("dnc.csv", f"VanID\n{inputs.by_id}\n".encode(), "text/csv")},
                headers=csrf,
            )
            assert good.status_code == 201 and good.json() == {"keys": 1, "new": 1}
        assert not list((workspace / ".canvass").rglob("*dnc*"))  # the file is not kept
    finally:
        db.dispose()
    code = main(
        ["-q", "plan", "--voters", str(inputs.voters), "--streets", str(inputs.streets),
         "--turf-doors", "40", "--out", str(workspace / "plan"), "--db", database_url]
    )  # fmt: skip
    assert code == 0
    text = "".join(p.read_text(encoding="utf-8") for p in (workspace / "plan").rglob("*.csv"))
    assert f",{inputs.by_id}," not in text
