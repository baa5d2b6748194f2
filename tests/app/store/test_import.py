"""Importing plan folders: idempotent, one transaction, results stay with households on re-cut."""

from __future__ import annotations

import json
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import func, select

from app.store.engine import Database, utcnow
from app.store.keys import household_key
from app.store.links import create_volunteer_link, resolve_link
from app.store.models import Household, Result, Stop, Turf, Voter
from app.store.plans import PlanImportError, import_plan
from app.store.results import NewResult, record_results, turf_results


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    database = Database(database_url)
    database.migrate()
    yield database
    database.dispose()


def _count(db: Database, model: type) -> int:
    with db.reading() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def test_household_key_ignores_spelling_but_not_units() -> None:
    assert household_key("31 Annankatu", "A 2") == household_key(" 31  annankatu.", "a 2")
    assert household_key("31 Annankatu", "Apt 2") == household_key("31 Annankatu", "2")
    assert household_key("31 Annankatu", "A 2") != household_key("31 Annankatu", "A 3")
    assert household_key("(no street address)", "", 60.1, 24.9) != household_key(
        "(no street address)", "", 60.2, 24.9
    )


def test_import_is_idempotent(db: Database, workspace: Path) -> None:
    folder = workspace / "demo"
    first = import_plan(db, folder)
    walk = pd.concat(pd.read_csv(p, dtype=str) for p in (folder / "walklists").glob("*.csv"))
    assert first.imported and first.voters == len(walk) == _count(db, Voter)
    assert first.households == walk.groupby(["stop_id", "household_id"]).ngroups
    counts = [_count(db, m) for m in (Turf, Stop, Household, Voter)]
    assert not import_plan(db, folder).imported
    assert import_plan(db, folder, force=True).imported
    assert [_count(db, m) for m in (Turf, Stop, Household, Voter)] == counts


def test_a_recut_keeps_results_with_their_households(
    db: Database, workspace: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "recut"
    shutil.copytree(workspace / "demo", folder)
    import_plan(db, folder)
    turfs = sorted(p.stem for p in (folder / "walklists").glob("*.csv"))
    source, target = turfs[0], turfs[1]
    link = resolve_link(db, create_volunteer_link(db, "recut", source))
    walk = pd.read_csv(folder / "walklists" / f"{source}.csv", dtype=str, keep_default_na=False)
    first_stop = walk["stop_id"].iloc[0]
    moved = walk[walk["stop_id"] == first_stop]
    key = household_key(moved["address"].iloc[0], moved["unit"].iloc[0])
    client_id = str(uuid.uuid4())
    stored, _ = record_results(
        db,
        link,
        [NewResult(client_id=client_id, household_id=key, code="refused", recorded_at=utcnow())],
    )
    assert stored == [client_id]
    with db.reading() as session:
        household_row = session.scalar(
            select(Household.id).where(Household.key == key, Household.plan_id == link.plan_id)
        )

    # Re-cut: the first stop moves to another turf and every household gets a new run id.
    stops = pd.read_csv(folder / "stops.csv", dtype=str, keep_default_na=False)
    stops.loc[stops["stop_id"] == first_stop, "turf"] = target
    stops.to_csv(folder / "stops.csv", index=False)
    rest, moved = walk[walk["stop_id"] != first_stop], moved.assign(turf=target)
    rest.to_csv(folder / "walklists" / f"{source}.csv", index=False)
    other = pd.read_csv(folder / "walklists" / f"{target}.csv", dtype=str, keep_default_na=False)
    pd.concat([other, moved]).to_csv(folder / "walklists" / f"{target}.csv", index=False)
    for path in (folder / "walklists").glob("*.csv"):
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
        frame["household_id"] = "X" + frame["household_id"]
        frame.to_csv(path, index=False)
    assert import_plan(db, folder).imported

    with db.reading() as session:
        assert (
            session.scalar(
                select(Household.id).where(Household.key == key, Household.plan_id == link.plan_id)
            )
            == household_row
        )
        assert session.scalar(select(func.count()).select_from(Result)) >= 1
    target_link = resolve_link(db, create_volunteer_link(db, "recut", target))
    assert client_id in {r["client_id"] for r in turf_results(db, target_link.plan_id, target)}
    assert client_id not in {r["client_id"] for r in turf_results(db, link.plan_id, source)}


def test_a_broken_folder_changes_nothing(db: Database, workspace: Path, tmp_path: Path) -> None:
    folder = tmp_path / "broken"
    shutil.copytree(workspace / "demo", folder)
    import_plan(db, folder)
    before = [_count(db, m) for m in (Turf, Stop, Household, Voter)]
    stops = pd.read_csv(folder / "stops.csv", dtype=str, keep_default_na=False)
    stops.loc[len(stops) // 2, "lat"] = "north"
    stops.to_csv(folder / "stops.csv", index=False)
    with pytest.raises(PlanImportError, match=r"stops\.csv, row \d+, column lat"):
        import_plan(db, folder)
    assert [_count(db, m) for m in (Turf, Stop, Household, Voter)] == before
    (folder / "summary.json").write_text(json.dumps({"turfs": [{}]}), encoding="utf-8")
    with pytest.raises(PlanImportError, match=r"summary\.json"):
        import_plan(db, folder)
    assert [_count(db, m) for m in (Turf, Stop, Household, Voter)] == before
