"""A web plan job made in the server's thread against one made on a Dask cluster.

The demo plan (~8,400 voters, every voter a target unless ``--target``) goes through
``app.services.plan_jobs.make_plan``, what every web plan job runs: once in this process (no
scheduler configured), once as a task on a LocalCluster of one worker process
(``DASK_SCHEDULER_ADDRESS`` set), side by side into fresh folders, each run ``--repeat``
times in turn. It prints each run's seconds, the stages and counts the job's progress heard
(the cluster's arrive as Dask events), and the ratio cluster / thread: what sending the work
to a worker adds (pickling the request, a worker whose imports and street-graph cache are
its own).

    python bench/bench_cluster_jobs.py [--repeat 2] [--target EXPR] [--keep DIR]
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.planning.progress import Progress
from app.planning.request import PlanRequest
from app.services.cluster_jobs import ClusterPlans
from app.services.plan_jobs import make_plan
from geo.sample import write_demo_inputs


class Heard(Progress):
    """Counts the stages and items a job's progress receives."""

    def __init__(self) -> None:
        self.stages: list[str] = []
        self.items = 0

    def stage(self, name: str, total: int | None = None) -> None:
        """A stage started."""
        self.stages.append(name)

    def advance(self, count: int = 1) -> None:
        """Items done."""
        self.items += count


def _run(request: PlanRequest, folder: Path, cluster: ClusterPlans | None) -> tuple[float, Heard]:
    heard = Heard()
    started = time.perf_counter()
    make_plan(request, folder, heard, public_url=None, survey=None, on_written=lambda _: None,
              cluster=cluster)  # fmt: skip
    return time.perf_counter() - started, heard


def main() -> None:
    """Run the comparison and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--target", default="")
    parser.add_argument("--keep", type=Path, default=None)
    args = parser.parse_args()
    from distributed import LocalCluster

    root = args.keep or Path(tempfile.mkdtemp(prefix="bench-cluster-jobs-"))
    demo = write_demo_inputs(root / "inputs")
    cache = root / "graph-cache"
    request = PlanRequest(voters=demo.voters, precincts=demo.precincts, streets=demo.streets,
                          target=args.target or None, graph_cache_dir=cache)  # fmt: skip
    _run(request, root / "warm", None)  # the street graph cached once, numba compiled here
    local = LocalCluster(n_workers=1, threads_per_worker=1, processes=True, host="127.0.0.1",
                         dashboard_address=":0", scheduler_kwargs={"dashboard": False})  # fmt: skip
    with local:
        cluster = ClusterPlans(str(local.scheduler_address))
        try:
            rows = []
            for i in range(args.repeat):
                for label, where in (("thread", None), ("cluster", cluster)):
                    folder = root / f"{label}-{i}"
                    seconds, heard = _run(request, folder, where)
                    rows.append((label, i, seconds, len(heard.stages), heard.items))
                    shutil.rmtree(folder)
        finally:
            cluster.close()
    print(f"load average {os.getloadavg()[0]:.2f}; demo plan, target {args.target or 'all'}")
    print(f"{'where':8} {'run':>3} {'seconds':>8} {'stages':>6} {'items':>6}")
    for label, i, seconds, stages, items in rows:
        print(f"{label:8} {i:>3} {seconds:>8.1f} {stages:>6} {items:>6}")
    for i in range(args.repeat):
        thread, on_cluster = (r[2] for r in rows if r[1] == i)
        print(f"run {i}: cluster / thread = {on_cluster / thread:.2f}")
    if args.keep is None:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
