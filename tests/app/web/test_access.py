"""Accounts, login, CSRF, roles, security headers, limits, audit log and exports."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from app.cli import main
from app.services.accounts import create_user
from app.settings import Settings
from app.store.models import AuditEntry, User
from app.web.app import create_app

PASSWORD = "correct horse battery"


@pytest.fixture(scope="module")
def app_and_db(workspace: Path, database_url: str) -> Iterator[TestClient]:
    app = create_app(Settings(workspace=workspace, database_url=database_url))
    yield TestClient(app)
    app.state.services.db.dispose()


def _login(client: TestClient, username: str, password: str = PASSWORD) -> str:
    response = client.post("/api/login", json={"username": username, "password": password})
    assert response.status_code == 200, response.text
    assert "httponly" in response.headers["set-cookie"].lower()
    return str(response.json()["csrf_token"])


def test_set_up_mode_then_login_required(
    app_and_db: TestClient, workspace: Path, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = app_and_db
    # No account yet: the workspace is readable (set-up mode) but nothing can be written.
    assert client.get("/api/plans").json() == ["demo"]
    assert client.post("/api/plans/demo/links", json={"turf": "P01-01"}).status_code == 401
    monkeypatch.setenv("CANVASS_ADMIN_PASSWORD", PASSWORD)
    args = ["admin", "create", "--workspace", str(workspace), "--db", database_url]
    assert main([*args, "--username", "boss"]) == 0
    assert main([*args, "--username", "boss"]) == 2  # taken
    db = client.app.state.services.db  # type: ignore[attr-defined]
    with db.reading() as session:
        user = session.scalar(select(User).where(User.username == "boss"))
    assert user is not None and user.role == "admin"
    assert user.password_hash.startswith("$argon2") and PASSWORD not in user.password_hash

    anonymous = TestClient(client.app)
    assert anonymous.get("/api/plans").status_code == 401
    assert anonymous.get("/files/demo/summary.json").status_code == 401
    page = anonymous.get("/plans/demo", follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"].startswith("/login")
    assert anonymous.get("/login").status_code == 200
    assert anonymous.get("/files/.canvass/canvass.db").status_code == 404


def test_login_csrf_roles_links_and_audit(app_and_db: TestClient, workspace: Path) -> None:
    client = TestClient(app_and_db.app)
    db = client.app.state.services.db  # type: ignore[attr-defined]
    create_user(db, "olga", PASSWORD, "organiser")
    create_user(db, "mia", PASSWORD, "manager")
    assert (
        client.post("/api/login", json={"username": "olga", "password": "nope"}).status_code == 401
    )
    csrf = _login(client, "olga")
    assert client.get("/api/plans").json() == ["demo"]
    assert client.get("/files/demo/summary.json").status_code == 200
    body = {"turf": "P01-01", "fields": ["name"], "days": 2, "label": "Pair A"}
    # A cookie-authenticated write without the CSRF token is refused.
    assert client.post("/api/plans/demo/links", json=body).status_code == 403
    wrong = client.post("/api/plans/demo/links", json=body, headers={"X-CSRF-Token": "x" * 43})
    assert wrong.status_code == 403
    created = client.post("/api/plans/demo/links", json=body, headers={"X-CSRF-Token": csrf})
    assert created.status_code == 201, created.text
    link = created.json()
    assert len(link["token"]) >= 43 and link["url"].endswith(f"/t/{link['token']}")
    assert TestClient(client.app).get(f"/api/v/{link['token']}/turf").json()["fields"] == ["name"]
    listed = client.get("/api/plans/demo/links").json()
    assert listed[0]["id"] == link["id"] and "token" not in listed[0]
    assert (
        client.post(
            "/api/plans/demo/links", json={**body, "turf": "NOPE"}, headers={"X-CSRF-Token": csrf}
        ).status_code
        == 404
    )
    assert (
        client.post(
            "/api/plans/demo/links",
            json={**body, "fields": ["ssn"]},
            headers={"X-CSRF-Token": csrf},
        ).status_code
        == 422
    )
    revoked = client.post(f"/api/links/{link['id']}/revoke", headers={"X-CSRF-Token": csrf})
    assert revoked.status_code == 200
    assert TestClient(client.app).get(f"/t/{link['token']}").status_code == 410

    # Scripts use a bearer token and need no CSRF token; a manager cannot make links.
    token = client.post(
        "/api/login", json={"username": "mia", "password": PASSWORD, "bearer": True}
    ).json()["token"]
    script = TestClient(client.app)
    bearer = {"Authorization": f"Bearer {token}"}
    assert script.get("/api/plans", headers=bearer).status_code == 200
    assert script.post("/api/plans/demo/links", json=body, headers=bearer).status_code == 403

    export = client.get("/api/plans/demo/results.tsv")
    assert export.status_code == 200
    assert export.text.split("\r\n")[0].split("\t")[:4] == [
        "Voter File VANID",
        "Contact Name",
        "Date Canvassed",
        "Result",
    ]
    with db.reading() as session:
        actions = session.scalars(select(AuditEntry.action)).all()
    assert {"link.create", "link.revoke", "export.results", "login"} <= set(actions)


def test_login_is_rate_limited(app_and_db: TestClient) -> None:
    client = TestClient(app_and_db.app)
    statuses = [
        client.post("/api/login", json={"username": "ghost", "password": "x"}).status_code
        for _ in range(12)
    ]
    assert statuses[:10] == [401] * 10 and statuses[-1] == 429


def test_security_headers_and_body_limit(app_and_db: TestClient) -> None:
    client = app_and_db
    headers = client.get("/login").headers
    assert "script-src 'self';" in headers["content-security-policy"]
    assert "frame-ancestors 'self'" in headers["content-security-policy"]
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "no-referrer"
    too_big = client.post(
        "/api/v/abc/results",
        content=b"{}",
        headers={"content-length": str(60_000_000), "content-type": "application/json"},
    )
    assert too_big.status_code == 413
    assert "too large" in too_big.json()["detail"]
    # JSON bodies have a much smaller limit than uploads: a 1.5 MB body is never parsed.
    big_json = client.post("/api/v/abc/results", json={"results": [{"notes": "x" * 1_500_000}]})
    assert big_json.status_code == 413 and "1 MB" in big_json.json()["detail"]


def test_cli_link_create_prints_a_working_url(
    app_and_db: TestClient, workspace: Path, database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["link", "create", "--plan", "demo", "--turf", "P01-01", "--fields", "party"]
    assert main([*args, "--workspace", str(workspace), "--db", database_url]) == 0
    url = capsys.readouterr().out.strip()
    assert url.startswith("http://127.0.0.1:8000/t/")
    token = url.rsplit("/", 1)[1]
    assert TestClient(app_and_db.app).get(f"/api/v/{token}/turf").json()["fields"] == ["party"]
    bad = ["link", "create", "--plan", "demo", "--turf", "Z9", "--workspace", str(workspace)]
    assert main([*bad, "--db", database_url]) == 2


def test_no_set_up_mode_off_loopback(workspace: Path, tmp_path: Path) -> None:
    # What `canvass serve --host 0.0.0.0` builds: nothing is readable before an account exists.
    app = create_app(
        Settings(
            workspace=workspace,
            database_url=f"sqlite:///{tmp_path / 'locked.db'}",
            open_without_accounts=False,
        )
    )
    client = TestClient(app)
    assert client.get("/api/plans").status_code == 401
    assert client.get("/files/demo/summary.json").status_code == 401
    assert client.get("/", follow_redirects=False).status_code == 303
    app.state.services.db.dispose()


def test_a_chunked_body_over_the_limit_is_refused(app_and_db: TestClient) -> None:
    # No Content-Length (chunked upload): the limit is counted as the body streams in.
    app = app_and_db.app
    scope = {
        "type": "http",
        "method": "POST",
        "path": "/api/v/abcdefgh/results",
        "raw_path": b"/api/v/abcdefgh/results",
        "query_string": b"",
        "headers": [(b"content-type", b"application/json")],
        "http_version": "1.1",
        "scheme": "http",
        "server": ("127.0.0.1", 80),
        "client": ("127.0.0.1", 5000),
        "root_path": "",
    }
    chunks = [b'{"results": [', *[b"x" * 65536] * 40]
    sent: list[dict] = []

    async def receive() -> dict:
        if chunks:
            return {"type": "http.request", "body": chunks.pop(0), "more_body": bool(chunks)}
        return {"type": "http.disconnect"}

    async def send(message: dict) -> None:
        sent.append(message)

    asyncio.run(app(scope, receive, send))  # type: ignore[arg-type]
    assert sent[0]["status"] == 413
    assert len(chunks) > 20  # it stopped reading early


def test_admins_read_the_audit_log(app_and_db: TestClient) -> None:
    admin = TestClient(app_and_db.app)
    csrf = _login(admin, "boss")
    imported = admin.post("/api/plans/import", headers={"X-CSRF-Token": csrf})
    assert imported.status_code == 200 and imported.json()[0]["plan"] == "demo"
    entries = admin.get("/api/audit").json()
    actions = {e["action"] for e in entries}
    assert {"link.create", "link.revoke", "export.results", "login"} <= actions
    assert all(e["user"] in (None, "boss", "olga", "mia") for e in entries)
    organiser = TestClient(app_and_db.app)
    _login(organiser, "olga")
    assert organiser.get("/api/audit").status_code == 403


def test_nul_characters_are_refused_with_a_clear_answer_on_every_backend(
    app_and_db: TestClient,
) -> None:
    # PostgreSQL text cannot hold NUL; a request carrying one must get a 4xx, never a 500.
    client = TestClient(app_and_db.app)
    create_user(client.app.state.services.db, "nora", PASSWORD, "organiser")  # type: ignore[attr-defined]
    login = client.post("/api/login", json={"username": "no\x00ra", "password": PASSWORD})
    assert login.status_code == 422 and "username" in login.text
    form = client.post("/login", data={"username": "no\x00ra", "password": PASSWORD})
    assert form.status_code == 401 and "nora" not in form.text
    csrf = _login(client, "nora")
    link = client.post(
        "/api/plans/demo/links",
        json={"turf": "P01-01", "label": "Pair\x00A"},
        headers={"X-CSRF-Token": csrf},
    )
    assert link.status_code == 422 and "NUL" in link.text
    # Ids beyond what the database holds are a 422, not an overflow deep in the driver.
    huge = client.post(f"/api/links/{2**40}/revoke", headers={"X-CSRF-Token": csrf})
    assert huge.status_code == 422
    for address in ("/api/plans/de%00mo/progress", "/api/audit?limit=5%00", "/t/abc%00def"):
        answer = client.get(address)
        assert answer.status_code == 400, address
        assert "NUL" in answer.json()["detail"]
