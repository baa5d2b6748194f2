"""``canvass plan --regions``: the options, and the run with its console report.

Exit status 0 when every region was planned, 3 when some failed (the plan is partial:
``summary.json`` ``regions.failed`` names them; running the command again retries them).
"""

from __future__ import annotations

import argparse
import logging
import time
from typing import TYPE_CHECKING, Any

from rich.markup import escape

from geo._errors import InputError

if TYPE_CHECKING:
    from rich.console import Console

    from app.outputs.walklist_marks import PrintedQuestion
    from app.planning.cluster import TaskOutcome
    from app.planning.request import PlanRequest
    from app.settings import Settings

PARTIAL_EXIT = 3
"""Exit status of a plan some of whose regions failed."""


def add_region_options(plan: argparse.ArgumentParser) -> None:
    """``--regions`` and where its tasks run (issue 19)."""
    group = plan.add_argument_group("regions (a statewide plan on Dask distributed)")
    group.add_argument(
        "--regions",
        metavar="COLUMN|FILE|auto:N",
        help="plan region by region: a voter or precinct column (county), a polygon file, or "
        "auto:N for groups of whole precincts of about N voters; one merged plan folder",
    )
    group.add_argument(
        "--workers",
        type=int,
        default=2,
        help="worker processes of the embedded Dask cluster (default 2)",
    )
    group.add_argument(
        "--memory-limit",
        default="auto",
        help="memory per worker of the embedded cluster, e.g. 4GB (default auto: a share of "
        "this machine's)",
    )
    group.add_argument(
        "--scheduler",
        metavar="tcp://HOST:PORT",
        help="a running Dask scheduler to submit the regions to instead (default "
        "$DASK_SCHEDULER_ADDRESS, else the embedded cluster); its workers must reach --out",
    )


def _quiet_dask() -> None:
    """Dask logs each connection and worker at INFO: not for the person at the console."""
    import distributed  # noqa: F401  (sets its loggers' levels on import; ours go over them)

    for name in list(logging.root.manager.loggerDict):
        if name == "distributed" or name.startswith("distributed."):
            logging.getLogger(name).setLevel(logging.ERROR)


def run_regions(
    request: PlanRequest,
    args: argparse.Namespace,
    settings: Settings,
    console: Console,
    *,
    questions: tuple[PrintedQuestion, ...],
) -> int:
    """Run the plan split by region and say how it went; the exit status."""
    # Imported here: `canvass --help` builds this module's options and must stay quick.
    from app.cli.progress import ConsoleProgress
    from app.planning.cluster import ClusterOptions
    from app.planning.regions import parse_regions
    from app.services.region_plans import plan_by_region

    if args.workers < 1:
        raise InputError("--workers must be at least 1")
    cluster = ClusterOptions(
        scheduler=args.scheduler or settings.dask_scheduler_address,
        workers=args.workers,
        memory_limit=args.memory_limit,
    )
    if not args.quiet:
        console.print(f"Regions {escape(args.regions)} on {escape(cluster.describe())}")
    _quiet_dask()

    def heard(outcome: TaskOutcome) -> None:
        # A line per region only when asked: a state in auto:N regions is hundreds of them.
        if args.verbose:
            console.print(_region_line(outcome.key, outcome.error), highlight=False, soft_wrap=True)

    started = time.perf_counter()
    with ConsoleProgress(console, quiet=args.quiet) as progress:
        run = plan_by_region(
            request,
            args.out,
            parse_regions(args.regions),
            cluster=cluster,
            force=args.force,
            public_url=settings.public_url,
            questions=questions,
            on_region=heard,
            progress=progress,
        )
    if not args.quiet:
        report_regions(console, run.summary["regions"])
    voters, regions = run.summary["voters"], run.summary["regions"]
    planned = regions["count"] - len(run.failed)
    console.print(
        f"[green]Plan written[/green] in {time.perf_counter() - started:.1f} s: "
        f"{planned} of {regions['count']} regions, {len(run.summary['turfs'])} turfs; "
        f"{voters['accepted']:,} of {voters['total']:,} voters accepted "
        f"({voters['rejected']:,} rejected, see rejected.csv). "
        f"Outputs: [bold]{escape(str(args.out.resolve()))}[/bold]",
        soft_wrap=True,
    )
    if run.partial:
        console.print(
            f"[red]Partial plan:[/red] {len(run.failed)} region(s) failed "
            f"({escape(_some(sorted(run.failed)))}); their voters are in rejected.csv. "
            "Run the same command again to retry only them.",
            soft_wrap=True,
        )
        return PARTIAL_EXIT
    return 0


SLOWEST = 3
"""Regions named by their time in the report."""
FAILED_LISTED = 10
"""Failed regions listed with their error; the rest are in summary.json."""


def _some(names: list[str]) -> str:
    """The first few ``names``, then how many more."""
    shown = ", ".join(names[:FAILED_LISTED])
    return (
        shown if len(names) <= FAILED_LISTED else f"{shown} and {len(names) - FAILED_LISTED:,} more"
    )


def _region_line(region: str, error: str | None) -> str:
    if error is None:
        return f"  [green]✓[/green] region {escape(region)}"
    return f"  [red]✗[/red] region {escape(region)} failed: {escape(error)}"


def report_regions(console: Console, regions: dict[str, Any]) -> None:
    """A few lines however many regions: counts, the slowest, the failed with their errors."""
    records = regions["list"]
    counts: dict[str, int] = {}
    for record in records:
        counts[record["status"]] = counts.get(record["status"], 0) + 1
    console.print(
        "Regions: " + ", ".join(f"{n:,} {status}" for status, n in sorted(counts.items())),
        highlight=False,
    )
    timed = sorted(
        (r for r in records if r["status"] == "planned" and r.get("seconds") is not None),
        key=lambda r: (-float(r["seconds"]), str(r["region"])),
    )
    if len(timed) > 1:
        slowest = [
            f"{escape(str(r['region']))} {float(r['seconds']):.1f} s" for r in timed[:SLOWEST]
        ]
        console.print("  slowest: " + ", ".join(slowest), highlight=False)
    failed = [r for r in records if r["status"] == "failed"]
    for record in failed[:FAILED_LISTED]:
        # One line each: the first line of the error (a traceback's last line is in the log).
        error = str(record.get("error") or "").strip().splitlines() or [""]
        console.print(_region_line(str(record["region"]), error[0][:200]), highlight=False)
    if len(failed) > FAILED_LISTED:
        console.print(
            f"  ... and {len(failed) - FAILED_LISTED:,} more failed regions "
            "(summary.json regions.list has each one's error)",
            highlight=False,
        )
