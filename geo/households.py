"""Households (one door each) and stops (one building or house: where the canvasser walks to)."""

from __future__ import annotations

import re

import geopandas as gpd
import numpy as np
import pandas as pd

from geo.address import number_key, street_key, zip_key

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
    text = values.fillna("").astype(str)
    codes, uniques = pd.factorize(text)
    units = normalise_text(pd.Series(uniques, dtype=object))
    done = units.str.replace(_UNIT_PREFIX, "", regex=True).str.strip().to_numpy()
    return pd.Series(done[codes], index=values.index, dtype=object)


def natural_key(text: str) -> tuple[tuple[int, int | str], ...]:
    """Sort key that puts ``"A 2"`` before ``"A 10"``."""
    parts = re.split(r"(\d+)", text)
    return tuple((0, int(p)) if p.isdigit() else (1, p.lower()) for p in parts if p)


def assign_households(voters: gpd.GeoDataFrame) -> pd.DataFrame:
    """Give every voter a ``stop_id`` (building) and ``household_id`` (building + unit).

    Voters with a street address share a stop when house number, street and ZIP code (where
    given) agree after normalisation (``geo.address``: "Main Street" is "Main St", ZIP+4 is
    its ZIP5), so "12 Main St" in two towns stays two stops; voters without one share a stop
    when their points agree to ~1 m.
    Ids are stable for the same input: they derive from the sorted address keys.
    """
    street = street_key(voters["street"])
    number = number_key(voters["house_number"])
    unit = normalise_unit(voters["unit"])
    has_address = ((street != "") & (number != "")).to_numpy()
    postcode = zip_key(voters["zip"]) if "zip" in voters else pd.Series("", voters.index)
    # ~1 m at any latitude: points of one building geocoded identically fall together.
    lat = np.where(has_address, 0.0, voters.geometry.y.round(5).to_numpy())
    lon = np.where(has_address, 0.0, voters.geometry.x.round(5).to_numpy())
    by_address = [s.where(has_address, "") for s in (street, number, postcode)]
    building = _lexical_codes([~has_address, *by_address, lat, lon])
    household = _lexical_codes([building, unit])
    return pd.DataFrame(
        {
            "stop_id": _labels("S", building, width=5),
            "household_id": _labels("H", household, width=6),
            "unit_key": unit,
        },
        index=voters.index,
    )


def _lexical_codes(columns: list[pd.Series | np.ndarray]) -> np.ndarray:
    """Dense codes (0, 1, ...) of the rows' value tuples, numbered in sorted order."""
    code = np.zeros(len(columns[0]), dtype=np.int64)
    for column in columns:
        rank, uniques = pd.factorize(np.asarray(column), sort=True)
        code = np.unique(code * (len(uniques) + 1) + rank, return_inverse=True)[1]
    return code.astype(np.int64).ravel()


def _labels(prefix: str, codes: np.ndarray, *, width: int) -> np.ndarray:
    """``prefix`` + the 1-based code, zero-padded, built once per distinct code."""
    names = prefix + pd.Series(np.arange(1, codes.max(initial=0) + 2)).astype(str).str.zfill(width)
    return names.to_numpy(dtype=object)[codes]


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


def split_big_buildings(
    stop_id: pd.Series, household_id: pd.Series, unit: pd.Series, *, max_doors: int
) -> pd.Series:
    """Stop ids where buildings with more than ``max_doors`` doors are split into parts.

    ``max_doors`` is what one turf holds (``routing.cutting.max_doors_per_stop``). A part is
    a run of units in natural order (``A 1`` ... ``A 40`` then ``B 1`` ...), about equal in
    size, so each part is a floor or staircase's worth of doors. Part ids are the building's
    id with ``.1``, ``.2`` ... appended; other stops keep their id.
    """
    frame = pd.DataFrame({"stop": stop_id, "household": household_id, "unit": unit})
    households = frame.drop_duplicates("household").copy()
    households["order"] = households["unit"].fillna("").astype(str).map(natural_key)
    households = households.sort_values(["stop", "order", "household"], kind="stable")
    rank = households.groupby("stop").cumcount().to_numpy()
    doors = households.groupby("stop")["household"].transform("size").to_numpy()
    parts = np.ceil(doors / max_doors).astype(int)
    part = rank * parts // doors + 1
    new_id = np.where(
        parts > 1, households["stop"].astype(str) + "." + part.astype(str), households["stop"]
    )
    mapping = pd.Series(new_id, index=households["household"].to_numpy())
    return frame["household"].map(mapping).rename("stop_id")
