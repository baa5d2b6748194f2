"""Write a synthetic VAN-style voter export along the named streets of an OSM extract.

For trying ``canvass plan`` on real streets where no voter file can be shared (voter files are
personal data). Doors are placed every ~25 m along both sides of each named residential street
(even numbers on one side, odd on the other, rising along the street), a few thousand synthetic
voters live at them (some in apartments), and the file is written the way VAN report exports
come: tab-separated UTF-16 text named ``.xls`` inside a ``.zip``, one-string ``Address``
(``"1210 Peachtree St NE Apt 4 , Atlanta, GA 30308"``), ``Voter File VANID`` and
``VAddressLatitude``/``VAddressLongitude``, blank for ~3% of rows (never geocoded by VAN). A few
rows are broken on purpose (0,0, swapped coordinates, a repeated VANID, a point in Orlando).

    python bench/make_van_sample.py ../shared/data/atlanta/central-atlanta-filtered.osm.pbf \\
        /tmp/atl/van-atlanta.zip --voters 4000 [--truth /tmp/atl/truth.csv]
"""

from __future__ import annotations

import argparse
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import osmium
import pandas as pd
import shapely
from pyproj import Transformer

from geo.crs import local_metric_crs

SEED = 20260302
STREETS = {"residential", "living_street", "tertiary", "unclassified"}
SPACING_M, SETBACK_M = 25.0, 12.0
SHORT = {"Street": "St", "Avenue": "Ave", "Road": "Rd", "Drive": "Dr", "Boulevard": "Blvd",
         "Place": "Pl", "Court": "Ct", "Lane": "Ln", "Circle": "Cir", "Terrace": "Ter",
         "Northeast": "NE", "Northwest": "NW", "Southeast": "SE", "Southwest": "SW"}  # fmt: skip


def named_streets(path: Path) -> dict[str, shapely.LineString]:
    """The longest merged line of each named residential street, in lon/lat."""
    parts: dict[str, list[shapely.LineString]] = {}
    way: Any
    for way in (
        osmium.FileProcessor(str(path))
        .with_locations()
        .with_filter(osmium.filter.KeyFilter("highway"))
    ):
        if not way.is_way() or way.tags.get("highway") not in STREETS:
            continue
        name = way.tags.get("name", "")
        coords = [(n.location.lon, n.location.lat) for n in way.nodes if n.location.valid()]
        if name and len(coords) >= 2:
            parts.setdefault(name, []).append(shapely.LineString(coords))
    streets = {}
    for name, lines in parts.items():
        merged = shapely.line_merge(shapely.MultiLineString(lines))
        pieces = list(getattr(merged, "geoms", [merged]))
        streets[name] = max(pieces, key=lambda g: g.length)
    return streets


def doors(streets: dict[str, shapely.LineString], *, spacing_m: float = SPACING_M) -> pd.DataFrame:
    """Doors every ``spacing_m`` on both sides of each street, numbered along it."""
    lines = list(streets.values())
    lon, lat = shapely.get_coordinates(lines).T
    crs = local_metric_crs(lon, lat)
    forward = Transformer.from_crs(4326, crs, always_xy=True)
    back = Transformer.from_crs(crs, 4326, always_xy=True)
    rows = []
    for s, (name, line) in enumerate(streets.items()):
        metric = shapely.transform(line, lambda xy: np.column_stack(forward.transform(*xy.T)))
        count = int(metric.length // spacing_m)
        if count < 2:
            continue
        at = (np.arange(count) + 0.5) * spacing_m
        here = shapely.get_coordinates(shapely.line_interpolate_point(metric, at))
        ahead = shapely.get_coordinates(shapely.line_interpolate_point(metric, at + 1.0))
        direction = ahead - here
        normal = np.column_stack([-direction[:, 1], direction[:, 0]])
        normal /= np.linalg.norm(normal, axis=1, keepdims=True) + 1e-12
        base = 100 * (1 + s % 20)
        for side, sign in ((0, -1.0), (1, 1.0)):  # even on the right, odd on the left
            x, y = (here + sign * SETBACK_M * normal).T
            dlon, dlat = back.transform(x, y)
            rows.append(
                pd.DataFrame(
                    {
                        "street": name,
                        "number": base + 10 * np.arange(count) + side,
                        "lon": dlon,
                        "lat": dlat,
                    }
                )
            )
    return pd.concat(rows, ignore_index=True)


def van_export(
    doors_frame: pd.DataFrame,
    count: int,
    rng: np.random.Generator,
    *,
    flat_share: float = 0.1,
    most_in_house: int = 3,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The export, and every voter's true position (before any coordinates are blanked).

    ``count // 2`` doors are lived at: a share ``flat_share`` are blocks of flats (6-19
    voters), the others houses of 1 to ``most_in_house`` voters.
    """
    lots = doors_frame.sample(n=min(len(doors_frame), count // 2), random_state=SEED)
    flats = rng.random(len(lots)) < flat_share
    in_flats = rng.integers(6, 20, len(lots))
    people = np.where(flats, in_flats, rng.integers(1, most_in_house + 1, len(lots)))
    at = lots.loc[lots.index.repeat(people)].reset_index(drop=True).head(count)
    n = len(at)
    in_flat = np.repeat(flats, people)[:n]
    unit = np.where(in_flat, " Apt " + rng.integers(1, 30, n).astype(str), "")
    street = at["street"].replace(SHORT, regex=True)
    zip5 = np.where(at["lat"] > 33.77, "30308", "30303")
    frame = pd.DataFrame(
        {
            "Voter File VANID": (100_000 + np.arange(n)).astype(str),
            "LastName": rng.choice(["Jackson", "Williams", "Nguyen", "Okafor", "Cohen"], n),
            "FirstName": rng.choice(["Ava", "Ben", "Chloe", "Dev", "Eli", "Fatou"], n),
            "Party": rng.choice(["D", "R", "U"], n, p=[0.55, 0.2, 0.25]),
            "Age": rng.integers(18, 95, n).astype(str),
            "Address": at["number"].astype(str) + " " + street + unit + " , Atlanta, GA " + zip5,
            "City": "Atlanta", "State": "GA", "Zip5": zip5,
            "VAddressLatitude": at["lat"].round(6).astype(str),
            "VAddressLongitude": at["lon"].round(6).astype(str),
            "Preferred Phone ": "",
        }
    )  # fmt: skip
    truth = frame[["Voter File VANID", "VAddressLatitude", "VAddressLongitude"]].copy()
    blank = rng.random(n) < 0.03
    frame.loc[blank, ["VAddressLatitude", "VAddressLongitude"]] = ""
    bad = rng.choice(np.flatnonzero(~blank), size=5, replace=False)
    frame.loc[bad[:2], ["VAddressLatitude", "VAddressLongitude"]] = "0"
    frame.loc[bad[2:4], ["VAddressLatitude", "VAddressLongitude"]] = frame.loc[
        bad[2:4], ["VAddressLongitude", "VAddressLatitude"]
    ].to_numpy()
    frame.loc[bad[4], ["VAddressLatitude", "VAddressLongitude"]] = ["28.5063", "-81.4569"]
    return pd.concat([frame, frame.iloc[[7]]], ignore_index=True), truth


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("streets", type=Path, help="OSM extract (.osm.pbf)")
    parser.add_argument("out", type=Path, help="zip file to write")
    parser.add_argument("--voters", type=int, default=4000)
    parser.add_argument("--truth", type=Path, help="also write every row's true position (CSV)")
    args = parser.parse_args()
    rng = np.random.default_rng(SEED)
    frame, truth = van_export(doors(named_streets(args.streets)), args.voters, rng)
    if args.truth:
        truth.to_csv(args.truth, index=False)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    text = frame.to_csv(sep="\t", index=False, lineterminator="\r\n")
    with zipfile.ZipFile(args.out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("ExportFile_4242.xls", text.encode("utf-16"))
    blank = (frame["VAddressLatitude"] == "").sum()
    print(f"{len(frame):,} rows ({blank} with blank coordinates) written to {args.out}")


if __name__ == "__main__":
    main()
