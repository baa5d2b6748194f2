"""Voter file layouts: which column holds what, detected from the header or given in a file.

Three layouts are recognised by their header: VAN exports (``Voter File VANID`` or ``VanID``),
North Carolina ``ncvoter`` files (``ncid`` and ``res_street_address``) and anything else
("generic"). All three are read through one table of header spellings per canonical field;
a column mapping file (TOML or JSON) names the columns of any other layout.
"""

from __future__ import annotations

import json
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from geo._errors import InputError

# Canonical field -> header spellings seen in VAN exports, state files and generic CSVs
# (compared after lower-casing and dropping spaces, dots, dashes and underscores).
COLUMN_ALIASES: dict[str, tuple[str, ...]] = {
    "voter_id": ("voterid", "voterfilevanid", "vanid", "ncid", "id", "voternumber", "statevoterid"),
    "first_name": ("firstname", "first", "givenname", "namefirst"),
    "last_name": ("lastname", "last", "surname", "familyname", "namelast"),
    "age": ("age", "ageyears", "birthage", "ageatyearend"),
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
LAYOUTS = ("van", "ncvoter", "generic")


def header_key(name: str) -> str:
    """A header compared loosely: trimmed, lower case, without spaces, dots, dashes, ``_``."""
    return re.sub(r"[\s._\-]+", "", str(name).strip().lower())


def detect_layout(columns: list[str]) -> str:
    """Name the layout of a voter file from its header: ``van``, ``ncvoter`` or ``generic``."""
    keys = {header_key(c) for c in columns}
    if keys & {"voterfilevanid", "vanid", "votervanid"}:
        return "van"
    if {"ncid", "resstreetaddress"} <= keys:
        return "ncvoter"
    return "generic"


def detect_columns(columns: list[str]) -> dict[str, str]:
    """Map canonical field names to the file's own column names (first alias that matches)."""
    by_key: dict[str, str] = {}
    for column in columns:
        by_key.setdefault(header_key(column), column)
    mapping: dict[str, str] = {}
    for field, aliases in COLUMN_ALIASES.items():
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
    """``van``, ``ncvoter`` or ``generic``, detected from the header."""
    mapping: dict[str, str]
    """Canonical field -> the file's column name."""
    explicit: tuple[str, ...] = ()
    """Fields whose column came from an explicit mapping rather than detection."""


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
    mapping = detect_columns(columns)
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
    return Columns(layout=detect_layout(columns), mapping=mapping, explicit=tuple(explicit))


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
