"""A plan split by region on Dask distributed: 1 worker against 2, and the cost of a region.

Builds a "state" from real extracts: one PBF merged from the demo's central Helsinki, central
Atlanta and Cobb County (``../shared/data/atlanta``; without them, Helsinki alone), and one
generic voter CSV: the demo's ~8,400 Helsinki voters (region ``Helsinki``), synthetic voters at
doors every 25 m along the named residential streets of central Atlanta (region ``Atlanta``)
and of Cobb County, cut west to east into ``--cobb-parts`` regions (``Cobb1``...). Turfs of 120
minutes; no precincts.

A state's size: ``--per-door K`` puts K voters at each door (households of two: a duplex, a
small block; the Helsinki voters K times each, ids shifted) and ``--copies N`` repeats the
regions N times with shifted ids (``C01Atlanta``... ``C08Cobb3``). Most of a state's voter
file is not knocked: ``--target-share 0.05`` targets about 5 % of the voters (by support
score, uniform 0-99); default everyone. The 1M-voter run of bench/README.md::

    python bench/bench_scale.py --atlanta-voters 9000 --cobb-voters 16000 --per-door 4 \
        --copies 8 --target-share 0.05 --workers 2,1 --tiny 0

The plan runs through ``app.services.region_plans.plan_by_region`` (what ``canvass plan
--regions county`` runs) on a LocalCluster of each ``--workers`` count in turn, into fresh
folders; the table gives each region's voters, turfs, seconds, CPU seconds, throughput and the
peak RSS of the worker that ran it, with the driver's own peak RSS (this process, sampled),
the stages summed over regions, the ratio of the 1- and 2-worker wall times, and whether the
plans are the same file by file.

Last, Dask's own cost per task: ``--tiny`` trivial tasks (default 500, as many as a state cut
into regions of 2,000 voters would have ~4,000 of) through ``app.planning.cluster.run_tasks``
on 2 workers, against calling the function in a loop.

    python bench/bench_scale.py [--atlanta-voters 6000] [--cobb-voters 12000] [--cobb-parts 3]
        [--per-door 1] [--copies 1] [--target-share 1] [--workers 1,2] [--tiny 500] [--keep DIR]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shutil
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import numpy as np
import osmium
import pandas as pd
import psutil

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from app.planning.cluster import ClusterOptions, dask_client, run_tasks
from app.planning.regions import parse_regions
from app.planning.request import PlanRequest
from app.services.region_plans import plan_by_region
from geo.effort import TurfSize
from geo.sample import demo_osm_path, write_demo_inputs

ATLANTA = Path(__file__).resolve().parents[2] / "shared" / "data" / "atlanta"
CENTRAL = ATLANTA / "central-atlanta-filtered.osm.pbf"
COBB = ATLANTA / "cobb-county.filtered.osm.pbf"
COLUMNS = ["voter_id", "first_name", "last_name", "age", "party", "support_score",
           "turnout_score", "house_number", "street", "unit", "city", "zip", "latitude",
           "longitude", "county"]  # fmt: skip


def merged_extract(paths: list[Path], out: Path) -> Path:
    """One PBF holding every extract (objects in both are written once)."""
    if out.is_file():
        return out
    reader = osmium.MergeInputReader()
    for path in paths:
        reader.add_file(str(path))
    partial = out.with_name(f".{out.name}.partial.osm.pbf")
    writer = osmium.SimpleWriter(str(partial), overwrite=True)
    reader.apply(writer)
    writer.close()
    partial.replace(out)
    return out


def synthetic_voters(
    extract: Path, count: int, county: str, seed: int, per_door: int = 1
) -> pd.DataFrame:
    """``count`` doors along the named streets of ``extract``, ``per_door`` voters at each.

    Beyond one voter a door holds households of two (units ``1``, ``2``...): a duplex or a
    small block, as a state's voter file has several voters at most addresses.
    """
    from make_van_sample import doors, named_streets

    frame = doors(named_streets(extract))
    rng = np.random.default_rng(seed)
    frame = frame.iloc[np.sort(rng.choice(len(frame), min(count, len(frame)), replace=False))]
    frame = frame.loc[frame.index.repeat(per_door)]
    n = len(frame)
    unit = np.tile(np.arange(per_door) // 2 + 1, n // per_door).astype(str)
    return pd.DataFrame(
        {
            "voter_id": [f"{county[:3].upper()}{seed}{i:07d}" for i in range(n)],
            "first_name": "Sam",
            "last_name": "Doe",
            "age": rng.integers(18, 90, n),
            "party": rng.choice(["DEM", "REP", "UNA"], n),
            "support_score": rng.integers(0, 100, n),
            "turnout_score": rng.integers(0, 100, n),
            "house_number": frame["number"].to_numpy(),
            "street": frame["street"].to_numpy(),
            "unit": unit if per_door > 1 else "",
            "city": county,
            "zip": "",
            "latitude": frame["lat"].round(7).to_numpy(),
            "longitude": frame["lon"].round(7).to_numpy(),
            "county": county,
        }
    )


def state_copies(base: pd.DataFrame, copies: int) -> pd.DataFrame:
    """``base`` repeated ``copies`` times, each copy its own regions (``C02Atlanta``...).

    A copy lies on the same streets with other voter ids: as many regions and voters as a
    state, from the few real extracts there are.
    """
    if copies <= 1:
        return base
    parts = []
    for c in range(1, copies + 1):
        part = base.copy()
        part["voter_id"] = f"C{c:02d}" + part["voter_id"].astype(str)
        part["county"] = f"C{c:02d}" + part["county"].astype(str)
        parts.append(part)
    return pd.concat(parts, ignore_index=True)


def build_inputs(root: Path, args: argparse.Namespace) -> tuple[Path, Path]:
    """The merged extract and the voter file (kept in ``root`` between runs)."""
    root.mkdir(parents=True, exist_ok=True)
    demo = write_demo_inputs(root / "helsinki")
    helsinki = pd.read_csv(demo.voters, dtype=str, keep_default_na=False)
    helsinki["county"] = "Helsinki"
    if args.per_door > 1:  # more voters in the same flats, ids shifted
        helsinki = helsinki.loc[helsinki.index.repeat(args.per_door)].reset_index(drop=True)
        helsinki["voter_id"] += "-" + (helsinki.groupby("voter_id").cumcount() + 1).astype(str)
    parts = [helsinki]
    extracts = [demo_osm_path()]
    if CENTRAL.is_file() and COBB.is_file():
        extracts += [CENTRAL, COBB]
        parts.append(synthetic_voters(CENTRAL, args.atlanta_voters, "Atlanta", 1, args.per_door))
        cobb = synthetic_voters(COBB, args.cobb_voters, "Cobb", 2, args.per_door)
        cut = pd.qcut(cobb["longitude"], args.cobb_parts, labels=False)
        cobb["county"] = "Cobb" + (cut + 1).astype(str)
        parts.append(cobb)
    else:
        print(f"Atlanta extracts not found in {ATLANTA}: Helsinki only")
    name = f"state-voters-{args.atlanta_voters}-{args.cobb_voters}-{args.per_door}x{args.copies}"
    voters = root / f"{name}.csv"
    if not voters.is_file():
        state = state_copies(pd.concat(parts, ignore_index=True)[COLUMNS], args.copies)
        state.to_csv(voters, index=False)
    streets = merged_extract(extracts, root / f"state-{len(extracts)}.osm.pbf")
    return voters, streets


def target_expression(share: float) -> str | None:
    """A target of about ``share`` of the voters (support scores are uniform 0-99)."""
    if share >= 1.0:
        return None
    return f"support_score >= {100 - max(1, round(share * 100))}"


class PeakRss:
    """The peak resident memory of this process (the driver) while inside ``with``."""

    def __init__(self, every_s: float = 0.1) -> None:
        self.every_s, self.peak_mb = every_s, 0.0
        self._stop = threading.Event()

    def __enter__(self) -> PeakRss:
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _sample(self) -> None:
        process = psutil.Process()
        while True:
            self.peak_mb = max(self.peak_mb, process.memory_info().rss / 2**20)
            if self._stop.wait(self.every_s):
                return


def run(
    voters: Path, streets: Path, out: Path, workers: int, target: str | None
) -> tuple[float, float, dict[str, Any]]:
    """One plan split by county on ``workers`` workers: wall s, driver peak MB, summary."""
    request = PlanRequest(
        voters=voters, streets=streets, size=TurfSize(minutes=120.0), target=target
    )
    started = time.perf_counter()
    with PeakRss() as driver:
        result = plan_by_region(
            request, out, parse_regions("county"), cluster=ClusterOptions(workers=workers)
        )
    wall = time.perf_counter() - started
    if result.partial:
        print(f"regions failed: {result.failed}")
    return wall, driver.peak_mb, result.summary


def region_table(summary: dict[str, Any]) -> None:
    print(f"{'region':<10} {'voters':>8} {'turfs':>6} {'s':>7} {'cpu s':>7} "
          f"{'voters/cpu s':>13} {'worker peak MB':>15}")  # fmt: skip
    stages: dict[str, float] = {}
    for record in summary["regions"]["list"]:
        seconds = float(record.get("seconds") or 0.0)
        cpu = float(record.get("cpu_seconds") or 0.0)
        rate = record["voters"] / cpu if cpu else float("nan")
        print(
            f"{record['region']:<10} {record['voters']:>8,} {record.get('turfs', 0):>6} "
            f"{seconds:>7.1f} {cpu:>7.1f} {rate:>13.0f} "
            f"{record.get('worker_peak_rss_mb') or 0:>15}"
        )
        for name, value in (record.get("timings_s") or {}).items():
            if name in ("write_total",) or name.endswith("_work"):
                continue
            stages[name] = stages.get(name, 0.0) + float(value)
    top = sorted(stages.items(), key=lambda kv: -kv[1])[:8]
    print("stages summed over regions (s): " + ", ".join(f"{k} {v:.1f}" for k, v in top))


PDF_STAMPS = re.compile(rb"/CreationDate \(D:\d+Z\)|/ID \[<[0-9A-F]+><[0-9A-F]+>\]")
"""What differs between two prints of the same walk list: when it was printed."""


def plan_digests(folder: Path) -> dict[str, str]:
    """Each file of a plan folder by its SHA-256, but ``summary.json`` (times, workers) and
    the PDFs' print dates."""
    digests = {}
    for path in sorted(folder.rglob("*")):
        if not path.is_file() or path.name == "summary.json":
            continue
        data = path.read_bytes()
        if path.suffix == ".pdf":
            data = PDF_STAMPS.sub(b"", data)
        digests[str(path.relative_to(folder))] = hashlib.sha256(data).hexdigest()
    return digests


def compare_plans(folders: list[Path]) -> None:
    """Whether the plans made on different numbers of workers are the same, file by file."""
    first, *others = [plan_digests(f) for f in folders]
    whole = hashlib.sha256(json.dumps(first, sort_keys=True).encode()).hexdigest()[:16]
    for folder, other in zip(folders[1:], others, strict=True):
        differ = sorted(k for k in first.keys() | other.keys() if first.get(k) != other.get(k))
        print(f"{folders[0].parent.name}/{folders[0].name} against {folder.parent.name}/"
              f"{folder.name}: {len(first):,} files, "
              + ("identical (digest " + whole + ")" if not differ
                 else f"{len(differ)} differ: {', '.join(differ[:8])}"))  # fmt: skip


def _tiny(index: int) -> dict[str, Any]:
    return {"index": index}


def scheduler_overhead(count: int) -> None:
    """Seconds per trivial task on a LocalCluster of 2, against a plain loop."""
    started = time.perf_counter()
    for i in range(count):
        _tiny(i)
    loop = time.perf_counter() - started
    started = time.perf_counter()
    with dask_client(ClusterOptions(workers=2)) as client:
        ready = time.perf_counter()
        outcomes = run_tasks(
            client, _tiny, {str(i): (i,) for i in range(count)}, retries=1,
            token=uuid.uuid4().hex[:8],
        )  # fmt: skip
        done = time.perf_counter()
    closed = time.perf_counter()
    assert all(o.ok for o in outcomes.values())
    print(
        f"{count} trivial tasks: cluster start {ready - started:.1f} s, tasks "
        f"{done - ready:.2f} s ({(done - ready) / count * 1000:.1f} ms per task; a loop "
        f"{loop / count * 1e6:.1f} us), close {closed - done:.1f} s"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--atlanta-voters", type=int, default=6000, help="doors in Atlanta")
    parser.add_argument("--cobb-voters", type=int, default=12000, help="doors in Cobb")
    parser.add_argument("--cobb-parts", type=int, default=3)
    parser.add_argument("--per-door", type=int, default=1, help="voters at each door")
    parser.add_argument("--copies", type=int, default=1, help="the regions repeated")
    parser.add_argument(
        "--target-share", type=float, default=1.0, help="share of voters targeted (0.05)"
    )
    parser.add_argument("--workers", default="1,2", help="worker counts to run, in order")
    parser.add_argument("--tiny", type=int, default=500)
    parser.add_argument("--keep", type=Path, help="leave the plan folders here")
    args = parser.parse_args()
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    root = Path(tempfile.gettempdir()) / "canvass-bench-scale"
    voters, streets = build_inputs(root, args)
    target = target_expression(args.target_share)
    print(f"{sum(1 for _ in voters.open()) - 1:,} voters, extract {streets.stat().st_size:,} B, "
          f"target {target or 'everyone'}")  # fmt: skip
    work = args.keep or Path(tempfile.mkdtemp(prefix="bench-scale-"))
    walls = {}
    for workers in (int(w) for w in args.workers.split(",")):
        out = work / f"plan-{workers}w"
        shutil.rmtree(out, ignore_errors=True)
        shutil.rmtree(out.parent / f".{out.name}.regions", ignore_errors=True)
        walls[workers], driver_mb, summary = run(voters, streets, out, workers, target)
        print(f"\nLocalCluster, {workers} worker(s): {walls[workers]:.1f} s, "
              f"{len(summary['turfs'])} turfs, {summary['target']['voters']:,} target voters, "
              f"driver peak {driver_mb:,.0f} MB, driver {summary['timings_s']} "
              f"(load average {os.getloadavg()[0]:.1f})")  # fmt: skip
        region_table(summary)
    if 1 in walls and 2 in walls:
        print(f"\nwall 1 worker / 2 workers: {walls[1] / walls[2]:.2f}x")
    if len(walls) > 1:
        compare_plans([work / f"plan-{w}w" for w in walls])
    print(f"load average {os.getloadavg()[0]:.1f}")
    if args.tiny:
        scheduler_overhead(args.tiny)
    if args.keep is None:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
