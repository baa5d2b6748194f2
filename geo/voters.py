"""Voter files: find the columns, check every row, and account for each one.

Every input row ends up either in the accepted GeoDataFrame or in the rejected table with a
reason a person can act on. ``accepted + rejected == total`` always holds.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, TypeAlias

import geopandas as gpd
import numpy as np
import pandas as pd

from geo._errors import InputError
from geo.address import ADDRESS_PARTS, parse_address
from geo.address_sources import AddressSources
from geo.geocode import SOURCES, GeocodeSettings, geocode
from geo.layouts import (
    COLUMN_ALIASES,
    Columns,
    detect_columns,
    read_voter_table,
    resolve_columns,
)
from geo.stages import Counter, OpenStage, unreported
from geo.tables import DEFAULT_ARCHIVE_LIMITS, ArchiveLimits, numbers
from geo.voter_fields import derived_fields

__all__ = ["COLUMN_ALIASES", "VoterTable", "detect_columns", "read_voters", "reject_rows"]

NUMERIC_FIELDS = ("age", "support_score", "turnout_score")
TEXT_FIELDS = ("first_name", "last_name", "party", *ADDRESS_PARTS)
MISSING = "missing coordinates (blank latitude/longitude)"
NO_ADDRESS = f"{MISSING} and no street address to geocode"
NOT_FOUND = "address not found"
AddressPoints: TypeAlias = gpd.GeoDataFrame | Callable[[], gpd.GeoDataFrame]
"""OSM address points, or a function that reads them (called only if a row needs them)."""
Sources: TypeAlias = AddressSources | Callable[[], AddressSources]
"""The ``--addresses`` files read, or a function that reads them (called only if needed)."""


@dataclass(frozen=True)
class VoterTable:
    """The outcome of reading a voter file."""

    accepted: gpd.GeoDataFrame
    """One row per usable voter, EPSG:4326 points; ``row`` is the 1-based data row in the file
    and ``source`` says where the point came from (``geo.geocode.SOURCES``: ``file``,
    ``address_points``, ``osm_address``, ``address_range``, ``interpolated``)."""
    rejected: pd.DataFrame
    """``row``, ``voter_id``, ``reason`` and the row's original fields."""
    total: int
    columns: dict[str, str]
    """Canonical field -> column name found in the file."""
    raw: pd.DataFrame
    """The file as read, so that rows rejected by later stages keep their original fields."""
    layout: str = "generic"
    """``van``, ``ncvoter``, ``ohio_swvf``, ``florida_extract`` or ``generic`` (see
    ``geo.layouts``)."""
    geocoding: dict[str, Any] = field(default_factory=dict)
    """How rows without coordinates fared: rows placed per source, not found (with the most
    common reasons), without an address, the match rate, and the address data used."""
    history: tuple[str, ...] = ()
    """The vote history columns (one per election) carried into ``accepted``."""


def _blank(series: pd.Series) -> pd.Series:
    if pd.api.types.is_numeric_dtype(series.dtype):
        return series.isna()
    return series.isna() | (series.astype(str).str.strip() == "")


def _coordinate_problems(
    lat_text: pd.Series, lon_text: pd.Series
) -> tuple[pd.Series, pd.Series, pd.Series]:
    """A reason per row ('' where usable, ``MISSING`` if blank), and latitude and longitude."""
    lat, lon = numbers(lat_text), numbers(lon_text)
    lat_blank, lon_blank = _blank(lat_text), _blank(lon_text)
    reason = pd.Series("", index=lat_text.index, dtype=object)

    def flag(mask: pd.Series, text: str) -> None:
        reason.loc[mask & (reason == "")] = text

    flag(lat_blank | lon_blank, MISSING)
    flag(lat.isna() | lon.isna(), "coordinates are not numbers")
    flag((lat == 0) & (lon == 0), "coordinates are 0,0 (a geocoder's 'not found' value)")
    swapped = (lat.abs() > 90) & (lon.abs() <= 90) & (lat.abs() <= 180)
    flag(swapped, "latitude and longitude look swapped (latitude outside -90..90)")
    flag((lat.abs() > 90) | (lon.abs() > 180), "coordinates out of range")
    return reason, lat, lon


def _check_location_columns(
    mapping: dict[str, str], *, path: str | Path, can_geocode: bool
) -> None:
    """Raise unless the file has both coordinate columns, or neither and an address to geocode."""
    has = {f: f in mapping for f in ("latitude", "longitude")}
    if has["latitude"] and has["longitude"]:
        return
    for found, other in (("latitude", "longitude"), ("longitude", "latitude")):
        if has[found] and not has[other]:
            raise InputError(
                f"a {found} column ({mapping[found]!r}) but no {other} column found (looked for "
                f"{', '.join(COLUMN_ALIASES[other])}); rename the column or name it in a column "
                "mapping file (--columns)",
                path=path,
            )
    has_address = "address" in mapping or {"street", "house_number"} <= mapping.keys()
    if not has_address:
        raise InputError(
            "no latitude/longitude columns and no address to geocode found (looked for "
            f"latitude: {', '.join(COLUMN_ALIASES['latitude'])}; address: "
            f"{', '.join(COLUMN_ALIASES['address'])}; or street and house_number columns); "
            "rename the columns or name them in a column mapping file (--columns)",
            path=path,
        )
    if not can_geocode:
        raise InputError(
            "no latitude/longitude columns: the addresses must be geocoded, which needs the "
            "street data (an OSM extract with address points, given as --streets) or "
            "address files (--addresses)",
            path=path,
        )


class _AddressParts:
    """A file's one-string addresses split batch by batch, each distinct address once.

    A file repeats an address for every voter at it, often far apart (a VAN export is in
    VANID order): batches that each split their own addresses would split a third more.
    """

    def __init__(self, values: pd.Series) -> None:
        self.codes, self.distinct = pd.factorize(values, use_na_sentinel=False)
        self.at = np.full(len(self.distinct), -1, dtype=np.int64)  # row in ``split`` or -1
        self.split = pd.DataFrame()

    def of(self, rows: pd.Series, *, start: int) -> pd.DataFrame:
        """The parts of the addresses of ``rows``, the file's column from position ``start``."""
        codes = self.codes[start : start + len(rows)]
        new = np.unique(codes)
        new = new[self.at[new] < 0]
        if len(new):
            self.at[new] = np.arange(len(self.split), len(self.split) + len(new))
            parsed = parse_address(pd.Series(self.distinct.take(new)))
            self.split = pd.concat([self.split, parsed], ignore_index=True)
        return self.split.take(self.at[codes]).set_axis(rows.index)


def _canonical_frame(
    raw: pd.DataFrame,
    mapping: dict[str, str],
    *,
    first_row: int = 1,
    addresses: _AddressParts | None = None,
) -> pd.DataFrame:
    """The file's columns under canonical names, text trimmed, one-string addresses split.

    ``raw`` may be a slice of the file: ``first_row`` is its first row's number, and
    ``addresses`` split the file's one-string addresses.
    """
    frame = pd.DataFrame({"row": np.arange(first_row, first_row + len(raw))}, index=raw.index)
    for name, column in mapping.items():
        frame[name] = raw[column]
    if "voter_id" not in frame:
        frame["voter_id"] = "row-" + frame["row"].astype(str)
    frame["voter_id"] = frame["voter_id"].fillna("").astype(str).str.strip()
    for name in TEXT_FIELDS:
        if name not in frame:
            frame[name] = ""
        frame[name] = frame[name].fillna("").astype(str).str.strip()
    if "address" in frame:
        # Separate columns win where filled; the one-string address fills the rest.
        one_string = frame.pop("address")
        parsed = (
            parse_address(one_string)
            if addresses is None
            else addresses.of(one_string, start=first_row - 1)
        )
        for name in ADDRESS_PARTS:
            frame[name] = frame[name].where(frame[name] != "", parsed[name])
    for name in NUMERIC_FIELDS:
        frame[name] = numbers(frame[name]) if name in frame else np.nan
    for name in ("latitude", "longitude"):
        if name not in frame:
            frame[name] = ""
    return frame


def read_voters(
    path: str | Path,
    *,
    columns: dict[str, str] | None = None,
    address_points: AddressPoints | None = None,
    address_sources: Sources | None = None,
    geocode_settings: GeocodeSettings | None = None,
    archive_limits: ArchiveLimits = DEFAULT_ARCHIVE_LIMITS,
    age_on: dt.date | None = None,
    stages: OpenStage = unreported,
) -> VoterTable:
    """Read a voter file, geocode rows without coordinates, and split accepted from rejected.

    Parameters
    ----------
    path
        CSV/TSV (any common encoding, optionally zipped), Parquet, GeoJSON or GeoPackage, in
        a VAN, ncvoter or generic layout.
    columns
        Explicit mapping of canonical field names (see ``COLUMN_ALIASES``) to the file's
        column names; it overrides what is detected.
    address_points
        OSM address points (see ``geo.osm.read_address_points``) to geocode against, or a
        function returning them. Without them, rows with blank coordinates can still be
        placed by interpolation between the file's own neighbours.
    address_sources
        Address points and ranges of address files
        (``geo.address_sources.read_address_sources``), or a function returning them; they
        are trusted before the OSM address points.
    geocode_settings
        How far interpolation may reach.
    archive_limits
        How much a zipped voter file may unpack to (``geo.archives.ArchiveLimits``).
    age_on
        The date ages are counted to from birth dates (state files); today when not given.
    stages
        Where the stages are reported: ``read_voters`` (the file parsed), ``check_voters``
        (rows checked) and, if rows need it, ``geocode`` (rows placed or found nowhere).

    Examples
    --------
    >>> from geo.osm import read_address_points
    >>> table = read_voters(  # doctest: +SKIP
    ...     "voters.csv", address_points=lambda: read_address_points("city.osm.pbf")
    ... )
    >>> table.accepted["source"].value_counts()  # file, osm_address, ...  # doctest: +SKIP
    """
    with stages("read_voters"):
        raw = read_voter_table(path, archive_limits=archive_limits)
    resolved = resolve_columns(list(raw.columns), explicit=columns, path=path)
    can_geocode = address_points is not None or address_sources is not None
    _check_location_columns(resolved.mapping, path=path, can_geocode=can_geocode)
    with stages("check_voters", total=len(raw)) as rows:
        frame, reason, lat, lon = _checked_rows(raw, resolved.mapping, rows)
        frame = derived_fields(frame, raw, resolved, on=age_on)
        _flag_id_problems(frame, reason)
        source = pd.Series("file", index=frame.index, dtype=object)
        missing = reason == MISSING
        wanted = missing & (frame["street"] != "")
        reason.loc[missing & ~wanted] = NO_ADDRESS
        stats: dict[str, Any] = {"blank_coordinates": int(missing.sum())}
        if not wanted.any():
            stats |= _geocoding_counts(source[reason == ""], wanted, missing, reason)
            return _voter_table(raw, resolved, frame, reason, source, lat, lon, stats)
    with stages("geocode", total=int(wanted.sum())) as placing:
        points = address_points() if callable(address_points) else address_points
        files = address_sources() if callable(address_sources) else address_sources
        placed = reason == ""
        found = geocode(
            frame.loc[wanted, ["street", "house_number", "zip", "city"]],
            frame.loc[placed, ["street", "house_number", "zip", "city"]].assign(
                lon=lon[placed], lat=lat[placed]
            ),
            address_points=points,
            sources=files,
            settings=geocode_settings,
            on_placed=placing.advance,
        )
        placing.advance(int((found.source == "").sum()))  # the rows not found are done too
        lon.loc[found.lon.index], lat.loc[found.lat.index] = found.lon, found.lat
        source.loc[found.source.index] = found.source
        reason.loc[found.source.index] = np.where(
            found.source != "", "", NOT_FOUND + ": " + found.reason
        )
        stats["reference"] = {
            "osm_address_points": None if points is None else len(points),
            "address_files": [] if files is None else list(files.files),
        }
        stats |= _geocoding_counts(source[reason == ""], wanted, missing, reason)
        return _voter_table(raw, resolved, frame, reason, source, lat, lon, stats)


CHECK_ROWS = 100_000
"""Rows checked at a time: progress is counted per batch (a state file has millions)."""


def _checked_rows(
    raw: pd.DataFrame, mapping: dict[str, str], rows: Counter
) -> tuple[pd.DataFrame, pd.Series, pd.Series, pd.Series]:
    """The canonical fields of ``raw`` with each row's coordinate problem, latitude, longitude."""
    parts: list[tuple[pd.DataFrame, pd.Series, pd.Series, pd.Series]] = []
    addresses = _AddressParts(raw[mapping["address"]]) if "address" in mapping else None
    for start in range(0, max(len(raw), 1), CHECK_ROWS):
        frame = _canonical_frame(
            raw.iloc[start : start + CHECK_ROWS], mapping, first_row=start + 1, addresses=addresses
        )
        parts.append((frame, *_coordinate_problems(frame["latitude"], frame["longitude"])))
        rows.advance(len(frame))
    if len(parts) == 1:
        return parts[0]
    frames, reasons, lats, lons = zip(*parts, strict=True)
    return pd.concat(frames), pd.concat(reasons), pd.concat(lats), pd.concat(lons)


def _voter_table(
    raw: pd.DataFrame,
    resolved: Columns,
    frame: pd.DataFrame,
    reason: pd.Series,
    source: pd.Series,
    lat: pd.Series,
    lon: pd.Series,
    stats: dict[str, Any],
) -> VoterTable:
    """Split the checked rows into accepted voters (points) and rejected rows (reasons)."""
    ok = reason == ""
    accepted = gpd.GeoDataFrame(
        frame.loc[ok].drop(columns=["latitude", "longitude"]).assign(source=source[ok]),
        geometry=gpd.points_from_xy(lon[ok], lat[ok]),
        crs="EPSG:4326",
    )
    rejected = pd.concat(
        [
            frame.loc[~ok, ["row", "voter_id"]],
            reason[~ok].rename("reason"),
            _original_fields(raw, frame.index[~ok]),
        ],
        axis=1,
    )
    return VoterTable(
        accepted=accepted,
        rejected=rejected,
        total=len(raw),
        columns=resolved.mapping,
        raw=raw,
        layout=resolved.layout,
        geocoding=stats,
        history=resolved.history,
    )


def _flag_id_problems(frame: pd.DataFrame, reason: pd.Series) -> None:
    """Give blank and repeated voter ids their reason, unless the row already has another.

    Rows with blank coordinates get these reasons first: a duplicate is never geocoded.
    """
    open_ = reason.isin(["", MISSING]).to_numpy()
    blank_id = (frame["voter_id"] == "").to_numpy()
    reason.loc[blank_id & open_] = "blank voter id"
    ids, uniques = pd.factorize(frame["voter_id"])
    position = np.arange(len(frame))
    first = np.full(len(uniques), len(frame), dtype=np.int64)
    np.minimum.at(first, ids, position)
    duplicate = (first[ids] != position) & ~blank_id & open_
    first_row = pd.Series(frame["row"].to_numpy()[first[ids[duplicate]]]).astype(str)
    reason.loc[duplicate] = ("duplicate voter id (first seen on row " + first_row + ")").to_numpy()


def _geocoding_counts(
    accepted_source: pd.Series, wanted: pd.Series, missing: pd.Series, reason: pd.Series
) -> dict[str, Any]:
    """Rows placed by each source, not found by reason (most common first), the match rate."""
    placed = {s: int((accepted_source == s).sum()) for s in SOURCES[1:]}
    tried = int(wanted.sum())
    found = sum(placed.values())
    tried_reason = reason.loc[wanted]  # only these can be "not found": a state file is millions
    why = tried_reason.loc[tried_reason.str.startswith(NOT_FOUND)].str.removeprefix(
        NOT_FOUND + ": "
    )
    return {
        "with_address": tried,
        **placed,
        "not_found": tried - found,
        "not_found_reasons": {str(k): int(v) for k, v in why.value_counts().items()},
        "no_address": int((missing & ~wanted).sum()),
        "match_rate": round(found / tried, 4) if tried else None,
    }


def _original_fields(raw: pd.DataFrame, index: pd.Index) -> pd.DataFrame:
    """The raw fields of rejected rows, minus names the rejected table already uses."""
    return raw.loc[index, [c for c in raw.columns if c not in ("row", "voter_id", "reason")]]


def reject_rows(table: VoterTable, mask: pd.Series, reason: str | pd.Series) -> VoterTable:
    """Move accepted voters selected by ``mask`` to the rejected table with ``reason``."""
    moved = table.accepted.loc[mask]
    if moved.empty:
        return table
    reasons = reason.loc[mask] if isinstance(reason, pd.Series) else reason
    extra = pd.concat(
        [
            pd.DataFrame(
                {"row": moved["row"], "voter_id": moved["voter_id"], "reason": reasons},
                index=moved.index,
            ),
            _original_fields(table.raw, moved.index),
        ],
        axis=1,
    )
    return replace(
        table,
        accepted=table.accepted.loc[~mask],
        rejected=pd.concat([table.rejected, extra]).sort_values("row", kind="stable"),
    )


def require_voters(table: VoterTable, *, path: str | Path, after: str = "") -> None:
    """Raise ``InputError`` when no voter of ``table`` is usable, saying why rows were refused.

    ``after`` names the stage that refused the last ones (``"the precinct join"``), if any.
    """
    if len(table.accepted):
        return
    if table.total == 0:
        raise InputError("the file has no data rows (a header only, or empty)", path=path)
    reasons = table.rejected["reason"].astype(str).value_counts().head(3)
    shown = "; ".join(f"{count:,} × {reason}" for reason, count in reasons.items())
    stage = f" after {after}" if after else ""
    raise InputError(
        f"no usable voter rows{stage}: all {table.total:,} rows were rejected ({shown})",
        path=path,
    )
