"""One exception handler answers every error kind of the services and domain the same way."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.errors import ConflictError, GoneError, InvalidError, NotFoundError
from app.planning.request import PlanInputsError
from app.store.links import LinkGoneError, LinkNotFoundError
from app.web.errors import ANSWERS, answer_for, install_error_handlers
from geo._errors import InputError
from segments._errors import FilterError


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (NotFoundError("no plan named 'x'"), 404),
        (GoneError("the voters file is gone"), 410),
        (ConflictError("a plan named 'x' exists"), 409),
        (InvalidError("turf 'P01-01' has one stop"), 422),
        (PlanInputsError("the voters file of plan 'x' is gone"), 410),
        (LinkGoneError("this link was revoked"), 410),
        (InputError("voters.csv: no id column"), 422),
    ],
)
def test_each_error_kind_has_one_status(error: Exception, status: int) -> None:
    app = FastAPI()
    install_error_handlers(app)

    @app.get("/fail")
    def fail() -> None:
        raise error

    answer = TestClient(app).get("/fail")
    assert answer.status_code == status
    assert str(error).casefold() in str(answer.json()["detail"]).casefold()


def test_link_errors_tell_the_volunteer_what_to_do() -> None:
    assert answer_for(LinkNotFoundError("unknown link")) == (
        404,
        "This link is not known. Ask your organiser for a new link.",
    )
    status, detail = answer_for(LinkGoneError("this link has expired"))
    assert status == 410 and detail == "This link has expired. Ask your organiser for a new link."


def test_a_filter_mistake_points_at_its_position() -> None:
    error = FilterError("unknown field 'partyy'", "partyy = D", position=0)
    status, detail = answer_for(error)
    assert status == 422 and detail == {"message": str(error), "position": 0}


def test_a_bug_is_not_dressed_as_a_client_error() -> None:
    # A plain ValueError or KeyError from a bug must stay a 500, not become a 422 or 404.
    assert ValueError not in ANSWERS and KeyError not in ANSWERS and LookupError not in ANSWERS
    app = FastAPI()
    install_error_handlers(app)

    @app.get("/bug")
    def bug() -> None:
        raise KeyError("oops")

    assert TestClient(app, raise_server_exceptions=False).get("/bug").status_code == 500
