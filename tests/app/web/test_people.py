"""The people list, assigning a turf to a person with its link in one step, and the walk list
printed for that person: its QR code, read back from the page as a phone would, opens the
turf with no login. Generic prints carry no link into the voters' data."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from fastapi.testclient import TestClient
from pypdf import PdfReader
from sqlalchemy import select

from app.outputs.qr_codes import qr_svg_data_uri
from app.services.accounts import create_user
from app.services.volunteer_share import derive_token, load_link_key
from app.settings import Settings
from app.store.models import AuditEntry
from app.web.app import create_app
from tests.app.conftest import BuiltPlan
from tests.app.qr import decode_qr, pdf_page_png
from tests.app.web.sessions import logged_in

PASSWORD = "people password"
PUBLIC = "https://canvass.example.org"


@pytest.fixture(scope="module")
def client(workspace: Path, database_url: str) -> Iterator[TestClient]:
    app = create_app(Settings(workspace=workspace, database_url=database_url, public_url=PUBLIC))
    create_user(app.state.services.db, "orla", PASSWORD, "organiser")
    create_user(app.state.services.db, "max", PASSWORD, "manager")
    yield TestClient(app)
    app.state.services.db.dispose()


def _opens_the_turf(client: TestClient, url: str, turf: str) -> None:
    """Follow a volunteer link as a phone would: a new browser, nobody logged in."""
    assert url.startswith(PUBLIC + "/t/"), url
    phone = TestClient(client.app)
    page = phone.get(urlsplit(url).path)
    assert page.status_code == 200, page.text
    assert f'Turf <span id="turf-id">{turf}</span>' in page.text
    data = phone.get("/api/v" + urlsplit(url).path[2:] + "/turf")
    assert data.status_code == 200 and data.json()["turf"]["id"] == turf


def _is_gone(client: TestClient, url: str) -> bool:
    return TestClient(client.app).get(urlsplit(url).path).status_code == 410


def test_organisers_keep_a_list_of_people(client: TestClient) -> None:
    organiser, manager = logged_in(client, "orla", PASSWORD), logged_in(client, "max", PASSWORD)
    assert client.get("/api/people").status_code == 401
    assert manager.get("/api/people").status_code == 403  # phone numbers: organisers only
    body = {"name": " Ana Lee ", "phone": "+358 40 123 4567", "email": "ana@example.org"}
    assert manager.post("/api/people", json=body).status_code == 403

    added = organiser.post("/api/people", json=body)
    assert added.status_code == 201, added.text
    ana = added.json()
    assert (ana["name"], ana["phone"], ana["turfs"]) == ("Ana Lee", "+358 40 123 4567", 0)
    ben = organiser.post("/api/people", json={"name": "Ben"}).json()
    changed = organiser.put(
        f"/api/people/{ben['id']}", json={"name": "Ben Ng", "phone": "555-0101"}
    )
    assert changed.status_code == 200 and changed.json()["name"] == "Ben Ng"
    names = [p["name"] for p in organiser.get("/api/people").json()]
    assert "Ana Lee" in names and "Ben Ng" in names

    for bad, field in (
        ({"name": ""}, "name"),
        ({"name": "   "}, "name"),
        ({"name": "x" * 201}, "name"),
        ({"name": "A\x00"}, "name"),
        ({"name": "Cy", "phone": "call me"}, "phone"),
        ({"name": "Cy", "phone": "+1 555\x00"}, "phone"),
        ({"name": "Cy", "email": "cy at example"}, "email"),
        ({"name": "Cy", "email": "a@b.c\x00"}, "email"),
    ):
        answer = organiser.post("/api/people", json=bad)
        assert answer.status_code == 422, bad
        assert field in answer.text, answer.text
    assert organiser.put("/api/people/999999", json={"name": "X"}).status_code == 404
    assert organiser.delete("/api/people/999999").status_code == 404


def test_assigning_a_person_makes_and_shares_the_link_in_one_step(client: TestClient) -> None:
    organiser = logged_in(client, "orla", PASSWORD)
    ana = organiser.post(
        "/api/people", json={"name": "Ana Kim", "phone": "+1 (555) 010-2000", "email": "ak@x.org"}
    ).json()
    url = "/api/plans/demo/turfs/P01-01/assignment"
    given = organiser.put(url, json={"person": ana["id"], "note": "Saturday 10:00"})
    assert given.status_code == 200, given.text
    assert given.headers["cache-control"] == "no-store"
    answer = given.json()
    assert (answer["volunteer"], answer["person_id"], answer["link_active"]) == (
        "Ana Kim",
        ana["id"],
        True,
    )
    link = answer["link"]
    assert link["created"] is True and link["turf"] == "P01-01"
    assert link["qr"] == qr_svg_data_uri(link["url"])
    assert link["sms"].startswith("sms:+15550102000?&body=")
    assert link["url"] in unquote(link["sms"]) and link["url"] in unquote(link["mailto"])
    assert link["mailto"].startswith("mailto:ak@x.org?subject=")
    assert "Hi Ana" in link["message"]
    _opens_the_turf(client, link["url"], "P01-01")

    # Shown again later: the same link, not a new one.
    again = organiser.post(url + "/link", json={})
    assert again.status_code == 200 and again.json()["url"] == link["url"]
    assert again.json()["created"] is False
    listed = organiser.get("/api/plans/demo/assignments").json()
    assert [(a["turf"], a["person_id"], a["link_active"]) for a in listed] == [
        ("P01-01", ana["id"], True)
    ]
    # The list of links shows it under the person's name; the token is never listed.
    links = organiser.get("/api/plans/demo/links").json()
    assert [x["label"] for x in links if x["active"] and x["turf"] == "P01-01"] == ["Ana Kim"]
    assert link["url"].rsplit("/", 1)[1] not in str(links)

    # Given to someone else, the turf's old link stops working.
    ben = organiser.post("/api/people", json={"name": "Ben Ode"}).json()
    moved = organiser.put(url, json={"person": ben["id"]}).json()
    assert moved["link"]["url"] != link["url"] and _is_gone(client, link["url"])
    assert moved["link"]["sms"].startswith("sms:?&body=")  # no number: the phone asks
    _opens_the_turf(client, moved["link"]["url"], "P01-01")

    # Removing a person takes their turfs back and revokes their links.
    removed = organiser.delete(f"/api/people/{ben['id']}")
    assert removed.json() == {"removed": True, "turfs": 1}
    assert _is_gone(client, moved["link"]["url"])
    assert organiser.get("/api/plans/demo/assignments").json() == []

    for bad in ({"person": 999999}, {"person": 0}, {"person": "Ana"}, {}):
        assert organiser.put(url, json=bad).status_code in (404, 422), bad
    assert (
        organiser.post("/api/plans/demo/turfs/P01-03/assignment/link", json={}).status_code == 404
    )


def test_the_walk_list_printed_for_an_assignment_leads_to_the_turf(
    client: TestClient, artifacts: Path
) -> None:
    organiser, manager = logged_in(client, "orla", PASSWORD), logged_in(client, "max", PASSWORD)
    carla = organiser.post("/api/people", json={"name": "Carla Diaz"}).json()
    turf = "P02-01"
    shared = organiser.put(f"/api/plans/demo/turfs/{turf}/assignment", json={"person": carla["id"]})
    link = shared.json()["link"]["url"]
    assert manager.get(f"/plans/demo/print/{turf}.pdf").status_code == 403
    assert client.get(f"/plans/demo/print/{turf}.pdf").status_code == 401

    pdf = organiser.get(f"/plans/demo/print/{turf}.pdf")
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.headers["cache-control"] == "no-store"
    (artifacts / f"assigned-walklist-{turf}.pdf").write_bytes(pdf.content)
    # Read the code off the printed page, as a phone's camera would, and follow it.
    assert decode_qr(pdf_page_png(pdf.content)) == [link]
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.content)).pages)
    assert link in text.replace("\n", "")
    assert f"Turf {turf}" in text
    _opens_the_turf(client, link, turf)

    html = organiser.get(f"/plans/demo/print/{turf}.html")
    assert html.status_code == 200 and html.headers["cache-control"] == "no-store"
    assert f'src="{qr_svg_data_uri(link)}"' in html.text and f'data-url="{link}"' in html.text
    assert f'<a href="{link}">{link}</a>' in html.text
    assert 'href="/files/demo/assets/canvass.css"' in html.text  # styled where it is served
    assert organiser.get("/files/demo/assets/canvass.css").status_code == 200

    # Printed again: the same link, not a new one each time.
    assert decode_qr(pdf_page_png(organiser.get(f"/plans/demo/print/{turf}.pdf").content)) == [link]
    assert organiser.get("/plans/demo/print/P09-09.pdf").status_code == 404
    assert organiser.get("/plans/demo/print/P01-02.pdf").status_code == 404  # not assigned


def test_the_reprint_is_the_walk_list_the_plan_printed(client: TestClient, workspace: Path) -> None:
    """Same stops, blocks, voters and boxes as the generic print: only the link differs."""
    organiser = logged_in(client, "orla", PASSWORD)
    dana = organiser.post("/api/people", json={"name": "Dana"}).json()
    turf = "P01-02"
    link = organiser.put(
        f"/api/plans/demo/turfs/{turf}/assignment", json={"person": dana["id"]}
    ).json()["link"]["url"]
    printed = organiser.get(f"/plans/demo/print/{turf}.html").text
    generic = (workspace / "demo" / "walklists" / f"{turf}.html").read_text(encoding="utf-8")

    def body(page: str) -> str:
        return page[page.index("<main>") :]

    assert body(printed) == body(generic)
    assert link not in generic and "/t/" not in generic


def test_generic_prints_carry_no_link_to_a_login_page(demo_plan: BuiltPlan) -> None:
    """The plan writer's walk lists: no QR code, no URL; they say how to get a link."""
    folder = demo_plan.out / "walklists"
    pdf = (folder / "P01-01.pdf").read_bytes()
    assert decode_qr(pdf_page_png(pdf)) == []
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert "ask your organiser for your volunteer link" in text.replace("\n", " ")
    assert "http" not in text and "/files/" not in text
    page = (folder / "P01-01.html").read_text(encoding="utf-8")
    assert 'class="qr"' not in page
    assert "ask your organiser for your volunteer link" in page
    # The only links are to the plan's own files beside it (for the organiser on screen).
    absolute = re.findall(r'(?:href|src|data-url)="(https?://[^"]+)"', page)
    assert absolute == []


def test_names_and_numbers_stay_out_of_the_audit_log(client: TestClient) -> None:
    organiser = logged_in(client, "orla", PASSWORD)
    eve = organiser.post(
        "/api/people", json={"name": "Evelyn Zed", "phone": "+44 20 7946 0000", "email": "ez@q.org"}
    ).json()
    organiser.put("/api/plans/demo/turfs/P02-02/assignment", json={"person": eve["id"]})
    organiser.put(f"/api/people/{eve['id']}", json={"name": "Evelyn Zee"})
    organiser.delete(f"/api/people/{eve['id']}")
    db = client.app.state.services.db  # type: ignore[attr-defined]
    with db.reading() as session:
        entries = session.scalars(select(AuditEntry)).all()
    actions = [e.action for e in entries]
    assert {"person.add", "person.update", "person.remove", "link.create"} <= set(actions)
    logged = " ".join(f"{e.subject} {e.details}" for e in entries)
    for secret in ("Evelyn", "7946", "ez@q.org"):
        assert secret not in logged


def test_the_link_key_is_made_once_and_only_it_gives_the_token_back(tmp_path: Path) -> None:
    key = load_link_key(tmp_path)
    assert len(key) >= 32 and load_link_key(tmp_path) == key
    assert (tmp_path / ".canvass" / "link.key").stat().st_mode & 0o077 == 0
    assert derive_token(key, "seed") == derive_token(key, "seed")
    assert derive_token(key, "seed") != derive_token(key, "other seed")
    assert derive_token(key, "seed") != derive_token(b"x" * 64, "seed")
    assert re.fullmatch(r"[A-Za-z0-9_-]{43}", derive_token(key, "seed"))
