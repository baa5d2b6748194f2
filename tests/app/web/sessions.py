"""A logged-in API session for the web tests: the cookie and the CSRF header a page would send."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from fastapi.testclient import TestClient


def logged_in(client: TestClient, username: str, password: str) -> TestClient:
    """A new client of ``client``'s app, logged in as ``username``, sending its CSRF token."""
    session = TestClient(client.app)
    login = session.post("/api/login", json={"username": username, "password": password})
    assert login.status_code == 200
    session.headers["X-CSRF-Token"] = login.json()["csrf_token"]
    return session


def upload_corner(session: TestClient, voters: Path, precincts: Path, rows: int) -> dict[str, int]:
    """Upload the first ``rows`` voters by street and house number (whole buildings of one
    corner of the map: a small plan on real streets) and the precinct layer; their ids."""
    table = pd.read_csv(voters, dtype=str, keep_default_na=False)
    table = table.sort_values(["street", "house_number"]).head(rows)
    voter_file = session.post(
        "/api/uploads/voters",
        files={"file": ("voters.csv", table.to_csv(index=False).encode("utf-8"))},
    )
    assert voter_file.status_code == 201, voter_file.text
    precinct_file = session.post(
        "/api/uploads/precincts",
        files={"file": ("precincts.geojson", precincts.read_bytes())},
    )
    assert precinct_file.status_code == 201, precinct_file.text
    return {"voters": voter_file.json()["id"], "precincts": precinct_file.json()["id"]}
