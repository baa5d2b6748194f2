"""Voter file layouts: which column holds what, detected from the header or given in a file.

Published layouts are recognised by their header, or by their first line when they come
without one, from the tables of ``geo.layout_tables``: VAN exports (``Voter File VANID`` or
``VanID``), North Carolina ``ncvoter`` (``ncid`` and ``res_street_address``), the Ohio
statewide voter file (``SOS_VOTERID``, ``RESIDENTIAL_ADDRESS1``, election history columns) and
Florida's voter extract (no header; 38 tab-separated fields). Anything else is "generic". A
layout's table names its columns; the rest are found through one table of header spellings
per canonical field; a column mapping file (TOML or JSON) names the columns of any other
layout.
"""

from __future__ import annotations

import json
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from geo._errors import InputError
from geo.layout_tables import LAYOUT_TABLES, Layout
from geo.tables import DEFAULT_ARCHIVE_LIMITS, ArchiveLimits, read_table

# Canonical field -> header spellings seen in VAN exports, state files and generic CSVs
# (compared after lower-casing and dropping spaces, dots, dashes and underscores).
COLUMN_ALIASES: dict[str, tuple[str, ...]] = {
    "voter_id": ("voterid", "voterfilevanid", "vanid", "ncid", "id", "voternumber", "statevoterid"),
    "first_name": ("firstname", "first", "givenname", "namefirst"),
    "last_name": ("lastname", "last", "surname", "familyname", "namelast"),
    "age": ("age", "ageyears", "birthage", "ageatyearend"),
    "birth_date": ("dob", "dateofbirth", "birthdate", "birthdt"),
    "birth_year": ("birthyear", "yearofbirth", "yob"),
    "party": ("party", "partycd", "partycode", "partyaffiliation"),
    "support_score": ("supportscore", "support", "support1to100"),
    "turnout_score": ("turnoutscore", "turnout", "turnoutpct"),
    "house_number": (
        "housenumber", "housenum", "houseno", "streetnumber", "streetno", "stno", "number",
        "resstreetnum", "addressnumber",
    ),
    "street": ("street", "streetname", "addressstreet", "resstreetname"),
    "unit": (
        "unit", "apt", "apartment", "unitnumber", "unitnum", "unitno", "aptnumber", "aptno",
        "resunitnum",
    ),
    "address": (
        "address", "resstreetaddress", "streetaddress", "residentialaddress", "resaddress",
        "fulladdress", "address1", "addressline1", "vaddress",
    ),
    "city": ("city", "rescityname", "rescitydesc", "town"),
    "state": ("state", "statecd", "stateorprovince", "resstate"),
    "zip": ("zip", "zipcode", "zip5", "ziporpostal", "postcode", "postalcode", "rescityzip"),
    "latitude": ("latitude", "lat", "vaddresslatitude", "y"),
    "longitude": ("longitude", "lon", "lng", "long", "vaddresslongitude", "x"),
}  # fmt: skip
LAYOUTS = (*(layout.name for layout in LAYOUT_TABLES), "generic")


def header_key(name: str) -> str:
    """A header compared loosely: trimmed, lower case, without spaces, dots, dashes, ``_``."""
    return re.sub(r"[\s._\-]+", "", str(name).strip().lower())


def find_layout(columns: list[str]) -> Layout | None:
    """The published layout whose signature the header has, if any."""
    keys = {header_key(c) for c in columns}
    return next((t for t in LAYOUT_TABLES if any(s <= keys for s in t.signature)), None)


def detect_layout(columns: list[str]) -> str:
    """Name the layout of a voter file from its header (see ``LAYOUTS``)."""
    layout = find_layout(columns)
    return "generic" if layout is None else layout.name


def headerless_layout(first_line: list[str]) -> Layout | None:
    """The layout of a file without a header, told by its first line (read as a header).

    The line must have as many values as the layout has columns (or one fewer: older
    versions lacked the last) and its first values must look like the layout's.
    """
    values = [str(v).strip() for v in first_line]
    for layout in LAYOUT_TABLES:
        size = len(layout.headerless)
        if not size or len(values) not in (size, size - 1):
            continue
        if all(p.fullmatch(v) for p, v in zip(layout.first_values, values, strict=False)):
            return layout
    return None


def read_voter_table(
    path: str | Path, *, archive_limits: ArchiveLimits = DEFAULT_ARCHIVE_LIMITS
) -> pd.DataFrame:
    """``geo.tables.read_table``, and read again with the layout's names if it has no header."""
    raw = read_table(path, archive_limits=archive_limits)
    layout = headerless_layout(list(raw.columns))
    if layout is None:
        return raw
    names = list(layout.headerless[: len(raw.columns)])
    return read_table(path, archive_limits=archive_limits, names=names)


def detect_columns(columns: list[str], layout: Layout | None = None) -> dict[str, str]:
    """Map canonical field names to the file's own column names.

    The layout's table first (when given, or found from the header), then the first generic
    spelling that matches a column not taken yet.
    """
    by_key: dict[str, str] = {}
    for column in columns:
        by_key.setdefault(header_key(column), column)
    mapping: dict[str, str] = {}
    layout = layout or find_layout(columns)
    for field, names in (layout.columns if layout else {}).items():
        found = next((by_key[k] for k in map(header_key, names) if k in by_key), None)
        if found is not None:
            mapping[field] = found
    for field, aliases in COLUMN_ALIASES.items():
        if field in mapping:
            continue
        for alias in (field, *aliases):
            found = by_key.get(header_key(alias))
            if found is not None and found not in mapping.values():
                mapping[field] = found
                break
    return mapping


@dataclass(frozen=True)
class Columns:
    """Where each canonical field is found in one voter file."""

    layout: str
    """One of ``LAYOUTS`` (``van``, ``ncvoter``, ``ohio_swvf``, ... or ``generic``)."""
    mapping: dict[str, str]
    """Canonical field -> the file's column name."""
    explicit: tuple[str, ...] = ()
    """Fields whose column came from an explicit mapping rather than detection."""
    history: tuple[str, ...] = ()
    """The file's vote history columns (one per election), in file order."""
    table: Layout | None = None
    """The published layout's table, if the file has one."""


def resolve_columns(
    columns: list[str], *, explicit: dict[str, str] | None = None, path: str | Path
) -> Columns:
    """Detect the layout and columns of a file, then apply an explicit mapping over them.

    Names in ``explicit`` are matched to the header trimmed and case-insensitively.

    Raises
    ------
    InputError
        If the mapping names a field that does not exist or a column the file lacks.
    """
    table = find_layout(columns)
    mapping = detect_columns(columns, table)
    explicit = explicit or {}
    unknown = sorted(set(explicit) - set(COLUMN_ALIASES))
    if unknown:
        raise InputError(
            f"the column mapping has unknown fields {unknown}; "
            f"use these names: {', '.join(COLUMN_ALIASES)}",
            path=path,
        )
    exact = {str(c).strip().lower(): c for c in columns}
    loose = {header_key(c): c for c in columns}
    missing = []
    for field, name in explicit.items():
        found = exact.get(name.strip().lower(), loose.get(header_key(name)))
        if found is None:
            missing.append(name)
            continue
        # A column taken by an explicit field is no longer detected for another one.
        mapping = {f: c for f, c in mapping.items() if c != found}
        mapping[field] = found
    if missing:
        raise InputError(
            f"the column mapping names columns that are not in the file: {missing}; "
            f"columns present: {list(columns)}",
            path=path,
        )
    history: tuple[str, ...] = ()
    if table is not None and table.history is not None:
        history = tuple(c for c in columns if table.history.match(str(c).strip()))
    return Columns(
        layout="generic" if table is None else table.name,
        mapping=mapping,
        explicit=tuple(explicit),
        history=history,
        table=table,
    )


def read_column_mapping(path: str | Path) -> dict[str, str]:
    """Read a column mapping from a small TOML or JSON file.

    The file maps canonical field names to the voter file's column names, at its top level
    or under a ``columns`` table::

        [columns]
        voter_id = "Registrant Number"
        latitude = "Y"
        longitude = "X"
        address = "Residence Address"

    Raises
    ------
    InputError
        If the file is missing, not valid TOML/JSON, or not a mapping of names to names.
    """
    path = Path(path)
    if not path.exists():
        raise InputError("column mapping file not found", path=path)
    if path.is_dir():
        raise InputError("is a folder, not a column mapping file", path=path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(
            f"the column mapping is not UTF-8 text ({exc.reason} at byte {exc.start:,}); save "
            "it as a UTF-8 TOML or JSON file",
            path=path,
        ) from None
    is_json = path.suffix.lower() == ".json"
    try:
        document = json.loads(text) if is_json else tomllib.loads(text)
    except (json.JSONDecodeError, tomllib.TOMLDecodeError) as exc:
        kind = "JSON" if is_json else "TOML"
        raise InputError(f"the column mapping is not valid {kind} ({exc})", path=path) from exc
    if isinstance(document, dict) and isinstance(document.get("columns"), dict):
        document = document["columns"]
    if not isinstance(document, dict) or not document:
        raise InputError(
            'the column mapping must map field names to column names, e.g. latitude = "Y"',
            path=path,
        )
    bad = [k for k, v in document.items() if not isinstance(v, str) or not v.strip()]
    if bad:
        raise InputError(
            f"the column mapping gives no column name (a non-empty string) for {bad}", path=path
        )
    unknown = sorted(set(document) - set(COLUMN_ALIASES))
    if unknown:
        raise InputError(
            f"the column mapping has unknown fields {unknown}; "
            f"use these names: {', '.join(COLUMN_ALIASES)}",
            path=path,
        )
    return {str(k): str(v) for k, v in document.items()}
