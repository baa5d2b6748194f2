"""A small real-shaped voter file for the privacy tests (demo voters, a few messy rows)."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import MetaData, select

from app.store.engine import Database
from geo.sample import write_demo_inputs

ERASED_NAME = ("Quintessa", "Zoltowska")
BY_NAME = ("Ossian", "Vexbridge")
HEADER = ["voter_id", "first_name", "last_name", "age", "party", "support_score",
          "turnout_score", "house_number", "street", "unit", "city", "zip", "latitude",
          "longitude"]  # fmt: skip


@dataclass
class Inputs:
    voters: Path
    precincts: Path
    streets: Path
    rows: list[dict[str, str]]
    erased_id: str
    by_name_id: str
    by_id: str


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> Inputs:
    """About 600 demo voters (outside the workspace), three of them with names to look for,
    plus messy rows: a blank id, a repeated id, blank coordinates without an address."""
    demo = write_demo_inputs(tmp_path_factory.mktemp("inputs") / "demo-inputs")
    with demo.voters.open(encoding="utf-8") as handle:
        rows = [r for r in csv.DictReader(handle) if r["latitude"]][:600]
    # Everyone targeted: the plan is the whole file.
    erased, by_name, by_id = rows[10], rows[200], rows[400]
    erased["first_name"], erased["last_name"] = ERASED_NAME
    by_name["first_name"], by_name["last_name"] = BY_NAME
    rows += [
        {**rows[5], "voter_id": ""},
        {**rows[6]},
        {**rows[7], "voter_id": "MESSY1", "latitude": "", "longitude": "", "street": ""},
    ]
    path = demo.voters.with_name("subset.csv")
    write_voters(path, rows)
    return Inputs(
        path, demo.precincts, demo.streets, rows,
        erased["voter_id"], by_name["voter_id"], by_id["voter_id"],
    )  # fmt: skip


def write_voters(path: Path, rows: list[dict[str, str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=HEADER)
        writer.writeheader()
        writer.writerows(rows)


def tables_mentioning(db: Database, *texts: str) -> list[str]:
    """Tables of the database with a row mentioning any of ``texts`` anywhere."""
    meta = MetaData()
    with db.reading() as session:
        meta.reflect(bind=session.get_bind())
        return [
            table.name
            for table in meta.sorted_tables
            if any(
                text in str(tuple(row))
                for row in session.execute(select(table)).all()
                for text in texts
            )
        ]
