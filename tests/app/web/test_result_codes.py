"""The richer door results end to end: recorded through a volunteer link, counted right in
progress (not home and come back stay open for another pass), exported with VAN's names."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.services.accounts import create_user
from app.settings import Settings
from app.store.links import create_volunteer_link
from app.web.app import create_app
from segments.door_results import RESULT_CODES

PASSWORD = "a long enough password"


@pytest.fixture(scope="module")
def client(workspace: Path, database_url: str) -> Iterator[TestClient]:
    app = create_app(Settings(workspace=workspace, database_url=database_url))
    create_user(app.state.services.db, "organiser", PASSWORD, "organiser")
    client = TestClient(app)
    login = client.post(
        "/api/login", json={"username": "organiser", "password": PASSWORD, "bearer": True}
    )
    client.headers["Authorization"] = f"Bearer {login.json()['token']}"
    yield client
    app.state.services.db.dispose()


def _turfs(workspace: Path) -> list[str]:
    return sorted(p.stem for p in (workspace / "demo" / "walklists").glob("*.csv"))


def _result(household: str, code: str, **extra: object) -> dict[str, object]:
    return {
        "client_id": str(uuid.uuid4()),
        "household_id": household,
        "code": code,
        "recorded_at": "2026-11-28T15:00:00+00:00",
        **extra,
    }


def _post(client: TestClient, token: str, *results: dict[str, object]) -> Any:
    return client.post(f"/api/v/{token}/results", json={"results": list(results)})


def _households(client: TestClient, token: str) -> list[dict[str, Any]]:
    stops = client.get(f"/api/v/{token}/turf").json()["stops"]
    return [h for s in stops for h in s["households"]]


def _turf_row(client: TestClient, turf: str) -> dict[str, Any]:
    report = client.get("/api/plans/demo/progress").json()
    row: dict[str, Any] = next(t for t in report["turfs"] if t["turf"] == turf)
    return row


def _rows(text: str) -> list[dict[str, str]]:
    lines = [line.split("\t") for line in text.split("\r\n") if line]
    return [dict(zip(lines[0], line, strict=True)) for line in lines[1:]]


def test_the_phone_is_told_how_to_offer_each_result(client: TestClient, workspace: Path) -> None:
    db = client.app.state.services.db  # type: ignore[attr-defined]
    token = create_volunteer_link(db, "demo", _turfs(workspace)[0])
    codes = {c["code"]: c for c in client.get(f"/api/v/{token}/turf").json()["response_codes"]}
    assert list(codes) == list(RESULT_CODES)
    per_person = {code for code, c in codes.items() if c["per_person"]}
    assert per_person == {f"supporter_{n}" for n in range(1, 6)} | {"deceased", "do_not_contact"}
    assert {code for code, c in codes.items() if c["reknock"]} == {"not_home", "come_back"}
    assert {code for code, c in codes.items() if c["asks_language"]} == {"language_barrier"}
    # The common door results are never behind "More…".
    for code in ("not_home", "come_back", "refused", "moved"):
        assert codes[code]["group"] == "main"
    assert codes["vacant"]["label"] == "Vacant / wrong address"
    assert codes["vacant"]["group"] == "more"


def test_new_results_are_stored_and_a_language_goes_with_a_language_barrier(
    client: TestClient, workspace: Path
) -> None:
    db = client.app.state.services.db  # type: ignore[attr-defined]
    token = create_volunteer_link(db, "demo", _turfs(workspace)[1])
    doors = _households(client, token)
    family = next(h for h in doors if len(h["voters"]) >= 2)
    others = [h for h in doors if h is not family]
    voter = family["voters"][0]["voter_id"]
    asked = others[3]["voters"][0]["voter_id"]
    results = [
        _result(others[0]["household_id"], "language_barrier", language="  Vietnamese "),
        _result(family["household_id"], "deceased", voter_id=voter),
        _result(others[1]["household_id"], "vacant"),
        _result(others[2]["household_id"], "hostile", notes="Dog"),
        _result(others[3]["household_id"], "do_not_contact", voter_id=asked),
    ]  # fmt: skip
    answer = _post(client, token, *results)
    assert answer.status_code == 200, answer.text
    assert len(answer.json()["stored"]) == len(results)

    shown = {r["client_id"]: r for r in client.get(f"/api/v/{token}/turf").json()["results"]}
    assert shown[str(results[0]["client_id"])]["language"] == "Vietnamese"
    assert shown[str(results[1]["client_id"])]["voter_id"] == voter
    assert shown[str(results[2]["client_id"])]["language"] is None


def test_a_language_only_goes_with_a_language_barrier_and_is_short(
    client: TestClient, workspace: Path
) -> None:
    db = client.app.state.services.db  # type: ignore[attr-defined]
    token = create_volunteer_link(db, "demo", _turfs(workspace)[2])
    door = _households(client, token)[0]["household_id"]

    wrong = _post(client, token, _result(door, "refused", language="Spanish"))
    assert wrong.status_code == 422
    assert "language_barrier" in wrong.text and "'refused'" in wrong.text
    assert (
        _post(client, token, _result(door, "language_barrier", language="x" * 41)).status_code
        == 422
    )
    unknown = _post(client, token, _result(door, "wrong_number"))
    assert unknown.status_code == 422
    assert "wrong_number" in unknown.text and "language_barrier, hostile" in unknown.text
    assert client.get(f"/api/v/{token}/turf").json()["results"] == []
    # Without a language (the volunteer could not tell) it is still a language barrier.
    assert _post(client, token, _result(door, "language_barrier")).status_code == 200


def test_not_home_and_come_back_keep_a_door_open_for_another_pass(
    client: TestClient, workspace: Path
) -> None:
    db = client.app.state.services.db  # type: ignore[attr-defined]
    turf = _turfs(workspace)[3]
    token = create_volunteer_link(db, "demo", turf)
    doors = [h["household_id"] for h in _households(client, token)]
    assert _turf_row(client, turf)["status"] == "not started"

    # Every door knocked; two nobody answered yet.
    finals = ["refused", "moved", "vacant", "hostile", "inaccessible", "language_barrier"]
    first = [_result(door, "not_home") for door in doors[:1]]
    first += [_result(door, "come_back") for door in doors[1:2]]
    first += [_result(door, finals[i % len(finals)]) for i, door in enumerate(doors[2:])]
    assert _post(client, token, *first).status_code == 200
    row = _turf_row(client, turf)
    assert row["doors_knocked"] == len(doors) == row["target_households"]
    assert (row["doors_done"], row["doors_reknock"]) == (len(doors) - 2, 2)
    assert row["status"] == "knock again"

    # The second pass: one answers, one is still not home.
    again = [
        _result(doors[0], "supporter_2", recorded_at="2026-11-29T15:00:00+00:00"),
        _result(doors[1], "not_home", recorded_at="2026-11-29T15:05:00+00:00"),
    ]
    assert _post(client, token, *again).status_code == 200
    row = _turf_row(client, turf)
    assert (row["doors_done"], row["doors_reknock"], row["status"]) == (
        len(doors) - 1,
        1,
        "knock again",
    )
    last = _result(doors[1], "supporter_4", recorded_at="2026-11-30T15:00:00+00:00")
    assert _post(client, token, last).status_code == 200
    row = _turf_row(client, turf)
    assert (row["doors_done"], row["doors_reknock"], row["status"]) == (len(doors), 0, "done")
    totals = client.get("/api/plans/demo/progress").json()["totals"]
    assert totals["doors_done"] + totals["doors_reknock"] == totals["doors_knocked"]


def test_the_exports_carry_the_new_results_the_language_and_the_canvasser(
    client: TestClient, workspace: Path
) -> None:
    db = client.app.state.services.db  # type: ignore[attr-defined]
    turf = _turfs(workspace)[4]
    assert client.put(
        f"/api/plans/demo/turfs/{turf}/assignment", json={"volunteer": "Ana Ruiz"}
    ).is_success
    token = create_volunteer_link(db, "demo", turf)
    doors = _households(client, token)
    family = next(h for h in doors if len(h["voters"]) >= 2)
    gone, alive = family["voters"][0]["voter_id"], family["voters"][1]["voter_id"]
    speaks = next(h for h in doors if h is not family)
    angry = next(h for h in doors if h is not family and h is not speaks)
    results = [
        _result(family["household_id"], "deceased", voter_id=gone),
        _result(speaks["household_id"], "language_barrier", language="Somali", notes="try Sat"),
        _result(angry["household_id"], "hostile"),
    ]
    assert _post(client, token, *results).status_code == 200

    history = _rows(client.get("/api/plans/demo/results.tsv").text)
    by_voter = {r["Voter File VANID"]: r for r in history}
    assert by_voter[gone]["Result"] == "Deceased"
    assert alive not in by_voter  # a person's result is about that person only
    for voter in speaks["voters"]:  # a door's result is about everyone behind it
        row = by_voter[voter["voter_id"]]
        assert row["Result"] == "Language Barrier"
        assert row["Notes"] == "Language: Somali; try Sat"
        assert row["Canvassed By"] == "Ana Ruiz"
    assert {by_voter[v["voter_id"]]["Result"] for v in angry["voters"]} == {"Hostile"}
    # None of these is a support level: no Support ID row for them.
    responses = _rows(client.get("/api/plans/demo/survey-responses.tsv").text)
    mine = {v["voter_id"] for h in (family, speaks, angry) for v in h["voters"]}
    assert [r for r in responses if r["Voter File VANID"] in mine] == []
