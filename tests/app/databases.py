"""Fixtures of the storage and API tests: each runs on SQLite and, when
``CANVASS_TEST_POSTGRES_URL`` is set (``.ci/run`` starts a cluster), on PostgreSQL too."""

from __future__ import annotations

import os
import secrets
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import psycopg
import pytest
from sqlalchemy.engine import make_url

if TYPE_CHECKING:  # tests/app/conftest imports this module (bench/ imports it on its own)
    from tests.app.conftest import BuiltPlan

POSTGRES_ENV = "CANVASS_TEST_POSTGRES_URL"


def _postgres_admin_url() -> str | None:
    return os.environ.get(POSTGRES_ENV) or None


def _libpq(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def fresh_database(kind: str, tmp_path: Path) -> Iterator[str]:
    """A URL of an empty database of ``kind`` (sqlite or postgresql), dropped afterwards."""
    if kind == "sqlite":
        yield f"sqlite:///{tmp_path / 'canvass.db'}"
        return
    admin = _postgres_admin_url()
    if admin is None:
        pytest.skip(f"{POSTGRES_ENV} is not set: PostgreSQL tests run in CI (.ci/run)")
    name = f"canvass_test_{secrets.token_hex(6)}"
    with psycopg.connect(_libpq(admin), autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    try:
        yield make_url(admin).set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(_libpq(admin), autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


BACKENDS = ["sqlite", "postgresql"]


@pytest.fixture(params=BACKENDS, scope="module")
def database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """An empty database per test module and backend."""
    yield from fresh_database(request.param, tmp_path_factory.mktemp("db"))


@pytest.fixture(scope="module")
def workspace(demo_plan: BuiltPlan, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A private copy of the demo plan's workspace (tests may re-cut it)."""
    root = tmp_path_factory.mktemp("ws")
    shutil.copytree(demo_plan.out, root / "demo", ignore=_not_needed)
    return root


def _not_needed(folder: str, names: list[str]) -> set[str]:
    # Of the maps, only the turfs' base maps: the volunteer API sends them with the turf.
    if Path(folder).name == "maps":
        return {n for n in names if not n.endswith(".basemap.js")}
    return {n for n in names if n.endswith(".pdf")}
