"""A logged-in API session for the web tests: the cookie and the CSRF header a page would send."""

from __future__ import annotations

from fastapi.testclient import TestClient


def logged_in(client: TestClient, username: str, password: str) -> TestClient:
    """A new client of ``client``'s app, logged in as ``username``, sending its CSRF token."""
    session = TestClient(client.app)
    login = session.post("/api/login", json={"username": username, "password": password})
    assert login.status_code == 200
    session.headers["X-CSRF-Token"] = login.json()["csrf_token"]
    return session
