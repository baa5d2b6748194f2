"""``canvass privacy erase|export|sweep`` and the do-not-contact keys of ``canvass plan``."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console

from app.settings import Settings

if TYPE_CHECKING:
    from app.privacy.keys import PrivacyKeys
    from app.store.engine import Database


def add_privacy_commands(
    commands: argparse._SubParsersAction,
    add_store_options: object,
) -> None:
    """The ``privacy`` command group (``add_store_options`` adds --workspace and --db)."""
    privacy = commands.add_parser("privacy", help="erasure, subject access and retention")
    group = privacy.add_subparsers(dest="privacy_command", required=True)
    erase = group.add_parser(
        "erase",
        help="erase a person from the database and every plan folder; keep a tombstone so a "
        "re-imported voter file does not bring them back",
    )
    export = group.add_parser("export", help="write everything held about a person as JSON")
    for parser in (erase, export):
        whom = parser.add_mutually_exclusive_group(required=True)
        whom.add_argument("--voter", metavar="ID", help="a voter, by their voter id")
        whom.add_argument(
            "--person",
            type=int,
            metavar="ID",
            help="a volunteer of the people list, by their id (the People page shows it)",
        )
    export.add_argument(
        "--out", type=Path, metavar="FILE", help="JSON file to write (default: standard output)"
    )
    sweep = group.add_parser(
        "sweep",
        help="reduce plans untouched for the retention period to aggregates (names go, "
        "dashboards keep their figures) and expire their links",
    )
    sweep.add_argument(
        "--days",
        type=int,
        metavar="N",
        help="retention period in days (default: $CANVASS_RETENTION_DAYS, else 365)",
    )
    for parser in (erase, export, sweep):
        add_store_options(parser)  # type: ignore[operator]


def plan_store(
    settings: Settings, out: Path, workspace: Path | None, *, create: bool
) -> Database | None:
    """The database of the workspace a plan is written into (``--out``'s parent by default).

    ``None`` when there is none and ``create`` is false: a plan made outside any workspace
    has no opt-outs to honour but those of its ``--do-not-contact`` list.
    """
    from app.store.engine import SQLITE_FILE, open_database

    root = (workspace or out.resolve().parent).resolve()
    if settings.database_url is None and not create and not (root / SQLITE_FILE).is_file():
        return None
    root.mkdir(parents=True, exist_ok=True)
    return open_database(settings.database_url, root)


def plan_privacy_keys(
    settings: Settings, out: Path, workspace: Path | None, lists: list[Path]
) -> PrivacyKeys | None:
    """Store the ``--do-not-contact`` lists' keys; every stored opt-out and tombstone."""
    from app.privacy.keys import DO_NOT_CONTACT
    from app.privacy.lists import read_do_not_contact
    from app.store.privacy import add_keys, privacy_keys

    texts = [
        t
        for path in lists
        for t in read_do_not_contact(path, archive_limits=settings.archive_limits)
    ]
    database = plan_store(settings, out, workspace, create=bool(lists))
    if database is None:
        return None
    try:
        if texts:
            add_keys(database, texts, kind=DO_NOT_CONTACT, source="list")
        return privacy_keys(database)
    finally:
        database.dispose()


def _person_request(args: argparse.Namespace, database: Database, console: Console) -> None:
    """``erase --person ID`` or ``export --person ID``: a volunteer of the people list."""
    from app.errors import NotFoundError
    from app.store.people_privacy import erase_person, person_records
    from geo._errors import InputError

    try:
        if args.privacy_command == "erase":
            counts = erase_person(database, args.person)
            console.print(
                f"Erased person {args.person} from the people list: {counts['turfs']} turf(s) "
                f"taken back, {counts['links']} volunteer link(s) revoked and unlabelled."
            )
        else:
            _write_json(person_records(database, args.person), args.out, console)
    except NotFoundError as exc:
        raise InputError(f"--person {args.person}: {exc}") from None


def _write_json(document: object, out: Path | None, console: Console) -> None:
    text = json.dumps(document, indent=1, ensure_ascii=False)
    if out is None:
        print(text)
    else:
        out.write_text(text + "\n", encoding="utf-8")
        console.print(f"Written to [bold]{out}[/bold]")


def run_privacy(args: argparse.Namespace, settings: Settings, console: Console) -> int:
    """Run ``canvass privacy <command>``."""
    from app.services.privacy import Remaking, erase_voter, export_voter, sweep
    from app.services.workspace import Workspace
    from app.store.engine import open_database

    space = Workspace(settings.workspace)
    space.files_root.mkdir(parents=True, exist_ok=True)
    database = open_database(settings.database_url, space.files_root)
    try:
        space.import_all(database)
        if getattr(args, "person", None) is not None:
            _person_request(args, database, console)
        elif args.privacy_command == "erase":
            report = erase_voter(
                database,
                space,
                args.voter,
                remaking=Remaking(
                    graph_cache_dir=settings.graph_cache_dir,
                    archive_limits=settings.archive_limits,
                    public_url=settings.public_url,
                ),
            )
            plans = report.plans_remade + report.plans_scrubbed
            console.print(
                f"Erased: {report.database.get('voter_rows', 0)} database row(s), "
                f"{report.database.get('results', 0)} result(s); plans rewritten: "
                f"{', '.join(plans) or 'none'}. Tombstone {report.tombstone} kept (no "
                "personal data), so a re-imported voter file does not bring them back.",
                soft_wrap=True,
            )
            for name in report.plans_scrubbed:
                console.print(
                    f"[yellow]Plan {name}: its input files are gone, so its printed walk "
                    "lists of the person's turf were deleted rather than made again.[/yellow]"
                )
            for path in sorted(set(report.input_files)):
                console.print(
                    f"[yellow]Your voter file {path} still holds this person: delete the row "
                    "there too (plans leave them out meanwhile).[/yellow]",
                    soft_wrap=True,
                )
        elif args.privacy_command == "export":
            _write_json(export_voter(database, space, args.voter), args.out, console)
        else:
            days = args.days if args.days is not None else settings.retention_days
            reduced = sweep(database, space, retention_days=days)
            console.print(
                f"Plans untouched for {days} days reduced to aggregates: "
                f"{', '.join(reduced) or 'none'}."
            )
    finally:
        database.dispose()
    return 0
