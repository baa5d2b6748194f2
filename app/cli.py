"""The ``canvass`` command: demo, plan, route and serve."""

from __future__ import annotations

import argparse
import getpass
import json
import logging
import os
import sys
import time
from collections.abc import Callable, Sequence
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
from rich.console import Console
from rich.logging import RichHandler
from rich.markup import escape

from app.pipeline import PlanRequest, read_previous_stops, run_plan
from app.survey import DEMO_SURVEY, SurveyError, SurveyStore
from geo._errors import InputError
from routing._errors import SnappingError, StreetDataError
from routing.graph_cache import default_cache_dir
from routing.turfs import TurfSize, WalkModel
from segments._errors import FilterError

if TYPE_CHECKING:
    from app.store.engine import Database

logger = logging.getLogger("canvass")
console = Console(stderr=True)

DEFAULT_WORKSPACE = Path("canvass-data")
ADMIN_PASSWORD_ENV = "CANVASS_ADMIN_PASSWORD"
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")
DEMO_TARGET = "support_score >= 55 and turnout_score between 20 and 85"


def _latlon(text: str) -> tuple[float, float]:
    try:
        lat_text, lon_text = text.split(",")
        lat, lon = float(lat_text), float(lon_text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected LAT,LON like 60.1699,24.9384, got {text!r}"
        ) from None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise argparse.ArgumentTypeError(f"{text!r} is not a valid LAT,LON")
    return lat, lon


def _positive(kind: type[int] | type[float]) -> Callable[[str], int | float]:
    def parse(text: str) -> int | float:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
        if value <= 0:
            raise argparse.ArgumentTypeError(f"must be positive, got {text!r}")
        return value

    return parse


def _add_walk_options(parser: argparse.ArgumentParser) -> None:
    defaults = WalkModel()
    parser.add_argument(
        "--walk-speed",
        type=_positive(float),
        default=defaults.speed_mps,
        help=f"walking speed in m/s (default {defaults.speed_mps})",
    )
    parser.add_argument(
        "--minutes-per-door",
        type=float,
        default=defaults.minutes_per_door,
        help=f"minutes at each door (default {defaults.minutes_per_door})",
    )
    parser.add_argument(
        "--minutes-per-stop",
        type=float,
        default=defaults.minutes_per_stop,
        help=f"minutes at each building or house (default {defaults.minutes_per_stop})",
    )


def _walk_model(args: argparse.Namespace) -> WalkModel:
    if args.minutes_per_door < 0 or args.minutes_per_stop < 0:
        raise InputError("--minutes-per-door and --minutes-per-stop cannot be negative")
    return WalkModel(
        speed_mps=args.walk_speed,
        minutes_per_door=args.minutes_per_door,
        minutes_per_stop=args.minutes_per_stop,
    )


def _add_serve_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--port", type=int, default=8000, help="port to listen on")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every sub-command."""
    parser = argparse.ArgumentParser(
        prog="canvass", description="Plan door-to-door canvassing on real streets."
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log more detail")
    commands = parser.add_subparsers(dest="command", required=True)

    demo = commands.add_parser("demo", help="build a whole plan from the embedded sample")
    demo.add_argument(
        "--out",
        type=Path,
        default=DEFAULT_WORKSPACE / "demo",
        help="plan folder to write (default: canvass-data/demo)",
    )
    demo.add_argument("--no-serve", action="store_true", help="build the plan, do not serve it")
    _add_serve_options(demo)

    plan = commands.add_parser("plan", help="run the whole pipeline on your own files")
    plan.add_argument("--voters", type=Path, required=True, help="voter file (CSV/TSV/Parquet/...)")
    plan.add_argument(
        "--columns",
        type=Path,
        metavar="FILE",
        help='TOML/JSON file naming the voter file\'s columns, e.g. latitude = "Y"',
    )
    plan.add_argument("--precincts", type=Path, help="precinct polygons (GeoJSON/GPKG/SHP)")
    plan.add_argument("--precinct-id", help="column of the precinct file holding the ids")
    plan.add_argument(
        "--streets",
        type=Path,
        required=True,
        help="streets: .osm.pbf/.osm/.osm.bz2, osmnx .graphml, or place:NAME (online)",
    )
    plan.add_argument("--target", help='who to contact, e.g. "party in (DEM, UNA) and age >= 25"')
    size = plan.add_mutually_exclusive_group()
    size.add_argument(
        "--turf-minutes", type=_positive(float), help="turf size in minutes (default 120)"
    )
    size.add_argument("--turf-doors", type=_positive(int), help="turf size in doors")
    plan.add_argument("--start", type=_latlon, help="drop-off point LAT,LON every route starts at")
    plan.add_argument("--out", type=Path, required=True, help="folder to write the plan into")
    plan.add_argument(
        "--fresh",
        action="store_true",
        help="cut all turfs anew; by default a re-run into the same --out keeps the turfs "
        "the changes do not touch, so printed walk lists stay valid",
    )
    _add_walk_options(plan)

    route = commands.add_parser("route", help="order a CSV of stops along the streets")
    route.add_argument(
        "--streets",
        type=Path,
        required=True,
        help="streets: .osm.pbf/.osm/.osm.bz2, osmnx .graphml, or place:NAME (online)",
    )
    route.add_argument("--stops", type=Path, required=True, help="CSV with id,lat,lon columns")
    route.add_argument("--start", type=_latlon, help="start point LAT,LON")
    route.add_argument("--loop", action="store_true", help="return to the start at the end")
    route.add_argument("--out", type=Path, required=True, help="JSON file to write")
    _add_walk_options(route)

    serve = commands.add_parser("serve", help="serve plans in a workspace folder")
    _add_store_options(serve)
    _add_serve_options(serve)

    admin = commands.add_parser("admin", help="manage accounts")
    admin_commands = admin.add_subparsers(dest="admin_command", required=True)
    admin_create = admin_commands.add_parser(
        "create",
        help="create an account (the first admin); the password comes from "
        f"${ADMIN_PASSWORD_ENV}, else standard input when piped, else a prompt",
    )
    admin_create.add_argument("--username", default="admin", help="account name (default admin)")
    admin_create.add_argument(
        "--role", default="admin", choices=("admin", "organiser", "manager"), help="role"
    )
    _add_store_options(admin_create)

    link = commands.add_parser("link", help="volunteer links")
    link_commands = link.add_subparsers(dest="link_command", required=True)
    link_create = link_commands.add_parser("create", help="create a link to one turf, print it")
    link_create.add_argument("--plan", required=True, help="plan name (its folder name)")
    link_create.add_argument("--turf", required=True, help="turf id, e.g. P01-02")
    link_create.add_argument(
        "--fields",
        nargs="+",
        default=["name", "age", "party"],
        help="voter fields the volunteer sees (name age party support_score turnout_score)",
    )
    link_create.add_argument("--days", type=_positive(float), default=7.0, help="days valid")
    link_create.add_argument("--label", default="", help="who the link is for (no surname)")
    link_create.add_argument(
        "--base-url", default="http://127.0.0.1:8000", help="address the server is reached at"
    )
    _add_store_options(link_create)
    return parser


def _add_store_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--workspace",
        type=Path,
        default=DEFAULT_WORKSPACE,
        help="folder of plan folders, or one plan folder (default: canvass-data)",
    )
    parser.add_argument(
        "--db",
        metavar="URL",
        help="database URL, e.g. postgresql://user@host/db (default: $DATABASE_URL, else a "
        "SQLite file in the workspace)",
    )


def _run_and_write(request: PlanRequest, out: Path) -> dict[str, object]:
    from app.outputs import write_plan

    started = time.perf_counter()
    with console.status("starting…") as status:

        def on_stage(name: str) -> None:
            status.update(f"[bold]{name.replace('_', ' ')}[/bold] …")
            logger.debug("stage %s", name)

        plan = run_plan(request, on_stage=on_stage)
        status.update("[bold]writing walk lists and maps[/bold] …")
        document = write_plan(plan, out)
    voters = plan.counts["voters"]
    target = plan.counts["target"]
    console.print(
        f"[green]Plan written[/green] in {time.perf_counter() - started:.1f} s: "
        f"{voters['accepted']:,} of {voters['total']:,} voters accepted "
        f"({voters['rejected']:,} rejected, see rejected.csv); "
        f"{target['voters']:,} targeted at {target['stops']:,} stops; "
        f"{len(plan.turfs)} turfs."
    )
    console.print(f"Outputs: [bold]{out.resolve()}[/bold] (summary.json, walklists/, maps/)")
    return document


def _cmd_demo(args: argparse.Namespace) -> int:
    from geo.sample import write_demo_inputs

    inputs = write_demo_inputs(args.out.with_name(f"{args.out.name}-inputs"))
    console.print(
        f"Demo inputs (synthetic voters on real Helsinki addresses): {inputs.voters.parent}"
    )
    request = PlanRequest(
        voters=inputs.voters,
        precincts=inputs.precincts,
        streets=inputs.streets,
        target=DEMO_TARGET,
        graph_cache_dir=default_cache_dir(),
    )
    _run_and_write(request, args.out)
    survey = SurveyStore(args.out.parent)
    if not survey.path.exists():  # questions to try on the phone page; PUT /api/survey changes them
        survey.save(DEMO_SURVEY)
    if not args.no_serve:
        return _serve(args.out.parent, host=args.host, port=args.port, demo_link=True)
    return 0


def _cmd_plan(args: argparse.Namespace) -> int:
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
        model=_walk_model(args),
        graph_cache_dir=default_cache_dir(),
        previous_stops=None if args.fresh else _previous_cut(args.out, size),
    )
    _run_and_write(request, args.out)
    return 0


def _previous_cut(out: Path, size: TurfSize) -> pd.DataFrame | None:
    """Stops of the plan already in ``out`` when it was cut to the same turf size."""
    summary = out / "summary.json"
    if not summary.is_file():
        return None
    try:
        previous_size = json.loads(summary.read_text(encoding="utf-8")).get("turf_size")
    except (OSError, json.JSONDecodeError):
        return None
    current = {"minutes": size.minutes} if size.minutes is not None else {"doors": size.doors}
    if previous_size != current:
        return None
    return read_previous_stops(out)


def _cmd_route(args: argparse.Namespace) -> int:
    from app.route_command import route_stops_file

    result = route_stops_file(
        args.streets,
        args.stops,
        start_latlon=args.start,
        loop=args.loop,
        model=_walk_model(args),
        graph_cache_dir=default_cache_dir(),
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


def _print_demo_link(database: Database, host: str, port: int) -> None:
    from sqlalchemy import select

    from app.store.links import create_link
    from app.store.models import Plan, Turf

    with database.reading() as session:
        first = session.execute(
            select(Plan.name, Turf.code).join(Turf).order_by(Plan.name, Turf.code).limit(1)
        ).first()
    if first is None:
        return
    token, _ = create_link(database, first[0], first[1], label="demo", expires_in=timedelta(days=7))
    console.print(
        f"Volunteer phone page of turf {first[1]} (a link valid 7 days): "
        f"[bold]http://{host}:{port}/t/{token}[/bold]",
        soft_wrap=True,
    )


def _serve(
    workspace: Path, *, host: str, port: int, db: str | None = None, demo_link: bool = False
) -> int:
    import uvicorn

    from app.accounts import count_users
    from app.server import create_app

    # Set-up mode (plans readable while no account exists) only on this machine's loopback.
    app = create_app(workspace, db, open_without_accounts=host in LOOPBACK_HOSTS)
    if host not in LOOPBACK_HOSTS and count_users(app.state.db) == 0:
        console.print(
            f"[yellow]No accounts yet:[/yellow] on {host} every page needs a login. Create "
            f"an admin with: canvass admin create --workspace {workspace}"
        )
    console.print(
        f"Serving [bold]{workspace.resolve()}[/bold] at [bold]http://{host}:{port}/[/bold]"
        " (Ctrl-C to stop)"
    )
    if demo_link:
        _print_demo_link(app.state.db, host, port)
    uvicorn.run(app, host=host, port=port, log_level="warning")
    return 0


def _open_store(args: argparse.Namespace) -> Database:
    from app.server import Workspace, import_plans
    from app.store.engine import open_database

    space = Workspace(args.workspace)
    space.files_root.mkdir(parents=True, exist_ok=True)
    database = open_database(args.db, space.files_root)
    import_plans(database, space)
    return database


def _admin_password() -> str:
    password = os.environ.get(ADMIN_PASSWORD_ENV)
    if password:
        return password
    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\r\n")
    password = getpass.getpass("Password: ")
    if getpass.getpass("Again: ") != password:
        raise InputError("the two passwords differ; run the command again")
    return password


def _cmd_admin(args: argparse.Namespace) -> int:
    from app.accounts import AccountError, create_user

    database = _open_store(args)
    try:
        account = create_user(database, args.username, _admin_password(), args.role)
    except AccountError as exc:
        raise InputError(str(exc)) from None
    finally:
        database.dispose()
    console.print(f"Created {account.role} [bold]{escape(account.username)}[/bold].")
    return 0


def _cmd_link(args: argparse.Namespace) -> int:
    from app.store.links import create_link

    database = _open_store(args)
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
    print(f"{args.base_url.rstrip('/')}/t/{token}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``canvass`` console script."""
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(message)s",
        handlers=[RichHandler(console=console, show_path=False)],
    )
    # pyogrio logs every file it writes at INFO; that is noise on the console.
    logging.getLogger("pyogrio").setLevel(logging.WARNING)
    # Alembic reports every migration step and plugin at INFO: noise for a user.
    logging.getLogger("alembic").setLevel(logging.WARNING)
    handlers = {
        "demo": _cmd_demo,
        "plan": _cmd_plan,
        "route": _cmd_route,
        "serve": lambda a: _serve(a.workspace, host=a.host, port=a.port, db=a.db),
        "admin": _cmd_admin,
        "link": _cmd_link,
    }
    try:
        return int(handlers[args.command](args))
    except (InputError, StreetDataError, SnappingError, FilterError, SurveyError) as exc:
        logger.debug("details", exc_info=exc)
        console.print(f"[red]error:[/red] {escape(str(exc))}", highlight=False, soft_wrap=True)
        return 2


if __name__ == "__main__":
    sys.exit(main())
