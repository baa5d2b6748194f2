"""Issue 21: opt-outs stick, erasure reaches every file and table, retention keeps the totals."""

from __future__ import annotations

import csv
import json
import re
from datetime import timedelta
from pathlib import Path

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from app.cli import main
from app.services.privacy import export_voter, sweep
from app.services.progress import plan_activity, progress_report
from app.services.workspace import Workspace
from app.store.engine import SQLITE_FILE, Database, open_database, utcnow
from app.store.models import Household, Plan, Result, Voter
from app.store.plans import import_plan
from tests.app.privacy.conftest import Inputs, tables_mentioning, write_voters


def _plan(inputs: Inputs, voters: Path, out: Path, *extra: str) -> dict:
    code = main(
        ["-q", "plan", "--voters", str(voters), "--precincts", str(inputs.precincts),
         "--streets", str(inputs.streets), "--turf-doors", "40", "--out", str(out), *extra]
    )  # fmt: skip
    assert code == 0
    return json.loads((out / "summary.json").read_text(encoding="utf-8"))


def _bytes_under(root: Path) -> dict[Path, bytes]:
    """Every file under ``root``, PDFs as their extracted text too."""
    found = {}
    for path in root.rglob("*"):
        if not path.is_file() or path.name.endswith((".db-wal", ".db-shm")):
            continue
        data = path.read_bytes()
        if path.suffix == ".pdf":
            text = "\n".join(page.extract_text() for page in PdfReader(path).pages)
            data += text.encode()
        found[path] = data
    return found


def _walklist_text(out: Path) -> str:
    return "\n".join(p.read_text(encoding="utf-8") for p in (out / "walklists").glob("*.csv"))


def _database(workspace: Path) -> Database:
    return open_database(None, workspace)


def test_do_not_contact_list_sticks_across_a_reimported_voter_file(
    inputs: Inputs, tmp_path: Path
) -> None:
    by_name = next(r for r in inputs.rows if r["voter_id"] == inputs.by_name_id)
    listed = tmp_path / "dnc.csv"
    # One by voter id; one with no id, by name and a one-string address spelled otherwise.
    listed.write_text(
        "VanID,First Name,Last Name,Address\n"
        f"{inputs.by_id},,,\n"
        f",{by_name['first_name'].upper()},{by_name['last_name']},"
        f'"{by_name["house_number"]} {by_name["street"].upper()} {by_name["unit"]}"\n',
        encoding="utf-8",
    )
    workspace = tmp_path / "ws"
    first = _plan(inputs, inputs.voters, workspace / "first", "--do-not-contact", str(listed))
    assert first["privacy"]["do_not_contact"] == 2
    assert "Vexbridge" not in json.dumps(first)
    text = _walklist_text(workspace / "first")
    assert inputs.by_id not in text and "Vexbridge" not in text
    with (workspace / "first" / "rejected.csv").open(encoding="utf-8") as handle:
        rejected = list(csv.DictReader(handle))
    left_out = [r for r in rejected if r["reason"] == "do not contact"]
    assert len(left_out) == 2
    assert all(not r["first_name"] and not r["voter_id"] for r in left_out)
    voters = first["voters"]
    assert voters["accepted"] + voters["rejected"] == voters["total"] == len(inputs.rows)

    # A new export numbers everyone anew: no list given, the workspace remembers them.
    renumbered = [{**r, "voter_id": f"NEW{r['voter_id']}"} for r in inputs.rows]
    renumbered = [r for r in renumbered if r["voter_id"] != "NEW"]
    renumbered_file = tmp_path / "renumbered.csv"
    write_voters(renumbered_file, [*renumbered, {**inputs.rows[0], "voter_id": inputs.by_id}])
    again = _plan(inputs, renumbered_file, workspace / "again")
    assert "Vexbridge" not in _walklist_text(workspace / "again")
    # Listed by id only: that id stays out whoever's row carries it.
    assert f",{inputs.by_id}," not in _walklist_text(workspace / "again")
    assert again["privacy"]["do_not_contact"] == 2


def test_a_door_result_do_not_contact_keeps_the_voter_out_of_the_next_pass(
    inputs: Inputs, tmp_path: Path
) -> None:
    workspace = tmp_path / "ws"
    _plan(inputs, inputs.voters, workspace / "pass1")
    db = _database(workspace)
    import_plan(db, workspace / "pass1")
    target = inputs.rows[300]
    with db.writing() as session:
        plan_id, household_id = session.execute(
            select(Voter.plan_id, Voter.household_id).where(Voter.voter_code == target["voter_id"])
        ).one()
        now = utcnow()
        session.add(
            Result(client_id="c-1", plan_id=plan_id, household_id=household_id,
                   voter_code=target["voter_id"], code="do_not_contact", answers={}, notes="",
                   turf_code="", recorded_at=now, received_at=now)
        )  # fmt: skip
    db.dispose()
    summary = _plan(inputs, inputs.voters, workspace / "pass2")
    assert summary["privacy"]["do_not_contact"] == 1
    assert target["voter_id"] not in _walklist_text(workspace / "pass2")


def test_erasure_leaves_no_trace_and_a_reimport_does_not_restore(
    inputs: Inputs, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    workspace = tmp_path / "ws"
    _plan(inputs, inputs.voters, workspace / "plan")
    db = _database(workspace)
    import_plan(db, workspace / "plan")
    assert "Zoltowska" in _walklist_text(workspace / "plan")
    # The import's file with every field holds them too (and is checked with the rest below).
    assert "Zoltowska" in (workspace / "plan" / "voter_data.csv").read_text(encoding="utf-8")

    exported = export_voter(db, Workspace(workspace), inputs.erased_id)
    assert exported["database"][0]["last_name"] == "Zoltowska"
    assert exported["database"][0]["turf"]
    assert any("Zoltowska" in json.dumps(rows) for rows in exported["plan_files"]["plan"].values())
    assert exported["status"] == {"do_not_contact": False, "erased": False}
    db.dispose()

    assert main(["-q", "privacy", "erase", "--voter", inputs.erased_id,
                 "--workspace", str(workspace)]) == 0  # fmt: skip
    capsys.readouterr()
    for path, data in _bytes_under(workspace).items():
        if path.name == SQLITE_FILE.name:
            continue  # checked table by table below (free pages may hold old bytes)
        assert b"Zoltowska" not in data, path
        assert inputs.erased_id.encode() not in data, path
    db = _database(workspace)
    assert tables_mentioning(db, "Zoltowska") == []
    assert tables_mentioning(db, inputs.erased_id) == []
    with db.reading() as session:
        entries = session.execute(select(Plan.name)).scalars().all()
    assert entries == ["plan"]
    db.dispose()

    # The export now says they are erased and holds nothing else.
    assert main(["-q", "privacy", "export", "--voter", inputs.erased_id,
                 "--workspace", str(workspace)]) == 0  # fmt: skip
    out = json.loads(capsys.readouterr().out)
    assert out["status"]["erased"] and out["database"] == [] and out["plan_files"] == {}

    # The same voter file again: they stay out.
    summary = _plan(inputs, inputs.voters, workspace / "later")
    assert summary["privacy"]["erased"] == 1
    assert "Zoltowska" not in _walklist_text(workspace / "later")


def test_retention_sweep_removes_names_and_keeps_the_dashboard_figures(
    inputs: Inputs, tmp_path: Path
) -> None:
    workspace = tmp_path / "ws"
    _plan(inputs, inputs.voters, workspace / "old", "--walklist-fields", "name", "age", "party")
    db = _database(workspace)
    import_plan(db, workspace / "old")
    with db.writing() as session:
        plan_id = session.scalar(select(Plan.id))
        households = session.scalars(select(Household.id).limit(3)).all()
        now = utcnow()
        for i, household in enumerate(households):
            session.add(
                Result(client_id=f"r-{i}", plan_id=plan_id, household_id=household,
                       voter_code=None, code="supporter_1" if i else "not_home", answers={},
                       notes="talked to Mrs Zoltowska", turf_code="", recorded_at=now,
                       received_at=now)
            )  # fmt: skip
    activity = plan_activity(db, "old")
    assert activity is not None
    before = progress_report(activity)
    assert sweep(db, Workspace(workspace), retention_days=30) == []  # still fresh
    assert sweep(db, Workspace(workspace), retention_days=30, now=now + timedelta(days=31)) == [
        "old"
    ]
    activity = plan_activity(db, "old")
    assert activity is not None
    after = progress_report(activity)
    assert after["totals"] == before["totals"] and after["turfs"] == before["turfs"]
    assert tables_mentioning(db, "Zoltowska") == []
    db.dispose()
    for path, data in _bytes_under(workspace / "old").items():
        assert b"Zoltowska" not in data, path
    # The import's file keeps the scores under numbers; names, ages and parties are gone.
    with (workspace / "old" / "voter_data.csv").open(encoding="utf-8") as handle:
        kept = list(csv.DictReader(handle))
    assert kept and all(r["voter_id"].startswith("v") for r in kept)
    assert all(r["last_name"] == r["age"] == r["party"] == "" for r in kept)
    assert any(r["support_score"] for r in kept)
    walked = "\n".join(
        p.read_text(encoding="utf-8") for p in (workspace / "old" / "walklists").glob("*.csv")
    )
    assert {r["voter_id"] for r in kept} <= set(re.findall(r"\bv\d+\b", walked))
    summary = json.loads((workspace / "old" / "summary.json").read_text(encoding="utf-8"))
    assert summary["privacy"]["retention"]["after_days"] == 30


def test_walk_lists_carry_only_the_chosen_fields(inputs: Inputs, tmp_path: Path) -> None:
    summary = _plan(inputs, inputs.voters, tmp_path / "plan")
    assert summary["privacy"]["walklist_fields"] == ["name", "age_band"]
    turf = summary["turfs"][0]["turf"]
    with (tmp_path / "plan" / "walklists" / f"{turf}.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert rows and all(r["party"] == "" and r["support_score"] == "" for r in rows)
    assert all(r["age"] in {"18-29", "30-39", "40-49", "50-59", "60-69", "70-79", "80+"}
               for r in rows)  # fmt: skip
    assert all(r["last_name"] for r in rows)
    parties = {r["party"] for r in inputs.rows} - {""}
    html = (tmp_path / "plan" / "walklists" / f"{turf}.html").read_text(encoding="utf-8")
    pdf = "\n".join(
        p.extract_text() for p in PdfReader(tmp_path / "plan" / "walklists" / f"{turf}.pdf").pages
    )
    for party in parties:
        assert f'<td class="party">{party}</td>' not in html
    assert rows[0]["last_name"] in pdf
    assert not any(f" {party}\n" in pdf for party in parties)
