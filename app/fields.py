"""String types for API input: bounded in length and free of NUL characters.

PostgreSQL text columns cannot hold NUL (SQLite can), so a NUL is refused at the door with a
422 naming the field, on both backends alike, instead of failing deep in the database.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, Field, StringConstraints


def no_nul(text: str) -> str:
    """Refuse text with a NUL character."""
    if "\x00" in text:
        raise ValueError("must not contain NUL characters")
    return text


Name = Annotated[str, StringConstraints(min_length=1, max_length=100), AfterValidator(no_nul)]
"""A user name, turf id, household key or response code."""
Password = Annotated[str, StringConstraints(min_length=1, max_length=1000), AfterValidator(no_nul)]
Text = Annotated[str, StringConstraints(max_length=1000), AfterValidator(no_nul)]
"""Free text such as notes and survey answers."""
Label = Annotated[str, StringConstraints(max_length=200), AfterValidator(no_nul)]
Note = Annotated[str, StringConstraints(max_length=500), AfterValidator(no_nul)]
Expression = Annotated[str, StringConstraints(max_length=2000), AfterValidator(no_nul)]
"""A filter expression."""

MAX_ROW_ID = 2**31 - 1
"""The largest id a database row can have (ids are PostgreSQL ``integer``: signed 32-bit)."""
RowId = Annotated[int, Field(ge=1, le=MAX_ROW_ID)]
"""The id of a stored row (an upload, a link): bounded so a lookup never overflows."""
