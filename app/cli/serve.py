"""``canvass serve``: check the address, make the first admin, say where phones connect, run.

Everything that can fail fails before "Serving ..." is printed: a busy port, a missing
certificate, a public URL that is not an address.
"""

from __future__ import annotations

import errno
import socket
from datetime import timedelta
from typing import TYPE_CHECKING

from rich.console import Console
from rich.markup import escape

from app.settings import Settings
from geo._errors import InputError

if TYPE_CHECKING:
    from app.store.engine import Database

LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")


def check_port_free(host: str, port: int) -> None:
    """``InputError`` when nothing can listen on ``host:port`` (in use, or not this machine's)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise InputError(
                    f"port {port} on {host} is in use (another canvass serve?): stop it, or "
                    "choose another --port"
                ) from None
            raise InputError(f"cannot listen on {host}:{port} ({exc.strerror})") from None


def first_admin(settings: Settings, db: Database, console: Console) -> None:
    """Make the first admin from CANVASS_ADMIN_PASSWORD while no account exists."""
    from app.services.accounts import AccountError, count_users, create_user

    if settings.admin_password is None or count_users(db) > 0:
        return
    try:
        account = create_user(
            db, settings.admin_username, settings.admin_password.get_secret_value(), "admin"
        )
    except AccountError as exc:
        raise InputError(f"CANVASS_ADMIN_PASSWORD / CANVASS_ADMIN_USERNAME: {exc}") from None
    console.print(f"Created the first admin [bold]{escape(account.username)}[/bold].")


def demo_link(db: Database, base: str, console: Console) -> None:
    """Print a volunteer link to the first turf of the first plan (the demo)."""
    from sqlalchemy import select

    from app.store.links import create_link
    from app.store.models import Plan, Turf

    with db.reading() as session:
        first = session.execute(
            select(Plan.name, Turf.code).join(Turf).order_by(Plan.name, Turf.code).limit(1)
        ).first()
    if first is None:
        return
    token, _ = create_link(db, first[0], first[1], label="demo", expires_in=timedelta(days=7))
    console.print(
        f"Volunteer phone page of turf {escape(first[1])} (a link valid 7 days): "
        f"[bold]{base}/t/{token}[/bold]",
        soft_wrap=True,
    )


def serve(
    settings: Settings,
    *,
    host: str,
    port: int,
    console: Console,
    with_demo_link: bool = False,
    workers: int = 1,
) -> int:
    """Run the web app on ``host:port`` until Ctrl-C."""
    import uvicorn

    from app.services.accounts import count_users
    from app.web.app import create_app

    loopback = host in LOOPBACK_HOSTS
    for path in (settings.tls_cert, settings.tls_key):
        if path is not None and not path.is_file():
            raise InputError(f"{path}: no such file (--tls-cert / --tls-key)")
    if (settings.tls_cert is None) != (settings.tls_key is None):
        raise InputError("give both --tls-cert and --tls-key, or neither")
    check_port_free(host, port)
    # Set-up mode (plans readable while no account exists) only on this machine's loopback.
    settings = settings.model_copy(update={"open_without_accounts": loopback})
    app = create_app(settings)
    db = app.state.services.db
    first_admin(settings, db, console)
    base = settings.link_base(host, port)
    if not loopback and count_users(db) == 0:
        token = app.state.services.setup_token
        console.print(
            f"[yellow]No accounts yet:[/yellow] on {host} every page needs a login. Make the "
            f"first admin at [bold]{base}/setup?token={token}[/bold] (this address works until "
            "an account exists), or with: canvass admin create",
            soft_wrap=True,
        )
    if not loopback and base.split("://", 1)[1].split(":")[0] in ("127.0.0.1", "localhost"):
        console.print(
            "[yellow]Phones cannot use links to 127.0.0.1:[/yellow] set --public-url (or "
            "CANVASS_PUBLIC_URL) to the address phones reach, e.g. https://canvass.example.org",
            soft_wrap=True,
        )
    if (
        not settings.serves_tls
        and not loopback
        and not (settings.public_url or "").startswith("https://")
    ):
        console.print(
            "[yellow]Plain HTTP:[/yellow] phones keep the walk list offline only over HTTPS. "
            "Use --self-signed for a quick start on a LAN, --tls-cert/--tls-key, or a reverse "
            "proxy (see the README).",
            soft_wrap=True,
        )
    scheme = "https" if settings.serves_tls else "http"
    console.print(
        f"Serving [bold]{settings.workspace.resolve()}[/bold] at "
        f"[bold]{scheme}://{host}:{port}/[/bold]; links use [bold]{base}[/bold] (Ctrl-C to stop)",
        soft_wrap=True,
    )
    if with_demo_link:
        demo_link(db, base, console)
    if workers > 1:
        # Each worker builds its own app from these settings; jobs and links are in the
        # database, so any worker answers for any other (the database was migrated above).
        settings.export()
        app.state.services.db.dispose()
    uvicorn.run(
        "app.web.app:app_from_environment" if workers > 1 else app,
        factory=workers > 1,
        workers=workers,
        host=host,
        port=port,
        log_level="warning",
        ssl_certfile=str(settings.tls_cert) if settings.tls_cert else None,
        ssl_keyfile=str(settings.tls_key) if settings.tls_key else None,
        proxy_headers=True,
        forwarded_allow_ips=settings.trusted_proxies,
    )
    return 0
