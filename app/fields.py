"""String types for API input: bounded in length and free of NUL characters.

PostgreSQL text columns cannot hold NUL (SQLite can), so a NUL is refused at the door with a
422 naming the field, on both backends alike, instead of failing deep in the database.
"""

from __future__ import annotations

import re
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

# A phone number as people write it: digits with spaces, dashes, dots, brackets, a leading +.
_PHONE = re.compile(r"^\+?[0-9][0-9 ().\-]{4,38}$")
# Enough of an address to send mail to: something@domain.tld, no spaces, commas or brackets.
_EMAIL = re.compile(r"^[^\s@<>,;\"\x00]+@[^\s@<>,;\"\x00]+\.[^\s@<>,;\"\x00]+$")


def check_phone(text: str) -> str:
    """A phone number, trimmed (``""`` for none); ValueError saying what is wrong."""
    text = text.strip()
    if text and not _PHONE.match(text):
        raise ValueError(f"{text!r} is not a phone number (digits, spaces, dashes, a leading +)")
    return text


def check_email(text: str) -> str:
    """An email address, trimmed (``""`` for none); ValueError saying what is wrong."""
    text = text.strip()
    if text and (len(text) > 200 or not _EMAIL.match(text)):
        raise ValueError(f"{text!r} is not an email address like ana@example.org")
    return text


Phone = Annotated[str, StringConstraints(max_length=40), AfterValidator(check_phone)]
"""A volunteer's phone number, or ``""``."""
Email = Annotated[str, StringConstraints(max_length=200), AfterValidator(check_email)]
"""A volunteer's email address, or ``""``."""

MAX_ROW_ID = 2**31 - 1
"""The largest id a database row can have (ids are PostgreSQL ``integer``: signed 32-bit)."""
RowId = Annotated[int, Field(ge=1, le=MAX_ROW_ID)]
"""The id of a stored row (an upload, a link): bounded so a lookup never overflows."""
