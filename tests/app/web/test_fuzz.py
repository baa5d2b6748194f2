"""Fuzz the JSON API from its OpenAPI schema (schemathesis): no 500s, answers match the schema.

Volunteer endpoints get a valid link's token in half the examples, so the fuzzing reaches the
storage code, not only the 404 of an unknown token; a bearer session of an organiser is sent
with half the others.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import content_type_conformance, response_schema_conformance

from app.services.accounts import create_user
from app.settings import Settings
from app.store.links import create_volunteer_link
from app.web.app import create_app

EXAMPLES = 50
"""Generated requests per operation (kept small: the suite stays fast)."""
# A well-formed request may still be refused (a household outside the link's turf): the checks
# are "no server error" and "every answer matches the documented schema and content type".
CHECKS = [not_a_server_error, response_schema_conformance, content_type_conformance]


@pytest.fixture(scope="module")
def fuzzed_app(workspace: Path, database_url: str) -> Iterator[Any]:
    app = create_app(Settings(workspace=workspace, database_url=database_url))
    yield app
    app.state.services.db.dispose()


def test_api_never_fails_on_generated_requests(fuzzed_app: Any) -> None:
    db = fuzzed_app.state.services.db
    token = create_volunteer_link(db, "demo", "P01-01")
    create_user(db, "fuzzer", "fuzzing password", "organiser")
    bearer = TestClient(fuzzed_app).post(
        "/api/login", json={"username": "fuzzer", "password": "fuzzing password", "bearer": True}
    )
    auth = {"Authorization": f"Bearer {bearer.json()['token']}"}
    schema = schemathesis.openapi.from_asgi("/openapi.json", fuzzed_app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 10
    calls: list[tuple[str, int]] = []
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def fuzz(case: Any) -> None:
            flip = len(calls) % 2 == 0
            if "token" in (case.path_parameters or {}) and flip:
                case.path_parameters["token"] = token
            response = case.call(headers=auth if flip else None)
            calls.append((f"{case.method} {case.path}", response.status_code))
            assert response.status_code < 500, response.text
            if response.status_code != 429:  # rate limits answer before validation
                case.validate_response(response, checks=CHECKS)

        fuzz()
    assert len(calls) >= len(operations) * 5
    assert all(status < 500 for _, status in calls)
    print(f"fuzzed {len(operations)} operations with {len(calls)} requests: no 5xx")
