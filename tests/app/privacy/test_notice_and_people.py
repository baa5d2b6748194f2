"""Issue 21: the privacy notice on paper and phones; volunteers' own data exported and erased.

On SQLite and PostgreSQL.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError
from pypdf import PdfReader

from app.cli import main
from app.services.accounts import create_user
from app.settings import Settings
from app.store.links import create_volunteer_link
from app.store.people import Availability, add_person
from app.web.app import create_app
from tests.app.privacy.conftest import Inputs, tables_mentioning

PASSWORD = "correct horse battery"
PLANNED_WITH = "https://example.org/privacy?lang=en&v=2"
SERVED_WITH = "https://campaign.example.org/data-we-keep"


@dataclass
class Site:
    workspace: Path
    database_url: str
    summary: dict[str, Any]


@pytest.fixture(scope="module")
def site(
    inputs: Inputs, database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Site]:
    workspace = tmp_path_factory.mktemp("ws")
    with pytest.MonkeyPatch.context() as env:
        env.setenv("CANVASS_PRIVACY_NOTICE_URL", PLANNED_WITH)
        code = main(
            ["-q", "plan", "--voters", str(inputs.voters), "--streets", str(inputs.streets),
             "--turf-doors", "60", "--out", str(workspace / "plan"), "--db", database_url]
        )  # fmt: skip
    assert code == 0
    summary = json.loads((workspace / "plan" / "summary.json").read_text(encoding="utf-8"))
    yield Site(workspace, database_url, summary)


def _pdf_text(data: bytes) -> str:
    return " ".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages[:1])


def test_the_notice_url_must_be_a_web_address() -> None:
    for bad in ("javascript:alert(1)", "example.org/privacy", 'https://x.org/"><b>', "ftp://x.org"):
        with pytest.raises(ValidationError, match="not an http"):
            Settings(privacy_notice_url=bad)
    assert Settings(privacy_notice_url="  ").privacy_notice_url is None
    assert Settings(privacy_notice_url=f" {SERVED_WITH} ").privacy_notice_url == SERVED_WITH


def test_walk_lists_print_the_notice_and_the_phone_page_shows_it(site: Site) -> None:
    assert site.summary["privacy"]["notice_url"] == PLANNED_WITH
    turf = site.summary["turfs"][0]["turf"]
    folder = site.workspace / "plan" / "walklists"
    html = (folder / f"{turf}.html").read_text(encoding="utf-8")
    assert 'href="https://example.org/privacy?lang=en&amp;v=2"' in html
    assert "example.org/privacy?lang=en&amp;v=2</a>" in html
    assert "example.org/privacy?lang=en&v=2" in _pdf_text((folder / f"{turf}.pdf").read_bytes())

    app = create_app(
        Settings(
            workspace=site.workspace,
            database_url=site.database_url,
            privacy_notice_url=SERVED_WITH,
        )
    )
    db = app.state.services.db
    try:
        create_user(db, "org-notice", PASSWORD, "organiser")
        person = add_person(db, "Notice Reader")
        with TestClient(app) as client:
            token = create_volunteer_link(db, "plan", turf)
            page = client.get(f"/t/{token}").text
            assert f'href="{SERVED_WITH}"' in page and "privacy notice" in page
            login = client.post("/api/login", json={"username": "org-notice", "password": PASSWORD})
            csrf = {"X-CSRF-Token": login.json()["csrf_token"]}
            given = client.put(
                f"/api/plans/plan/turfs/{turf}/assignment", json={"person": person.id}, headers=csrf
            )
            assert given.status_code == 200, given.text
            # The print for the assignment says what the server says now.
            printed = client.get(f"/plans/plan/print/{turf}.html").text
            assert f'href="{SERVED_WITH}"' in printed and PLANNED_WITH not in printed
            pdf = client.get(f"/plans/plan/print/{turf}.pdf").content
            assert SERVED_WITH in _pdf_text(pdf)
    finally:
        db.dispose()

    quiet = create_app(Settings(workspace=site.workspace, database_url=site.database_url))
    try:
        with TestClient(quiet) as client:
            token = create_volunteer_link(quiet.state.services.db, "plan", turf)
            assert "privacy notice" not in client.get(f"/t/{token}").text
    finally:
        quiet.state.services.db.dispose()


def test_a_volunteer_is_exported_then_forgotten(
    site: Site, capsys: pytest.CaptureFixture[str]
) -> None:
    app = create_app(Settings(workspace=site.workspace, database_url=site.database_url))
    db = app.state.services.db
    turf = site.summary["turfs"][-1]["turf"]
    try:
        create_user(db, "boss-people", PASSWORD, "admin")
        create_user(db, "org-people", PASSWORD, "organiser")
        other = add_person(db, "Bartholomew Zenk", "", "bz@example.org")
        home = Availability(home="Mannerheimintie 13, Helsinki", hours=3.0, pairs_with=other.id)
        person = add_person(
            db, "Wilhelmina Quask", "+358 40 765 4321", "wq@example.org", availability=home
        )
        with TestClient(app) as client:
            login = client.post("/api/login", json={"username": "org-people", "password": PASSWORD})
            csrf = {"X-CSRF-Token": login.json()["csrf_token"]}
            given = client.put(
                f"/api/plans/plan/turfs/{turf}/assignment",
                json={"person": person.id, "note": "Wilhelmina has a bike"},
                headers=csrf,
            )
            assert given.status_code == 200, given.text
            link = given.json()["link"]["url"]
            token = link.rsplit("/", 1)[1]
            assert client.get(f"/api/v/{token}/turf").status_code == 200
            assert client.get(f"/api/privacy/export?person_id={person.id}").status_code == 403

            login = client.post(
                "/api/login", json={"username": "boss-people", "password": PASSWORD}
            )
            csrf = {"X-CSRF-Token": login.json()["csrf_token"]}
            held = client.get(f"/api/privacy/export?person_id={person.id}")
            assert held.status_code == 200
            document = held.json()
            assert document["name"] == "Wilhelmina Quask"
            assert document["phone"] == "+358 40 765 4321"
            assert document["email"] == "wq@example.org"
            assert (document["home"], document["hours"]) == ("Mannerheimintie 13, Helsinki", 3.0)
            assert document["walks_with"] == other.id
            assert document["turfs_given"] == [
                {"plan": "plan", "turf": turf, "note": "Wilhelmina has a bike",
                 "assigned_at": document["turfs_given"][0]["assigned_at"]}
            ]  # fmt: skip
            assert [(k["turf"], k["revoked_at"]) for k in document["volunteer_links"]] == [
                (turf, None)
            ]
            assert client.get("/api/privacy/export?person_id=999").status_code == 404
            assert client.get("/api/privacy/export").status_code == 422

            page = client.get("/admin/privacy")
            assert "Wilhelmina Quask (#" in page.text
            forgotten = client.post(
                "/admin/privacy/erase-person",
                data={"person_id": str(person.id), "csrf_token": login.json()["csrf_token"]},
                follow_redirects=False,
            )
            assert forgotten.status_code == 303
            shown = client.get(forgotten.headers["location"]).text
            assert f"Volunteer {person.id} forgotten" in shown
            assert "Wilhelmina" not in shown
            # Their link stops working; nothing names them in any table.
            assert client.get(f"/api/v/{token}/turf").status_code == 410
            assert tables_mentioning(db, "Quask", "765 4321", "wq@example.org") == []
            assert client.get(f"/api/privacy/export?person_id={person.id}").status_code == 404
            entries = client.get("/api/audit").json()
            assert entries[0]["action"] == "privacy.erase_person"
            assert entries[0]["subject"] == f"person/{person.id}"
    finally:
        db.dispose()

    # The same from the command line.
    store = ["--workspace", str(site.workspace), "--db", site.database_url]
    assert main(["-q", "privacy", "export", "--person", str(other.id), *store]) == 0
    assert json.loads(capsys.readouterr().out)["email"] == "bz@example.org"
    assert main(["-q", "privacy", "erase", "--person", str(other.id), *store]) == 0
    assert main(["-q", "privacy", "export", "--person", str(other.id), *store]) != 0
    assert f"--person {other.id}: no person" in capsys.readouterr().err
