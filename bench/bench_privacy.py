"""What a data-protection request costs, step by step, on the demo plan (issue 21).

Builds the demo plan (8,400 voters, 35 turfs) in a temporary workspace with a SQLite store,
then times what an organiser or admin does, in the order they do it:

1. access: ``export_voter`` (what ``canvass privacy export --voter`` and the admin page run);
2. opt-out from a one-row list (``store_do_not_contact_list``), and whether the live link of
   that person's turf stops showing them at once;
3. the phone's turf request with the live opt-out check against without it, side by side in
   one run, with 1,000 opt-outs stored (the ratio is the figure to quote);
4. erasure as the server runs it: the request, then the job's stages until it is done;
5. a volunteer's own data: ``person_records`` and ``erase_person``.

Run from the repository: ``python bench/bench_privacy.py [--repeat 31]``.
"""

from __future__ import annotations

import argparse
import json
import secrets
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import pandas as pd

from app.cli import main
from app.privacy.keys import DO_NOT_CONTACT
from app.services.jobs import JobQueue
from app.services.privacy import Remaking, export_voter, store_do_not_contact_list
from app.services.privacy_jobs import erasure_status, start_erasure
from app.services.workspace import Workspace
from app.store.engine import open_database
from app.store.links import create_volunteer_link, resolve_link
from app.store.people import add_person
from app.store.people_privacy import erase_person, person_records
from app.store.privacy import add_keys, stored_keys
from app.store.walk import turf_walk


def _ms(call: Callable[[], Any], repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        times.append((time.perf_counter() - started) * 1000)
    return times


def run(root: Path, repeat: int) -> None:
    """Every step on the demo plan in ``root``."""
    assert main(["-q", "demo", "--no-serve", "--out", str(root / "demo")]) == 0
    space = Workspace(root)
    db = open_database(None, space.files_root)
    space.import_all(db)
    summary = json.loads((root / "demo" / "summary.json").read_text(encoding="utf-8"))
    turf = max(summary["turfs"], key=lambda t: t["voters"])
    rows = pd.read_csv(root / "demo" / "walklists" / f"{turf['turf']}.csv", dtype=str)
    asked, listed = rows["voter_id"].iloc[3], rows["voter_id"].iloc[10]

    export = _ms(lambda: export_voter(db, space, asked), 5)
    print(f"1. access (export_voter): median {statistics.median(export):.0f} ms of 5")

    link = resolve_link(db, create_volunteer_link(db, "demo", turf["turf"]))
    started = time.perf_counter()
    store_do_not_contact_list(db, "dnc.csv", f"voter_id\n{listed}\n".encode())
    stored = (time.perf_counter() - started) * 1000
    walk = turf_walk(db, link, keys=stored_keys(db))
    gone = listed not in json.dumps(walk)
    print(f"2. opt-out list of one: {stored:.0f} ms; gone from the live link at once: {gone}")

    keys = [f"id:BENCH{secrets.token_hex(6)}" for _ in range(1000)]
    add_keys(db, keys, kind=DO_NOT_CONTACT, source="list")
    turf_walk(db, link, keys=stored_keys(db))  # the turf's addresses, normalised once
    on, off = [], []
    for _ in range(repeat):  # in turn, so that a change of load moves both
        on += _ms(lambda: turf_walk(db, link, keys=stored_keys(db)), 1)
        off += _ms(lambda: turf_walk(db, link), 1)
    ratios = [a / b for a, b in zip(on, off, strict=True)]
    print(
        f"3. phone turf {turf['turf']} ({turf['voters']} voters), 1,001 opt-outs stored: "
        f"with the check {statistics.median(on):.1f} ms, without {statistics.median(off):.1f} ms"
        f", ratio median {statistics.median(ratios):.2f} (n={repeat}, in turn)"
    )

    jobs = JobQueue(db)
    started = time.perf_counter()
    job, _ = start_erasure(jobs, db, space, asked, remaking=Remaking(), user_id=None)
    print(f"4. erasure request answered in {(time.perf_counter() - started) * 1000:.0f} ms")
    seen: list[tuple[str, str]] = []
    while True:
        status = erasure_status(jobs, db, job.id)
        if (status["status"], status["stage"]) not in seen:
            seen.append((status["status"], status["stage"]))
            took = time.perf_counter() - started
            print(f"   +{took:5.1f} s {status['status']} {status['stage']}")
        if status["status"] in ("done", "failed"):
            break
        time.sleep(0.1)
    took = time.perf_counter() - started
    print(f"   done in {took:.1f} s: {status['report'] or status['error']}")
    jobs.shutdown()

    person = add_person(db, "Bench Volunteer", "+358 40 000 0000", "bench@example.org")
    access = _ms(lambda: person_records(db, person.id), 5)
    erased = _ms(lambda: erase_person(db, person.id), 1)
    print(
        f"5. volunteer: access median {statistics.median(access):.1f} ms, "
        f"erasure {erased[0]:.1f} ms"
    )
    db.dispose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=31, help="turf requests of each kind")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-privacy-") as folder:
        run(Path(folder), args.repeat)
