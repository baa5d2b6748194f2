"""Geocoding a state voter file with no coordinates against county address data.

Synthetic voters on real streets: the named residential, unclassified, tertiary and
secondary ways of the two Atlanta extracts in ../shared/data (OSM, routing ways only), laid
out as TILES copies side by side (each copy its own ZIP code, so every street name recurs in
every ZIP, as same-named streets do across a county). Houses stand along both sides of every
way, 12-25 m off the centre line, one lot every 18-30 m; their numbers rise along the way
from a hundred-block per way (odd on one side, even on the other), mostly in proportion to
the distance along the block (as suburban counties number them), on a third of the ways
simply in sequence (2, 4, 6, ... from the block's start: the ranges then spread them badly).

From the same ways and houses:

- an ADDRFEAT-like zipped shapefile (TIGER/Line fields FULLNAME "Willis Mill Rd SW",
  LFROMHN/LTOHN/RFROMHN/RTOHN = the whole hundred-block, PARITYL/R, ZIPL/R; left/right by the
  way's direction, numbers rising from its first vertex) for RANGE_SHARE of the ways;
- an OpenAddresses CSV holding POINT_SHARE of the houses (upper-case, spelled out: "WILLIS MILL
  ROAD SOUTHWEST"), each within a few metres of the house;
- VOTERS voters with blank coordinates at random houses (1-6 per house): USPS capitals "WILLIS
  MILL RD SW" mostly, spelled out or without the directional for some, an apartment for 10%,
  the ZIP code for 97%; 1% on a street that is nowhere and 1% with a number past every range.

Each run happens in a fresh child process (``read_address_sources`` + ``read_voters``) and
reports its time, peak memory (VmHWM) and, per source, the rows placed and the error
against the true house in metres (median and 90th percentile). Two layouts are timed: split
columns (house number, street, ZIP: Georgia's layout) and one-string addresses (ncvoter's
``res_street_address``, split by ``usaddress``).

Run from the repository root: ``python bench/bench_geocode.py [--voters N] [--tiles N]``.
The goal: 1M voters in under 60 s and 4 GB on 2 cores.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data" / "atlanta"
EXTRACTS = ("cobb-county.filtered.osm.pbf", "central-atlanta-filtered.osm.pbf")
HOUSE_WAYS = {"residential", "unclassified", "tertiary", "secondary", "living_street"}
SEED = 20260312
METRIC = "EPSG:32616"  # UTM 16N: Atlanta
POINT_SHARE = 0.5
RANGE_SHARE = 0.9  # TIGER misses some streets (new subdivisions): 10% of ways have no range
TILE_STEP_M = 40_000.0

USPS = {"Road": "Rd", "Drive": "Dr", "Street": "St", "Avenue": "Ave", "Court": "Ct",
        "Lane": "Ln", "Place": "Pl", "Circle": "Cir", "Trail": "Trl", "Terrace": "Ter",
        "Parkway": "Pkwy", "Boulevard": "Blvd", "Highway": "Hwy", "Way": "Way",
        "Northwest": "NW", "Northeast": "NE", "Southwest": "SW", "Southeast": "SE",
        "North": "N", "South": "S", "East": "E", "West": "W", "Crossing": "Xing",
        "Point": "Pt", "Ridge": "Rdg", "Trace": "Trce", "Square": "Sq", "Run": "Run",
        "Junior": "Jr"}  # fmt: skip
DIRECTIONALS = {"NW", "NE", "SW", "SE", "N", "S", "E", "W"}


# ----------------------------------------------------------------------------- synthetic data


def read_ways() -> gpd.GeoDataFrame:
    """Named ways that have houses, from the Atlanta extracts, in UTM metres."""
    import osmium

    names, lines = [], []
    for extract in EXTRACTS:
        processor = osmium.FileProcessor(str(DATA / extract)).with_locations()
        for way in processor:
            if not way.is_way() or way.tags.get("highway") not in HOUSE_WAYS:
                continue
            name = way.tags.get("name")
            coords = [(n.location.lon, n.location.lat) for n in way.nodes if n.location.valid()]
            if name and len(coords) >= 2:
                names.append(name)
                lines.append(shapely.LineString(coords))
    ways = gpd.GeoDataFrame({"name": names}, geometry=lines, crs="EPSG:4326").to_crs(METRIC)
    return ways.loc[ways.length >= 40].reset_index(drop=True)


def usps(name: str) -> str:
    return " ".join(USPS.get(word, word) for word in name.split())


def build(folder: Path, voters: int, tiles: int) -> dict[str, Any]:
    rng = np.random.default_rng(SEED)
    base_ways = read_ways()
    side = int(np.ceil(np.sqrt(tiles)))
    ways = []
    for tile in range(tiles):
        shifted = base_ways.translate(
            xoff=(tile % side) * TILE_STEP_M, yoff=(tile // side) * TILE_STEP_M
        )
        ways.append(base_ways.assign(geometry=shifted, zip=f"{30001 + tile:05d}"))
    way = gpd.GeoDataFrame(pd.concat(ways, ignore_index=True), crs=METRIC)
    # Hundred-blocks numbered along each street of a ZIP code ("Jr" and "Junior" are one).
    way["block"] = 100 * (way.groupby(["zip", way["name"].map(usps)]).cumcount() + 1)
    way["odd_left"] = rng.random(len(way)) < 0.5
    way["sequential"] = rng.random(len(way)) < 1 / 3
    length = way.length.to_numpy()
    # Houses along both sides of each way.
    lot = rng.uniform(18, 30, len(way))
    per_side = np.maximum(((length - 16) // lot).astype(int), 1)
    rows = []
    for side_sign in (1, -1):  # 1: left of the way's direction
        w = np.repeat(np.arange(len(way)), per_side)
        j = np.arange(len(w)) - np.repeat(np.cumsum(per_side) - per_side, per_side)
        along = np.minimum(8 + lot[w] * (j + 0.5), length[w] - 1)
        odd = way["odd_left"].to_numpy()[w] == (side_sign == 1)
        proportional = 2 * np.round(49 * along / length[w]) + rng.integers(-1, 2, len(w)) * 2
        sequence = 2 * j * rng.integers(1, 3, len(w))
        offset = np.where(way["sequential"].to_numpy()[w], sequence, proportional)
        number = way["block"].to_numpy()[w] + np.clip(offset, 0, 98) + odd
        rows.append(pd.DataFrame({"way": w, "along": along, "side": side_sign, "number": number}))
    houses = pd.concat(rows, ignore_index=True).drop_duplicates(["way", "number"])
    lines = way.geometry.to_numpy()[houses["way"].to_numpy()]
    at = shapely.line_interpolate_point(lines, houses["along"].to_numpy())
    ahead = shapely.line_interpolate_point(lines, houses["along"].to_numpy() + 1)
    behind = shapely.line_interpolate_point(lines, np.maximum(houses["along"].to_numpy() - 1, 0))
    dx = shapely.get_x(ahead) - shapely.get_x(behind)
    dy = shapely.get_y(ahead) - shapely.get_y(behind)
    norm = np.hypot(dx, dy)
    setback = rng.uniform(12, 25, len(houses)) * houses["side"].to_numpy()
    x = shapely.get_x(at) - dy / norm * setback
    y = shapely.get_y(at) + dx / norm * setback
    to_lonlat = pyproj.Transformer.from_crs(METRIC, 4326, always_xy=True)
    lon, lat = to_lonlat.transform(x, y)
    houses = houses.assign(
        lon=lon, lat=lat, name=way["name"].to_numpy()[houses["way"]],
        zip=way["zip"].to_numpy()[houses["way"]],
    ).reset_index(drop=True)  # fmt: skip

    # TIGER ADDRFEAT: the whole hundred-block on each side, left/right by the way's direction.
    odd_left = way["odd_left"].to_numpy()
    block = way["block"].to_numpy()
    with_range = rng.random(len(way)) < RANGE_SHARE
    addrfeat = gpd.GeoDataFrame(
        {
            "TLID": np.arange(len(way)) + 10**9,
            "FULLNAME": [usps(n) for n in way["name"]],
            "LFROMHN": (block + odd_left).astype(str), "LTOHN": (block + 98 + odd_left).astype(str),
            "RFROMHN": (block + ~odd_left).astype(str),
            "RTOHN": (block + 98 + ~odd_left).astype(str),
            "PARITYL": np.where(odd_left, "O", "E"), "PARITYR": np.where(odd_left, "E", "O"),
            "ZIPL": way["zip"], "ZIPR": way["zip"],
        },
        geometry=way.geometry,
        crs=METRIC,
    ).loc[with_range].to_crs(4269)  # fmt: skip
    shp = folder / "tl_2023_13067_addrfeat"
    shp.mkdir(exist_ok=True)
    addrfeat.to_file(shp / "tl_2023_13067_addrfeat.shp")
    import zipfile

    ranges_path = folder / "tl_2023_13067_addrfeat.zip"
    with zipfile.ZipFile(ranges_path, "w", zipfile.ZIP_DEFLATED) as archive:
        for part in shp.iterdir():
            archive.write(part, part.name)

    # OpenAddresses: a share of the houses, a few metres off.
    held = houses.loc[rng.random(len(houses)) < POINT_SHARE]
    jitter = rng.normal(0, 3, (len(held), 2)) / np.array([92_500.0, 111_195.0])
    oa = pd.DataFrame(
        {
            "LON": (held["lon"] + jitter[:, 0]).round(7),
            "LAT": (held["lat"] + jitter[:, 1]).round(7),
            "NUMBER": held["number"].astype(int), "STREET": held["name"].str.upper(), "UNIT": "",
            "CITY": "", "DISTRICT": "COBB", "REGION": "GA", "POSTCODE": held["zip"],
            "ID": "", "HASH": "",
        }
    )  # fmt: skip
    points_path = folder / "us_ga_cobb-addresses-county.csv"
    oa.to_csv(points_path, index=False)

    # Voters: 1-6 per house, blank coordinates.
    weights = rng.integers(1, 7, len(houses)).astype(float)
    house = rng.choice(len(houses), size=voters, p=weights / weights.sum())
    at_house = houses.iloc[house].reset_index(drop=True)
    short = pd.Series([usps(n) for n in houses["name"]]).str.upper().to_numpy()[house]
    spelled = at_house["name"].to_numpy()
    no_dir = np.array([" ".join(w for w in s.split() if w not in DIRECTIONALS) for s in short])
    style = rng.random(voters)
    street = np.where(style < 0.80, short, np.where(style < 0.95, spelled, no_dir))
    number = at_house["number"].astype(int).astype(str).to_numpy()
    trouble = rng.random(voters)
    street = np.where(trouble < 0.01, "NOWHERE LN", street)
    number = np.where(
        (trouble >= 0.01) & (trouble < 0.02),
        (at_house["number"] + 5000).astype(int).astype(str),
        number,
    )
    unit = np.where(
        rng.random(voters) < 0.10, "APT " + rng.integers(1, 300, voters).astype(str), ""
    )
    zips = np.where(rng.random(voters) < 0.97, at_house["zip"].to_numpy(), "")
    frame = pd.DataFrame(
        {
            "voter_id": np.char.add("GA", np.arange(10**7, 10**7 + voters).astype(str)),
            "house_number": number, "street": street, "unit": unit, "city": "MARIETTA",
            "zip": zips, "latitude": "", "longitude": "",
        }
    )  # fmt: skip
    split_path = folder / "voters-split.csv"
    frame.to_csv(split_path, index=False)
    one = frame[["voter_id"]].assign(
        address=frame["house_number"] + " " + frame["street"]
        + np.where(frame["unit"] != "", " " + frame["unit"], ""),
        zip=frame["zip"], latitude="", longitude="",
    )  # fmt: skip
    one_path = folder / "voters-one-string.csv"
    one.to_csv(one_path, index=False)
    sequential = way["sequential"].to_numpy()[at_house["way"].to_numpy()]
    truth = pd.DataFrame(
        {"voter_id": frame["voter_id"], "lon": at_house["lon"], "lat": at_house["lat"],
         "numbering": np.where(sequential, "in sequence", "by distance")}
    )  # fmt: skip
    truth_path = folder / "truth.parquet"
    truth.to_parquet(truth_path)
    return {
        "ways": len(way), "houses": len(houses), "points": len(oa), "voters": voters,
        "tiles": tiles, "paths": {"split": str(split_path), "one_string": str(one_path),
        "ranges": str(ranges_path), "points": str(points_path), "truth": str(truth_path)},
    }  # fmt: skip


# ----------------------------------------------------------------------------- the timed run


def _peak_mb() -> float:
    """This process's peak RSS: VmHWM (ru_maxrss would also count the parent's pages at the
    fork, as Linux carries the high-water mark over ``exec``)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child(voters: str, points: str, ranges: str, out: str) -> None:
    """Read the address files and the voters, geocoding them (in a fresh process)."""
    import geo.voters
    from geo.address_sources import read_address_sources

    inner: dict[str, float] = {}
    original = geo.voters.geocode

    def timed_geocode(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            inner["geocode"] = time.perf_counter() - started

    geo.voters.geocode = timed_geocode  # type: ignore[attr-defined]
    started = time.perf_counter()
    sources = read_address_sources([points, ranges])
    read_sources = time.perf_counter() - started
    table = geo.voters.read_voters(voters, address_sources=sources)
    total = time.perf_counter() - started
    accepted = table.accepted
    pd.DataFrame(
        {
            "voter_id": accepted["voter_id"].to_numpy(),
            "source": accepted["source"].to_numpy(),
            "lon": accepted.geometry.x.to_numpy(),
            "lat": accepted.geometry.y.to_numpy(),
        }
    ).to_parquet(out)
    peak_mb = _peak_mb()
    print(
        json.dumps(
            {
                "read_sources_s": round(read_sources, 2),
                "geocode_s": round(inner.get("geocode", float("nan")), 2),
                "total_s": round(total, 2),
                "peak_mb": round(peak_mb),
                "geocoding": table.geocoding,
            }
        )
    )


def run(layout: str, built: dict[str, Any], folder: Path) -> dict[str, Any]:
    paths = built["paths"]
    out = folder / f"placed-{layout}.parquet"
    command = [sys.executable, __file__, "--child", paths[layout], paths["points"],
               paths["ranges"], str(out)]  # fmt: skip
    done = subprocess.run(command, check=True, capture_output=True, text=True, cwd=ROOT)
    result = json.loads(done.stdout.strip().splitlines()[-1])
    placed = pd.read_parquet(out).merge(
        pd.read_parquet(paths["truth"]), on="voter_id", suffixes=("", "_true")
    )
    dx = (placed["lon"] - placed["lon_true"]) * 111_195 * np.cos(np.radians(placed["lat_true"]))
    dy = (placed["lat"] - placed["lat_true"]) * 111_195
    placed["error_m"] = np.hypot(dx, dy)
    result["error_m"] = {
        source: {
            "rows": len(group),
            "median": round(float(group["error_m"].median()), 1),
            "p90": round(float(group["error_m"].quantile(0.9)), 1),
        }
        for source, group in placed.groupby("source")
    }
    ranges = placed.loc[placed["source"] == "address_range"]
    result["range_error_m"] = {
        numbering: {
            "rows": len(group),
            "median": round(float(group["error_m"].median()), 1),
            "p90": round(float(group["error_m"].quantile(0.9)), 1),
        }
        for numbering, group in ranges.groupby("numbering")
    }
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--voters", type=int, default=1_000_000)
    parser.add_argument("--tiles", type=int, default=12, help="copies of the street network")
    parser.add_argument("--child", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return
    if not all((DATA / e).exists() for e in EXTRACTS):
        print(f"needs the Atlanta extracts in {DATA}; skipped")
        return
    with tempfile.TemporaryDirectory(prefix="canvass-bench-geocode-") as tmp:
        folder = Path(tmp)
        started = time.perf_counter()
        built = build(folder, args.voters, args.tiles)
        print(
            f"synthetic county: {built['tiles']} copies of the Atlanta streets, "
            f"{built['ways']:,} ways, {built['houses']:,} houses, {built['points']:,} "
            f"OpenAddresses points, {built['voters']:,} voters "
            f"(built in {time.perf_counter() - started:.0f} s)"
        )
        for layout in ("split", "one_string"):
            result = run(layout, built, folder)
            geocoding = result["geocoding"]
            print(
                f"\n{layout} ({built['voters']:,} voters): {result['total_s']} s in all "
                f"(address files {result['read_sources_s']} s, "
                f"geocode {result['geocode_s']} s), peak "
                f"{result['peak_mb']:,} MB; match rate {geocoding['match_rate']:.1%}"
            )
            for source, error in result["error_m"].items():
                print(
                    f"  {source:>27}: {error['rows']:>9,} rows, error median "
                    f"{error['median']:>6} m, p90 {error['p90']:>6} m"
                )
            for numbering, error in result["range_error_m"].items():
                print(
                    f"  {'range, ' + numbering:>27}: {error['rows']:>9,} rows, error median "
                    f"{error['median']:>6} m, p90 {error['p90']:>6} m"
                )
            print(f"  not found: {geocoding['not_found']:,}")
            for reason, count in geocoding["not_found_reasons"].items():
                print(f"    {count:>9,}  {reason}")


if __name__ == "__main__":
    main()
