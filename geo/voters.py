"""Voter files: find the columns, check every row, and account for each one.

Every input row ends up either in the accepted GeoDataFrame or in the rejected table with a
reason a person can act on. ``accepted + rejected == total`` always holds.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from geo._errors import InputError
from geo.tables import read_table

# Canonical field -> header spellings seen in VAN exports, state files and generic CSVs
# (compared after lower-casing and dropping spaces, dots, dashes and underscores).
COLUMN_ALIASES: dict[str, tuple[str, ...]] = {
    "voter_id": ("voterid", "voterfilevanid", "vanid", "ncid", "id", "voternumber", "statevoterid"),
    "first_name": ("firstname", "first", "givenname", "namefirst"),
    "last_name": ("lastname", "last", "surname", "familyname", "namelast"),
    "age": ("age", "ageyears"),
    "party": ("party", "partycd", "partycode", "party affiliation", "partyaffiliation"),
    "support_score": ("supportscore", "support", "support1to100"),
    "turnout_score": ("turnoutscore", "turnout", "turnoutpct"),
    "house_number": ("housenumber", "housenum", "streetnumber", "number", "resstreetnum"),
    "street": ("street", "streetname", "address street", "resstreetname"),
    "unit": ("unit", "apt", "apartment", "unitnumber", "unitnum", "aptnumber", "resunitnum"),
    "city": ("city", "rescityname", "town"),
    "zip": ("zip", "zipcode", "zip5", "postcode", "postalcode", "rescityzip"),
    "latitude": ("latitude", "lat", "vaddresslatitude", "y"),
    "longitude": ("longitude", "lon", "lng", "long", "vaddresslongitude", "x"),
}
NUMERIC_FIELDS = ("age", "support_score", "turnout_score")


def _header_key(name: str) -> str:
    return re.sub(r"[\s._\-]+", "", name.strip().lower())


def detect_columns(columns: list[str]) -> dict[str, str]:
    """Map canonical field names to the file's own column names (first alias that matches)."""
    by_key: dict[str, str] = {}
    for column in columns:
        by_key.setdefault(_header_key(column), column)
    mapping: dict[str, str] = {}
    for field, aliases in COLUMN_ALIASES.items():
        for alias in (field, *aliases):
            found = by_key.get(_header_key(alias))
            if found is not None and found not in mapping.values():
                mapping[field] = found
                break
    return mapping


@dataclass(frozen=True)
class VoterTable:
    """The outcome of reading a voter file."""

    accepted: gpd.GeoDataFrame
    """One row per usable voter, EPSG:4326 points; ``row`` is the 1-based data row in the file."""
    rejected: pd.DataFrame
    """``row``, ``voter_id``, ``reason`` and the row's original fields."""
    total: int
    columns: dict[str, str]
    """Canonical field -> column name found in the file."""
    raw: pd.DataFrame
    """The file as read, so that rows rejected by later stages keep their original fields."""


def _blank(series: pd.Series) -> pd.Series:
    return series.isna() | (series.astype(str).str.strip() == "")


def _coordinate_problems(lat_text: pd.Series, lon_text: pd.Series) -> pd.Series:
    """Return a reason per row ('' where the coordinates are usable)."""
    lat = pd.to_numeric(lat_text, errors="coerce")
    lon = pd.to_numeric(lon_text, errors="coerce")
    lat_blank, lon_blank = _blank(lat_text), _blank(lon_text)
    reason = pd.Series("", index=lat_text.index, dtype=object)

    def flag(mask: pd.Series, text: str) -> None:
        reason.loc[mask & (reason == "")] = text

    flag(lat_blank | lon_blank, "missing coordinates (blank latitude/longitude)")
    flag(lat.isna() | lon.isna(), "coordinates are not numbers")
    flag((lat == 0) & (lon == 0), "coordinates are 0,0 (a geocoder's 'not found' value)")
    swapped = (lat.abs() > 90) & (lon.abs() <= 90) & (lat.abs() <= 180)
    flag(swapped, "latitude and longitude look swapped (latitude outside -90..90)")
    flag((lat.abs() > 90) | (lon.abs() > 180), "coordinates out of range")
    return reason


def read_voters(path: str | Path, *, columns: dict[str, str] | None = None) -> VoterTable:
    """Read a voter file and split it into accepted voters and rejected rows.

    Parameters
    ----------
    path
        CSV/TSV (any common encoding, optionally zipped), Parquet, GeoJSON or GeoPackage.
    columns
        Explicit mapping of canonical field names (see ``COLUMN_ALIASES``) to the file's
        column names; it overrides what is detected.
    """
    raw = read_table(path)
    total = len(raw)
    mapping = detect_columns(list(raw.columns))
    if columns:
        missing = [c for c in columns.values() if c not in raw.columns]
        if missing:
            raise InputError(
                f"the column mapping names columns that are not in the file: {missing}; "
                f"columns present: {list(raw.columns)}",
                path=path,
            )
        mapping.update(columns)
    for required in ("latitude", "longitude"):
        if required not in mapping:
            raise InputError(
                f"no {required} column found (looked for {', '.join(COLUMN_ALIASES[required])}); "
                "rename the column or pass a column mapping. Files without coordinates need "
                "geocoding, which this version does not do yet.",
                path=path,
            )

    frame = pd.DataFrame({"row": np.arange(1, total + 1)}, index=raw.index)
    for field, column in mapping.items():
        frame[field] = raw[column]
    if "voter_id" not in frame:
        frame["voter_id"] = frame["row"].map(lambda r: f"row-{r}")
    frame["voter_id"] = frame["voter_id"].fillna("").astype(str).str.strip()
    for field in (
        "first_name",
        "last_name",
        "party",
        "street",
        "house_number",
        "unit",
        "city",
        "zip",
    ):
        if field not in frame:
            frame[field] = ""
        frame[field] = frame[field].fillna("").astype(str).str.strip()
    for field in NUMERIC_FIELDS:
        frame[field] = pd.to_numeric(frame[field], errors="coerce") if field in frame else np.nan

    reason = _coordinate_problems(frame["latitude"], frame["longitude"])
    blank_id = frame["voter_id"] == ""
    reason.loc[blank_id & (reason == "")] = "blank voter id"
    duplicate = frame["voter_id"].duplicated(keep="first") & ~blank_id
    first_row = frame.groupby("voter_id")["row"].transform("first")
    dup_reason = "duplicate voter id (first seen on row " + first_row.astype(str) + ")"
    reason.loc[duplicate & (reason == "")] = dup_reason[duplicate & (reason == "")]

    ok = reason == ""
    accepted_frame = frame.loc[ok].copy()
    lon = pd.to_numeric(accepted_frame.pop("longitude"), errors="coerce").astype(float)
    lat = pd.to_numeric(accepted_frame.pop("latitude"), errors="coerce").astype(float)
    accepted = gpd.GeoDataFrame(
        accepted_frame, geometry=gpd.points_from_xy(lon, lat), crs="EPSG:4326"
    )
    rejected = pd.concat(
        [
            frame.loc[~ok, ["row", "voter_id"]],
            reason[~ok].rename("reason"),
            _original_fields(raw, frame.index[~ok]),
        ],
        axis=1,
    )
    return VoterTable(accepted=accepted, rejected=rejected, total=total, columns=mapping, raw=raw)


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
    return VoterTable(
        accepted=table.accepted.loc[~mask],
        rejected=pd.concat([table.rejected, extra]).sort_values("row", kind="stable"),
        total=table.total,
        columns=table.columns,
        raw=table.raw,
    )
