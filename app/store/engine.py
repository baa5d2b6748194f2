"""Opening the database: an embedded SQLite file by default, PostgreSQL by URL.

SQLite runs in WAL mode with foreign keys on and ``synchronous=FULL`` (an acknowledged result
survives a crash of the machine, not only of the process); write transactions start with
``BEGIN IMMEDIATE`` so concurrent writers queue on the busy timeout instead of failing.
SQLite has one writer at a time: within a process, write transactions also take turns on a
lock, so a waiting writer starts the moment the one before commits (SQLite's busy handler
polls with sleeps of up to 100 ms, which left the 40 server threads queuing for seconds);
other processes (the CLI) still queue on the busy timeout. Small writes of many threads (result
posts) can share one transaction and its commit: :meth:`Database.write_together`.
The schema is brought to the newest Alembic revision when the database is opened.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from importlib.resources import files
from pathlib import Path
from typing import Any, TypeVar

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.orm import Session, sessionmaker

from app.store.group_commit import GroupCommit

T = TypeVar("T")

SQLITE_FILE = Path(".canvass") / "canvass.db"
"""Where the embedded database lives, under the workspace's folder of plans."""
BUSY_TIMEOUT_S = 30
"""How long a SQLite writer waits for the one before it (in this process or another)."""


def utcnow() -> datetime:
    """The current time in UTC (timezone-aware)."""
    return datetime.now(UTC)


def as_utc(moment: datetime) -> datetime:
    """``moment`` as an aware UTC datetime (SQLite hands back naive ones)."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def resolve_url(database_url: str | None, workspace_root: Path) -> str:
    """The URL to open: the one given (see ``app.settings``), else the workspace's SQLite file."""
    url = database_url
    if url:
        parsed = make_url(url)
        if parsed.drivername in ("postgresql", "postgres"):
            # psycopg 3 is the driver we ship; plain postgresql:// would ask for psycopg2.
            parsed = parsed.set(drivername="postgresql+psycopg")
        return parsed.render_as_string(hide_password=False)
    path = workspace_root / SQLITE_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    return URL.create("sqlite", database=str(path)).render_as_string()


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # Autocommit at the driver level: SQLAlchemy's begin event below issues BEGIN itself.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_S * 1000}")
    cursor.close()


def _sqlite_begin(connection: Any) -> None:
    immediate = connection.get_execution_options().get("canvass_write", False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


class Database:
    """An engine, its session factories and the schema migration, for one URL."""

    def __init__(self, url: str) -> None:
        self.url = url
        parsed = make_url(url)
        self.is_sqlite = parsed.get_backend_name() == "sqlite"
        if self.is_sqlite:
            # As many connections as the server has worker threads (40), so none waits on the pool.
            self.engine: Engine = create_engine(
                url,
                connect_args={"check_same_thread": False, "timeout": BUSY_TIMEOUT_S},
                pool_size=20,
                max_overflow=20,
            )
            event.listen(self.engine, "connect", _sqlite_pragmas)
            event.listen(self.engine, "begin", _sqlite_begin)
        else:
            self.engine = create_engine(url, pool_size=10, max_overflow=20, pool_pre_ping=True)
        self._write_engine = self.engine.execution_options(canvass_write=True)
        self._read = sessionmaker(self.engine, expire_on_commit=False)
        self._write = sessionmaker(self._write_engine, expire_on_commit=False)
        self._writer = threading.RLock()
        self._group_commit = GroupCommit(self.write_connection)

    @property
    def backend(self) -> str:
        """``sqlite`` or ``postgresql``."""
        return make_url(self.url).get_backend_name()

    def migrate(self) -> None:
        """Bring the schema to the newest revision (``alembic upgrade head``)."""
        config = Config()
        config.set_main_option("script_location", str(files("app.store") / "migrations"))
        with self.engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "head")

    @contextmanager
    def reading(self) -> Iterator[Session]:
        """A session for reads; rolled back at the end."""
        with self._read() as session:
            yield session

    @contextmanager
    def writing(self) -> Iterator[Session]:
        """A session in one write transaction, committed at the end (rolled back on error)."""
        with self._turn_to_write(), self._write() as session, session.begin():
            yield session

    @contextmanager
    def write_connection(self) -> Iterator[Connection]:
        """A Core connection in one write transaction, as :meth:`writing` (for hot paths)."""
        with self._turn_to_write(), self._write_engine.begin() as connection:
            yield connection

    def write_together(self, work: Callable[[Connection], T]) -> T:
        """``work(connection)`` in a write transaction, returning once that is committed.

        The transaction may be shared with the work of other threads waiting to write (group
        commit, :mod:`app.store.group_commit`: one commit for all): ``work`` must be
        idempotent and refuse, if at all, before it writes.
        """
        return self._group_commit.run(work)

    @contextmanager
    def _turn_to_write(self) -> Iterator[None]:
        # SQLite only (PostgreSQL locks rows, not the database). Re-entrant, as a nested write
        # in the same thread was before (it waits on SQLite's busy timeout). After the busy
        # timeout the transaction goes ahead anyway and SQLite's own wait decides.
        if not self.is_sqlite:
            yield
            return
        acquired = self._writer.acquire(timeout=BUSY_TIMEOUT_S)
        try:
            yield
        finally:
            if acquired:
                self._writer.release()

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()


def open_database(database_url: str | None, workspace_root: Path) -> Database:
    """Open (and migrate) the database for a workspace: see :func:`resolve_url`."""
    database = Database(resolve_url(database_url, workspace_root))
    database.migrate()
    return database
