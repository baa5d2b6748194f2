"""What an office deployment needs from the server: the first admin, health, offline API docs."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from app.settings import Settings
from app.web.app import create_app
from tests.app.conftest import BuiltPlan


def _app(root: Path, *, loopback: bool) -> TestClient:
    app = create_app(
        Settings(
            workspace=root,
            database_url=f"sqlite:///{root / 'canvass.db'}",
            open_without_accounts=loopback,
        )
    )
    return TestClient(app)


@pytest.fixture
def fresh(demo_plan: BuiltPlan, tmp_path: Path) -> Iterator[Path]:
    shutil.copytree(demo_plan.out, tmp_path / "demo", ignore=shutil.ignore_patterns("*.pdf"))
    yield tmp_path


def test_the_first_admin_is_made_in_the_browser_in_set_up_mode(fresh: Path) -> None:
    client = _app(fresh, loopback=True)
    plan = client.get("/plans/demo")
    assert (
        plan.status_code == 200 and "No accounts yet" in plan.text and 'href="/setup"' in plan.text
    )
    # "New plan" leads to making the first admin, not to a login nobody can pass.
    new = client.get("/plans/new", follow_redirects=False)
    assert new.status_code == 303 and new.headers["location"] == "/setup"
    form = client.get("/setup")
    assert form.status_code == 200 and 'name="password"' in form.text
    weak = client.post("/setup", data={"username": "ana", "password": "short"})
    assert weak.status_code == 422 and "password" in weak.text
    made = client.post(
        "/setup", data={"username": "ana", "password": "a long enough password"},
        follow_redirects=False,
    )  # fmt: skip
    assert made.status_code == 303 and made.headers["location"] == "/?welcome=1"
    assert "canvass_session" in made.headers["set-cookie"]
    welcome = client.get("/?welcome=1")
    assert "You are the first admin" in welcome.text and "No accounts yet" not in welcome.text
    # Logged in as that admin: the new-plan page opens; the set-up page is gone for good.
    assert client.get("/plans/new").status_code == 200
    assert client.get("/setup").status_code == 404
    stranger = TestClient(client.app)
    assert (
        stranger.post(
            "/setup", data={"username": "eve", "password": "a long enough password"}
        ).status_code
        == 404
    )
    assert stranger.get("/plans/demo", follow_redirects=False).status_code == 303


def test_off_loopback_the_set_up_page_needs_the_printed_token(fresh: Path) -> None:
    client = _app(fresh, loopback=False)
    token = client.app.state.services.setup_token  # type: ignore[attr-defined]
    assert client.get("/setup").status_code == 404
    assert client.get("/setup?token=wrong").status_code == 404
    assert client.get(f"/setup?token={token}").status_code == 200
    refused = client.post("/setup", data={"username": "eve", "password": "a long enough password"})
    assert refused.status_code == 404
    made = client.post(
        "/setup",
        data={"username": "ana", "password": "a long enough password", "token": token},
        follow_redirects=False,
    )
    assert made.status_code == 303


def test_health_answers_with_the_database(fresh: Path) -> None:
    client = _app(fresh, loopback=True)
    answer = client.get("/healthz")
    assert answer.status_code == 200 and answer.json() == {"status": "ok", "database": "sqlite"}


@pytest.mark.parametrize(("page", "tool"), [("/docs", "swagger-ui-bundle.js"), ("/redoc", "redoc")])
def test_api_docs_load_from_this_server_with_no_inline_script(
    fresh: Path, page: str, tool: str
) -> None:
    client = _app(fresh, loopback=True)
    answer = client.get(page)
    assert answer.status_code == 200
    assert "<script>" not in answer.text and "cdn" not in answer.text.lower()
    sources = re.findall(r'(?:src|href)="([^"]+)"', answer.text)
    assert any(tool in s for s in sources)
    for source in sources:
        assert source.startswith("/"), source
        assert client.get(source).status_code == 200, source
    csp = answer.headers["content-security-policy"]
    assert "'unsafe-inline'" not in csp.split("script-src")[1].split(";")[0]
