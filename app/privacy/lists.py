"""Do-not-contact lists: a file of voter ids, or of names and addresses, or of addresses.

Columns are found as in voter files (``voter_id``/``VanID``, ``first_name``, ``last_name``,
one-string ``address`` or ``house_number``/``street``, ``unit``). Each row says who must not
be contacted: a voter id is that voter; a name with an address is that person whatever id a
later voter file gives them; an address with no name and no id is the whole household.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from app.privacy.keys import key_texts
from geo._errors import InputError
from geo.layouts import detect_columns
from geo.tables import DEFAULT_ARCHIVE_LIMITS, ArchiveLimits, read_table

LIST_FIELDS = ("voter_id", "first_name", "last_name", "address", "house_number", "street", "unit")


def list_key_texts(frame: pd.DataFrame, *, path: str | Path) -> list[str]:
    """The key texts (not yet hashed) of a do-not-contact table with canonical columns.

    Raises ``InputError`` naming the rows that say no one (no voter id, and no address).
    """
    texts = key_texts(frame)
    has_someone = (texts["voter"] != "") | (texts["person"] != "")
    whole_door = ~has_someone & (texts["door"] != "")
    useless = ~has_someone & ~whole_door
    if useless.any():
        rows = [str(i + 2) for i in range(len(frame)) if useless.iloc[i]][:5]
        raise InputError(
            f"{path}: row(s) {', '.join(rows)} name no one: give each row a voter id, or a "
            "name with a street address, or an address alone (the whole household)"
        )
    found = [*texts.loc[has_someone, "voter"], *texts.loc[has_someone, "person"]]
    found += list(texts.loc[whole_door, "door"])
    return sorted({t for t in found if t})


def read_do_not_contact(
    path: str | Path, *, archive_limits: ArchiveLimits = DEFAULT_ARCHIVE_LIMITS
) -> list[str]:
    """Read a do-not-contact list (CSV/TSV in any encoding, zipped, Parquet, ...).

    Returns the key texts of the people and doors it names (see ``app.privacy.keys``).
    """
    raw = read_table(path, archive_limits=archive_limits)
    mapping = detect_columns([str(c) for c in raw.columns])
    wanted = {f: c for f, c in mapping.items() if f in LIST_FIELDS}
    if "voter_id" not in wanted and not {"address", "street"} & set(wanted):
        raise InputError(
            f"{path}: no voter id column (voter_id, VanID, ...) and no address column "
            "(address, or house_number and street); the columns are "
            f"{', '.join(map(str, raw.columns))}"
        )
    frame = pd.DataFrame(
        {f: raw[c].fillna("").astype(str).str.strip() for f, c in wanted.items()},
        index=raw.index,
    )
    if frame.empty:
        raise InputError(f"{path}: the do-not-contact list has no rows")
    return list_key_texts(frame, path=path)
