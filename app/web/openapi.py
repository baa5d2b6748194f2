"""The API's OpenAPI document, with 422 answers described as they really come.

FastAPI documents a 422 as a list of field errors (request shape). Our endpoints also answer
422 when a well-formed request cannot be carried out (an unknown turf, a filter with a typo,
a file that cannot be read): then ``detail`` is a message a person can act on, or an object
with the message and where it points. The schema says so, so clients and the schemathesis fuzz
test check answers against the truth.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI


def describe_error_details(app: FastAPI) -> None:
    """Make ``app.openapi()`` allow a message or an object as a 422 ``detail``."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        schema = build()
        error = schema.get("components", {}).get("schemas", {}).get("HTTPValidationError")
        if error is not None:
            field_errors = error["properties"]["detail"]
            error["properties"]["detail"] = {
                "title": "Detail",
                "anyOf": [
                    {k: v for k, v in field_errors.items() if k != "title"},
                    {"type": "string", "description": "what is wrong and what to do"},
                    {"type": "object", "description": "a message and where it points"},
                ],
            }
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
