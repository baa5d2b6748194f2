"""The volunteer API contract (``/t/{token}``, ``/api/v/{token}/...``) on SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pandas as pd
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from app.settings import Settings
from app.store.engine import utcnow
from app.store.links import create_volunteer_link, hash_token, revoke_link
from app.store.models import Result, VolunteerLink
from app.web.app import create_app
from segments.door_results import RESULT_CODES

CODES = list(RESULT_CODES)


@pytest.fixture(scope="module")
def client(workspace: Path, database_url: str) -> Iterator[TestClient]:
    app = create_app(Settings(workspace=workspace, database_url=database_url))
    yield TestClient(app)
    app.state.services.db.dispose()


def _turfs(workspace: Path) -> list[str]:
    return sorted(p.stem for p in (workspace / "demo" / "walklists").glob("*.csv"))


def _result(household: str, code: str = "not_home", **extra: object) -> dict[str, object]:
    return {
        "client_id": str(uuid.uuid4()),
        "household_id": household,
        "code": code,
        "recorded_at": "2026-11-23T18:30:00+02:00",
        **extra,
    }


def test_turf_follows_the_contract(client: TestClient, workspace: Path) -> None:
    turf = _turfs(workspace)[0]
    token = create_volunteer_link(client.app.state.services.db, "demo", turf)  # type: ignore[attr-defined]
    body = client.get(f"/api/v/{token}/turf").json()
    assert set(body) == {
        "plan",
        "expires_at",
        "turf",
        "fields",
        "response_codes",
        "questions",
        "stops",
        "results",
        "basemap",
    }
    assert body["questions"] == []  # this workspace has no survey
    # The streets under the route come with the turf (and so are kept for offline use):
    # the streets of its own doors are named on it.
    basemap = body["basemap"]
    streets = {
        " ".join(w for w in s["address"].split() if not any(c.isdigit() for c in w))
        for s in body["stops"]
    }
    named = {basemap["names"][label[3]] for label in basemap["labels"]}
    assert streets & named  # (a rough street part: "23 B Annankatu" gives "B Annankatu")
    assert basemap["streets"]["minor"] and basemap["buildings"] and basemap["numbers"]
    assert body["plan"] == "demo"
    assert body["turf"]["id"] == turf
    assert set(body["turf"]) == {
        "id",
        "precinct",
        "doors",
        "stops",
        "minutes",
        "walk_m",
        "drop_off",
        "route",
    }
    assert body["fields"] == ["name", "age", "party"]
    assert [c["code"] for c in body["response_codes"]] == CODES
    assert body["response_codes"][3] == {
        "code": "supporter_1",
        "label": "Supporter 1",
        "per_person": True,
        "reknock": False,
        "asks_language": False,
        "group": "main",
    }
    assert len(body["turf"]["route"]) >= 2 and all(len(p) == 2 for p in body["turf"]["route"])
    walk = pd.read_csv(workspace / "demo" / "walklists" / f"{turf}.csv", dtype=str)
    # Stops in walking order, with every household and voter of the walk list.
    assert [s["sequence"] for s in body["stops"]] == sorted(
        int(x) for x in walk["sequence"].unique()
    )
    assert [s["stop_id"] for s in body["stops"]] == list(dict.fromkeys(walk["stop_id"]))
    households = [h for s in body["stops"] for h in s["households"]]
    assert len(households) == walk["household_id"].nunique()
    assert len({h["household_id"] for h in households}) == len(households)
    voters = [v for h in households for v in h["voters"]]
    assert sorted(v["voter_id"] for v in voters) == sorted(walk["voter_id"])
    assert all(set(v) == {"voter_id", "name", "age", "party"} for v in voters)
    first = walk.iloc[0]
    shown = next(v for v in voters if v["voter_id"] == first["voter_id"])
    assert shown["name"] == f"{first['first_name']} {first['last_name']}"
    assert body["stops"][0]["doors"] >= len(body["stops"][0]["households"]) >= 1
    assert body["results"] == []


def test_a_link_shows_only_the_fields_the_organiser_allowed(
    client: TestClient, workspace: Path
) -> None:
    db = client.app.state.services.db  # type: ignore[attr-defined]
    token = create_volunteer_link(db, "demo", _turfs(workspace)[1], fields=("party",))
    body = client.get(f"/api/v/{token}/turf").json()
    assert body["fields"] == ["party"]
    voters = [v for s in body["stops"] for h in s["households"] for v in h["voters"]]
    assert voters and all(set(v) == {"voter_id", "party"} for v in voters)
    assert "Andersson" not in client.get(f"/api/v/{token}/turf").text


def test_results_are_stored_once_and_shown_back(client: TestClient, workspace: Path) -> None:
    db = client.app.state.services.db  # type: ignore[attr-defined]
    token = create_volunteer_link(db, "demo", _turfs(workspace)[2])
    stops = client.get(f"/api/v/{token}/turf").json()["stops"]
    household = stops[0]["households"][0]
    voter = household["voters"][0]["voter_id"]
    first = _result(household["household_id"], "supporter_2", voter_id=voter, notes="dog")
    second = _result(stops[-1]["households"][0]["household_id"], answers={"issue": "transit"})
    response = client.post(f"/api/v/{token}/results", json={"results": [first, second]})
    assert response.status_code == 200, response.text
    assert response.json() == {
        "stored": [first["client_id"], second["client_id"]],
        "duplicates": [],
    }
    # A retry (the phone never saw the answer) is a duplicate, never a second row.
    again = client.post(f"/api/v/{token}/results", json={"results": [second, first, first]})
    assert again.json() == {"stored": [], "duplicates": [second["client_id"], first["client_id"]]}
    shown = client.get(f"/api/v/{token}/turf").json()["results"]
    assert {(r["client_id"], r["code"], r["voter_id"]) for r in shown} == {
        (first["client_id"], "supporter_2", voter),
        (second["client_id"], "not_home", None),
    }
    assert shown[0]["recorded_at"].startswith("2026-11-23T16:30:00")
    with db.reading() as session:
        stored = session.scalars(
            select(Result).where(Result.client_id.in_([first["client_id"], second["client_id"]]))
        ).all()
    assert len(stored) == 2
    assert {r.answers.get("issue") for r in stored} == {None, "transit"}


def test_a_bad_item_rejects_the_whole_batch(client: TestClient, workspace: Path) -> None:
    db = client.app.state.services.db  # type: ignore[attr-defined]
    turfs = _turfs(workspace)
    token = create_volunteer_link(db, "demo", turfs[3])
    other = create_volunteer_link(db, "demo", turfs[4])
    mine = client.get(f"/api/v/{token}/turf").json()["stops"][0]["households"][0]
    theirs = client.get(f"/api/v/{other}/turf").json()["stops"][0]["households"][0]
    good = _result(mine["household_id"])
    for bad in (
        _result(mine["household_id"], "maybe"),
        _result(theirs["household_id"]),
        _result(mine["household_id"], voter_id=theirs["voters"][0]["voter_id"]),
    ):
        response = client.post(f"/api/v/{token}/results", json={"results": [good, bad]})
        assert response.status_code == 422, response.text
    for malformed in (
        {"results": []},
        {"results": [{**good, "client_id": "short"}]},
        {"results": [{**good, "notes": "x" * 1001}]},
        {"results": [{**good, "recorded_at": "yesterday"}]},
        {"results": [{**good, "household_id": "a\x00b"}]},
        {"results": [good] * 101},
    ):
        assert client.post(f"/api/v/{token}/results", json=malformed).status_code == 422
    assert client.get(f"/api/v/{token}/turf").json()["results"] == []
    assert client.post(f"/api/v/{token}/results", json={"results": [good]}).status_code == 200


def test_unknown_revoked_and_expired_links(client: TestClient, workspace: Path) -> None:
    db = client.app.state.services.db  # type: ignore[attr-defined]
    turf = _turfs(workspace)[5]
    unknown = "A" * 43
    page = client.get(f"/t/{unknown}")
    assert page.status_code == 404
    assert "Ask your organiser for a new link" in page.text
    assert client.get(f"/api/v/{unknown}/turf").status_code == 404
    assert client.post(f"/api/v/{unknown}/results", json={"results": []}).status_code in (404, 422)

    revoked = create_volunteer_link(db, "demo", turf)
    assert client.get(f"/t/{revoked}").status_code == 200
    with db.reading() as session:
        link_id = session.scalars(
            select(VolunteerLink.id).order_by(VolunteerLink.id.desc())
        ).first()
    assert link_id is not None and revoke_link(db, link_id)
    page = client.get(f"/t/{revoked}")
    assert page.status_code == 410
    assert "Ask your organiser for a new link" in page.text
    walk = pd.read_csv(workspace / "demo" / "walklists" / f"{turf}.csv", dtype=str)
    assert walk.iloc[0]["last_name"] not in page.text and turf not in page.text
    assert client.get(f"/api/v/{revoked}/turf").status_code == 410
    assert client.get(f"/api/v/{revoked}/turf").json()["detail"].endswith("for a new link.")
    post = client.post(f"/api/v/{revoked}/results", json={"results": [_result("h1")]})
    assert post.status_code == 410

    expired = create_volunteer_link(db, "demo", turf, expires_in=timedelta(minutes=5))
    with db.writing() as session:
        session.execute(
            update(VolunteerLink)
            .where(VolunteerLink.token_hash == hash_token(expired))
            .values(expires_at=utcnow() - timedelta(minutes=1))
        )
    assert client.get(f"/t/{expired}").status_code == 410
    assert client.get(f"/api/v/{expired}/turf").status_code == 410


def test_volunteer_page_gets_its_context(client: TestClient, workspace: Path) -> None:
    db = client.app.state.services.db  # type: ignore[attr-defined]
    turf = _turfs(workspace)[6]
    token = create_volunteer_link(db, "demo", turf)
    page = client.get(f"/t/{token}")
    assert page.status_code == 200
    assert token in page.text and turf in page.text
    assert page.headers["cache-control"] == "no-store"
    csp = page.headers["content-security-policy"]
    assert "script-src 'self';" in csp
    # No tiles unless the server is given a tile URL: images only from the server itself.
    assert "http" not in csp.split("img-src")[1].split(";")[0]


def test_result_posts_are_rate_limited_per_link(client: TestClient, workspace: Path) -> None:
    db = client.app.state.services.db  # type: ignore[attr-defined]
    token = create_volunteer_link(db, "demo", _turfs(workspace)[7])
    household = client.get(f"/api/v/{token}/turf").json()["stops"][0]["households"][0]
    statuses = [
        client.post(
            f"/api/v/{token}/results", json={"results": [_result(household["household_id"])]}
        ).status_code
        for _ in range(125)
    ]
    assert statuses[:120] == [200] * 120
    assert statuses[-1] == 429
