"""Households (one door each) and stops (one building or house: where the canvasser walks to)."""

from __future__ import annotations

import re

import geopandas as gpd
import numpy as np
import pandas as pd

_SPACES = re.compile(r"\s+")
_PUNCTUATION = re.compile(r"[.,#]")
_UNIT_PREFIX = re.compile(r"^(apt|apartment|unit|ste|suite|no|number|as|asunto)\s*", re.IGNORECASE)


def normalise_text(values: pd.Series) -> pd.Series:
    """Lower-case, drop punctuation and squeeze spaces, so that spellings of one address agree."""
    text = values.fillna("").astype(str).str.lower()
    text = text.str.replace(_PUNCTUATION, " ", regex=True)
    return text.str.replace(_SPACES, " ", regex=True).str.strip()


def normalise_unit(values: pd.Series) -> pd.Series:
    """``"Apt 12"``, ``"#12"`` and ``"12"`` become ``"12"``."""
    return normalise_text(values).str.replace(_UNIT_PREFIX, "", regex=True).str.strip()


def natural_key(text: str) -> tuple[tuple[int, int | str], ...]:
    """Sort key that puts ``"A 2"`` before ``"A 10"``."""
    parts = re.split(r"(\d+)", text)
    return tuple((0, int(p)) if p.isdigit() else (1, p.lower()) for p in parts if p)


def assign_households(voters: gpd.GeoDataFrame) -> pd.DataFrame:
    """Give every voter a ``stop_id`` (building) and ``household_id`` (building + unit).

    Voters with a street address share a stop when house number, street and ZIP code (where
    given) agree after normalisation, so "12 Main St" in two towns stays two stops; voters
    without one share a stop when their points agree to ~1 m.
    Ids are stable for the same input: they derive from the sorted address keys.
    """
    street = normalise_text(voters["street"])
    number = normalise_text(voters["house_number"])
    unit = normalise_unit(voters["unit"])
    has_address = (street != "") & (number != "")
    # ~1 m at any latitude: points of one building geocoded identically fall together.
    lat_text = voters.geometry.y.round(5).astype(str)
    lon_text = voters.geometry.x.round(5).astype(str)
    point_key = lat_text.str.cat(lon_text, sep=",")
    postcode = normalise_text(voters["zip"]) if "zip" in voters else pd.Series("", voters.index)
    address_key = number + " " + street + " " + postcode
    building_key = np.where(has_address, address_key, "@" + point_key)
    building = pd.Series(building_key, index=voters.index, dtype=object)
    household = building.str.cat(unit, sep="|")
    stop_codes = _stable_codes(building)
    household_codes = _stable_codes(household)
    return pd.DataFrame(
        {
            "stop_id": "S" + stop_codes.astype(str).str.zfill(5),
            "household_id": "H" + household_codes.astype(str).str.zfill(6),
            "unit_key": unit,
        },
        index=voters.index,
    )


def _stable_codes(keys: pd.Series) -> pd.Series:
    codes, _ = pd.factorize(keys, sort=True)
    return pd.Series(codes + 1, index=keys.index)


def _most_common(work: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """Per stop, the most frequent combination of ``columns`` (ties: the smallest values)."""
    counts = work.groupby(["stop_id", *columns], sort=True).size().rename("n").reset_index()
    counts = counts.sort_values(["stop_id", "n"], ascending=[True, False], kind="stable")
    return counts.drop_duplicates("stop_id").set_index("stop_id")[columns]


def summarise_stops(voters: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """One row per stop: location, address, doors (households) and voters.

    ``voters`` needs ``stop_id`` and ``household_id`` columns. The stop's point is the
    most common voter point of the building (a geocoded address is one point).
    """
    if voters.empty:
        return gpd.GeoDataFrame(
            {"stop_id": [], "address": [], "doors": [], "voters": []},
            geometry=gpd.GeoSeries([], crs=voters.crs),
        )
    lon = voters.geometry.x
    lat = voters.geometry.y
    work = pd.DataFrame(
        {
            "stop_id": voters["stop_id"],
            "household_id": voters["household_id"],
            "lon": lon,
            "lat": lat,
            "address": (voters["house_number"] + " " + voters["street"]).str.strip(),
            "street": voters["street"],
            "house_number": voters["house_number"],
            "precinct": voters.get("precinct", ""),
        }
    )
    grouped = work.groupby("stop_id", sort=True)
    stops = pd.DataFrame(
        {
            "address": grouped["address"].first(),
            "street": grouped["street"].first(),
            "house_number": grouped["house_number"].first(),
            "doors": grouped["household_id"].nunique(),
            "voters": grouped.size(),
        }
    )
    point = _most_common(work, ["lon", "lat"])
    stops["lon"] = point["lon"]
    stops["lat"] = point["lat"]
    stops["precinct"] = _most_common(
        work.assign(precinct=work["precinct"].fillna("")), ["precinct"]
    )["precinct"]
    stops.loc[stops["address"] == "", "address"] = "(no street address)"
    return gpd.GeoDataFrame(
        stops.reset_index(),
        geometry=gpd.points_from_xy(stops["lon"], stops["lat"]),
        crs=voters.crs,
    )
