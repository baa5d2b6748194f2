"""Result posts under load: ours against a minimal FastAPI + SQLite baseline, side by side.

Builds the demo plan (or reuses ``--workspace``), creates one volunteer link per simulated
volunteer, starts the server in a subprocess, and lets every volunteer read its turf and post
its results one by one, re-sending a share of them with the same client id (a retry after a
lost answer). The same load drives the baseline of ``bench/results_baseline.py`` (one SQLite
table, WAL, ``synchronous=FULL``, ``INSERT OR IGNORE`` on the client id), served by uvicorn in
a subprocess the same way. Prints, per server: results, retries, requests, throughput
(requests/s), latency p50/p95/p99/max of the result posts, whether every result is stored
exactly once, and the ratios ours/baseline of throughput and p95 (the goal: throughput at
least 1/1.5 of the baseline's, p95 at most 1.5 times). SQLite always; PostgreSQL too when
``--postgres URL`` (or ``$CANVASS_TEST_POSTGRES_URL``) is given (a fresh database is created in
that cluster and dropped after). Run from the repo root:

    python bench/bench_results_load.py [--volunteers 50] [--results 20] [--retries 0.1]
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, select

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.cli import main as canvass
from app.store.engine import Database
from app.store.links import create_volunteer_link, resolve_link
from app.store.models import Result
from app.store.plans import import_plan
from app.store.results import turf_households
from tests.app.databases import fresh_database
from tests.app.store.live import LiveServer, run_load

BASELINE = Path(__file__).resolve().with_name("results_baseline.py")
GOAL = 1.5
"""Ours within this factor of the baseline's throughput and p95."""


class BaselineServer(LiveServer):
    """``bench/results_baseline.py`` on 127.0.0.1, started and stopped like ``canvass serve``."""

    def __init__(self, db_path: Path, households: Path) -> None:
        super().__init__(db_path.parent, f"sqlite:///{db_path}")
        self.db_path = db_path
        self.households = households

    def command(self) -> list[str]:
        return [
            sys.executable, str(BASELINE), "--db", str(self.db_path),
            "--households", str(self.households), "--host", "127.0.0.1", "--port", str(self.port),
        ]  # fmt: skip


@dataclass(frozen=True)
class Row:
    label: str
    volunteers: int
    results: int
    retries: int
    requests: int
    seconds: float
    latencies: list[float]
    exactly_once: bool

    @property
    def rate(self) -> float:
        return self.requests / self.seconds

    def ms(self, share: float) -> float:
        ordered = sorted(self.latencies)
        return 1000 * ordered[min(len(ordered) - 1, int(share * len(ordered)))]

    def __str__(self) -> str:
        return (
            f"{self.label:20s} volunteers={self.volunteers} results={self.results} "
            f"retries={self.retries} requests={self.requests} in {self.seconds:.1f} s -> "
            f"{self.rate:.0f} req/s; post latency "
            f"p50={statistics.median(self.latencies) * 1000:.0f} ms p95={self.ms(0.95):.0f} ms "
            f"p99={self.ms(0.99):.0f} ms max={max(self.latencies) * 1000:.0f} ms; "
            f"stored exactly once: {self.exactly_once}"
        )


def load(label: str, server: LiveServer, tokens: list[str], args: argparse.Namespace) -> Row:
    """Start ``server``, drive it with the load, stop it; ``exactly_once`` is checked later."""
    server.start()
    started = time.perf_counter()
    try:
        runs = run_load(server.port, tokens, args.results, args.retries)
    finally:
        elapsed = time.perf_counter() - started
        server.stop()
    latencies = [x for run in runs for x in run["latencies"]]
    stored = [cid for run in runs for cid in run["stored"]]
    return Row(
        label=label,
        volunteers=len(tokens),
        results=len(stored),
        retries=sum(len(run["duplicates"]) for run in runs),
        requests=len(latencies) + len(tokens),  # result posts + one turf read per volunteer
        seconds=elapsed,
        latencies=latencies,
        exactly_once=len(stored) == len(set(stored)) == len(tokens) * args.results,
    )


def ours(workspace: Path, url: str, label: str, args: argparse.Namespace) -> tuple[Row, dict]:
    """Our server on ``url``; also returns each link's household keys for the baseline."""
    db = Database(url)
    db.migrate()
    import_plan(db, workspace / "demo")
    turfs = sorted(p.stem for p in (workspace / "demo" / "walklists").glob("*.csv"))
    tokens = [
        create_volunteer_link(db, "demo", turfs[i % len(turfs)]) for i in range(args.volunteers)
    ]
    households = {}
    for token in tokens:
        link = resolve_link(db, token)
        households[token] = sorted(turf_households(db, link.plan_id, link.turf_code))
    try:
        row = load(label, LiveServer(workspace, url), tokens, args)
        with db.reading() as session:
            rows = session.scalar(select(func.count()).select_from(Result))
    finally:
        db.dispose()
    exactly_once = row.exactly_once and rows == row.results
    return Row(**{**row.__dict__, "exactly_once": exactly_once}), households


def baseline(folder: Path, households: dict, args: argparse.Namespace) -> Row:
    folder.mkdir(parents=True)
    keys = folder / "households.json"
    keys.write_text(json.dumps(households), encoding="utf-8")
    db_path = folder / "baseline.db"
    row = load("baseline (SQLite)", BaselineServer(db_path, keys), list(households), args)
    with sqlite3.connect(db_path) as connection:
        (rows,) = connection.execute("SELECT count(*) FROM results").fetchone()
    return Row(**{**row.__dict__, "exactly_once": row.exactly_once and rows == row.results})


def ratios(mine: Row, base: Row) -> str:
    rate, p95 = mine.rate / base.rate, mine.ms(0.95) / base.ms(0.95)
    met = rate >= 1 / GOAL and p95 <= GOAL
    return (
        f"{'ratio ' + mine.label.split()[0]:20s} req/s ours/baseline={rate:.2f} "
        f"p95 ours/baseline={p95:.2f} (goal: >= {1 / GOAL:.2f} and <= {GOAL:.2f}: "
        f"{'met' if met else 'not met'})"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--volunteers", type=int, default=50)
    parser.add_argument("--results", type=int, default=20)
    parser.add_argument("--retries", type=float, default=0.10)
    parser.add_argument("--rounds", type=int, default=1, help="alternate the runs this often")
    parser.add_argument("--workspace", type=Path, help="workspace with a demo/ plan already")
    parser.add_argument("--postgres", default=os.environ.get("CANVASS_TEST_POSTGRES_URL"))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        workspace = args.workspace or Path(tmp) / "ws"
        if not (workspace / "demo" / "summary.json").is_file():
            canvass(["demo", "--no-serve", "--out", str(workspace / "demo")])
        kinds = ["sqlite", "postgresql"] if args.postgres else ["sqlite"]
        if not args.postgres:
            print("postgresql skipped: give --postgres URL or set CANVASS_TEST_POSTGRES_URL")
        os.environ["CANVASS_TEST_POSTGRES_URL"] = args.postgres or ""
        for round_ in range(args.rounds):
            for kind in kinds:
                folder = Path(tmp) / f"{kind}-{round_}"
                folder.mkdir()
                for url in fresh_database(kind, folder):
                    mine, households = ours(workspace, url, f"ours ({kind})", args)
                base = baseline(folder / "baseline", households, args)
                print(base, mine, ratios(mine, base), sep="\n", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
