"""Who goes where from the people list: homes, hours and pairs kept; applying gives links."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from app.services.accounts import create_user
from app.settings import Settings
from app.web.app import create_app
from segments.assign import great_circle_km
from tests.app.web.sessions import logged_in

PASSWORD = "suggest password"


@pytest.fixture(scope="module")
def client(workspace: Path, database_url: str) -> Iterator[TestClient]:
    app = create_app(Settings(workspace=workspace, database_url=database_url))
    create_user(app.state.services.db, "orla", PASSWORD, "organiser")
    create_user(app.state.services.db, "max", PASSWORD, "manager")
    yield TestClient(app)
    app.state.services.db.dispose()


def test_people_with_homes_are_suggested_turfs_and_applying_makes_their_links(
    client: TestClient,
    workspace: Path,
) -> None:
    orla = logged_in(client, "orla", PASSWORD)
    add = lambda **body: orla.post("/api/people", json=body)  # noqa: E731
    ana = add(name="Ana", home="60.1650, 24.9300", hours=2.5).json()
    ben = add(name="Ben", home="Mannerheimintie 5", hours=3.0, pairs_with=ana["id"]).json()
    cai = add(name="Cai", home="60.1700, 24.9500").json()  # no hours: one turf
    dee = add(name="Dee").json()  # no home
    add(name="Eve", home="Nowhere Road 77", hours=2.0)
    assert ben["pairs_with"] == ana["id"]
    assert orla.get("/api/people").json()[0]["pairs_with"] == ben["id"]  # Ana names Ben back
    bad = add(name="Fay", hours=30)
    assert bad.status_code == 422 and "hours" in bad.text
    # Changing a name alone (an older client) keeps the home, hours and partner.
    renamed = orla.put(f"/api/people/{ben['id']}", json={"name": "Ben"}).json()
    assert (renamed["home"], renamed["hours"], renamed["pairs_with"]) == (
        "Mannerheimintie 5", 3.0, ana["id"])  # fmt: skip

    # Managers see aggregates only: the suggestion names people.
    manager = logged_in(client, "max", PASSWORD)
    assert manager.post("/api/plans/demo/assignments/suggestion").status_code == 403
    answer = orla.post("/api/plans/demo/assignments/suggestion")
    assert answer.status_code == 200 and answer.headers["cache-control"] == "no-store"
    found = answer.json()
    left_out = {p["person"]: p["reason"] for p in found["left_out"]}
    assert set(left_out) == {"Dee", "Eve"}
    assert "no home" in left_out["Dee"] and "not found" in left_out["Eve"]
    turfs = found["turfs"]
    stops = pd.read_csv(workspace / "demo" / "stops.csv", dtype={"turf": str})
    first = stops.sort_values("sequence").drop_duplicates("turf").set_index("turf")
    by_person: dict[str, list[dict]] = {}
    for row in turfs:
        by_person.setdefault(row["person"], []).append(row)
    # The pair walks together, within the hours of the one who has fewer (Ana's 2.5).
    pair = by_person.get("Ana", []) + by_person.get("Ben", [])
    assert pair and all({r["person"], r["partner"]} == {"Ana", "Ben"} for r in pair)
    assert sum(r["minutes"] for r in pair) <= 150
    assert len(by_person["Cai"]) == 1
    (cai_turf,) = by_person["Cai"]
    expected = great_circle_km([60.17], [24.95], [first.at[cai_turf["turf"], "lat"]],
                               [first.at[cai_turf["turf"], "lon"]])[0, 0]  # fmt: skip
    assert cai_turf["travel_km"] == pytest.approx(expected, abs=0.01)
    assert found["record"]["turfs_assigned"] == len(turfs)
    assert "Ana" not in str(found["record"])

    # The organiser changes one row (Cai's turf to Dee) and applies: links in one step.
    accepted = [{"turf": r["turf"], "person": r["person_id"]} for r in turfs]
    accepted[-1]["person"] = dee["id"] if accepted[-1]["person"] == cai["id"] else cai["id"]
    applied = orla.post("/api/plans/demo/assignments/apply", json={"turfs": accepted})
    assert applied.status_code == 200, applied.text
    links = applied.json()
    assert [link["turf"] for link in links] == [a["turf"] for a in accepted]
    assert all(link["url"].count("/t/") == 1 and link["qr"].startswith("data:image/svg")
               for link in links)  # fmt: skip
    assigned = {a["turf"]: a for a in orla.get("/api/plans/demo/assignments").json()}
    for row in accepted:
        assert assigned[row["turf"]]["person_id"] == row["person"]
        assert assigned[row["turf"]]["link_active"]

    # Assigned turfs are not suggested again; someone without hours who has one gets no more.
    again = orla.post("/api/plans/demo/assignments/suggestion").json()
    assert not {r["turf"] for r in again["turfs"]} & set(assigned)
    if any(a["person_id"] == cai["id"] for a in assigned.values()):
        assert "already" in {p["person"]: p["reason"] for p in again["left_out"]}["Cai"]
    else:
        assert any(r["person"] == "Cai" for r in again["turfs"])
    # A turf that does not exist gives nothing away.
    wrong = orla.post("/api/plans/demo/assignments/apply",
                      json={"turfs": [{"turf": "NOPE", "person": ana["id"]}]})  # fmt: skip
    assert wrong.status_code == 404


def test_the_volunteers_file_of_a_plan_joins_the_people_list_once(
    client: TestClient,
    workspace: Path,
    tmp_path: Path,
) -> None:
    orla = logged_in(client, "orla", PASSWORD)
    summary_path = workspace / "demo" / "summary.json"
    summary = json.loads(summary_path.read_text(encoding="utf-8"))
    url = "/api/plans/demo/people/from-volunteers"
    refused = orla.post(url)
    assert refused.status_code == 422 and "without a volunteers file" in refused.text
    volunteers = tmp_path / "volunteers.csv"
    volunteers.write_text(
        "name,address,lat,lon,hours,pairs with\n"
        "Gus File,Mannerheimintie 5,,,3,\n"
        "Hal File,,60.17,24.94,,gus file\n",
        encoding="utf-8",
    )
    original = summary_path.read_text(encoding="utf-8")
    try:
        summary["inputs"]["volunteers"] = str(volunteers)
        summary_path.write_text(json.dumps(summary), encoding="utf-8")

        assert orla.post(url).json() == {"added": 2, "already": 0}
        assert orla.post(url).json() == {"added": 0, "already": 2}

        people = {p["name"]: p for p in orla.get("/api/people").json()}
        gus, hal = people["Gus File"], people["Hal File"]
        assert gus["hours"] == 3.0 and hal["hours"] is None
        assert hal["home"] == "60.170000, 24.940000"
        assert gus["home"].startswith("60.1")  # the address, placed as voters' addresses are
        assert (gus["pairs_with"], hal["pairs_with"]) == (hal["id"], gus["id"])
    finally:  # the workspace is shared by the module's tests
        summary_path.write_text(original, encoding="utf-8")
