"""The ``canvass`` command line: sub-commands, their options and how option values parse."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path

from app.cli.privacy import add_privacy_commands
from app.cli.regions import add_region_options
from app.settings import DEFAULT_WORKSPACE
from geo._errors import InputError
from geo.effort import WalkModel

ADMIN_PASSWORD_ENV = "CANVASS_ADMIN_PASSWORD"


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
    parser.add_argument(
        "--minutes-per-turf",
        type=float,
        default=defaults.minutes_per_turf,
        help="minutes to reach each turf worked, charged to --hours "
        f"(default {defaults.minutes_per_turf})",
    )


def walk_model(args: argparse.Namespace) -> WalkModel:
    """The walk model the options ask for."""
    if min(args.minutes_per_door, args.minutes_per_stop, args.minutes_per_turf) < 0:
        raise InputError(
            "--minutes-per-door, --minutes-per-stop and --minutes-per-turf cannot be negative"
        )
    return WalkModel(
        speed_mps=args.walk_speed,
        minutes_per_door=args.minutes_per_door,
        minutes_per_stop=args.minutes_per_stop,
        minutes_per_turf=args.minutes_per_turf,
    )


def _add_budget_options(parser: argparse.ArgumentParser) -> None:
    """The weekend's budget (issue 18): hours to spend and what a voter is worth."""
    budget = parser.add_argument_group("budget")
    budget.add_argument(
        "--hours",
        type=_positive(float),
        help="volunteer-hours available (e.g. 40 volunteers x 3 h = 120): turfs get a priority "
        "and the set of greatest value that fits is marked in_budget",
    )
    budget.add_argument(
        "--value",
        metavar="EXPR",
        help='what a target voter is worth, e.g. "support_score * (100 - turnout_score) / 100" '
        "(default: 1, so the count of target voters)",
    )
    budget.add_argument(
        "--results",
        type=Path,
        metavar="FILE",
        help="the next pass: results recorded so far (our export or a MiniVAN contact history); "
        "doors with a final result leave the plan, attempts and last_result become fields",
    )


def _add_serve_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to listen on (default 127.0.0.1: this machine only; 0.0.0.0 for phones)",
    )
    parser.add_argument("--port", type=int, default=8000, help="port to listen on (default 8000)")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every sub-command."""
    parser = argparse.ArgumentParser(
        prog="canvass", description="Plan door-to-door canvassing on real streets."
    )
    loudness = parser.add_mutually_exclusive_group()
    loudness.add_argument("-v", "--verbose", action="store_true", help="log more detail")
    loudness.add_argument(
        "-q", "--quiet", action="store_true", help="print only errors and the final line"
    )
    commands = parser.add_subparsers(dest="command", required=True)

    demo = commands.add_parser("demo", help="build a whole plan from the embedded sample")
    demo.add_argument(
        "--out",
        type=Path,
        default=DEFAULT_WORKSPACE / "demo",
        help="plan folder to write (default: canvass-data/demo); an earlier plan there is "
        "replaced, anything else is refused unless --force",
    )
    demo.add_argument(
        "--force", action="store_true", help="replace --out even when it is not an earlier plan"
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
    plan.add_argument(
        "--addresses",
        type=Path,
        action="append",
        default=[],
        metavar="FILE",
        help="address data to place voters without coordinates (repeatable): OpenAddresses "
        "CSV/GeoJSON lines, TIGER/Line ADDRFEAT or EDGES zip, or any points layer with house "
        "number and street; trusted before the OSM address points of --streets",
    )
    plan.add_argument("--precincts", type=Path, help="precinct polygons (GeoJSON/GPKG/SHP)")
    plan.add_argument(
        "--precinct-id",
        metavar="COL[,COL]",
        help="column of the precinct file holding the ids, or two when numbers restart in each "
        "county (COUNTY,PRECINCT); chosen from the file when not given",
    )
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
    plan.add_argument(
        "--paper",
        type=str.lower,
        choices=("letter", "a4", "auto"),
        default="auto",
        help="paper the walk lists print on (default auto: Letter for a US voter file or doors "
        "in the US, Canada or Mexico, A4 elsewhere)",
    )
    plan.add_argument(
        "--out",
        type=Path,
        required=True,
        help="folder to write the plan into; it may hold an earlier plan (which is replaced), "
        "anything else there is refused unless --force",
    )
    plan.add_argument(
        "--force",
        action="store_true",
        help="replace --out even when it is not an earlier plan (its contents are deleted)",
    )
    plan.add_argument(
        "--fresh",
        action="store_true",
        help="cut all turfs anew; by default a re-run into the same --out keeps the turfs "
        "the changes do not touch, so printed walk lists stay valid",
    )
    _add_walk_options(plan)
    _add_privacy_plan_options(plan)
    add_region_options(plan)
    _add_budget_options(plan)
    plan.add_argument(
        "--volunteers",
        type=Path,
        metavar="FILE",
        help="who goes where: a CSV of volunteers (name, and home address or lat/lon; optional "
        "hours and 'pairs with'); the turfs are suggested to them with the least travel from "
        "home, in assignments_suggested.csv",
    )

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
    serve.add_argument(
        "--public-url",
        metavar="URL",
        help="address phones reach the server at, used in every link and QR code, e.g. "
        "https://canvass.example.org (default: $CANVASS_PUBLIC_URL, else this server's address)",
    )
    serve.add_argument("--tls-cert", type=Path, metavar="FILE", help="serve HTTPS: certificate")
    serve.add_argument("--tls-key", type=Path, metavar="FILE", help="serve HTTPS: private key")
    serve.add_argument(
        "--self-signed",
        nargs="?",
        const="localhost",
        metavar="NAMES",
        help="serve HTTPS with a self-signed certificate made for --host and NAMES "
        "(comma-separated host names or IPs phones use); phones warn once",
    )
    serve.add_argument(
        "--workers",
        type=_positive(int),
        default=1,
        help="server processes (default 1); they share the database, jobs included",
    )
    serve.add_argument(
        "--trusted-proxies",
        metavar="IPS",
        help="reverse proxies whose X-Forwarded-* headers are believed (default: "
        "$CANVASS_TRUSTED_PROXIES, else 127.0.0.1)",
    )

    admin = commands.add_parser("admin", help="manage accounts")
    admin_commands = admin.add_subparsers(dest="admin_command", required=True)
    admin_create = admin_commands.add_parser(
        "create",
        help="create an account (the first admin); the password comes from "
        f"${ADMIN_PASSWORD_ENV}, else standard input when piped, else a prompt",
    )
    admin_create.add_argument("--username", default="admin", help="account name (default admin)")
    admin_create.add_argument(
        "--role",
        default="admin",
        choices=("admin", "organiser", "manager"),
        help="role (default admin)",
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
        help="voter fields the volunteer sees, of name age party support_score turnout_score "
        "(default: name age party)",
    )
    link_create.add_argument(
        "--days", type=_positive(float), default=7.0, help="days valid (default 7)"
    )
    link_create.add_argument("--label", default="", help="who the link is for (no surname)")
    link_create.add_argument(
        "--base-url",
        help="address the server is reached at (default: $CANVASS_PUBLIC_URL, else "
        "http://127.0.0.1:8000)",
    )
    _add_store_options(link_create)
    add_privacy_commands(commands, _add_store_options)
    return parser


def _add_privacy_plan_options(plan: argparse.ArgumentParser) -> None:
    """Issue 21: opt-outs honoured and the walk lists' voter fields chosen."""
    plan.add_argument(
        "--do-not-contact",
        type=Path,
        action="append",
        default=[],
        metavar="FILE",
        help="people who must not be contacted (repeatable): voter ids, names with addresses, "
        "or addresses alone (the whole household); kept in the workspace's database, so they "
        "stay out of every later plan",
    )
    plan.add_argument(
        "--walklist-fields",
        nargs="+",
        metavar="FIELD",
        help="voter fields of the printed and downloadable walk lists, of name age_band age "
        "party support_score turnout_score (default: name age_band)",
    )
    _add_store_options(plan)


def _add_store_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--workspace",
        type=Path,
        default=None,
        help="folder of plan folders, or one plan folder (default: $CANVASS_WORKSPACE, else "
        "canvass-data)",
    )
    parser.add_argument(
        "--db",
        metavar="URL",
        help="database URL, e.g. postgresql://user@host/db (default: $DATABASE_URL, else a "
        "SQLite file in the workspace)",
    )
