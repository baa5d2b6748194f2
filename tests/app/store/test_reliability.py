"""Reliability against a real server (uvicorn via ``canvass serve``) on 127.0.0.1.

Bounded loops that stop by themselves; no wall-clock assertions (figures: bench/).
"""

from __future__ import annotations

import http.client
import random
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import func, select

from app.store.engine import Database
from app.store.links import create_volunteer_link
from app.store.models import Result
from app.store.plans import import_plan
from tests.app.store.live import Client, LiveServer, run_load

VOLUNTEERS = 200
RESULTS_EACH = 20
RETRY_SHARE = 0.10


@pytest.fixture(scope="module")
def db(workspace: Path, database_url: str) -> Iterator[Database]:
    database = Database(database_url)
    database.migrate()
    import_plan(database, workspace / "demo")
    yield database
    database.dispose()


def _links(db: Database, workspace: Path, count: int) -> list[str]:
    turfs = sorted(p.stem for p in (workspace / "demo" / "walklists").glob("*.csv"))
    return [create_volunteer_link(db, "demo", turfs[i % len(turfs)]) for i in range(count)]


def _stored(db: Database, client_ids: set[str] | None = None) -> int:
    with db.reading() as session:
        query = select(func.count()).select_from(Result)
        if client_ids is not None:
            query = query.where(Result.client_id.in_(client_ids))
        return int(session.scalar(query) or 0)


def test_concurrent_volunteers_store_every_result_exactly_once(
    db: Database, workspace: Path, database_url: str, tmp_path: Path
) -> None:
    # Full size on the embedded SQLite; PostgreSQL (CI) with the same concurrency, fewer each.
    each = RESULTS_EACH if database_url.startswith("sqlite") else 5
    tokens = _links(db, workspace, VOLUNTEERS)
    before = _stored(db)
    log = tmp_path / "server.log"
    server = LiveServer(workspace, database_url, log=log).start()
    try:
        runs = run_load(server.port, tokens, each, RETRY_SHARE)
    finally:
        server.stop()
    # No personal data and no link tokens in what the server wrote.
    logged = log.read_text(encoding="utf-8", errors="replace")
    walk = pd.concat(
        pd.read_csv(p, dtype=str) for p in (workspace / "demo" / "walklists").glob("*.csv")
    )
    assert not any(token in logged for token in tokens)
    assert not any(voter in logged for voter in walk["voter_id"])
    assert not any(f" {name} " in logged for name in walk["last_name"].unique())
    stored = [cid for run in runs for cid in run["stored"]]
    duplicates = [cid for run in runs for cid in run["duplicates"]]
    assert len(stored) == len(set(stored)) == VOLUNTEERS * each
    # Every retry was recognised as the result already stored, none stored twice.
    assert set(duplicates) <= set(stored)
    assert len(duplicates) > 0
    assert _stored(db) - before == VOLUNTEERS * each
    assert _stored(db, set(stored)) == len(stored)


def test_acknowledged_results_survive_kill_9(
    db: Database, workspace: Path, database_url: str
) -> None:
    tokens = _links(db, workspace, 8)
    server = LiveServer(workspace, database_url).start()
    acknowledged: set[str] = set()
    lock = threading.Lock()
    stop = threading.Event()

    def post_until_killed(token: str, seed: int) -> None:
        rng = random.Random(seed)
        phone = Client(server.port, timeout_s=10)
        status, turf = phone.request("GET", f"/api/v/{token}/turf")
        assert status == 200
        households = [h["household_id"] for s in turf["stops"] for h in s["households"]]
        for _ in range(2000):  # bounded; the kill ends it much sooner
            if stop.is_set():
                break
            batch = [
                {
                    "client_id": str(uuid.uuid4()),
                    "household_id": rng.choice(households),
                    "code": "not_home",
                    "recorded_at": "2026-11-23T18:00:00Z",
                }
                for _ in range(rng.randint(1, 5))
            ]
            try:
                status, answer = phone.request(
                    "POST", f"/api/v/{token}/results", {"results": batch}
                )
            except (OSError, http.client.HTTPException):
                break  # the server is gone: whatever was not acknowledged may be lost
            if status == 200:
                with lock:
                    acknowledged.update(answer["stored"])
        phone.close()

    threads = [
        threading.Thread(target=post_until_killed, args=(t, i)) for i, t in enumerate(tokens)
    ]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 30
    while len(acknowledged) < 200 and time.monotonic() < deadline:
        time.sleep(0.05)
    server.kill()
    stop.set()
    for thread in threads:
        thread.join(timeout=60)
    assert len(acknowledged) >= 200

    restarted = LiveServer(workspace, database_url).start()
    try:
        phone = Client(restarted.port)
        seen: set[str] = set()
        for token in tokens:
            status, turf = phone.request("GET", f"/api/v/{token}/turf")
            assert status == 200
            seen.update(r["client_id"] for r in turf["results"])
        phone.close()
    finally:
        restarted.stop()
    assert acknowledged <= seen
    assert _stored(db, acknowledged) == len(acknowledged)
