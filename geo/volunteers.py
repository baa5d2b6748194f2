"""The volunteers of a weekend: who they are, where they start from, their hours and pairs.

A table (CSV/TSV, also zipped, Parquet or a points layer) with a ``name`` and where the
volunteer comes from: ``latitude``/``longitude``, or a home address (one ``address`` string,
or ``street`` and ``house_number`` with ``zip``/``city`` where known) placed with the same
offline geocoder as voter addresses. Optional: ``hours`` they can walk, and ``pairs with``
(the name of another volunteer of the file they walk with).

Volunteers are few and each one matters: a row that cannot be used stops the reading with an
``InputError`` naming the file, the row (as a spreadsheet numbers it: the header is row 1) and
the column, instead of leaving someone out silently.

Examples
--------
A file like this::

    name,address,hours,pairs with
    Ana Virtanen,Mannerheimintie 5,3,
    Ben Lahti,,4,Ana Virtanen
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from geo._errors import InputError
from geo.address import ADDRESS_PARTS, parse_address
from geo.address_sources import AddressSources
from geo.geocode import REASONS, Geocoded, geocode
from geo.layouts import COLUMN_ALIASES, header_key
from geo.tables import DEFAULT_ARCHIVE_LIMITS, ArchiveLimits, numbers, read_table

__all__ = ["MAX_HOURS", "Volunteers", "geocode_homes", "read_volunteers", "split_home"]

MAX_HOURS = 24.0
"""Most hours one volunteer can be given in one plan."""
_ALIASES: dict[str, tuple[str, ...]] = {
    "name": ("name", "volunteer", "volunteername", "fullname", "person"),
    "hours": ("hours", "hoursavailable", "availablehours", "shifthours", "h"),
    "pairs_with": ("pairswith", "pairwith", "partner", "walkswith", "buddy"),
    **{field: COLUMN_ALIASES[field] for field in ("address", *ADDRESS_PARTS)},
    "latitude": ("latitude", "lat", "homelat", "homelatitude"),
    "longitude": ("longitude", "lon", "lng", "long", "homelon", "homelng", "homelongitude"),
}


_LATLON = re.compile(r"([-+]?\d{1,2}(?:\.\d+)?)\s*[,;\s]\s*([-+]?\d{1,3}(?:\.\d+)?)")


@dataclass(frozen=True)
class Volunteers:
    """Volunteers read from a file, in the file's order."""

    frame: pd.DataFrame
    """``name``, ``lat``, ``lon``, ``minutes`` (NaN: not said, one turf), ``row`` (as a
    spreadsheet numbers it) and ``source`` (``file`` or where the geocoder placed them)."""
    pairs: list[tuple[int, int]]
    """Positions (into ``frame``) of the volunteers who walk together."""


def _columns(raw: pd.DataFrame) -> dict[str, str]:
    by_key: dict[str, str] = {}
    for header in raw.columns:
        by_key.setdefault(header_key(header), str(header))
    found: dict[str, str] = {}
    for field, names in _ALIASES.items():
        column = next((by_key[k] for k in map(header_key, names) if k in by_key), None)
        if column is not None and column not in found.values():
            found[field] = column
    return found


def _first(mask: pd.Series) -> int:
    """Position of the first true value."""
    return int(np.flatnonzero(mask.to_numpy(dtype=bool))[0])


def _row(frame: pd.DataFrame, position: int) -> int:
    return int(frame["row"].to_numpy()[position])


def _text(raw: pd.DataFrame, columns: dict[str, str], field: str) -> pd.Series:
    if field not in columns:
        return pd.Series("", index=raw.index, dtype=object)
    return raw[columns[field]].fillna("").astype(str).str.strip()


def read_volunteers(
    path: str | Path,
    *,
    address_points: Callable[[], gpd.GeoDataFrame] | None = None,
    address_sources: Callable[[], AddressSources] | None = None,
    archive_limits: ArchiveLimits = DEFAULT_ARCHIVE_LIMITS,
) -> Volunteers:
    """Read and check a volunteers file; homes given as addresses are geocoded offline.

    Parameters
    ----------
    path
        The volunteers file.
    address_points, address_sources
        Read the OSM address points and the ``--addresses`` files; called only when a home
        is given as an address.
    archive_limits
        How much a zipped file may unpack to.

    Raises
    ------
    InputError
        Naming the file, row and column of the first value that cannot be used.
    """
    raw = read_table(path, archive_limits=archive_limits).reset_index(drop=True)
    columns = _columns(raw)
    if "name" not in columns:
        raise InputError(
            "no column of volunteer names; call it 'name' (columns: "
            f"{', '.join(map(str, raw.columns))})",
            path=path,
            row=1,
        )
    blank = raw.astype(str).apply(lambda c: c.str.strip()).eq("").all(axis=1)
    raw = raw.loc[~blank.to_numpy()]
    frame = pd.DataFrame({"row": raw.index.to_numpy() + 2}, index=raw.index)
    frame["name"] = _text(raw, columns, "name")
    _check_names(frame, path=path, column=columns["name"])
    frame["minutes"] = _minutes(raw, columns, frame, path=path)
    _place(raw, columns, frame, path, address_points, address_sources)
    frame = frame.reset_index(drop=True)
    pairs = _pairs(_text(raw, columns, "pairs_with").reset_index(drop=True), frame, path, columns)
    return Volunteers(frame[["name", "lat", "lon", "minutes", "row", "source"]], pairs)


def _check_names(frame: pd.DataFrame, *, path: str | Path, column: str) -> None:
    for position, name in zip(frame["row"], frame["name"], strict=True):
        if not name:
            raise InputError("no name: give the volunteer's name", path=path, row=position,
                             column=column)  # fmt: skip
        if len(name) > 200 or "\x00" in name:
            raise InputError("a name of at most 200 characters, no NUL", path=path,
                             row=position, column=column)  # fmt: skip


def _minutes(
    raw: pd.DataFrame, columns: dict[str, str], frame: pd.DataFrame, *, path: str | Path
) -> pd.Series:
    text = _text(raw, columns, "hours")
    hours = numbers(text.str.replace(",", ".", regex=False))
    bad = ((text != "") & hours.isna()) | (hours <= 0) | (hours > MAX_HOURS)
    if bad.any():
        first = _first(bad)
        raise InputError(
            f"hours {text.iat[first]!r}: give a number of hours above 0 and at most {MAX_HOURS:g}, "
            "or leave it blank for one turf",
            path=path,
            row=_row(frame, first),
            column=columns["hours"],
        )
    return hours * 60.0


def _place(
    raw: pd.DataFrame,
    columns: dict[str, str],
    frame: pd.DataFrame,
    path: str | Path,
    address_points: Callable[[], gpd.GeoDataFrame] | None,
    address_sources: Callable[[], AddressSources] | None,
) -> None:
    """Fill ``lat``, ``lon`` and ``source``: the file's coordinates, else the geocoded address."""
    lat_text, lon_text = _text(raw, columns, "latitude"), _text(raw, columns, "longitude")
    frame["lat"], frame["lon"] = numbers(lat_text), numbers(lon_text)
    for field, text, limit in (("latitude", lat_text, 90), ("longitude", lon_text, 180)):
        value = frame["lat" if field == "latitude" else "lon"]
        bad = ((text != "") & value.isna()) | (value.abs() > limit)
        if bad.any():
            first = _first(bad)
            raise InputError(
                f"{field} {text.iat[first]!r}: give decimal degrees between -{limit} and {limit}",
                path=path, row=_row(frame, first), column=columns[field],
            )  # fmt: skip
    half = frame["lat"].isna() != frame["lon"].isna()
    if half.any():
        first = _first(half)
        missing = "longitude" if np.isnan(frame["lon"].to_numpy()[first]) else "latitude"
        raise InputError(f"give both latitude and longitude, or an address; {missing} is blank",
                         path=path, row=_row(frame, first),
                         column=columns.get(missing, missing))  # fmt: skip
    frame["source"] = np.where(frame["lat"].notna(), "file", "")
    todo = frame.index[frame["lat"].isna()]
    if not len(todo):
        return
    parts = pd.DataFrame({p: _text(raw, columns, p) for p in ADDRESS_PARTS}).loc[todo]
    if "address" in columns:
        parsed = parse_address(_text(raw, columns, "address").loc[todo])
        for part in ADDRESS_PARTS:
            parts[part] = parts[part].where(parts[part] != "", parsed[part])
    where = columns.get("address") or columns.get("street") or "address"
    no_address = (parts["street"] == "") | (parts["house_number"] == "")
    if no_address.any():
        first = _first(no_address)
        raise InputError(
            "no home: give latitude and longitude, or a street address with a house number",
            path=path, row=_row(frame.loc[todo], first), column=where,
        )  # fmt: skip
    found = geocode_homes(parts, address_points=address_points, address_sources=address_sources)
    lost = found.source == ""
    if lost.any():
        first = _first(lost)
        raise InputError(
            f"home address not found ({found.reason.iat[first]}); give latitude and longitude "
            "instead",
            path=path, row=_row(frame.loc[todo], first), column=where,
        )  # fmt: skip
    frame.loc[todo, "lat"], frame.loc[todo, "lon"] = found.lat, found.lon
    frame.loc[todo, "source"] = found.source


def geocode_homes(
    parts: pd.DataFrame,
    *,
    address_points: Callable[[], gpd.GeoDataFrame] | None = None,
    address_sources: Callable[[], AddressSources] | None = None,
) -> Geocoded:
    """Place home addresses (``ADDRESS_PARTS`` columns) as voter addresses are placed.

    ``reason`` is the sentence for a person where an address was not found.
    """
    found = geocode(
        parts,
        pd.DataFrame({**{p: [] for p in ADDRESS_PARTS}, "lon": [], "lat": []}),
        address_points=address_points() if address_points is not None else None,
        sources=address_sources() if address_sources is not None else None,
    )
    reason = found.reason.map(lambda code: REASONS.get(code, code) or "not found")
    return replace(found, reason=reason.where(found.source == "", ""))


def split_home(text: str) -> tuple[float, float] | str:
    """A home as typed: ``(lat, lon)`` for ``"60.17, 24.94"``, else the address text.

    >>> split_home(" 60.17, 24.94 "), split_home("Mannerheimintie 5")
    ((60.17, 24.94), 'Mannerheimintie 5')
    """
    match = _LATLON.fullmatch(text.strip())
    if match is None:
        return text.strip()
    lat, lon = float(match.group(1)), float(match.group(2))
    if abs(lat) > 90 or abs(lon) > 180:
        return text.strip()
    return lat, lon


def _pairs(
    partner: pd.Series, frame: pd.DataFrame, path: str | Path, columns: dict[str, str]
) -> list[tuple[int, int]]:
    """Who walks with whom, by name; each volunteer in at most one pair."""
    by_name: dict[str, list[int]] = {}
    for position, name in enumerate(frame["name"]):
        by_name.setdefault(name.casefold(), []).append(position)
    mate: dict[int, int] = {}
    for position, other in enumerate(partner):
        if not other:
            continue

        def refuse(message: str, at: int = position) -> InputError:
            return InputError(message, path=path, row=_row(frame, at),
                              column=columns["pairs_with"])  # fmt: skip

        named = by_name.get(other.casefold(), [])
        if not named:
            raise refuse(f"pairs with {other!r}: no volunteer of that name in the file")
        if len(named) > 1:
            raise refuse(f"pairs with {other!r}: {len(named)} volunteers have that name")
        if named[0] == position:
            raise refuse("pairs with themselves; name another volunteer or leave it blank")
        for one, two in ((position, named[0]), (named[0], position)):
            if mate.get(one, two) != two:
                raise refuse(
                    f"{frame.at[one, 'name']!r} would walk with both "
                    f"{frame.at[mate[one], 'name']!r} and {frame.at[two, 'name']!r}; "
                    "a pair is two people"
                )
        mate[position], mate[named[0]] = named[0], position
    return sorted({(min(a, b), max(a, b)) for a, b in mate.items()})
