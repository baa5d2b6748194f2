"""The ``canvass`` command: demo, plan, route, serve, admin and link.

Settings come from the environment once (``app.settings``); options given on the command line
override them. Heavy modules are imported by the commands that need them.
"""

from __future__ import annotations

import argparse
import getpass
import json
import logging
import sys
import time
from collections.abc import Callable, Sequence
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import ValidationError
from rich.console import Console
from rich.logging import RichHandler
from rich.markup import escape

from app.cli.parser import build_parser, walk_model
from app.services.survey import DEMO_SURVEY, SurveyError, SurveyStore, printed
from app.settings import Settings
from geo._errors import InputError
from geo.effort import TurfSize
from routing._errors import SnappingError, StreetDataError
from segments._errors import FilterError

if TYPE_CHECKING:
    from app.planning.request import PlanRequest
    from app.store.engine import Database

logger = logging.getLogger("canvass")
console = Console(stderr=True)

DEMO_TARGET = "support_score >= 55 and turnout_score between 20 and 85"


def _run_and_write(
    request: PlanRequest,
    out: Path,
    *,
    force: bool,
    quiet: bool = False,
    public_url: str | None = None,
) -> dict[str, object]:
    """Run ``request`` and write it to ``out`` with the survey of the workspace ``out`` is in."""
    from app.cli.progress import ConsoleProgress
    from app.outputs.writer import check_destination, write_plan
    from app.planning.pipeline import run_plan

    check_destination(out, force=force)  # before the work, not after it
    started = time.perf_counter()
    with ConsoleProgress(console, quiet=quiet) as progress:
        plan = run_plan(request, progress=progress)
        document = write_plan(
            plan,
            out,
            force=force,
            progress=progress,
            public_url=public_url,
            questions=printed(SurveyStore(out.resolve().parent).load()),
        )
    elapsed = time.perf_counter() - started
    voters = plan.counts["voters"]
    target = plan.counts["target"]
    timings = document["timings_s"]
    assert isinstance(timings, dict)
    writing = float(timings.get("write_total", 0.0))
    console.print(
        f"[green]Plan written[/green] in {elapsed:.1f} s ({elapsed - writing:.1f} s planning, "
        f"{writing:.1f} s writing): {voters['accepted']:,} of {voters['total']:,} voters "
        f"accepted ({voters['rejected']:,} rejected, see rejected.csv); "
        f"{target['voters']:,} targeted at {target['stops']:,} stops; {len(plan.turfs)} turfs.",
        soft_wrap=True,
    )
    budget = document.get("budget")
    if isinstance(budget, dict):
        console.print(
            f"Budget: {budget['turfs']} turfs in {budget['hours_used']} of {budget['hours']} "
            f"volunteer-hours reach {budget['doors']:,} doors, {budget['voters']:,} voters, "
            f"value {budget['value']:,} of {budget['value_total']:,} ({budget['value_of']}).",
            soft_wrap=True,
            highlight=False,
        )
    suggested = document.get("assignments_suggested")
    if isinstance(suggested, dict):
        console.print(
            f"Who goes where: {suggested['turfs_assigned']} of {suggested['turfs']} turfs to "
            f"{suggested['volunteers'] - suggested['volunteers_without_turf']} of "
            f"{suggested['volunteers']} volunteers, {suggested['travel_km']:,} km from home in "
            "all (assignments_suggested.csv).",
            soft_wrap=True,
            highlight=False,
        )
    if not quiet:
        console.print(f"Outputs: [bold]{out.resolve()}[/bold] (summary.json, walklists/, maps/)")
    return document


def _cmd_demo(args: argparse.Namespace, settings: Settings) -> int:
    from app.outputs.writer import check_destination
    from app.planning.request import PlanRequest
    from geo.sample import write_demo_inputs

    check_destination(args.out, force=args.force)
    survey = SurveyStore(args.out.resolve().parent)
    if not survey.path.exists():  # questions to try on the phone page; PUT /api/survey changes them
        survey.save(DEMO_SURVEY)
    inputs = write_demo_inputs(args.out.with_name(f"{args.out.name}-inputs"))
    console.print(
        f"Demo inputs (synthetic voters on real Helsinki addresses): {inputs.voters.parent}"
    )
    request = PlanRequest(
        voters=inputs.voters,
        precincts=inputs.precincts,
        streets=inputs.streets,
        target=DEMO_TARGET,
        graph_cache_dir=settings.graph_cache_dir,
        archive_limits=settings.archive_limits,
    )
    _run_and_write(
        request, args.out, force=args.force, quiet=args.quiet, public_url=settings.public_url
    )
    if not args.no_serve:
        served = settings.model_copy(update={"workspace": args.out.parent})
        return _serve(served, host=args.host, port=args.port, demo_link=True)
    return 0


def _cmd_plan(args: argparse.Namespace, settings: Settings) -> int:
    from app.outputs.paper import parse_paper
    from app.planning.request import PlanRequest, previous_cut

    size = (
        TurfSize(minutes=None, doors=args.turf_doors)
        if args.turf_doors
        else TurfSize(minutes=args.turf_minutes or 120.0)
    )
    request = PlanRequest(
        voters=args.voters,
        precincts=args.precincts,
        streets=args.streets,
        target=args.target,
        size=size,
        start_latlon=args.start,
        precinct_id_column=args.precinct_id,
        columns_file=args.columns,
        addresses=tuple(args.addresses),
        model=walk_model(args),
        graph_cache_dir=settings.graph_cache_dir,
        previous_stops=None if args.fresh else previous_cut(args.out, size),
        archive_limits=settings.archive_limits,
        paper=parse_paper(args.paper),
        hours=args.hours,
        value=args.value,
        results=args.results,
        volunteers=args.volunteers,
    )
    request = _with_privacy(request, args, settings)
    if args.regions:
        from app.cli.regions import run_regions

        questions = printed(SurveyStore(args.out.resolve().parent).load())
        return run_regions(request, args, settings, console, questions=questions)
    _run_and_write(
        request, args.out, force=args.force, quiet=args.quiet, public_url=settings.public_url
    )
    return 0


def _with_privacy(
    request: PlanRequest, args: argparse.Namespace, settings: Settings
) -> PlanRequest:
    """The request with the workspace's opt-outs and tombstones and the walk-list fields."""
    from dataclasses import replace

    from app.cli.privacy import plan_privacy_keys
    from app.privacy.fields import walklist_fields

    keys = plan_privacy_keys(settings, args.out, args.workspace, args.do_not_contact)
    fields = walklist_fields(args.walklist_fields) if args.walklist_fields else None
    return replace(
        request,
        privacy=keys,
        walklist_fields=fields,
        privacy_notice_url=settings.privacy_notice_url,
    )


def _cmd_privacy(args: argparse.Namespace, settings: Settings) -> int:
    from app.cli.privacy import run_privacy

    return run_privacy(args, settings, console)


def _cmd_route(args: argparse.Namespace, settings: Settings) -> int:
    from app.services.route_file import route_stops_file

    result = route_stops_file(
        args.streets,
        args.stops,
        start_latlon=args.start,
        loop=args.loop,
        model=walk_model(args),
        graph_cache_dir=settings.graph_cache_dir,
        archive_limits=settings.archive_limits,
    )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    tmp = args.out.with_name(f".{args.out.name}.tmp")
    tmp.write_text(json.dumps(result, indent=1), encoding="utf-8")
    tmp.replace(args.out)
    console.print(
        f"Ordered {len(result['order'])} stops: {result['walk_m']:.0f} m, "
        f"{result['minutes']:.0f} min. Written to [bold]{args.out}[/bold]"
    )
    return 0


def _serve(
    settings: Settings, *, host: str, port: int, demo_link: bool = False, workers: int = 1
) -> int:
    from app.cli.serve import serve

    return serve(
        settings,
        host=host,
        port=port,
        console=console,
        with_demo_link=demo_link,
        workers=workers,
    )


def _serve_command(args: argparse.Namespace, settings: Settings) -> int:
    overrides: dict[str, object] = {}
    if args.public_url:
        overrides["public_url"] = args.public_url
    if args.self_signed:
        from app.cli.certificates import self_signed_certificate

        names = [args.host] if args.host not in ("0.0.0.0", "::") else []
        names += [name for name in args.self_signed.split(",") if name]
        folder = settings.workspace / ".canvass" / "tls"
        cert, key = self_signed_certificate(folder, names or ["localhost"])
        overrides.update(tls_cert=cert, tls_key=key)
        console.print(
            f"Self-signed certificate for {', '.join(names or ['localhost'])} in {folder}: "
            "each phone shows a warning once, to be accepted.",
            soft_wrap=True,
        )
    if args.tls_cert or args.tls_key:
        overrides.update(tls_cert=args.tls_cert, tls_key=args.tls_key)
    if args.trusted_proxies:
        overrides["trusted_proxies"] = args.trusted_proxies
    served = Settings(**{**settings.model_dump(), **overrides}) if overrides else settings
    return _serve(served, host=args.host, port=args.port, workers=args.workers)


def _open_store(settings: Settings) -> Database:
    from app.services.workspace import Workspace
    from app.store.engine import open_database

    space = Workspace(settings.workspace)
    space.files_root.mkdir(parents=True, exist_ok=True)
    database = open_database(settings.database_url, space.files_root)
    space.import_all(database)
    return database


def _admin_password(settings: Settings) -> str:
    if settings.admin_password is not None and settings.admin_password.get_secret_value():
        return settings.admin_password.get_secret_value()
    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\r\n")
    password = getpass.getpass("Password: ")
    if getpass.getpass("Again: ") != password:
        raise InputError("the two passwords differ; run the command again")
    return password


def _cmd_admin(args: argparse.Namespace, settings: Settings) -> int:
    from app.services.accounts import AccountError, create_user

    database = _open_store(settings)
    try:
        account = create_user(database, args.username, _admin_password(settings), args.role)
    except AccountError as exc:
        raise InputError(str(exc)) from None
    finally:
        database.dispose()
    console.print(f"Created {account.role} [bold]{escape(account.username)}[/bold].")
    return 0


def _cmd_link(args: argparse.Namespace, settings: Settings) -> int:
    from app.store.links import create_link

    database = _open_store(settings)
    try:
        token, _ = create_link(
            database,
            args.plan,
            args.turf,
            fields=args.fields,
            expires_in=timedelta(days=args.days),
            label=args.label,
        )
    except (LookupError, ValueError) as exc:
        raise InputError(str(exc)) from None
    finally:
        database.dispose()
    # The URL alone on standard output, so scripts can capture it.
    base = args.base_url or settings.public_url or "http://127.0.0.1:8000"
    print(f"{base.rstrip('/')}/t/{token}")
    return 0


def _settings(args: argparse.Namespace) -> Settings:
    """The environment's settings with the command line's ``--workspace``/``--db`` over them."""
    overrides: dict[str, object] = {}
    if getattr(args, "workspace", None) is not None:
        overrides["workspace"] = args.workspace
    if getattr(args, "db", None):
        overrides["database_url"] = args.db
    return Settings(**overrides)  # type: ignore[arg-type]


Command = Callable[[argparse.Namespace, Settings], int]
COMMANDS: dict[str, Command] = {
    "demo": _cmd_demo,
    "plan": _cmd_plan,
    "route": _cmd_route,
    "serve": _serve_command,
    "admin": _cmd_admin,
    "link": _cmd_link,
    "privacy": _cmd_privacy,
}


OUR_LOGGERS = ("canvass", "app", "geo", "routing", "segments")


def _configure_logging(*, verbose: bool, quiet: bool) -> None:
    """Ours at INFO (DEBUG with --verbose, errors only with --quiet); other libraries' warnings.

    Libraries log plenty at INFO (fontTools per font subset, pyogrio per file, Alembic per
    migration): none of that is for the person at the console.
    """
    logging.basicConfig(
        level=logging.ERROR if quiet else logging.WARNING,
        format="%(message)s",
        handlers=[RichHandler(console=console, show_path=False)],
        force=True,
    )
    ours = logging.DEBUG if verbose else logging.ERROR if quiet else logging.INFO
    for name in OUR_LOGGERS:
        logging.getLogger(name).setLevel(ours)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``canvass`` console script."""
    args = build_parser().parse_args(argv)
    _configure_logging(verbose=args.verbose, quiet=args.quiet)
    try:
        return int(COMMANDS[args.command](args, _settings(args)))
    except ValidationError as exc:  # a setting from an option or the environment
        problems = "; ".join(
            f"{'.'.join(map(str, e['loc'])) or 'settings'}: {e['msg']}" for e in exc.errors()
        )
        console.print(f"[red]error:[/red] {escape(problems)}", highlight=False, soft_wrap=True)
        return 2
    except (InputError, StreetDataError, SnappingError, FilterError, SurveyError) as exc:
        logger.debug("details", exc_info=exc)
        console.print(f"[red]error:[/red] {escape(str(exc))}", highlight=False, soft_wrap=True)
        return 2


if __name__ == "__main__":
    sys.exit(main())
