"""The baseline of ``bench_results_load.py``: a minimal FastAPI + SQLite results endpoint.

One table, WAL, ``synchronous=FULL``, a busy timeout, ``INSERT OR IGNORE`` on the client id;
the same JSON body and answer as ``POST /api/v/<token>/results``, and a ``GET
/api/v/<token>/turf`` handing out the turf's household keys (from a JSON file written by the
bench) so the same load function can drive it. Served by uvicorn like ``canvass serve``:

    python bench/results_baseline.py --db results.db --households households.json --port 8001
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import threading
from datetime import UTC, datetime
from pathlib import Path

import uvicorn
from fastapi import FastAPI
from pydantic import BaseModel, Field

SCHEMA = """CREATE TABLE IF NOT EXISTS results (
    client_id TEXT PRIMARY KEY,
    token TEXT NOT NULL,
    household_id TEXT NOT NULL,
    voter_id TEXT,
    code TEXT NOT NULL,
    answers TEXT NOT NULL,
    notes TEXT NOT NULL,
    recorded_at TEXT NOT NULL,
    received_at TEXT NOT NULL
)"""


class ResultIn(BaseModel):
    client_id: str = Field(min_length=8, max_length=64)
    household_id: str
    voter_id: str | None = None
    code: str
    answers: dict[str, str] = Field(default_factory=dict)
    notes: str = ""
    recorded_at: datetime


class ResultsIn(BaseModel):
    results: list[ResultIn] = Field(min_length=1, max_length=100)


class ResultsOut(BaseModel):
    stored: list[str]
    duplicates: list[str]


def connect(path: Path) -> sqlite3.Connection:
    connection = sqlite3.connect(path, timeout=30, check_same_thread=False)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=FULL")
    connection.execute("PRAGMA busy_timeout=30000")
    return connection


def create_app(db_path: Path, households: dict[str, list[str]]) -> FastAPI:
    with connect(db_path) as connection:
        connection.execute(SCHEMA)
    local = threading.local()
    app = FastAPI()

    def database() -> sqlite3.Connection:
        if not hasattr(local, "connection"):
            local.connection = connect(db_path)
        connection: sqlite3.Connection = local.connection
        return connection

    @app.get("/api/v/{token}/turf")
    def turf(token: str) -> dict[str, object]:
        keys = households.get(token, [])
        return {"stops": [{"households": [{"household_id": k} for k in keys]}]}

    @app.post("/api/v/{token}/results")
    def results(token: str, body: ResultsIn) -> ResultsOut:
        now = datetime.now(UTC).isoformat()
        stored: list[str] = []
        duplicates: list[str] = []
        connection = database()
        with connection:  # one transaction, committed (fsynced) before the answer
            for r in body.results:
                cursor = connection.execute(
                    "INSERT OR IGNORE INTO results VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        r.client_id,
                        token,
                        r.household_id,
                        r.voter_id,
                        r.code,
                        json.dumps(r.answers),
                        r.notes,
                        r.recorded_at.isoformat(),
                        now,
                    ),
                )
                (stored if cursor.rowcount == 1 else duplicates).append(r.client_id)
        return ResultsOut(stored=stored, duplicates=duplicates)

    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", type=Path, required=True)
    parser.add_argument("--households", type=Path, required=True, help="JSON: token -> keys")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8001)
    args = parser.parse_args()
    households = json.loads(args.households.read_text(encoding="utf-8"))
    uvicorn.run(
        create_app(args.db, households), host=args.host, port=args.port, log_level="warning"
    )


if __name__ == "__main__":
    main()
