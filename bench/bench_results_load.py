"""Result posts under load: concurrent volunteers against a real ``canvass serve`` on 127.0.0.1.

Builds the demo plan (or reuses ``--workspace``), creates one volunteer link per simulated
volunteer, starts the server in a subprocess, and lets every volunteer read its turf and post
its results one by one, re-sending a share of them with the same client id (a retry after a
lost answer). Prints, per database: results, retries, requests, throughput (requests/s),
latency p50/p95/p99 of the result posts, and checks every result is stored exactly once.
SQLite always; PostgreSQL when ``--postgres URL`` (or ``$CANVASS_TEST_POSTGRES_URL``) is given
(a fresh database is created in that cluster and dropped after). Run from the repo root:

    python bench/bench_results_load.py [--volunteers 200] [--results 20] [--retries 0.1]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import func, select

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.cli import main as canvass
from app.store.engine import Database
from app.store.links import create_volunteer_link
from app.store.models import Result
from app.store.plans import import_plan
from tests.app.databases import fresh_database
from tests.app.store.live import LiveServer, run_load


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def bench(workspace: Path, url: str, label: str, args: argparse.Namespace) -> None:
    db = Database(url)
    db.migrate()
    import_plan(db, workspace / "demo")
    turfs = sorted(p.stem for p in (workspace / "demo" / "walklists").glob("*.csv"))
    tokens = [
        create_volunteer_link(db, "demo", turfs[i % len(turfs)]) for i in range(args.volunteers)
    ]
    server = LiveServer(workspace, url).start()
    started = time.perf_counter()
    try:
        runs = run_load(server.port, tokens, args.results, args.retries)
    finally:
        elapsed = time.perf_counter() - started
        server.stop()
    latencies = [x for run in runs for x in run["latencies"]]
    stored = [cid for run in runs for cid in run["stored"]]
    duplicates = sum(len(run["duplicates"]) for run in runs)
    with db.reading() as session:
        rows = session.scalar(select(func.count()).select_from(Result))
    db.dispose()
    requests = len(latencies) + len(tokens)  # result posts + one turf read per volunteer
    exactly_once = len(stored) == len(set(stored)) == rows == args.volunteers * args.results
    print(
        f"{label:10s} volunteers={args.volunteers} results={len(stored)} retries={duplicates} "
        f"requests={requests} in {elapsed:.1f} s -> {requests / elapsed:.0f} req/s, "
        f"{len(stored) / elapsed:.0f} results/s; post latency "
        f"p50={statistics.median(latencies) * 1000:.0f} ms "
        f"p95={_percentile(latencies, 0.95) * 1000:.0f} ms "
        f"p99={_percentile(latencies, 0.99) * 1000:.0f} ms; stored exactly once: {exactly_once}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--volunteers", type=int, default=200)
    parser.add_argument("--results", type=int, default=20)
    parser.add_argument("--retries", type=float, default=0.10)
    parser.add_argument("--workspace", type=Path, help="workspace with a demo/ plan already")
    parser.add_argument("--postgres", default=os.environ.get("CANVASS_TEST_POSTGRES_URL"))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        workspace = args.workspace or Path(tmp) / "ws"
        if not (workspace / "demo" / "summary.json").is_file():
            canvass(["demo", "--no-serve", "--out", str(workspace / "demo")])
        for kind in ("sqlite", "postgresql"):
            if kind == "postgresql" and not args.postgres:
                print("postgresql skipped: give --postgres URL or set CANVASS_TEST_POSTGRES_URL")
                continue
            os.environ["CANVASS_TEST_POSTGRES_URL"] = args.postgres or ""
            folder = Path(tmp) / kind
            folder.mkdir()
            for url in fresh_database(kind, folder):
                bench(workspace, url, kind, args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
