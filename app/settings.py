"""The app's settings: read once from the environment at start-up, validated, passed down.

This is the only module that reads environment variables. Command-line options override
them (``Settings(...)`` with explicit values); everything else receives a ``Settings``.

| variable | setting |
| --- | --- |
| ``CANVASS_WORKSPACE`` | folder of plan folders (default ``canvass-data``) |
| ``DATABASE_URL`` / ``CANVASS_DATABASE_URL`` | database (default: SQLite in the workspace) |
| ``CANVASS_TILE_URL`` | online map tiles over the drawn base map (default none), e.g. |
| | ``https://tile.openstreetmap.org/{z}/{x}/{y}.png`` |
| ``CANVASS_CACHE_DIR`` | cache of street graphs, base maps, PDF fonts (else |
| | ``$XDG_CACHE_HOME/canvass-planner``, |
| | else ``~/.cache/canvass-planner``) |
| ``CANVASS_ADMIN_PASSWORD`` | password for ``canvass admin create``, and for the first admin |
| | that ``canvass serve`` makes while no account exists |
| ``CANVASS_ADMIN_USERNAME`` | that first admin's name (default ``admin``) |
| ``CANVASS_PUBLIC_URL`` | where phones reach the server (``https://canvass.example.org``): |
| | every link, QR code and printed URL |
| ``CANVASS_TLS_CERT``, ``CANVASS_TLS_KEY`` | serve HTTPS with this certificate and key |
| ``CANVASS_TRUSTED_PROXIES`` | proxies whose X-Forwarded-Proto/For/Host are believed |
| | (default 127.0.0.1) |
| ``CANVASS_MAX_ARCHIVE_BYTES`` | most a zipped input may unpack to (default 2 GB) |
| ``CANVASS_MAX_ARCHIVE_RATIO`` | most a zipped input may be compressed (default 100:1) |
| ``DASK_SCHEDULER_ADDRESS`` | the Dask scheduler ``canvass plan --regions`` submits to |
| | (``tcp://host:8786``; default: an embedded LocalCluster), and where the server |
| | makes its plan jobs (default: in the server) |
| ``CANVASS_RETENTION_DAYS`` | days after its last change or result that a plan's personal |
| | data is reduced to aggregates (default 365; ``canvass privacy sweep``, daily by the server) |
| ``CANVASS_PRIVACY_NOTICE_URL`` | the campaign's privacy notice (``https://...``), printed on |
| | walk lists and shown on the volunteer's phone page (default none) |
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlsplit

from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from geo.archives import ArchiveLimits

DEFAULT_WORKSPACE = Path("canvass-data")
CACHE_FOLDER = "canvass-planner"


class Settings(BaseSettings):
    """Where the data lives and how the server behaves."""

    model_config = SettingsConfigDict(env_prefix="CANVASS_", extra="ignore", frozen=True)

    workspace: Path = Field(DEFAULT_WORKSPACE, description="folder of plan folders")
    database_url: str | None = Field(
        None,
        validation_alias=AliasChoices("CANVASS_DATABASE_URL", "DATABASE_URL", "database_url"),
        description="database URL; None: SQLite file in the workspace",
    )
    # No tiles by default: every map draws its streets, names and buildings from the plan's own
    # data (app.outputs.basemap), so nothing leaves the server and nothing fails offline.
    tile_url: str = Field("", description="online map tile URL template ('' for none)")
    cache_dir: Path | None = Field(
        None,
        description="cache folder (street graphs, base maps, PDF fonts); None: the user's",
    )
    xdg_cache_home: Path | None = Field(
        None, validation_alias=AliasChoices("XDG_CACHE_HOME", "xdg_cache_home")
    )
    admin_password: SecretStr | None = Field(
        None, description="password of the account `canvass admin create` makes"
    )
    admin_username: str = Field("admin", description="name of the first admin made at start")
    public_url: str | None = Field(
        None, description="the address phones and printed walk lists use to reach the server"
    )
    dask_scheduler_address: str | None = Field(
        None,
        validation_alias=AliasChoices("DASK_SCHEDULER_ADDRESS", "dask_scheduler_address"),
        description="Dask scheduler for plans split by region and the server's plan jobs; "
        "None: an embedded LocalCluster, and plan jobs in the server",
    )
    dask_no_workers_timeout_s: float = Field(
        600.0,
        gt=0,
        description="seconds a plan job waits while its Dask scheduler has no worker at all "
        "(every one died and none came back) before the job fails saying so",
    )
    tls_cert: Path | None = Field(None, description="TLS certificate (PEM) to serve HTTPS")
    tls_key: Path | None = Field(None, description="TLS private key (PEM)")
    trusted_proxies: str = Field(
        "127.0.0.1", description="comma-separated addresses of reverse proxies to believe"
    )
    open_without_accounts: bool = Field(
        True,
        description="plans readable without login while no account exists (set-up mode); "
        "`canvass serve` turns it off on a non-loopback host",
    )
    max_upload_bytes: int = Field(50_000_000, gt=0, description="largest upload read")
    max_request_bytes: int = Field(1_000_000, gt=0, description="largest other request body")
    max_archive_bytes: int = Field(
        2_000_000_000, gt=0, description="most a zipped voter file or layer may unpack to"
    )
    max_archive_ratio: float = Field(
        100.0, gt=0, description="most a zipped input may be compressed (unpacked:packed)"
    )
    retention_days: int = Field(
        365, gt=0, description="days a plan untouched keeps its personal data (issue 21)"
    )
    privacy_notice_url: str | None = Field(
        None, description="the privacy notice printed on walk lists and shown to volunteers"
    )

    @field_validator("database_url")
    @classmethod
    def _blank_url_is_unset(cls, value: str | None) -> str | None:
        return (value.strip() or None) if value is not None else None

    @field_validator("public_url")
    @classmethod
    def _public_url_is_an_origin(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        parts = urlsplit(value.strip())
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(
                f"{value!r} is not an http(s) address like https://canvass.example.org"
            )
        return f"{parts.scheme}://{parts.netloc}{parts.path.rstrip('/')}"

    @field_validator("privacy_notice_url")
    @classmethod
    def _notice_is_a_web_address(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        value = value.strip()
        parts = urlsplit(value)
        # Printed and put in a link as it is: an address, nothing a page could run or break.
        if (
            parts.scheme not in ("http", "https")
            or not parts.netloc
            or any(c.isspace() or ord(c) < 32 or c in "<>\"'`" for c in value)
        ):
            raise ValueError(
                f"CANVASS_PRIVACY_NOTICE_URL {value!r} is not an http(s) address like "
                "https://example.org/privacy"
            )
        return value

    @field_validator("tile_url")
    @classmethod
    def _blank_tiles_are_none(cls, value: str) -> str:
        return value.strip()

    @property
    def archive_limits(self) -> ArchiveLimits:
        """The limits the file readers hold zipped inputs to (``geo.archives``)."""
        return ArchiveLimits(max_bytes=self.max_archive_bytes, max_ratio=self.max_archive_ratio)

    def export(self) -> None:
        """Put these settings into this process's environment, for server worker processes.

        ``canvass serve --workers N`` starts N processes that each build the app from the
        environment (``app.web.app.app_from_environment``); they must see what the command
        line said, not only what the environment said.
        """
        values = {
            "CANVASS_WORKSPACE": str(self.workspace),
            "CANVASS_DATABASE_URL": self.database_url or "",
            "CANVASS_TILE_URL": self.tile_url,
            "CANVASS_PUBLIC_URL": self.public_url or "",
            "CANVASS_TRUSTED_PROXIES": self.trusted_proxies,
            "CANVASS_OPEN_WITHOUT_ACCOUNTS": "1" if self.open_without_accounts else "0",
            "CANVASS_CACHE_DIR": str(self.graph_cache_dir),
            "CANVASS_RETENTION_DAYS": str(self.retention_days),
            "CANVASS_PRIVACY_NOTICE_URL": self.privacy_notice_url or "",
        }
        os.environ.update(values)

    @property
    def serves_tls(self) -> bool:
        """Whether the server itself speaks HTTPS."""
        return self.tls_cert is not None and self.tls_key is not None

    def link_base(self, host: str, port: int) -> str:
        """The address links and QR codes use: the public URL, else this server's own."""
        if self.public_url:
            return self.public_url
        scheme = "https" if self.serves_tls else "http"
        shown = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host
        return f"{scheme}://{shown}:{port}"

    @property
    def graph_cache_dir(self) -> Path:
        """Where processed street graphs are cached (shared by the CLI and the server)."""
        if self.cache_dir is not None:
            return self.cache_dir
        base = self.xdg_cache_home or Path.home() / ".cache"
        return base / CACHE_FOLDER
