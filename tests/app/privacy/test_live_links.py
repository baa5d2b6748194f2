"""Issue 21: a person marked Do not contact leaves live links at once, the next pass and a re-cut.

On SQLite and PostgreSQL: the phone's turf stops showing them without a re-cut (door result or
uploaded list), the next pass from the plan page leaves them out, and so does a re-cut of a
re-imported voter file that numbers everyone anew.
"""

from __future__ import annotations

import json
import time
import uuid
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from app.cli import main
from app.services.accounts import create_user
from app.settings import Settings
from app.store.links import create_volunteer_link
from app.web.app import create_app
from tests.app.privacy.conftest import Inputs, write_voters

PASSWORD = "correct horse battery"


def _plan(inputs: Inputs, voters: Path, out: Path, database_url: str) -> dict[str, Any]:
    code = main(
        ["-q", "plan", "--voters", str(voters), "--precincts", str(inputs.precincts),
         "--streets", str(inputs.streets), "--turf-doors", "40", "--out", str(out),
         "--db", database_url]
    )  # fmt: skip
    assert code == 0
    document: dict[str, Any] = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    return document


def _walklist_text(out: Path) -> str:
    return "\n".join(p.read_text(encoding="utf-8") for p in (out / "walklists").glob("*.csv"))


def _people(turf: dict[str, Any]) -> dict[str, str]:
    """Voter id -> household id of everyone the phone shows."""
    return {
        v["voter_id"]: h["household_id"]
        for stop in turf["stops"]
        for h in stop["households"]
        for v in h["voters"]
    }


def _result(household: str, voter: str | None) -> dict[str, Any]:
    return {
        "client_id": uuid.uuid4().hex,
        "household_id": household,
        "voter_id": voter,
        "code": "do_not_contact",
        "recorded_at": "2026-11-23T18:30:00+02:00",
    }


def _finish(client: TestClient, job: dict[str, Any]) -> dict[str, Any]:
    for _ in range(600):
        if job["status"] in ("done", "failed"):
            return job
        time.sleep(0.2)
        job = client.get(f"/api/jobs/{job['id']}").json()
    raise AssertionError(f"job {job['id']} did not finish")


def test_do_not_contact_leaves_live_links_the_next_pass_and_a_recut(
    inputs: Inputs, database_url: str, tmp_path: Path
) -> None:
    workspace = tmp_path / "ws"
    summary = _plan(inputs, inputs.voters, workspace / "plan", database_url)
    app = create_app(Settings(workspace=workspace, database_url=database_url))
    db = app.state.services.db
    try:
        create_user(db, "org", PASSWORD, "organiser")
        turf_id = max(summary["turfs"], key=lambda t: t["voters"])["turf"]
        token = create_volunteer_link(db, "plan", turf_id, fields=("name",))
        with TestClient(app) as client:
            before = client.get(f"/api/v/{token}/turf").json()
            people = _people(before)
            marked, listed, *others = sorted(people)
            doors = [h for stop in before["stops"] for h in stop["households"]]
            whole = next(
                h for h in doors if not {v["voter_id"] for v in h["voters"]} & {marked, listed}
            )

            # Marked on the phone, for one voter and for a whole door.
            posted = client.post(
                f"/api/v/{token}/results",
                json={"results": [_result(people[marked], marked),
                                  _result(whole["household_id"], None)]},
            )  # fmt: skip
            assert posted.status_code == 200, posted.text
            after = client.get(f"/api/v/{token}/turf").json()
            shown = _people(after)
            assert marked not in shown
            assert not {v["voter_id"] for v in whole["voters"]} & set(shown)
            assert whole["household_id"] not in json.dumps(after)
            assert listed in shown and len(shown) >= len(people) - len(whole["voters"]) - 1

            # An uploaded list, by voter id: gone from the link too, no re-cut.
            login = client.post("/api/login", json={"username": "org", "password": PASSWORD})
            csrf = {"X-CSRF-Token": login.json()["csrf_token"]}
            uploaded = client.post(
                "/api/privacy/do-not-contact",
                files={"file": ("dnc.csv", f"voter_id\n{listed}\n".encode(), "text/csv")},
                headers=csrf,
            )
            assert uploaded.status_code == 201, uploaded.text
            assert listed not in _people(client.get(f"/api/v/{token}/turf").json())

            # The next pass from the plan page: neither is in it.
            job = client.post("/api/plans/plan/next-pass", headers=csrf)
            assert job.status_code == 202, job.text
            done = _finish(client, job.json())
            assert done["status"] == "done", done
            text = _walklist_text(workspace / done["plan"])
            assert f",{marked}," not in text and f",{listed}," not in text
            assert any(f",{other}," in text for other in others)
    finally:
        db.dispose()

    # A re-imported voter file that numbers everyone anew: the person marked at the door is
    # known by name and address too, and stays out of the re-cut.
    row = next(r for r in inputs.rows if r["voter_id"] == marked)
    renumbered = [{**r, "voter_id": f"NEW{r['voter_id']}"} for r in inputs.rows if r["voter_id"]]
    again = tmp_path / "renumbered.csv"
    write_voters(again, renumbered)
    recut = _plan(inputs, again, workspace / "recut", database_url)
    text = _walklist_text(workspace / "recut")
    assert f",NEW{marked}," not in text
    assert f"{row['first_name']},{row['last_name']}" not in text
    assert recut["privacy"]["do_not_contact"] >= 1 + len(whole["voters"])
